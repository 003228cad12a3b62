//! S06 country head-to-head (stats.md §3): per game, the countries of the
//! winning and losing teams; every ordered pair of countries facing each
//! other counts a win, a loss, or a draw when either country had players on
//! both teams. Teammates are never opponents. One file per country and an
//! index, for the tiers m1, m2, m3 and tm (P-cum on min_elo).

use crate::db::models::Season;
use crate::stats::output::{now_epoch, safe_file_stem, Document};
use crate::stats::tiers::{by_min_elo, p_cum, Tier};
use anyhow::anyhow;
use diesel::sql_types::{Bool, Datetime, Integer, Nullable, Text};
use diesel::{sql_query, MysqlConnection, QueryableByName, RunQueryDsl};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The sub-folder of the per-country files: `country_h2h_<ELO>`.
pub const FOLDER_PREFIX: &str = "country_h2h";

/// Participations of players with a country (an alpha3) in the window's
/// finished games with an elo, by game. `min_elo >= LEAST(<ELO>, tl)` keeps
/// a superset of the tier's games (P-cum on min_elo); the exact predicate
/// is applied in Rust. STRAIGHT_JOIN starts from the game filter: left to
/// itself, the optimiser walked every participation of every player with
/// a country first (3 s instead of 0.3 s on 50 000 games).
pub const PARTICIPATIONS_SQL: &str = "\
SELECT g.id AS game_id, g.min_elo AS min_elo, g.trackmaster_limit AS tl, pg.is_win AS is_win, \
 z.country_alpha3 AS alpha3, z.name AS country_name, z.file_name AS file_name \
FROM game g STRAIGHT_JOIN playergame pg ON pg.game_id = g.id \
STRAIGHT_JOIN player p ON p.uuid = pg.player_id STRAIGHT_JOIN zone z ON z.id = p.country_id \
WHERE g.time BETWEEN ? AND ? AND g.is_finished = 1 AND g.average_elo > -1 \
 AND g.min_elo >= LEAST(?, g.trackmaster_limit) AND z.country_alpha3 IS NOT NULL \
ORDER BY g.id, z.id";

#[derive(QueryableByName)]
struct Participation {
    #[diesel(sql_type = Integer)]
    game_id: i32,
    #[diesel(sql_type = Integer)]
    min_elo: i32,
    #[diesel(sql_type = Integer)]
    tl: i32,
    #[diesel(sql_type = Bool)]
    is_win: bool,
    #[diesel(sql_type = Text)]
    alpha3: String,
    #[diesel(sql_type = Text)]
    country_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    file_name: Option<String>,
}

/// One ordered pair's record, from the first country's side.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub wins: i64,
    pub draws: i64,
    pub losses: i64,
    pub games: i64,
}

/// How one game ended for one country against another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Win,
    Draw,
    Loss,
}

/// The countries of one game's winning and losing teams.
#[derive(Debug, Default)]
pub struct GameSides {
    pub winners: BTreeSet<String>,
    pub losers: BTreeSet<String>,
}

impl GameSides {
    fn is_split(&self, country: &str) -> bool {
        self.winners.contains(country) && self.losers.contains(country)
    }

    /// `a` against `b`, or `None` when they only played on the same team.
    fn outcome(&self, a: &str, b: &str) -> Option<Outcome> {
        if self.is_split(a) || self.is_split(b) {
            return Some(Outcome::Draw);
        }
        let a_won = self.winners.contains(a);
        if a_won == self.winners.contains(b) {
            return None;
        }
        Some(if a_won { Outcome::Win } else { Outcome::Loss })
    }
}

/// Adds one game to the records of every ordered pair of its countries.
pub fn add_game(records: &mut BTreeMap<(String, String), Record>, game: &GameSides) {
    let countries: BTreeSet<&String> = game.winners.iter().chain(&game.losers).collect();
    for a in &countries {
        for b in &countries {
            if a == b {
                continue;
            }
            let Some(outcome) = game.outcome(a, b) else {
                continue;
            };
            let record = records.entry(((*a).clone(), (*b).clone())).or_default();
            record.games += 1;
            match outcome {
                Outcome::Win => record.wins += 1,
                Outcome::Draw => record.draws += 1,
                Outcome::Loss => record.losses += 1,
            }
        }
    }
}

