//! The hot lists of stats.md §3: S15 most wins and S16 most points gained in
//! the last 7 days before now, whatever the season (every season of a run
//! gets the same content). Players qualify by P-player-cum on their current
//! points and rank; the game's own elo does not matter. Equal wins or deltas
//! are ordered by player uuid ascending.

use crate::db::models::Season;
use crate::stats::output::stored_zone;
use crate::stats::output::{now_epoch, Document, PlayerIdentity};
use crate::stats::tiers::of_job as job_tier;
use crate::stats::tiers::{Tier, TRACKMASTER_RANK};
use chrono::{Duration, NaiveDateTime};
use diesel::sql_types::{BigInt, Datetime, Integer};
use diesel::{sql_query, MysqlConnection, QueryableByName, RunQueryDsl};
use serde_json::{json, Value};

/// Players per file.
pub const LIMIT: i64 = 20;
/// The window: this many days before now, no upper bound.
pub const DAYS: i64 = 7;

/// P-player-cum as SQL; binds the tier's min_elo, then the rank limit.
fn p_player_cum_sql(tier: Tier) -> &'static str {
    if tier.is_tm() {
        "p.points >= ? AND p.`rank` <= ?"
    } else {
        "p.points >= ? AND ? IS NOT NULL"
    }
}

/// S15: wins and participations per qualified player since `?`.
const WINS_SQL: &str = "\
SELECT p.uuid AS uuid, p.name AS name, p.club_tag AS club_tag, z.name AS country_name, \
 z.file_name AS country_file_name, z.country_alpha3 AS alpha3, \
 CAST(p.points AS SIGNED) AS current_points, CAST(SUM(pg.is_win) AS SIGNED) AS measure, \
 COUNT(*) AS played \
FROM playergame pg JOIN game g ON g.id = pg.game_id JOIN player p ON p.uuid = pg.player_id \
LEFT JOIN zone z ON z.id = p.country_id \
WHERE g.average_elo > -1 AND g.time >= ? AND {player} \
GROUP BY p.uuid, p.name, p.club_tag, z.name, z.file_name, z.country_alpha3, p.points \
ORDER BY measure DESC, p.uuid LIMIT ?";

/// S16: current points minus the points after the player's first game (by
/// game id) with known points in the window, and his participations there.
const DELTA_SQL: &str = "\
WITH mg AS (SELECT pg.player_id, MIN(pg.game_id) AS gid FROM playergame pg \
  JOIN game g ON g.id = pg.game_id \
  WHERE g.average_elo > -1 AND g.time >= ? AND pg.points_after_match IS NOT NULL \
  GROUP BY pg.player_id), \
 fe AS (SELECT pg.player_id, MIN(pg.points_after_match) AS first_elo FROM playergame pg \
  JOIN mg ON mg.player_id = pg.player_id AND mg.gid = pg.game_id \
  WHERE pg.points_after_match IS NOT NULL GROUP BY pg.player_id), \
 tp AS (SELECT pg.player_id, COUNT(*) AS played FROM playergame pg \
  JOIN game g ON g.id = pg.game_id \
  WHERE g.average_elo > -1 AND g.time >= ? GROUP BY pg.player_id) \
SELECT p.uuid AS uuid, p.name AS name, p.club_tag AS club_tag, z.name AS country_name, \
 z.file_name AS country_file_name, z.country_alpha3 AS alpha3, \
 CAST(p.points AS SIGNED) AS current_points, \
 CAST(p.points AS SIGNED) - CAST(fe.first_elo AS SIGNED) AS measure, tp.played AS played \
FROM player p JOIN fe ON fe.player_id = p.uuid JOIN tp ON tp.player_id = p.uuid \
LEFT JOIN zone z ON z.id = p.country_id \
WHERE {player} \
ORDER BY measure DESC, p.uuid LIMIT ?";

pub fn wins_sql(tier: Tier) -> String {
    WINS_SQL.replace("{player}", p_player_cum_sql(tier))
}

pub fn delta_sql(tier: Tier) -> String {
    DELTA_SQL.replace("{player}", p_player_cum_sql(tier))
}

#[derive(QueryableByName)]
struct HotRow {
    #[diesel(embed)]
    player: PlayerIdentity,
    #[diesel(sql_type = BigInt)]
    current_points: i64,
    #[diesel(sql_type = BigInt)]
    measure: i64,
    #[diesel(sql_type = BigInt)]
    played: i64,
}

/// The start of the window: now (local wall clock) minus 7 days.
fn since() -> anyhow::Result<NaiveDateTime> {
    Ok(stored_zone()?.now() - Duration::days(DAYS))
}

fn document(job: &str, season: &Season, measure: &str, rows: Vec<HotRow>) -> Document {
    let results: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let mut fields = r.player.fields();
            fields.insert("current_points".into(), json!(r.current_points));
            fields.insert(measure.into(), json!(r.measure));
            fields.insert("played".into(), json!(r.played));
            Value::Object(fields)
        })
        .collect();
    Document::main(
        job,
        season.id,
        json!({"last_updated": now_epoch(), "results": results}),
    )
}

/// S15: `get_hot_this_week_<elo>_<S>.txt`.
pub fn this_week(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let tier = job_tier(job)?;
    let rows: Vec<HotRow> = sql_query(wins_sql(tier))
        .bind::<Datetime, _>(since()?)
        .bind::<Integer, _>(tier.min_elo)
        .bind::<Integer, _>(TRACKMASTER_RANK)
        .bind::<BigInt, _>(LIMIT)
        .load(conn)?;
    Ok(vec![document(job, season, "wins", rows)])
}

/// S16: `get_hot_this_week_by_points_delta_<elo>_<S>.txt`.
pub fn by_points_delta(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let tier = job_tier(job)?;
    let since = since()?;
    let rows: Vec<HotRow> = sql_query(delta_sql(tier))
        .bind::<Datetime, _>(since)
        .bind::<Datetime, _>(since)
        .bind::<Integer, _>(tier.min_elo)
        .bind::<Integer, _>(TRACKMASTER_RANK)
        .bind::<BigInt, _>(LIMIT)
        .load(conn)?;
    Ok(vec![document(job, season, "delta", rows)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::tiers::by_min_elo;

    #[test]
    fn only_trackmasters_need_a_top_ten_rank() {
        let tm = by_min_elo(4000).unwrap();
        let m1 = by_min_elo(3000).unwrap();
        assert!(wins_sql(tm).contains("p.`rank` <= ?"));
        assert!(!wins_sql(m1).contains("`rank`"));
        for sql in [wins_sql(tm), wins_sql(m1)] {
            assert_eq!(sql.matches('?').count(), 4);
        }
        for sql in [delta_sql(tm), delta_sql(m1)] {
            assert_eq!(sql.matches('?').count(), 5);
        }
    }
}
