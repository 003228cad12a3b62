//! Week-based and spread statistics of the season window (stats.md §3):
//! S14 player retention, S17 new players per week, S18 cross-rank frequency.
//! Each job reads one `<elo>` variant; the tier predicate is in the SQL so
//! only aggregated rows leave the database.

use crate::db::models::Season;
use crate::stats::output::{epoch, now_epoch, Document};
use crate::stats::tiers::{by_min_elo, Tier};
use crate::time::LocalZone;
use chrono::{Duration, NaiveDateTime};
use diesel::sql_types::{BigInt, Datetime, Integer, Text};
use diesel::{sql_query, MysqlConnection, QueryableByName, RunQueryDsl};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};

/// Seconds in a week (S17's week_start arithmetic).
const WEEK_SECONDS: i64 = 604_800;

/// S18's spread thresholds: bucket `T[i]` holds `T[i] <= spread < T[i+1]`.
pub const SPREAD_THRESHOLDS: [i64; 13] = [
    0, 300, 600, 1000, 1300, 1600, 2000, 2300, 2600, 3000, 3300, 3600, 4000,
];

/// The tier of a job named `<base>_<elo>`.
pub fn job_tier(job: &str) -> anyhow::Result<Tier> {
    job.rsplit('_')
        .next()
        .and_then(|elo| elo.parse().ok())
        .and_then(by_min_elo)
        .ok_or_else(|| anyhow::anyhow!("{job} names no rank tier"))
}

/// The time zone of stored datetimes. A job's signature carries no
/// configuration, so it is read here as `Config` reads it.
pub fn stored_zone() -> anyhow::Result<LocalZone> {
    let setting = crate::env::setting(&crate::env::process_var, "MMSTATUS_TZ")?;
    Ok(LocalZone::from_setting(setting.as_deref())?)
}

/// P-cum on `g.min_elo` as SQL; binds one Integer (the tier's min_elo).
fn p_cum_min_elo_sql(tier: Tier) -> &'static str {
    if tier.is_tm() {
        "(g.min_elo >= g.trackmaster_limit AND ? IS NOT NULL)"
    } else if tier.is_m3() {
        "(g.min_elo >= ? AND g.min_elo < g.trackmaster_limit)"
    } else {
        "g.min_elo >= ?"
    }
}

/// P-new (S17) as SQL; binds one Integer (the tier's min_elo).
fn p_new_sql(tier: Tier) -> &'static str {
    if tier.is_tm() {
        "(g.average_elo >= g.trackmaster_limit AND ? IS NOT NULL)"
    } else if tier.is_m3() {
        "(g.average_elo >= ? AND g.average_elo < g.trackmaster_limit)"
    } else {
        "g.min_elo >= ?"
    }
}

/// S18: games of the window per elo spread (`max_elo − min_elo`).
const SPREADS_SQL: &str = "\
SELECT CAST(g.max_elo - g.min_elo AS SIGNED) AS spread, COUNT(*) AS games FROM game g \
WHERE g.average_elo > -1 AND g.time BETWEEN ? AND ? AND {tier} \
GROUP BY spread";

/// S14: the distinct (calendar-day week, player) pairs of the window.
const WEEK_PLAYERS_SQL: &str = "\
SELECT DISTINCT CAST(FLOOR(DATEDIFF(g.time, ?) / 7) AS SIGNED) AS week, pg.player_id AS player \
FROM playergame pg JOIN game g ON g.id = pg.game_id \
WHERE g.average_elo > -1 AND g.time BETWEEN ? AND ? AND {tier}";

/// S17: each player's first qualifying game time in the window.
const FIRST_GAMES_SQL: &str = "\
SELECT MIN(g.time) AS first_time FROM playergame pg JOIN game g ON g.id = pg.game_id \
WHERE g.average_elo > -1 AND g.time BETWEEN ? AND ? AND {tier} \
GROUP BY pg.player_id";

pub fn spreads_sql(tier: Tier) -> String {
    SPREADS_SQL.replace("{tier}", p_cum_min_elo_sql(tier))
}

