//! S19 players statistics (stats.md §3): the season's 100 players with the
//! most games played, wins, losses or MVPs.

use crate::db::models::Season;
use crate::stats::output::{country, dashed_uuid, now_epoch, Document};
use diesel::sql_types::{BigInt, Datetime, Nullable, Text};
use diesel::{sql_query, MysqlConnection, QueryableByName, RunQueryDsl};
use serde_json::json;

/// Players per file.
pub const LIMIT: i64 = 100;

/// The four orders, as they end the job names (`get_players_matches_<order>`).
pub const ORDERS: [&str; 4] = ["played", "wins", "losses", "mvps"];

/// Every participation of the window's games (unfinished ones too: there
/// `is_win` is false, so they count as losses), per player, ordered by the
/// measure named by `{order}` (one of [`ORDERS`]), equal values by uuid.
const PLAYERS_SQL: &str = "\
SELECT p.uuid AS uuid, p.name AS name, p.club_tag AS club_tag, z.name AS country_name, \
 z.file_name AS country_file_name, z.country_alpha3 AS alpha3, \
 COUNT(*) AS played, CAST(SUM(pg.is_win) AS SIGNED) AS wins, \
 CAST(SUM(NOT pg.is_win) AS SIGNED) AS losses, CAST(SUM(pg.is_mvp) AS SIGNED) AS mvps \
FROM playergame pg JOIN game g ON g.id = pg.game_id JOIN player p ON p.uuid = pg.player_id \
LEFT JOIN zone z ON z.id = p.country_id \
WHERE g.time BETWEEN ? AND ? \
GROUP BY p.uuid, p.name, p.club_tag, z.name, z.file_name, z.country_alpha3 \
ORDER BY {order} DESC, p.uuid LIMIT ?";

/// The statement of one order; `None` for an order that is not one of [`ORDERS`].
pub fn players_sql(order: &str) -> Option<String> {
    ORDERS
        .contains(&order)
        .then(|| PLAYERS_SQL.replace("{order}", order))
}

#[derive(QueryableByName)]
struct PlayerRow {
    #[diesel(sql_type = Text)]
    uuid: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    club_tag: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    country_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    country_file_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    alpha3: Option<String>,
    #[diesel(sql_type = BigInt)]
    played: i64,
    #[diesel(sql_type = BigInt)]
    wins: i64,
    #[diesel(sql_type = BigInt)]
    losses: i64,
    #[diesel(sql_type = BigInt)]
    mvps: i64,
}

/// S19: `get_players_matches_<order>_<S>.txt`, the order being the end of `job`.
pub fn matches(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let order = job.rsplit('_').next().unwrap_or_default();
    let sql =
        players_sql(order).ok_or_else(|| anyhow::anyhow!("{job} is not a players statistic"))?;
    let rows: Vec<PlayerRow> = sql_query(sql)
        .bind::<Datetime, _>(season.start_time)
        .bind::<Datetime, _>(season.end_time)
        .bind::<BigInt, _>(LIMIT)
        .load(conn)?;
    let results: Vec<_> = rows
        .into_iter()
        .map(|r| {
            json!({"name": r.name, "uuid": dashed_uuid(&r.uuid), "club_tag": r.club_tag,
                   "country": country(r.country_name.as_deref(), r.country_file_name.as_deref(),
                                      r.alpha3.as_deref()),
                   "played": r.played, "wins": r.wins, "losses": r.losses, "mvps": r.mvps})
        })
        .collect();
    let content = json!({"last_updated": now_epoch(), "results": results});
    Ok(vec![Document::main(job, season.id, content)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_four_orders_make_a_statement() {
        for order in ORDERS {
            assert!(players_sql(order)
                .unwrap()
                .contains(&format!("ORDER BY {order} DESC")));
        }
        assert_eq!(players_sql("uuid; DROP TABLE player"), None);
    }
}
