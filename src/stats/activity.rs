//! The activity family (stats.md §3 S08–S13), one `<elo>` variant per job:
//! games per hour, per day of the week and both (S11–S13, P-cum on
//! `min_elo`), participations and wins per current country and per country
//! and hour (S08, S10, P-cum on `max_elo`), and qualified players per
//! country (S09, P-player-cum on current points and rank).
//!
//! Hours and days are those of the stored naive local time (`HOUR`,
//! `DAYOFWEEK − 1`, 0 = Sunday), never converted: a game stored at 02:30 on
//! the day daylight saving ends counts in hour 2 once, whichever 02:30 it was.

use crate::db::models::Season;
use crate::stats::output::{now_epoch, Document};
use crate::stats::tiers::{self, Tier, TRACKMASTER_RANK};
use diesel::sql_types::{BigInt, Datetime, Integer, Nullable, Text};
use diesel::{sql_query, MysqlConnection, QueryableByName, RunQueryDsl};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const HOURS: usize = 24;
const DAYS: usize = 7;

/// The tier named by the `<elo>` that ends a job name.
fn job_tier(job: &str) -> anyhow::Result<Tier> {
    job.rsplit('_')
        .next()
        .and_then(|elo| elo.parse().ok())
        .and_then(tiers::by_min_elo)
        .ok_or_else(|| anyhow::anyhow!("{job} names no rank tier"))
}

/// P-cum on game column `g.<field>` as SQL (the Rust twin is [`tiers::p_cum`]):
/// tm `f >= tl`, m3 `3600 <= f < tl`, others `f >= min` with no upper bound.
/// Only the tier's own constant is written into the statement.
pub fn p_cum_sql(tier: Tier, field: &str) -> String {
    let f = format!("g.{field}");
    if tier.is_tm() {
        format!("{f} >= g.trackmaster_limit")
    } else if tier.is_m3() {
        format!("{f} >= {} AND {f} < g.trackmaster_limit", tier.min_elo)
    } else {
        format!("{f} >= {}", tier.min_elo)
    }
}

/// Games with a computed elo in the window (both ends), unfinished ones
/// too, of the tier `{tier}` (P-cum on min_elo), per local day of the week
/// (0 = Sunday) and hour; only cells with games.
const GAMES_BY_DAY_AND_HOUR_SQL: &str = "\
SELECT CAST(DAYOFWEEK(g.time) - 1 AS SIGNED) AS day, CAST(HOUR(g.time) AS SIGNED) AS hour, \
 COUNT(*) AS games \
FROM game g \
WHERE g.average_elo > -1 AND {tier} AND g.time BETWEEN ? AND ? \
GROUP BY day, hour ORDER BY day, hour";

/// [`GAMES_BY_DAY_AND_HOUR_SQL`] for `tier`.
pub fn games_by_day_and_hour_sql(tier: Tier) -> String {
    GAMES_BY_DAY_AND_HOUR_SQL.replace("{tier}", &p_cum_sql(tier, "min_elo"))
}

/// Participations (playergame rows) of games with a computed elo in the
/// window, unfinished ones too, of the tier `{tier}` (P-cum on max_elo),
/// with their wins, per player's current country (NULL zone fields for
/// players without one) and local hour.
const PARTICIPATIONS_BY_COUNTRY_AND_HOUR_SQL: &str = "\
SELECT z.id AS id, z.name AS name, z.file_name AS file_name, z.country_alpha3 AS alpha3, \
 CAST(HOUR(g.time) AS SIGNED) AS hour, COUNT(*) AS total, CAST(SUM(pg.is_win) AS SIGNED) AS wins \
FROM playergame pg JOIN game g ON g.id = pg.game_id JOIN player p ON p.uuid = pg.player_id \
LEFT JOIN zone z ON z.id = p.country_id \
WHERE g.average_elo > -1 AND {tier} AND g.time BETWEEN ? AND ? \
GROUP BY z.id, z.name, z.file_name, z.country_alpha3, hour";

/// [`PARTICIPATIONS_BY_COUNTRY_AND_HOUR_SQL`] for `tier`.
pub fn participations_by_country_and_hour_sql(tier: Tier) -> String {
    PARTICIPATIONS_BY_COUNTRY_AND_HOUR_SQL.replace("{tier}", &p_cum_sql(tier, "max_elo"))
}