pub fn week_players_sql(tier: Tier) -> String {
    WEEK_PLAYERS_SQL.replace("{tier}", p_cum_min_elo_sql(tier))
}

pub fn first_games_sql(tier: Tier) -> String {
    FIRST_GAMES_SQL.replace("{tier}", p_new_sql(tier))
}

#[derive(QueryableByName)]
struct SpreadRow {
    #[diesel(sql_type = BigInt)]
    spread: i64,
    #[diesel(sql_type = BigInt)]
    games: i64,
}

#[derive(QueryableByName)]
struct WeekPlayerRow {
    #[diesel(sql_type = BigInt)]
    week: i64,
    #[diesel(sql_type = Text)]
    player: String,
}

#[derive(QueryableByName)]
struct FirstGameRow {
    #[diesel(sql_type = Datetime)]
    first_time: NaiveDateTime,
}

/// The index of the S18 bucket of `spread` (a negative one goes to 0).
pub fn spread_bucket(spread: i64) -> usize {
    SPREAD_THRESHOLDS[1..]
        .iter()
        .position(|&upper| spread < upper)
        .unwrap_or(SPREAD_THRESHOLDS.len() - 1)
}

/// The 13 S18 entries from games counted per spread.
pub fn spread_entries(spreads: &[(i64, i64)]) -> Vec<Value> {
    let mut counts = [0i64; 13];
    for &(spread, games) in spreads {
        counts[spread_bucket(spread)] += games;
    }
    SPREAD_THRESHOLDS
        .iter()
        .enumerate()
        .map(|(i, &min)| {
            let max = SPREAD_THRESHOLDS.get(i + 1).map(|next| next - 1);
            json!({"spread_min": min, "spread_max": max, "count": counts[i]})
        })
        .collect()
}

/// S18: `get_cross_rank_frequency_<elo>_<S>.txt`.
pub fn cross_rank_frequency(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let tier = job_tier(job)?;
    let rows: Vec<SpreadRow> = sql_query(spreads_sql(tier))
        .bind::<Datetime, _>(season.start_time)
        .bind::<Datetime, _>(season.end_time)
        .bind::<Integer, _>(tier.min_elo)
        .load(conn)?;
    let spreads: Vec<(i64, i64)> = rows.into_iter().map(|r| (r.spread, r.games)).collect();
    let content = json!({"last_updated": now_epoch(), "results": spread_entries(&spreads)});
    Ok(vec![Document::main(job, season.id, content)])
}

/// One S14 row before its week_start is known.
#[derive(Debug, PartialEq)]
pub struct Retention {
    pub week: i64,
    pub total: usize,
    pub retained: usize,
}

/// S14's rows: a week appears only when the next week has players.
pub fn retention(players: &BTreeMap<i64, HashSet<String>>) -> Vec<Retention> {
    players
        .iter()
        .filter_map(|(&week, now)| {
            let next = players.get(&(week + 1))?;
            Some(Retention {
                week,
                total: now.len(),
                retained: now.intersection(next).count(),
            })
        })
        .collect()
}

/// `round(retained·100/total, 2)` as a float.
pub fn retention_rate(retained: usize, total: usize) -> f64 {
    if total == 0 {
        return 0.0;
    }
    // Formatting rounds the exact binary value half to even, as Python's
    // round() does (3.125 → 3.12).
    let rate = retained as f64 * 100.0 / total as f64;
    format!("{rate:.2}").parse().unwrap_or(0.0)
}

/// S14: `get_player_retention_<elo>_<S>.txt`.
pub fn player_retention(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let tier = job_tier(job)?;
    let zone = stored_zone()?;
    let rows: Vec<WeekPlayerRow> = sql_query(week_players_sql(tier))
        .bind::<Datetime, _>(season.start_time)
        .bind::<Datetime, _>(season.start_time)
        .bind::<Datetime, _>(season.end_time)
        .bind::<Integer, _>(tier.min_elo)
        .load(conn)?;
    let mut players: BTreeMap<i64, HashSet<String>> = BTreeMap::new();
    for row in rows {
        players.entry(row.week).or_default().insert(row.player);
    }
    let results: Vec<Value> = retention(&players)
        .into_iter()
        .map(|r| {
            let start = season.start_time + Duration::weeks(r.week);
            json!({"week": r.week, "week_start": epoch(zone, start),
                   "total_players": r.total, "retained_players": r.retained,
                   "retention_rate": retention_rate(r.retained, r.total)})
        })
        .collect();
    let content = json!({"last_updated": now_epoch(), "results": results});
    Ok(vec![Document::main(job, season.id, content)])
}

