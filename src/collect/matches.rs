//! `matches`: walk Nadeo match ids forward and record every official 3v3
//! and 2v2 match (collection.md §2.1, the reference's GetMatches).
//!
//! The walk's state lives in `collector_state['matches']`: `cursor_int`, the
//! next id to try; `counter`, the failed polls on that id; `last_poll_at`,
//! when the last counted poll ended. A poll walks ids from the cursor until
//! one is missing (HTTP 404 or an `exception` body), an error, the run's id
//! budget or the deadline. Each recorded match is one transaction that also
//! moves the cursor past it, so a run killed at any point is redone exactly by
//! the next one; ids of other kinds of matches are passed without writes and
//! the cursor past them is saved at the end of the poll (a killed run walks
//! them again, harmlessly).
//!
//! Skipping ids that never appear: a poll counts when `--matches-poll-interval`
//! has passed since the last counted one, or when it moved the cursor; a
//! counted poll ending on a missing id adds one to the counter, and a due poll
//! that finds the counter above `--matches-max-misses` skips the id (an error,
//! as the reference records). Any run walks, so a manual `--once` run between
//! two polls still records what is new, without speeding up a skip.
//!
//! Errors (refused token, 5xx, timeout, malformed answer, database) are not
//! misses (collection.md §2.1 [REC]): they never count towards a skip, so a
//! match that exists is never lost to an outage. The walk stays on the id and
//! tries it again at the next poll, each failed poll counting as an error of
//! the job; there is no error threshold (the watchdog reports a walk that
//! stays stuck).

use crate::collect::runner::is_connection_lost;
use crate::collect::{Context, Job, JobName, Pace};
use crate::db::{collector_state, game, lock_retry};
use crate::nadeo::meet::NadeoMatch;
use crate::time::LocalZone;
use anyhow::{anyhow, bail};
use chrono::{Datelike, NaiveDateTime};
use std::collections::HashSet;

/// The reference's MAX_RETRIES: an id is skipped at the start of the poll
/// that finds more failed polls than this.
pub const DEFAULT_MAX_MISSES: u32 = 5;
/// The reference's pause between two polls.
pub const DEFAULT_POLL_INTERVAL_SECS: u64 = 30;
/// Ids tried at most per run (collection.md §5.3).
pub const DEFAULT_MAX_IDS: u32 = 2000;
/// More participants than any match has: such an answer is refused.
pub const MAX_PARTICIPANTS: usize = 1000;

#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
#[command(next_help_heading = "Job matches")]
pub struct Flags {
    /// matches: an id still missing after this many counted polls is skipped
    /// at the next one, as a gap (errors, such as refused tokens, HTTP
    /// failures, malformed answers or database errors, never count).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_MISSES,
          value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub matches_max_misses: u32,

    /// matches: seconds between two polls that count towards skipping a
    /// missing id (any run still walks and records what is new).
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_POLL_INTERVAL_SECS,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub matches_poll_interval: u64,

    /// matches: ids tried at most per run.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_IDS,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub matches_max_ids: u32,

    /// matches: the walk's lower bound; on an empty database it starts just
    /// after it (default: START_ID, else 8958871).
    #[arg(long, value_name = "ID",
          value_parser = clap::value_parser!(i64).range(0..=i64::from(i32::MAX)))]
    pub start_id: Option<i64>,
}

pub struct Matches {
    max_misses: i32,
    poll_interval: chrono::Duration,
    /// What is left of the run's id budget.
    ids_left: u32,
    start_id: Option<i64>,
    /// Maps of the games this run recorded: their rows exist (maps are
    /// never deleted), so their INSERT IGNORE is not sent again.
    known_maps: HashSet<String>,
}

impl Matches {
    pub fn new(flags: &Flags) -> Matches {
        Matches {
            max_misses: i32::try_from(flags.matches_max_misses).unwrap_or(i32::MAX),
            poll_interval: chrono::Duration::seconds(
                i64::try_from(flags.matches_poll_interval).unwrap_or(i64::MAX),
            ),
            ids_left: flags.matches_max_ids,
            start_id: flags.start_id,
            known_maps: HashSet::new(),
        }
    }
}

/// What trying one id gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attempt {
    /// An official match, now in the database.
    Recorded,
    /// Another kind of match: passed without writes.
    NotRanked,
    /// Nothing at this id (yet).
    Missing,
}