/// S06 for the job `get_country_h2h_<ELO>`: `country_h2h_<ELO>/<S>/<ALPHA3>.txt`
/// for every country with an opponent, then the index.
pub fn country_h2h(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let tier = job_tier(job)?;
    let rows: Vec<Participation> = sql_query(PARTICIPATIONS_SQL)
        .bind::<Datetime, _>(season.start_time)
        .bind::<Datetime, _>(season.end_time)
        .bind::<Integer, _>(tier.min_elo)
        .load(conn)?;
    let mut countries: BTreeMap<String, Value> = BTreeMap::new();
    let mut records = BTreeMap::new();
    for game in rows.chunk_by(|a, b| a.game_id == b.game_id) {
        if !p_cum(tier, game[0].min_elo, game[0].tl) {
            continue;
        }
        let mut sides = GameSides::default();
        for row in game {
            countries.entry(row.alpha3.clone()).or_insert_with(|| {
                json!({"name": row.country_name, "file_name": row.file_name, "alpha3": row.alpha3})
            });
            let side = if row.is_win {
                &mut sides.winners
            } else {
                &mut sides.losers
            };
            side.insert(row.alpha3.clone());
        }
        add_game(&mut records, &sides);
    }
    Ok(documents(job, season.id, tier, &countries, &records))
}

/// The tier of a job name's `<ELO>` suffix.
fn job_tier(job: &str) -> anyhow::Result<Tier> {
    job.rsplit('_')
        .next()
        .and_then(|elo| elo.parse().ok())
        .and_then(by_min_elo)
        .ok_or_else(|| anyhow!("{job}: no rank tier in the job name"))
}

fn documents(
    job: &str,
    season: i32,
    tier: Tier,
    countries: &BTreeMap<String, Value>,
    records: &BTreeMap<(String, String), Record>,
) -> Vec<Document> {
    let folder = format!("{FOLDER_PREFIX}_{}", tier.min_elo);
    let last_updated = now_epoch();
    let mut documents = Vec::new();
    let mut index = Vec::new();
    let mut by_country: BTreeMap<&str, Vec<(&str, Record)>> = BTreeMap::new();
    for ((a, b), record) in records {
        by_country.entry(a).or_default().push((b, *record));
    }
    for (country, mut opponents) in by_country {
        let stem = safe_file_stem(country);
        if stem.is_empty() {
            log::warn!("alpha3 {country:?} cannot name a file; no head-to-head for it");
            continue;
        }
        // Most games first; equal games by the opponent's alpha3 (the map is
        // already in alpha3 order and the sort is stable).
        opponents.sort_by_key(|(_, r)| std::cmp::Reverse(r.games));
        let results: Vec<Value> = opponents
            .iter()
            .map(|(opponent, r)| {
                json!({"opponent": countries.get(*opponent).cloned().unwrap_or(Value::Null),
                       "wins": r.wins, "draws": r.draws, "losses": r.losses, "games": r.games})
            })
            .collect();
        documents.push(Document::entity(
            &folder,
            season,
            &stem,
            json!({"results": results, "last_updated": last_updated}),
        ));
        index.push(country.to_string());
    }
    documents.push(Document::main(
        job,
        season,
        json!({"countries": index, "last_updated": last_updated}),
    ));
    documents
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sides(winners: &[&str], losers: &[&str]) -> GameSides {
        GameSides {
            winners: winners.iter().map(|s| s.to_string()).collect(),
            losers: losers.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn record(records: &BTreeMap<(String, String), Record>, a: &str, b: &str) -> Record {
        records
            .get(&(a.to_string(), b.to_string()))
            .copied()
            .unwrap_or_default()
    }

    #[test]
    fn same_side_pairs_are_skipped_and_splits_are_draws() {
        let mut records = BTreeMap::new();
        add_game(&mut records, &sides(&["FRA", "GER"], &["ESP", "FRA"]));
        // FRA is split: a draw against everyone.
        assert_eq!(
            record(&records, "FRA", "GER"),
            Record {
                draws: 1,
                games: 1,
                ..Record::default()
            }
        );
        assert_eq!(record(&records, "ESP", "FRA").draws, 1);
        assert_eq!(
            record(&records, "GER", "ESP"),
            Record {
                wins: 1,
                games: 1,
                ..Record::default()
            }
        );
        assert_eq!(
            record(&records, "ESP", "GER"),
            Record {
                losses: 1,
                games: 1,
                ..Record::default()
            }
        );
        assert_eq!(records.len(), 6);
        let mut teammates = BTreeMap::new();
        add_game(&mut teammates, &sides(&["FRA", "GER"], &[]));
        assert!(teammates.is_empty());
    }

    #[test]
    fn the_tier_comes_from_the_job_name() {
        assert_eq!(job_tier("get_country_h2h_3600").unwrap().key, "m3");
        assert_eq!(job_tier("get_country_h2h_4000").unwrap().key, "tm");
        assert!(job_tier("get_country_h2h_3601").is_err());
        assert!(job_tier("nope").is_err());
    }
}
