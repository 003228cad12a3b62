//! `maps`: map names, and the season a newly named map opens
//! (collection.md §2.3). Nadeo names the official maps "Spring 2026 - 03":
//! the first game on a map of the season after the current one is where
//! the current season ends and the next one begins.

use crate::collect::{Context, Job, JobName, Pace};
use crate::db::models::NewSeason;
use crate::db::text::truncate_chars;
use crate::db::{lock_retry, map, season, season_transition};
use crate::error::Result;
use chrono::NaiveDateTime;
use diesel::MysqlConnection;
use std::fmt;

/// Maps named per pass (the reference has no cap; one run must stay short).
pub const MAPS_PER_PASS: i64 = 50;
/// `map.name` is a varchar(128): longer names are cut to that many characters.
pub const MAP_NAME_MAX_CHARS: usize = 128;
/// The end a new season gets until the next one replaces it (a placeholder).
pub const NEW_SEASON_DAYS: i64 = 150;

/// The four seasons of a Trackmania year, in their order (the year turns
/// between Fall and Winter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quarter {
    Winter,
    Spring,
    Summer,
    Fall,
}

impl Quarter {
    const ALL: [Quarter; 4] = [
        Quarter::Winter,
        Quarter::Spring,
        Quarter::Summer,
        Quarter::Fall,
    ];

    fn word(self) -> &'static str {
        match self {
            Quarter::Winter => "Winter",
            Quarter::Spring => "Spring",
            Quarter::Summer => "Summer",
            Quarter::Fall => "Fall",
        }
    }
}

/// A season name: "Spring 2026".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeasonName {
    pub quarter: Quarter,
    pub year: u32,
}

impl fmt::Display for SeasonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.quarter.word(), self.year)
    }
}

impl SeasonName {
    /// The season a map name announces: the name starts with the season's
    /// word (case as written), whitespace, four digits, optional whitespace
    /// and a dash ("Spring 2025 - 01", "Fall 2024  - 10").
    pub fn of_map(name: &str) -> Option<SeasonName> {
        let (season, rest) = Self::prefix(name)?;
        rest.trim_start_matches(char::is_whitespace)
            .starts_with('-')
            .then_some(season)
    }

    /// A season row's name read as a season: exactly the word, whitespace
    /// and four digits (a final line feed allowed, as the reference's `$`).
    pub fn of_season(name: &str) -> Option<SeasonName> {
        let (season, rest) = Self::prefix(name)?;
        matches!(rest, "" | "\n").then_some(season)
    }

    /// The season after this one; the year goes up only into Winter.
    pub fn next(self) -> SeasonName {
        match self.quarter {
            Quarter::Winter => self.with(Quarter::Spring, self.year),
            Quarter::Spring => self.with(Quarter::Summer, self.year),
            Quarter::Summer => self.with(Quarter::Fall, self.year),
            Quarter::Fall => self.with(Quarter::Winter, self.year + 1),
        }
    }

    fn with(self, quarter: Quarter, year: u32) -> SeasonName {
        SeasonName { quarter, year }
    }

    /// "<Word><whitespace+><4 digits>" at the start of `text`, and what follows.
    fn prefix(text: &str) -> Option<(SeasonName, &str)> {
        let (quarter, rest) = Quarter::ALL
            .iter()
            .find_map(|q| text.strip_prefix(q.word()).map(|rest| (*q, rest)))?;
        let digits = rest.trim_start_matches(char::is_whitespace);
        if digits.len() == rest.len() {
            return None;
        }
        let year = digits.get(..4)?;
        if !year.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let season = SeasonName {
            quarter,
            year: year.parse().ok()?,
        };
        Some((season, &digits[4..]))
    }
}

/// A season opened by a map.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub ended: String,
    pub opened: String,
    pub at: NaiveDateTime,
}