/// Why a walk stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Missing,
    Failed,
    Deadline,
    Budget,
}

/// The walk's position: the next id and its failed polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Walk {
    cursor: i64,
    tries: i32,
}

/// Where a run's walk starts: the stored cursor, or on first use the
/// reference's formula (just after the newest game, else just after
/// `start_id`); never below `start_id`, nor on an id the database already
/// has (another writer may have recorded matches meanwhile).
pub fn starting_cursor(stored: Option<i64>, newest_game: Option<i32>, start_id: i64) -> i64 {
    let after_newest = newest_game.map(|id| i64::from(id) + 1);
    let cursor = stored
        .unwrap_or_else(|| after_newest.unwrap_or(start_id + 1))
        .max(start_id);
    after_newest.map_or(cursor, |after| cursor.max(after))
}

/// Whether a new poll counts: the interval has passed since the last counted
/// one (or there was none, or the clock went back).
pub fn poll_due(
    last_poll: Option<NaiveDateTime>,
    now: NaiveDateTime,
    interval: chrono::Duration,
) -> bool {
    last_poll.is_none_or(|last| now < last || now - last >= interval)
}

impl Job for Matches {
    fn name(&self) -> JobName {
        JobName::Matches
    }

    fn iterate(&mut self, ctx: &mut Context) -> anyhow::Result<Pace> {
        let key = JobName::Matches.key();
        let start_id = self.start_id.unwrap_or(ctx.environment.start_id);
        let state = collector_state::get(ctx.conn, key)?
            .ok_or_else(|| anyhow!("the state row of {key} is missing"))?;
        let newest = game::max_id(ctx.conn)?;
        let cursor = starting_cursor(state.cursor_int, newest, start_id);
        // Failed polls belong to the id they were counted on.
        let tries = if state.cursor_int == Some(cursor) {
            state.counter
        } else {
            0
        };
        let mut walk = Walk { cursor, tries };
        let due = poll_due(state.last_poll_at, ctx.zone.now(), self.poll_interval);
        let first = walk.cursor;
        if due && walk.tries > self.max_misses {
            ctx.unit_failed(
                JobName::Matches,
                format!(
                    "no match at id {} after {} polls: skipping the id",
                    walk.cursor, walk.tries
                ),
            );
            walk.cursor += 1;
            walk.tries = 0;
        }
        let end = self.walk(ctx, &mut walk)?;
        let counted = due || walk.cursor != first;
        if counted && end == End::Missing {
            walk.tries = walk.tries.saturating_add(1);
        }
        if counted {
            collector_state::set_poll_end(ctx.conn, key, walk.cursor, walk.tries, ctx.zone.now())?;
        } else {
            collector_state::set_cursor(ctx.conn, key, walk.cursor, walk.tries)?;
        }
        log::debug!(
            "{key}: poll ended ({end:?}) at id {} with {} failed polls",
            walk.cursor,
            walk.tries
        );
        Ok(Pace::Normal)
    }
}

impl Matches {
    /// Tries ids from the cursor on until one is missing or fails, the
    /// run's budget is spent or the deadline has passed.
    fn walk(&mut self, ctx: &mut Context, walk: &mut Walk) -> anyhow::Result<End> {
        loop {
            if ctx.deadline.passed() {
                return Ok(End::Deadline);
            }
            if self.ids_left == 0 {
                return Ok(End::Budget);
            }
            let Ok(id) = i32::try_from(walk.cursor) else {
                ctx.unit_failed(
                    JobName::Matches,
                    format!("match id {} does not fit game.id (int)", walk.cursor),
                );
                return Ok(End::Failed);
            };
            self.ids_left -= 1;
            match attempt(ctx, id, &mut self.known_maps) {
                Ok(Attempt::Missing) => return Ok(End::Missing),
                Ok(Attempt::Recorded | Attempt::NotRanked) => {
                    walk.cursor += 1;
                    walk.tries = 0;
                }
                Err(e) if is_connection_lost(&e) => return Err(e),
                Err(e) => {
                    ctx.unit_failed(
                        JobName::Matches,
                        format!(
                            "match {id}: {e:#}; not counted as a miss: the walk stays on this id \
                             and tries it again at the next poll (to give it up: UPDATE \
                             collector_state SET cursor_int = {}, counter = 0 WHERE job = \
                             'matches')",
                            i64::from(id) + 1
                        ),
                    );
                    return Ok(End::Failed);
                }
            }
        }
    }
}

