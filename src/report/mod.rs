//! `mmstatus report`: what an operator wants to see at a glance, gathered
//! read-only from the database and the statistics' cache, then rendered as
//! text ([`text`]) or as one HTML page ([`html`]).

pub mod cache;
pub mod html;
pub mod text;

use crate::db::collector_state::JobState;
use crate::db::models::Season;
use crate::db::report::{ActivePoints, HourGames, Totals};
use crate::db::{self, collector_state, season};
use crate::error::Result;
use crate::stats::tiers::{Tier, RANKS, TRACKMASTER_POINTS, TRACKMASTER_RANK};
use chrono::{Duration, NaiveDateTime, Timelike};
use diesel::MysqlConnection;
use std::path::Path;

/// Hours of the games-per-hour table, the current one last.
pub const HOURS: usize = 24;
/// Days of the long activity window.
pub const WEEK_DAYS: i64 = 7;
/// A collector job without a success for this long is flagged stale (the
/// watchdog's default for the newest game).
pub const STALE_AFTER: Duration = Duration::minutes(10);

/// Everything the report shows, gathered once.
#[derive(Debug, Clone)]
pub struct Report {
    /// When it was gathered (stored local time).
    pub now: NaiveDateTime,
    /// The time zone of stored times, as said to the user.
    pub zone: String,
    pub season: Option<Season>,
    pub totals: Totals,
    /// The last [`HOURS`] hours, oldest first.
    pub hours: Vec<HourRow>,
    /// The tiers, highest first.
    pub tiers: Vec<TierRow>,
    pub jobs: Vec<JobHealth>,
    pub cache: cache::CacheReport,
}

/// Games of one hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourRow {
    pub start: NaiveDateTime,
    pub finished: i64,
    pub unfinished: i64,
}

impl HourRow {
    pub fn total(&self) -> i64 {
        self.finished + self.unfinished
    }
}

/// Players of one tier whose last match is recent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierRow {
    pub tier: Tier,
    pub day: i64,
    pub week: i64,
}

/// One collector job's health.
#[derive(Debug, Clone, PartialEq)]
pub struct JobHealth {
    pub job: String,
    pub last_success: Option<NaiveDateTime>,
    pub last_error: Option<NaiveDateTime>,
    pub errors: i32,
    pub stale: bool,
}

impl Report {
    /// Whether the database holds nothing to report on yet.
    pub fn is_empty(&self) -> bool {
        self.totals.games == 0 && self.totals.players == 0
    }

    pub fn games_last_day(&self) -> (i64, i64) {
        self.hours
            .iter()
            .fold((0, 0), |(f, u), h| (f + h.finished, u + h.unfinished))
    }
}

/// Reads the report from the database (read-only, no lock) and from the
/// cache folder `cache_dir`; `now_epoch` dates the cache files' ages;
/// `unknown_name` is the name that stands for "no name".
pub fn gather(
    conn: &mut MysqlConnection,
    now: NaiveDateTime,
    zone: String,
    cache_dir: &Path,
    now_epoch: f64,
    unknown_name: &str,
) -> Result<Report> {
    let seasons = season::all(conn)?;
    let season = season::current(&seasons, now).cloned();
    let totals = db::report::totals(conn, unknown_name)?;
    let first_hour = hour_start(now) - Duration::hours(HOURS as i64 - 1);
    let hours = hour_rows(
        first_hour,
        &db::report::games_per_hour(conn, first_hour, now)?,
    );
    let active = db::report::active_players(
        conn,
        TRACKMASTER_RANK,
        now - Duration::days(1),
        now - Duration::days(WEEK_DAYS),
    )?;
    let jobs = collector_state::all(conn)?
        .iter()
        .map(|state| job_health(state, now))
        .collect();
    let cache = cache::read(cache_dir, season.as_ref().map(|s| s.id), now_epoch);
    Ok(Report {
        now,
        zone,
        season,
        totals,
        hours,
        tiers: tier_rows(&active),
        jobs,
        cache,
    })
}

fn hour_start(time: NaiveDateTime) -> NaiveDateTime {
    time.with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(time)
}

