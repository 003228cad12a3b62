//! The activity family (stats.md §3 S08–S13), one `<elo>` variant per job:
//! games per hour, per day of the week and both (S11–S13, P-cum on
//! `min_elo`), participations and wins per current country and per country
//! and hour (S08, S10, P-cum on `max_elo`), and qualified players per
//! country (S09, P-player-cum on current points and rank). S08 and S10–S13
//! come, every tier at once, from the shared season rows
//! ([`season_rows`]); S09 from the players of the season's ladder
//! ([`ladder`]).
//!
//! Hours and days are those of the stored naive local time (`HOUR`,
//! `DAYOFWEEK − 1`, 0 = Sunday), never converted: a game stored at 02:30 on
//! the day daylight saving ends counts in hour 2 once, whichever 02:30 it was.

use crate::db::models::Season;
use crate::stats::ladder::ladder;
use crate::stats::output::{now_epoch, Document};
use crate::stats::scan::Scan;
use crate::stats::season_rows::{season_rows, SeasonRows, ZoneRef};
use crate::stats::tiers::{self, p_cum, p_player_cum};
use chrono::{Datelike, Timelike};
use diesel::MysqlConnection;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

const HOURS: usize = 24;
const DAYS: usize = 7;

/// A country group's zone fields (all null for players without a country).
#[derive(Debug, Clone, Default)]
struct Zone {
    id: Option<i32>,
    name: Option<String>,
    file_name: Option<String>,
    alpha3: Option<String>,
}

impl Zone {
    /// `fields` followed by the zone's fields, the reference's key order.
    fn after(&self, mut fields: Map<String, Value>) -> Map<String, Value> {
        fields.insert("id".into(), json!(self.id));
        fields.insert("name".into(), json!(self.name));
        fields.insert("file_name".into(), json!(self.file_name));
        fields.insert("country_alpha3".into(), json!(self.alpha3));
        fields
    }
}

// The 13 tier variants of a statistic share one computation.
static GAME_CELLS: Scan<Vec<DayHourCounts>> = Scan::new();
static COUNTRY_ACTIVITY: Scan<Vec<Vec<CountryActivity>>> = Scan::new();

/// Games per local day of the week (0 = Sunday) and hour.
type DayHourCounts = [[i64; HOURS]; DAYS];

/// Every tier's S11–S13 cells (RANKS positions): games with a computed elo
/// in the window, unfinished ones too, P-cum on `min_elo`.
fn game_cells_by_tier(rows: &SeasonRows) -> Vec<DayHourCounts> {
    let mut cells = vec![[[0; HOURS]; DAYS]; tiers::RANKS.len()];
    for game in rows.games.iter().filter(|g| g.has_elo()) {
        let day = game.time.weekday().num_days_from_sunday() as usize;
        let hour = game.time.hour() as usize;
        let mask = tiers::mask(|t| p_cum(t, game.min_elo, game.trackmaster_limit));
        for tier in tiers::positions(mask) {
            cells[tier][day][hour] += 1;
        }
    }
    cells
}

/// Every tier's S08/S10 groups (RANKS positions): participations of games
/// with a computed elo in the window, unfinished ones too, with their wins,
/// per player's current country (players without one first, then by
/// country id), P-cum on the game's `max_elo`.
fn country_activity_by_tier(rows: &SeasonRows) -> Vec<Vec<CountryActivity>> {
    let masks: Vec<tiers::TierMask> = rows
        .games
        .iter()
        .map(|g| {
            if g.has_elo() {
                tiers::mask(|t| p_cum(t, g.max_elo, g.trackmaster_limit))
            } else {
                0
            }
        })
        .collect();
    // Counters per (country slot, tier, hour) in one flat array: a
    // season's millions of participations, a few hundred countries.
    let mut slots: BTreeMap<Option<i32>, usize> = BTreeMap::new();
    let player_slot: Vec<usize> = rows
        .players
        .iter()
        .map(|p| {
            let next = slots.len();
            *slots.entry(p.country).or_insert(next)
        })
        .collect();
    let tier_count = tiers::RANKS.len();
    let cell = |slot: usize, tier: usize| slot * tier_count + tier;
    let mut totals = vec![0i64; slots.len() * tier_count];
    let mut wins = vec![0i64; slots.len() * tier_count];
    let mut hours = vec![[0i64; HOURS]; slots.len() * tier_count];
    for part in &rows.parts {
        let mask = masks[part.game as usize];
        if mask == 0 {
            continue;
        }
        let slot = player_slot[part.player as usize];
        let hour = rows.game(part).time.hour() as usize;
        for tier in tiers::positions(mask) {
            let i = cell(slot, tier);
            totals[i] += 1;
            wins[i] += i64::from(part.is_win);
            hours[i][hour] += 1;
        }
    }
    (0..tier_count)
        .map(|tier| {
            slots
                .iter()
                .filter(|(_, &slot)| totals[cell(slot, tier)] > 0)
                .map(|(&country, &slot)| CountryActivity {
                    zone: zone_of(&rows.zones, country),
                    total: totals[cell(slot, tier)],
                    wins: wins[cell(slot, tier)],
                    hours: hours[cell(slot, tier)],
                })
                .collect()
        })
        .collect()
}