/// S17's week of a first game: full 24-hour days since the start, by 7.
pub fn full_day_week(start: NaiveDateTime, first: NaiveDateTime) -> i64 {
    (first - start).num_days().div_euclid(7)
}

/// S17: `get_new_players_per_week_<elo>_<S>.txt`.
pub fn new_players_per_week(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let tier = job_tier(job)?;
    let zone = stored_zone()?;
    let rows: Vec<FirstGameRow> = sql_query(first_games_sql(tier))
        .bind::<Datetime, _>(season.start_time)
        .bind::<Datetime, _>(season.end_time)
        .bind::<Integer, _>(tier.min_elo)
        .load(conn)?;
    let mut weeks: BTreeMap<i64, i64> = BTreeMap::new();
    for row in rows {
        *weeks
            .entry(full_day_week(season.start_time, row.first_time))
            .or_default() += 1;
    }
    let start = epoch(zone, season.start_time);
    let results: Vec<Value> = weeks
        .into_iter()
        .map(|(week, new_players)| {
            json!({"week": week, "week_start": start + (week * WEEK_SECONDS) as f64,
                   "new_players": new_players})
        })
        .collect();
    let content = json!({"last_updated": now_epoch(), "results": results});
    Ok(vec![Document::main(job, season.id, content)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn spread_buckets_have_inclusive_lower_edges() {
        assert_eq!(spread_bucket(-5), 0);
        assert_eq!(spread_bucket(299), 0);
        assert_eq!(spread_bucket(300), 1);
        assert_eq!(spread_bucket(3999), 11);
        assert_eq!(spread_bucket(4000), 12);
        assert_eq!(spread_bucket(i64::MAX), 12);
        let entries = spread_entries(&[]);
        assert_eq!(entries.len(), 13);
        assert_eq!(
            entries[12],
            json!({"spread_min": 4000, "spread_max": null, "count": 0})
        );
    }

    #[test]
    fn job_names_give_their_tier() {
        assert_eq!(job_tier("get_player_retention_3600").unwrap().key, "m3");
        assert_eq!(job_tier("get_player_retention_0").unwrap().key, "b1");
        assert!(job_tier("get_player_retention_3601").is_err());
    }

    #[test]
    fn retention_needs_the_next_week() {
        let set = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<HashSet<_>>();
        let players = BTreeMap::from([(0, set(&["a", "b"])), (1, set(&["a"])), (3, set(&["a"]))]);
        assert_eq!(
            retention(&players),
            [Retention {
                week: 0,
                total: 2,
                retained: 1
            }]
        );
        assert_eq!(retention_rate(2, 3), 66.67);
        assert_eq!(retention_rate(0, 0), 0.0);
        assert_eq!(retention_rate(1, 32), 3.12);
        assert_eq!(retention_rate(3, 3), 100.0);
    }

    #[test]
    fn new_player_weeks_count_full_days() {
        let start = at("2024-01-01 12:00:00");
        assert_eq!(full_day_week(start, at("2024-01-08 09:00:00")), 0);
        assert_eq!(full_day_week(start, at("2024-01-08 12:00:00")), 1);
    }

    #[test]
    fn the_statements_bind_the_tier_once() {
        for tier in crate::stats::tiers::RANKS {
            for sql in [
                spreads_sql(tier),
                week_players_sql(tier),
                first_games_sql(tier),
            ] {
                assert_eq!(sql.matches("{tier}").count(), 0);
                assert_eq!(
                    sql.matches('?').count(),
                    if sql.contains("DATEDIFF") { 4 } else { 3 }
                );
            }
        }
    }
}