/// The [`HOURS`] hours from `first`, each with its counts (0 when absent).
pub fn hour_rows(first: NaiveDateTime, counts: &[HourGames]) -> Vec<HourRow> {
    (0..HOURS as i64)
        .map(|i| {
            let start = first + Duration::hours(i);
            let key = start.format(crate::time::DATETIME_FORMAT).to_string();
            let of = |finished: bool| {
                counts
                    .iter()
                    .filter(|c| c.hour == key && c.is_finished == finished)
                    .map(|c| c.games)
                    .sum()
            };
            HourRow {
                start,
                finished: of(true),
                unfinished: of(false),
            }
        })
        .collect()
}

/// The tier of a player's current points: the highest whose minimum they
/// reach, Trackmaster only when also ranked in the top 10 (as in game).
/// Negative points reach none.
pub fn tier_of(points: i32, top: bool) -> Option<Tier> {
    RANKS
        .iter()
        .copied()
        .find(|t| points >= t.min_elo && (t.min_elo < TRACKMASTER_POINTS || top))
}

/// Active players per tier, every tier listed.
pub fn tier_rows(active: &[ActivePoints]) -> Vec<TierRow> {
    RANKS
        .iter()
        .map(|tier| {
            let of_tier = active
                .iter()
                .filter(|a| tier_of(a.points, a.top) == Some(*tier));
            let (day, week) = of_tier.fold((0, 0), |(d, w), a| (d + a.day, w + a.week));
            TierRow {
                tier: *tier,
                day,
                week,
            }
        })
        .collect()
}

fn job_health(state: &JobState, now: NaiveDateTime) -> JobHealth {
    JobHealth {
        job: state.job.clone(),
        last_success: state.last_success,
        last_error: state.last_error_at,
        errors: state.error_count,
        stale: state
            .last_success
            .is_none_or(|t| now.signed_duration_since(t) > STALE_AFTER),
    }
}

/// A duration as a short age: `42 s`, `7 min`, `3 h`, `12 d`; a negative
/// one (a clock behind) as `in the future`.
pub fn age(duration: Duration) -> String {
    let seconds = duration.num_seconds();
    match seconds {
        s if s < 0 => "in the future".to_string(),
        s if s < 120 => format!("{s} s"),
        s if s < 2 * 3600 => format!("{} min", s / 60),
        s if s < 2 * 86400 => format!("{} h", s / 3600),
        s => format!("{} d", s / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, crate::time::DATETIME_FORMAT).unwrap()
    }

    #[test]
    fn tiers_follow_points_and_trackmaster_needs_the_top_10() {
        assert_eq!(tier_of(4100, true).unwrap().key, "tm");
        assert_eq!(tier_of(4100, false).unwrap().key, "m3");
        assert_eq!(tier_of(3600, true).unwrap().key, "m3");
        assert_eq!(tier_of(2999, false).unwrap().key, "g3");
        assert_eq!(tier_of(0, false).unwrap().key, "b1");
        assert_eq!(tier_of(-1, false), None);
        assert_eq!(tier_of(i32::MIN, true), None);
        assert_eq!(tier_of(i32::MAX, false).unwrap().key, "m3");
    }

    #[test]
    fn hour_rows_list_every_hour_with_missing_ones_at_zero() {
        let counts = [
            HourGames {
                hour: "2026-11-29 09:00:00".into(),
                is_finished: true,
                games: 3,
            },
            HourGames {
                hour: "2026-11-29 09:00:00".into(),
                is_finished: false,
                games: 1,
            },
        ];
        let rows = hour_rows(at("2026-11-28 10:00:00"), &counts);
        assert_eq!(rows.len(), HOURS);
        assert_eq!(rows[0].start, at("2026-11-28 10:00:00"));
        assert_eq!(rows[23].start, at("2026-11-29 09:00:00"));
        assert_eq!((rows[23].finished, rows[23].unfinished), (3, 1));
        assert_eq!(rows[0].total(), 0);
    }

    #[test]
    fn ages_are_short_and_never_negative() {
        assert_eq!(age(Duration::seconds(42)), "42 s");
        assert_eq!(age(Duration::minutes(7)), "7 min");
        assert_eq!(age(Duration::hours(3)), "3 h");
        assert_eq!(age(Duration::days(12)), "12 d");
        assert_eq!(age(Duration::seconds(-5)), "in the future");
        assert_eq!(age(Duration::MAX), format!("{} d", i64::MAX / 1000 / 86400));
    }
}
