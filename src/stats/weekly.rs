//! Week-based and spread statistics of the season window (stats.md §3):
//! S14 player retention, S17 new players per week, S18 cross-rank frequency.
//! All 13 `<elo>` variants of the three come from one pass over the shared
//! season rows ([`season_rows`]), each row's tier predicate evaluated for
//! every tier at once ([`tiers::mask`]).

use crate::db::models::Season;
use crate::stats::output::{epoch, now_epoch, stored_zone, Document};
use crate::stats::scan::Scan;
use crate::stats::season_rows::{season_rows, GameRow, SeasonRows};
use crate::stats::tiers::{self, p_cum, p_new, TierMask, RANKS};
use chrono::{Duration, NaiveDateTime};
use diesel::MysqlConnection;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Seconds in a week (S17's week_start arithmetic).
const WEEK_SECONDS: i64 = 604_800;

/// S18's spread thresholds: bucket `T[i]` holds `T[i] <= spread < T[i+1]`.
pub const SPREAD_THRESHOLDS: [i64; 13] = [
    0, 300, 600, 1000, 1300, 1600, 2000, 2300, 2600, 3000, 3300, 3600, 4000,
];

/// Every tier's S14, S17 and S18 numbers, by RANKS position.
#[derive(Debug, Default)]
struct Weekly {
    retention: Vec<Vec<Retention>>,
    new_players: Vec<BTreeMap<i64, i64>>,
    spreads: Vec<[i64; 13]>,
}

static WEEKLY: Scan<Weekly> = Scan::new();

fn weekly(conn: &mut MysqlConnection, season: &Season) -> anyhow::Result<std::sync::Arc<Weekly>> {
    WEEKLY.get(season, || {
        let rows = season_rows(conn, season)?;
        Ok(Weekly {
            retention: retention_by_tier(&rows, season.start_time),
            new_players: new_players_by_tier(&rows, season.start_time),
            spreads: spreads_by_tier(&rows),
        })
    })
}

/// P-cum on `min_elo` (S14, S18) for every tier; none without an elo.
fn p_cum_min_elo(game: &GameRow) -> TierMask {
    if !game.has_elo() {
        return 0;
    }
    tiers::mask(|t| p_cum(t, game.min_elo, game.trackmaster_limit))
}

/// P-new (S17) for every tier; none without an elo.
fn p_new_mask(game: &GameRow) -> TierMask {
    if !game.has_elo() {
        return 0;
    }
    tiers::mask(|t| p_new(t, game.min_elo, game.average_elo, game.trackmaster_limit))
}

/// S14's week of a game: calendar days since the start's day (`DATEDIFF`), by 7.
pub fn calendar_week(start: NaiveDateTime, time: NaiveDateTime) -> i64 {
    (time.date() - start.date()).num_days().div_euclid(7)
}

/// S14 for every tier: the players of each week (a bit per tier per player
/// and week), then each week's total and those also there the next week.
fn retention_by_tier(rows: &SeasonRows, start: NaiveDateTime) -> Vec<Vec<Retention>> {
    let week_of: Vec<usize> = rows
        .games
        .iter()
        .map(|g| calendar_week(start, g.time).max(0) as usize)
        .collect();
    let weeks = week_of.iter().max().map_or(0, |w| w + 1);
    let game_masks: Vec<TierMask> = rows.games.iter().map(p_cum_min_elo).collect();
    let mut played = vec![0 as TierMask; rows.players.len() * weeks];
    for part in &rows.parts {
        let game = part.game as usize;
        played[part.player as usize * weeks + week_of[game]] |= game_masks[game];
    }
    let mut totals = vec![[0usize; 13]; weeks];
    let mut retained = vec![[0usize; 13]; weeks];
    for player in played.chunks(weeks.max(1)) {
        for (week, &mask) in player.iter().enumerate() {
            let next = player.get(week + 1).copied().unwrap_or(0);
            for tier in tiers::positions(mask) {
                totals[week][tier] += 1;
                if next & (1 << tier) != 0 {
                    retained[week][tier] += 1;
                }
            }
        }
    }
    (0..RANKS.len())
        .map(|tier| {
            (0..weeks.saturating_sub(1))
                .filter(|&w| totals[w][tier] > 0 && totals[w + 1][tier] > 0)
                .map(|w| Retention {
                    week: w as i64,
                    total: totals[w][tier],
                    retained: retained[w][tier],
                })
                .collect()
        })
        .collect()
}

/// S17 for every tier: new players per week of their first qualifying game.
/// Games are walked in time order, so a player's first game in a tier is
/// the first seen there (`MIN(time)`).
fn new_players_by_tier(rows: &SeasonRows, start: NaiveDateTime) -> Vec<BTreeMap<i64, i64>> {
    let mut weeks = vec![BTreeMap::new(); RANKS.len()];
    let mut seen = vec![0 as TierMask; rows.players.len()];
    let mut by_time: Vec<(&GameRow, &[crate::stats::season_rows::Part])> =
        rows.parts_by_game().collect();
    by_time.sort_by_key(|(g, _)| g.time);
    for (game, parts) in by_time {
        let mask = p_new_mask(game);
        if mask == 0 {
            continue;
        }
        let week = full_day_week(start, game.time);
        for part in parts {
            let new = mask & !seen[part.player as usize];
            seen[part.player as usize] |= new;
            for tier in tiers::positions(new) {
                *weeks[tier].entry(week).or_insert(0) += 1;
            }
        }
    }
    weeks
}

/// S18 for every tier: games per spread bucket.
fn spreads_by_tier(rows: &SeasonRows) -> Vec<[i64; 13]> {
    let mut counts = vec![[0i64; 13]; RANKS.len()];
    for game in &rows.games {
        let bucket = spread_bucket(i64::from(game.max_elo) - i64::from(game.min_elo));
        for tier in tiers::positions(p_cum_min_elo(game)) {
            counts[tier][bucket] += 1;
        }
    }
    counts
}

/// The index of the S18 bucket of `spread` (a negative one goes to 0).
pub fn spread_bucket(spread: i64) -> usize {
    SPREAD_THRESHOLDS[1..]
        .iter()
        .position(|&upper| spread < upper)
        .unwrap_or(SPREAD_THRESHOLDS.len() - 1)
}

/// The 13 S18 entries from games counted per bucket.
pub fn spread_entries(counts: &[i64; 13]) -> Vec<Value> {
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
    let tier = tiers::position(tiers::of_job(job)?);
    let counts = weekly(conn, season)?.spreads[tier];
    let content = json!({"last_updated": now_epoch(), "results": spread_entries(&counts)});
    Ok(vec![Document::main(job, season.id, content)])
}

/// One S14 row before its week_start is known.
#[derive(Debug, PartialEq)]
pub struct Retention {
    pub week: i64,
    pub total: usize,
    pub retained: usize,
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

/// S14: `get_player_retention_<elo>_<S>.txt`: a week appears only when
/// the next week has players too.
pub fn player_retention(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let tier = tiers::position(tiers::of_job(job)?);
    let zone = stored_zone()?;
    let weekly = weekly(conn, season)?;
    let results: Vec<Value> = weekly.retention[tier]
        .iter()
        .map(|r| {
            let start = season.start_time + Duration::weeks(r.week);
            json!({"week": r.week, "week_start": epoch(zone, start),
                   "total_players": r.total, "retained_players": r.retained,
                   "retention_rate": retention_rate(r.retained, r.total)})
        })
        .collect();
    let content = json!({"results": results, "last_updated": now_epoch()});
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
    let tier = tiers::position(tiers::of_job(job)?);
    let zone = stored_zone()?;
    let weekly = weekly(conn, season)?;
    let start = epoch(zone, season.start_time);
    let results: Vec<Value> = weekly.new_players[tier]
        .iter()
        .map(|(&week, &new_players)| {
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
    use crate::stats::season_rows::{Part, PlayerRef};

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    /// Games (time, min_elo, average_elo, max_elo; limit 4000) and who
    /// played each (player indexes).
    fn rows(games: &[(&str, i32, i32, i32)], players: &[&[u32]]) -> SeasonRows {
        let games: Vec<GameRow> = games
            .iter()
            .enumerate()
            .map(|(i, &(time, min_elo, average_elo, max_elo))| GameRow {
                id: i as i32 + 1,
                map: 0,
                min_elo,
                average_elo,
                max_elo,
                time: at(time),
                is_finished: true,
                trackmaster_limit: 4000,
            })
            .collect();
        let parts: Vec<Part> = players
            .iter()
            .enumerate()
            .flat_map(|(game, ids)| {
                ids.iter().map(move |&player| Part {
                    game: game as u32,
                    player,
                    is_win: false,
                    is_mvp: false,
                })
            })
            .collect();
        let count = parts.iter().map(|p| p.player + 1).max().unwrap_or(0);
        SeasonRows {
            games,
            parts,
            players: (0..count)
                .map(|i| PlayerRef {
                    uuid: i.to_string(),
                    country: None,
                })
                .collect(),
            ..SeasonRows::default()
        }
    }

    const B1: usize = 12;
    const M3: usize = 1;
    const TM: usize = 0;

    #[test]
    fn spread_buckets_have_inclusive_lower_edges() {
        assert_eq!(spread_bucket(-5), 0);
        assert_eq!(spread_bucket(299), 0);
        assert_eq!(spread_bucket(300), 1);
        assert_eq!(spread_bucket(3999), 11);
        assert_eq!(spread_bucket(4000), 12);
        assert_eq!(spread_bucket(i64::MAX), 12);
        let entries = spread_entries(&[0; 13]);
        assert_eq!(entries.len(), 13);
        assert_eq!(
            entries[12],
            json!({"spread_min": 4000, "spread_max": null, "count": 0})
        );
    }

    #[test]
    fn spreads_count_games_with_an_elo_per_tier() {
        let rows = rows(
            &[
                ("2024-01-01 10:00:00", 3600, 3700, 3800),
                ("2024-01-01 11:00:00", 4000, 4100, 4400),
                ("2024-01-01 12:00:00", -1, -1, -1),
            ],
            &[&[0], &[0], &[0]],
        );
        let spreads = spreads_by_tier(&rows);
        assert_eq!(spreads[M3][0], 1);
        assert_eq!(spreads[TM][1], 1);
        assert_eq!(spreads[B1].iter().sum::<i64>(), 2);
    }

    #[test]
    fn retention_needs_the_next_week() {
        let start = at("2024-01-01 12:00:00");
        let rows = rows(
            &[
                // Week 0 by calendar days, although 6.5 days after the start.
                ("2024-01-07 23:00:00", 0, 0, 0),
                ("2024-01-01 12:00:00", 0, 0, 0),
                ("2024-01-08 00:00:00", 0, 0, 0),
                ("2024-01-22 00:00:00", 0, 0, 0),
                ("2024-01-09 00:00:00", -1, -1, -1),
            ],
            &[&[0], &[1], &[0], &[0], &[1]],
        );
        let retention = retention_by_tier(&rows, start);
        assert_eq!(
            retention[B1],
            [Retention {
                week: 0,
                total: 2,
                retained: 1
            }]
        );
        assert!(retention[TM].is_empty());
        assert_eq!(retention_rate(2, 3), 66.67);
        assert_eq!(retention_rate(0, 0), 0.0);
        assert_eq!(retention_rate(1, 32), 3.12);
        assert_eq!(retention_rate(3, 3), 100.0);
    }

    #[test]
    fn a_new_player_counts_in_the_week_of_his_first_game_in_time_order() {
        let start = at("2024-01-01 12:00:00");
        let rows = rows(
            &[
                ("2024-01-09 00:00:00", 0, 3700, 3900),
                ("2024-01-02 00:00:00", 0, 3600, 3900),
                ("2024-01-03 00:00:00", 0, 3599, 3900),
            ],
            &[&[0, 1], &[0], &[2]],
        );
        let weeks = new_players_by_tier(&rows, start);
        assert_eq!(weeks[B1], BTreeMap::from([(0, 2), (1, 1)]));
        assert_eq!(weeks[M3], BTreeMap::from([(0, 1), (1, 1)]));
        assert!(weeks[TM].is_empty());
    }

    #[test]
    fn the_two_week_rules() {
        let start = at("2024-01-01 12:00:00");
        assert_eq!(full_day_week(start, at("2024-01-08 09:00:00")), 0);
        assert_eq!(full_day_week(start, at("2024-01-08 12:00:00")), 1);
        assert_eq!(calendar_week(start, at("2024-01-07 23:59:59")), 0);
        assert_eq!(calendar_week(start, at("2024-01-08 00:00:00")), 1);
    }
}