/// One id: asks the API (E4, then E5 for an official match), then records
/// the match and moves the cursor past it in one transaction.
fn attempt(
    ctx: &mut Context,
    id: i32,
    known_maps: &mut HashSet<String>,
) -> anyhow::Result<Attempt> {
    let Some(found) = ctx.api.get_match(i64::from(id))? else {
        return Ok(Attempt::Missing);
    };
    if !found.is_official_matchmaking() {
        log::debug!("matches: {id} is not ranked matchmaking ({:?})", found.name);
        return Ok(Attempt::NotRanked);
    }
    let (map_uid, time) = checked(&found, id, ctx.zone)?;
    let participants = ctx.api.match_participants(i64::from(id))?;
    if participants.len() > MAX_PARTICIPANTS {
        bail!(
            "{} participants: more than any match has",
            participants.len()
        );
    }
    let players: Vec<&str> = participants
        .iter()
        .map(|p| p.participant.stored())
        .collect();
    let new = game::NewMatch {
        id,
        map_uid,
        map_known: known_maps.contains(map_uid),
        time,
        players: &players,
        sentinel: ctx.zone.sentinel(),
    };
    let key = JobName::Matches.key();
    lock_retry::transaction(ctx.conn, |conn| {
        game::record_new_match(conn, &new)?;
        collector_state::set_cursor(conn, key, i64::from(id) + 1, 0)
    })?;
    known_maps.insert(map_uid.to_string());
    log::info!(
        "matches: recorded match {id} ({}, {} players)",
        found.name,
        players.len()
    );
    Ok(Attempt::Recorded)
}

/// The map uid and local start time of an official match, refused when the
/// answer cannot be stored as the reference would.
fn checked(found: &NadeoMatch, id: i32, zone: LocalZone) -> anyhow::Result<(&str, NaiveDateTime)> {
    if found.id != i64::from(id) {
        bail!("the API answered match {} for id {id}", found.id);
    }
    let map_uid = found
        .map_uid()
        .ok_or_else(|| anyhow!("the match has no map (publicConfig.maps is empty)"))?;
    if !game::map_uid_fits(map_uid) {
        bail!(
            "map uid {map_uid:?} is empty or longer than {} characters",
            game::MAP_UID_MAX_CHARS
        );
    }
    let time = zone
        .from_epoch(found.start_date)
        .filter(|t| (1000..=9999).contains(&t.year()))
        .ok_or_else(|| anyhow!("startDate {} is not a storable time", found.start_date))?;
    Ok((map_uid, time))
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: i64 = 1234;

    #[test]
    fn first_cursor_follows_the_reference_formula() {
        // Empty database: just after START_ID (START_ID itself is never fetched).
        assert_eq!(starting_cursor(None, None, START), START + 1);
        // Games at or above START_ID: just after the newest.
        assert_eq!(starting_cursor(None, Some(2000), START), 2001);
        assert_eq!(starting_cursor(None, Some(1234), START), 1235);
        // Newest game below START_ID: START_ID itself, not +1.
        assert_eq!(starting_cursor(None, Some(5), START), START);
    }

    #[test]
    fn a_stored_cursor_moves_past_the_newest_game_and_start_id() {
        assert_eq!(starting_cursor(Some(1300), Some(1250), START), 1300);
        assert_eq!(starting_cursor(Some(1300), Some(1300), START), 1301);
        assert_eq!(starting_cursor(Some(1300), Some(1400), START), 1401);
        assert_eq!(starting_cursor(Some(100), None, START), START);
    }

    #[test]
    fn polls_count_once_per_interval() {
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        let interval = chrono::Duration::seconds(30);
        let now = t("2026-01-01 12:00:30");
        assert!(poll_due(None, now, interval));
        assert!(poll_due(Some(t("2026-01-01 12:00:00")), now, interval));
        assert!(!poll_due(Some(t("2026-01-01 12:00:01")), now, interval));
        assert!(poll_due(Some(t("2026-01-01 13:00:00")), now, interval));
    }
}