/// If the map announces the season after the current one (at `now`), ends
/// the current season at the map's first game and opens the new one there,
/// for [`NEW_SEASON_DAYS`]. Does nothing when the season exists already, or
/// the map has no game.
pub fn open_next_season(
    conn: &mut MysqlConnection,
    uid: &str,
    map_name: &str,
    now: NaiveDateTime,
) -> Result<Option<Transition>> {
    let Some(announced) = SeasonName::of_map(map_name) else {
        return Ok(None);
    };
    let Some(current) = season::containing(conn, now)? else {
        return Ok(None);
    };
    if SeasonName::of_season(&current.name).map(SeasonName::next) != Some(announced) {
        return Ok(None);
    }
    let Some(first) = map::first_game_time(conn, uid)? else {
        return Ok(None);
    };
    let name = announced.to_string();
    if season_transition::exists_named(conn, &name)? {
        return Ok(None);
    }
    let Some(end) = first.checked_add_signed(chrono::Duration::days(NEW_SEASON_DAYS)) else {
        return Ok(None);
    };
    season_transition::end_at(conn, current.id, first)?;
    season::insert(
        conn,
        &NewSeason {
            name: &name,
            start_time: first,
            end_time: end,
            is_aggregated: false,
        },
    )?;
    Ok(Some(Transition {
        ended: current.name,
        opened: name,
        at: first,
    }))
}

pub struct Maps;

impl Job for Maps {
    fn name(&self) -> JobName {
        JobName::Maps
    }

    /// Names up to [`MAPS_PER_PASS`] maps, one transaction each (the name and
    /// the season it may open). A map the API does not answer for stays
    /// unnamed and is asked again next time.
    fn iterate(&mut self, ctx: &mut Context) -> anyhow::Result<Pace> {
        for uid in map::unnamed(ctx.conn, MAPS_PER_PASS)? {
            if ctx.deadline.passed() {
                break;
            }
            let info = match ctx.api.map_info(&uid) {
                Ok(info) => info,
                Err(e) => {
                    ctx.unit_failed(JobName::Maps, format!("map {uid}: {e}"));
                    continue;
                }
            };
            let now = ctx.zone.now();
            let stored = truncate_chars(&info.name, MAP_NAME_MAX_CHARS);
            let transition = lock_retry::transaction(ctx.conn, |conn| {
                map::set_name(conn, &uid, stored)?;
                open_next_season(conn, &uid, &info.name, now)
            })?;
            log::debug!("maps: {uid} is {stored:?}");
            if let Some(t) = transition {
                log::info!(
                    "maps: season {} ends and {} begins at {} (first game on map {uid}, {stored:?})",
                    t.ended,
                    t.opened,
                    t.at
                );
            }
        }
        Ok(Pace::Normal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn season(quarter: Quarter, year: u32) -> SeasonName {
        SeasonName { quarter, year }
    }

    #[test]
    fn map_names_that_announce_a_season() {
        for (name, expected) in [
            ("Spring 2025 - 01", season(Quarter::Spring, 2025)),
            ("Spring 2025  - 01", season(Quarter::Spring, 2025)),
            ("Fall 2024 - 10", season(Quarter::Fall, 2024)),
            ("Spring 2025 - 99", season(Quarter::Spring, 2025)),
            ("Winter 2026-01", season(Quarter::Winter, 2026)),
            ("Summer\t2025 -", season(Quarter::Summer, 2025)),
        ] {
            assert_eq!(SeasonName::of_map(name), Some(expected), "{name:?}");
        }
    }

    #[test]
    fn map_names_that_do_not() {
        for name in [
            "Random Map Name",
            "",
            "spring 2025 - 01",
            "Spring - 01",
            "Spring 2025 01",
            "France 2026",
            "Spring2025 - 01",
            "Spring 20255 - 01",
            "Spring 202 - 01",
            " Spring 2025 - 01",
            "Spring ２０２５ - 01",
            "Spring",
        ] {
            assert_eq!(SeasonName::of_map(name), None, "{name:?}");
        }
    }

    #[test]
    fn the_season_after() {
        for (current, next) in [
            ("Spring 2025", "Summer 2025"),
            ("Summer 2025", "Fall 2025"),
            ("Fall 2025", "Winter 2026"),
            ("Winter 2025", "Spring 2025"),
            ("Winter 2026", "Spring 2026"),
            ("Winter  2026", "Spring 2026"),
            ("Fall 2025\n", "Winter 2026"),
        ] {
            let parsed = SeasonName::of_season(current).map(SeasonName::next);
            assert_eq!(
                parsed.map(|s| s.to_string()).as_deref(),
                Some(next),
                "{current:?}"
            );
        }
        for name in [
            "BadSeason 2025",
            "",
            "Spring",
            "spring 2025",
            "Spring 2025 - 01",
            "Spring 2025 ",
            "Spring 20255",
        ] {
            assert_eq!(SeasonName::of_season(name), None, "{name:?}");
        }
    }
}