/// The S11–S13 cells of `job`'s tier.
fn game_cells(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<DayHourCounts> {
    let tier = tiers::position(tiers::of_job(job)?);
    let cells = GAME_CELLS.get(season, || {
        Ok(game_cells_by_tier(&*season_rows(conn, season)?))
    })?;
    Ok(cells[tier])
}

/// The zone fields of country id `country` (null fields without one).
fn zone_of(zones: &HashMap<i32, ZoneRef>, country: Option<i32>) -> Zone {
    country
        .and_then(|id| {
            zones.get(&id).map(|z| Zone {
                id: Some(id),
                name: Some(z.name.clone()),
                file_name: Some(z.file_name.clone()),
                alpha3: z.alpha3.clone(),
            })
        })
        .unwrap_or_default()
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
    for day in game_cells(conn, job, season)? {
        for (hour, games) in day.iter().enumerate() {
            hours[hour] += games;
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
    let cells = game_cells(conn, job, season)?;
    let mut results = Vec::new();
    for (day, hours) in cells.iter().enumerate() {
        for (hour, &games) in hours.iter().enumerate().filter(|(_, &n)| n > 0) {
            results.push(json!({"day": day, "hour": hour, "count": games}));
        }
    }
    Ok(document(job, season, Value::Array(results)))
}

/// S13: `get_activity_per_day_of_the_week_<elo>_<S>.txt`, days "0" (Sunday)
/// to "6", 0 when empty.
pub fn per_day_of_the_week(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let days: Vec<i64> = game_cells(conn, job, season)?
        .iter()
        .map(|hours| hours.iter().sum())
        .collect();
    let results: Map<String, Value> = days
        .iter()
        .enumerate()
        .map(|(d, n)| (d.to_string(), json!(n)))
        .collect();
    Ok(document(job, season, Value::Object(results)))
}

/// The country groups of S08 and S10 for `job`'s tier.
fn country_activity(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<CountryActivity>> {
    let tier = tiers::position(tiers::of_job(job)?);
    let groups = COUNTRY_ACTIVITY.get(season, || {
        Ok(country_activity_by_tier(&*season_rows(conn, season)?))
    })?;
    Ok(groups[tier].clone())
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
            let mut fields = Map::new();
            fields.insert("total".into(), json!(c.total));
            fields.insert("wins".into(), json!(c.wins));
            Value::Object(c.zone.after(fields))
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
            let mut fields = Map::new();
            for (h, n) in c.hours.iter().enumerate() {
                fields.insert(hour_key(h), json!(n));
            }
            Value::Object(c.zone.after(fields))
        })
        .collect();
    Ok(document(job, season, Value::Array(results)))
}

/// S09: `get_activity_per_players_per_country_<elo>_<S>.txt`: players
/// whose last match started strictly after the season start (no upper
/// bound) per current country, P-player-cum on current points and rank; by
/// country id, players without a country first.
pub fn players_per_country(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let tier = tiers::of_job(job)?;
    let ladder = ladder(conn, season)?;
    let mut totals: BTreeMap<Option<i32>, i64> = BTreeMap::new();
    for player in ladder
        .active_since(season.start_time)
        .filter(|p| p.last_match.is_some_and(|t| t > season.start_time))
        .filter(|p| p_player_cum(tier, p.points, p.rank))
    {
        *totals.entry(player.country).or_insert(0) += 1;
    }
    let results: Vec<Value> = totals
        .into_iter()
        .map(|(country, total)| {
            let mut fields = Map::new();
            fields.insert("total".into(), json!(total));
            Value::Object(zone_of(&ladder.zones, country).after(fields))
        })
        .collect();
    Ok(document(job, season, Value::Array(results)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hour_keys_run_from_0_1_to_23_24() {
        assert_eq!(hour_key(0), "0-1");
        assert_eq!(hour_key(23), "23-24");
    }
}
