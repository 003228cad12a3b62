//! S19 players statistics (stats.md §3): the season's 100 players with the
//! most games played, wins, losses or MVPs.

use crate::db::models::Season;
use crate::stats::output::{now_epoch, Document, PlayerIdentity};
use crate::stats::scan::Scan;
use crate::stats::season_rows::{season_rows, SeasonRows};
use diesel::mysql::MysqlConnection;
use diesel::sql_types::Text;
use diesel::{sql_query, RunQueryDsl};
use serde_json::json;
use std::collections::HashMap;

/// Players per file.
pub const LIMIT: i64 = 100;

/// The four orders, as they end the job names (`get_players_matches_<order>`).
pub const ORDERS: [&str; 4] = ["played", "wins", "losses", "mvps"];

/// The name, club tag and country of the players whose uuids fill the
/// `{uuids}` list of placeholders.
const PLAYERS_SQL: &str = "\
SELECT p.uuid AS uuid, p.name AS name, p.club_tag AS club_tag, z.name AS country_name, \
 z.file_name AS country_file_name, z.country_alpha3 AS alpha3 \
FROM player p LEFT JOIN zone z ON z.id = p.country_id \
WHERE p.uuid IN ({uuids})";

/// The statement naming `count` players (at least one placeholder, so that
/// an empty list stays valid SQL and matches nobody).
pub fn players_sql(count: usize) -> String {
    let marks = vec!["?"; count.max(1)].join(", ");
    PLAYERS_SQL.replace("{uuids}", &marks)
}

/// One player's totals over the season window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    pub uuid: String,
    pub played: i64,
    pub wins: i64,
    pub losses: i64,
    pub mvps: i64,
}

impl Totals {
    /// The measure `order` (one of [`ORDERS`]) names.
    fn measure(&self, order: &str) -> Option<i64> {
        match order {
            "played" => Some(self.played),
            "wins" => Some(self.wins),
            "losses" => Some(self.losses),
            "mvps" => Some(self.mvps),
            _ => None,
        }
    }
}

// The four orders' jobs run one after the other and share the totals.
static TOTALS: Scan<Vec<Totals>> = Scan::new();

/// Every player's totals over the window's games, unfinished ones too (there
/// `is_win` is false, so they count as losses), in no particular order.
fn season_totals(rows: &SeasonRows) -> Vec<Totals> {
    let mut totals: Vec<Totals> = rows
        .players
        .iter()
        .map(|p| Totals {
            uuid: p.uuid.clone(),
            played: 0,
            wins: 0,
            losses: 0,
            mvps: 0,
        })
        .collect();
    for part in &rows.parts {
        let player = &mut totals[part.player as usize];
        player.played += 1;
        player.wins += i64::from(part.is_win);
        player.losses += i64::from(!part.is_win);
        player.mvps += i64::from(part.is_mvp);
    }
    totals
}

/// The first [`LIMIT`] players by `order`'s measure (one of [`ORDERS`]),
/// equal values by uuid.
pub fn top(totals: &[Totals], order: &str) -> Vec<Totals> {
    let limit = usize::try_from(LIMIT).unwrap_or(usize::MAX);
    let ranking = |a: &&Totals, b: &&Totals| {
        b.measure(order)
            .cmp(&a.measure(order))
            .then_with(|| a.uuid.cmp(&b.uuid))
    };
    let mut ranked: Vec<&Totals> = totals.iter().collect();
    if ranked.len() > limit {
        ranked.select_nth_unstable_by(limit - 1, ranking);
        ranked.truncate(limit);
    }
    ranked.sort_by(ranking);
    ranked.into_iter().cloned().collect()
}

/// The name, club tag and country of `players`, by uuid.
fn players(
    conn: &mut MysqlConnection,
    players: &[Totals],
) -> anyhow::Result<HashMap<String, PlayerIdentity>> {
    let mut query = sql_query(players_sql(players.len())).into_boxed();
    if players.is_empty() {
        query = query.bind::<Text, _>(String::new());
    }
    for player in players {
        query = query.bind::<Text, _>(player.uuid.clone());
    }
    let rows: Vec<PlayerIdentity> = query.load(conn)?;
    Ok(rows.into_iter().map(|r| (r.uuid.clone(), r)).collect())
}

/// S19: `get_players_matches_<order>_<S>.txt`, the order being the end of `job`.
pub fn matches(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let order = job.rsplit('_').next().unwrap_or_default();
    if !ORDERS.contains(&order) {
        anyhow::bail!("{job} is not a players statistic");
    }
    let totals = TOTALS.get(season, || Ok(season_totals(&*season_rows(conn, season)?)))?;
    let ranked = top(&totals, order);
    let mut named = players(conn, &ranked)?;
    let results: Vec<_> = ranked
        .into_iter()
        .filter_map(|t| named.remove(&t.uuid).map(|p| (t, p)))
        .map(|(t, p)| {
            let mut fields = p.fields();
            for (key, value) in [
                ("played", t.played),
                ("wins", t.wins),
                ("losses", t.losses),
                ("mvps", t.mvps),
            ] {
                fields.insert(key.into(), json!(value));
            }
            serde_json::Value::Object(fields)
        })
        .collect();
    let content = json!({"last_updated": now_epoch(), "results": results});
    Ok(vec![Document::main(job, season.id, content)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(uuid: &str, played: i64, wins: i64, mvps: i64) -> Totals {
        Totals {
            uuid: uuid.into(),
            played,
            wins,
            losses: played - wins,
            mvps,
        }
    }

    fn uuids(ranked: &[Totals]) -> Vec<&str> {
        ranked.iter().map(|t| t.uuid.as_str()).collect()
    }

    #[test]
    fn one_placeholder_per_player_and_one_for_none() {
        assert!(players_sql(3).contains("IN (?, ?, ?)"));
        assert!(players_sql(0).contains("IN (?)"));
    }

    #[test]
    fn each_order_ranks_by_its_measure_then_uuid() {
        let all = [
            totals("c", 3, 1, 0),
            totals("a", 2, 2, 1),
            totals("b", 3, 2, 1),
        ];
        assert_eq!(uuids(&top(&all, "played")), ["b", "c", "a"]);
        assert_eq!(uuids(&top(&all, "wins")), ["a", "b", "c"]);
        assert_eq!(uuids(&top(&all, "losses")), ["c", "b", "a"]);
        assert_eq!(uuids(&top(&all, "mvps")), ["a", "b", "c"]);
    }

    #[test]
    fn only_the_first_hundred_are_kept() {
        let all: Vec<Totals> = (0..250)
            .map(|i| totals(&format!("{i:03}"), i % 7, 0, 0))
            .collect();
        let ranked = top(&all, "played");
        assert_eq!(ranked.len(), 100);
        let mut expected = all.clone();
        expected.sort_by(|a, b| b.played.cmp(&a.played).then(a.uuid.cmp(&b.uuid)));
        expected.truncate(100);
        assert_eq!(ranked, expected);
    }
}