/// Players whose last match started strictly after the season start (no
/// upper bound), with current points at least `?` and current rank at most
/// `?` (P-player-cum: the rank bound only binds for tm), per current country.
pub const PLAYERS_BY_COUNTRY_SQL: &str = "\
SELECT z.id AS id, z.name AS name, z.file_name AS file_name, z.country_alpha3 AS alpha3, \
 COUNT(*) AS total \
FROM player p JOIN game g ON g.id = p.last_match_id LEFT JOIN zone z ON z.id = p.country_id \
WHERE g.time > ? AND p.points >= ? AND p.`rank` <= ? \
GROUP BY z.id, z.name, z.file_name, z.country_alpha3";

#[derive(QueryableByName)]
struct CellRow {
    #[diesel(sql_type = BigInt)]
    day: i64,
    #[diesel(sql_type = BigInt)]
    hour: i64,
    #[diesel(sql_type = BigInt)]
    games: i64,
}

#[derive(QueryableByName)]
struct CountryHourRow {
    #[diesel(sql_type = Nullable<Integer>)]
    id: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    file_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    alpha3: Option<String>,
    #[diesel(sql_type = BigInt)]
    hour: i64,
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(sql_type = BigInt)]
    wins: i64,
}

#[derive(QueryableByName)]
struct CountryRow {
    #[diesel(sql_type = Nullable<Integer>)]
    id: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    file_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    alpha3: Option<String>,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// A country group's zone fields (all null for players without a country).
#[derive(Debug, Clone, Default)]
struct Zone {
    id: Option<i32>,
    name: Option<String>,
    file_name: Option<String>,
    alpha3: Option<String>,
}

impl Zone {
    fn fields(&self) -> Map<String, Value> {
        let mut fields = Map::new();
        fields.insert("id".into(), json!(self.id));
        fields.insert("name".into(), json!(self.name));
        fields.insert("file_name".into(), json!(self.file_name));
        fields.insert("country_alpha3".into(), json!(self.alpha3));
        fields
    }
}

/// One country group's participations, wins and participations per hour.
#[derive(Debug, Clone, Default)]
struct CountryActivity {
    zone: Zone,
    total: i64,
    wins: i64,
    hours: [i64; HOURS],
}

/// `"h-(h+1)"`: the key of hour `h`.
fn hour_key(hour: usize) -> String {
    format!("{hour}-{}", hour + 1)
}

/// A bucket index from SQL, `None` when out of range (never from MariaDB).
fn bucket(value: i64, size: usize) -> Option<usize> {
    usize::try_from(value).ok().filter(|v| *v < size)
}

fn games_by_day_and_hour(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<CellRow>> {
    let tier = job_tier(job)?;
    Ok(sql_query(games_by_day_and_hour_sql(tier))
        .bind::<Datetime, _>(season.start_time)
        .bind::<Datetime, _>(season.end_time)
        .load(conn)?)
}

fn document(job: &str, season: &Season, results: Value) -> Vec<Document> {
    let content = json!({"results": results, "last_updated": now_epoch()});
    vec![Document::main(job, season.id, content)]
}

/// S11: `get_activity_per_hour_<elo>_<S>.txt`, all 24 hours (0 when empty).
pub fn per_hour(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let mut hours = [0i64; HOURS];
    for cell in games_by_day_and_hour(conn, job, season)? {
        if let Some(h) = bucket(cell.hour, HOURS) {
            hours[h] += cell.games;
        }
    }
    let results: Map<String, Value> = hours
        .iter()
        .enumerate()
        .map(|(h, n)| (hour_key(h), json!(n)))
        .collect();
    Ok(document(job, season, Value::Object(results)))
}

/// S12: `get_activity_heatmap_<elo>_<S>.txt`, the cells with games, by day then hour.
pub fn heatmap(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let results: Vec<Value> = games_by_day_and_hour(conn, job, season)?
        .into_iter()
        .map(|c| json!({"day": c.day, "hour": c.hour, "count": c.games}))
        .collect();
    Ok(document(job, season, Value::Array(results)))
}

/// S13: `get_activity_per_day_of_the_week_<elo>_<S>.txt`, days "0" (Sunday)
/// to "6", 0 when empty.
pub fn per_day_of_the_week(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let mut days = [0i64; DAYS];
    for cell in games_by_day_and_hour(conn, job, season)? {
        if let Some(d) = bucket(cell.day, DAYS) {
            days[d] += cell.games;
        }
    }
    let results: Map<String, Value> = days
        .iter()
        .enumerate()
        .map(|(d, n)| (d.to_string(), json!(n)))
        .collect();
    Ok(document(job, season, Value::Object(results)))
}

/// The country groups of S08 and S10, by zone id, players without a
/// country first.
fn country_activity(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<CountryActivity>> {
    let tier = job_tier(job)?;
    let rows: Vec<CountryHourRow> = sql_query(participations_by_country_and_hour_sql(tier))
        .bind::<Datetime, _>(season.start_time)
        .bind::<Datetime, _>(season.end_time)
        .load(conn)?;
    let mut groups: BTreeMap<Option<i32>, CountryActivity> = BTreeMap::new();
    for row in rows {
        let group = groups.entry(row.id).or_insert_with(|| CountryActivity {
            zone: Zone {
                id: row.id,
                name: row.name.clone(),
                file_name: row.file_name.clone(),
                alpha3: row.alpha3.clone(),
            },
            ..CountryActivity::default()
        });
        group.total += row.total;
        group.wins += row.wins;
        if let Some(h) = bucket(row.hour, HOURS) {
            group.hours[h] += row.total;
        }
    }
    Ok(groups.into_values().collect())
}

/// S08: `get_activity_per_country_<elo>_<S>.txt`.
pub fn per_country(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let results: Vec<Value> = country_activity(conn, job, season)?
        .into_iter()
        .map(|c| {
            let mut fields = c.zone.fields();
            fields.insert("total".into(), json!(c.total));
            fields.insert("wins".into(), json!(c.wins));
            Value::Object(fields)
        })
        .collect();
    Ok(document(job, season, Value::Array(results)))
}

/// S10: `get_activity_per_country_and_hour_<elo>_<S>.txt`, all 24 hours per country.
pub fn per_country_and_hour(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let results: Vec<Value> = country_activity(conn, job, season)?
        .into_iter()
        .map(|c| {
            let mut fields = c.zone.fields();
            for (h, n) in c.hours.iter().enumerate() {
                fields.insert(hour_key(h), json!(n));
            }
            Value::Object(fields)
        })
        .collect();
    Ok(document(job, season, Value::Array(results)))
}

/// S09: `get_activity_per_players_per_country_<elo>_<S>.txt`, by zone id,
/// players without a country first.
pub fn players_per_country(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let tier = job_tier(job)?;
    let max_rank = if tier.is_tm() {
        TRACKMASTER_RANK
    } else {
        i32::MAX
    };
    let mut rows: Vec<CountryRow> = sql_query(PLAYERS_BY_COUNTRY_SQL)
        .bind::<Datetime, _>(season.start_time)
        .bind::<Integer, _>(tier.min_elo)
        .bind::<Integer, _>(max_rank)
        .load(conn)?;
    rows.sort_by_key(|r| r.id);
    let results: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let zone = Zone {
                id: r.id,
                name: r.name,
                file_name: r.file_name,
                alpha3: r.alpha3,
            };
            let mut fields = zone.fields();
            fields.insert("total".into(), json!(r.total));
            Value::Object(fields)
        })
        .collect();
    Ok(document(job, season, Value::Array(results)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(key: &str) -> Tier {
        *tiers::RANKS.iter().find(|t| t.key == key).unwrap()
    }

    #[test]
    fn job_names_end_with_their_tier() {
        assert_eq!(job_tier("get_activity_per_hour_4000").unwrap(), t("tm"));
        assert_eq!(job_tier("get_activity_heatmap_0").unwrap(), t("b1"));
        assert!(job_tier("get_activity_heatmap_3301").is_err());
        assert!(job_tier("get_activity_heatmap").is_err());
    }

    #[test]
    fn p_cum_sql_follows_the_limit_for_tm_and_m3_only() {
        assert_eq!(
            p_cum_sql(t("tm"), "min_elo"),
            "g.min_elo >= g.trackmaster_limit"
        );
        assert_eq!(
            p_cum_sql(t("m3"), "max_elo"),
            "g.max_elo >= 3600 AND g.max_elo < g.trackmaster_limit"
        );
        assert_eq!(p_cum_sql(t("m1"), "min_elo"), "g.min_elo >= 3000");
        assert!(games_by_day_and_hour_sql(t("g1")).contains("g.min_elo >= 2000 AND"));
        assert!(participations_by_country_and_hour_sql(t("s1")).contains("g.max_elo >= 1000 AND"));
    }

    #[test]
    fn hour_keys_run_from_0_1_to_23_24() {
        assert_eq!(hour_key(0), "0-1");
        assert_eq!(hour_key(23), "23-24");
        assert_eq!(bucket(24, HOURS), None);
        assert_eq!(bucket(-1, HOURS), None);
        assert_eq!(bucket(6, DAYS), Some(6));
    }
}
