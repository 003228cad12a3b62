//! `club-tags`: club tags (E10) when `resolve-names` does not run, that is
//! when `ENABLE_OAUTH` is not True (collection.md §2.5, option B: with OAuth
//! on, the names job refreshes tags together with names and this job does
//! nothing). It writes `player.club_tag` and the current season's
//! `playerseason.club_tag`, and never stamps `last_name_update`, which stays
//! the names job's queue.
//!
//! Without a stamp, "refreshed within a day" cannot be read per player, so
//! the job walks the players the names queue would hold (over a day since
//! their last name refresh, and with points or never named) in uuid order,
//! one batch after another, keeping its place in `collector_state`
//! (`cursor_text`, advanced in the batch's transaction). Every batch moves
//! the walk forward, so no player is asked twice in a walk; a walk starts at
//! most once per staleness period (its start is `last_poll_at`), so every
//! player's tag is refreshed about once a day, as in the reference.

use crate::collect::names::{account_ids, club_tags_of, sync_current_season, tags_for};
use crate::collect::{Context, Job, JobName, Pace};
use crate::db::{collector_state, lock_retry, names};
use crate::env;
use crate::error::Error;
use chrono::NaiveDateTime;

/// Players per E10 call (the reference's batch).
pub const BATCH: usize = crate::nadeo::core_api::ACCOUNTS_BATCH;

/// Batches per iteration (collection.md §5.4, `--club-tags-batches`).
pub const DEFAULT_BATCHES: u32 = 6;

/// The names job's staleness, 24 h (`--names-stale-after`).
pub const DEFAULT_STALE_AFTER_SECS: i64 = crate::collect::names::STALE_AFTER.num_seconds();

#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
#[command(next_help_heading = "Job club-tags")]
pub struct Flags {
    /// club-tags: batches of 50 players per run with --once (in loop mode,
    /// one batch per iteration: 1 s after a full one, else 10 s).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCHES,
          value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub club_tags_batches: u32,

    /// club-tags: seconds after which a player's club tag is due again (the
    /// names job's staleness), and the least time between the starts of two
    /// walks over the players.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_STALE_AFTER_SECS,
          value_parser = clap::value_parser!(i64).range(60..=2_592_000))]
    pub names_stale_after: i64,
}

pub struct ClubTags {
    batches: u32,
    stale_after: chrono::Duration,
}

impl ClubTags {
    /// `once`: a single-pass run, which works through up to
    /// `--club-tags-batches` batches in its one iteration.
    pub fn new(flags: &Flags, once: bool) -> ClubTags {
        ClubTags {
            batches: if once { flags.club_tags_batches } else { 1 },
            stale_after: chrono::Duration::seconds(flags.names_stale_after),
        }
    }

    /// Tags one batch from just after `cursor` (`None`: a new walk); returns
    /// where the walk stands, `None` once it is over.
    fn walk_batch(
        &self,
        ctx: &mut Context,
        cursor: Option<&str>,
        now: NaiveDateTime,
    ) -> anyhow::Result<Option<String>> {
        let key = JobName::ClubTags.key();
        let players = names::club_tag_walk(
            ctx.conn,
            cursor.unwrap_or(""),
            now - self.stale_after,
            ctx.zone.sentinel(),
            BATCH,
        )?;
        if players.is_empty() {
            if cursor.is_some() {
                collector_state::set_walk(ctx.conn, key, None, None)?;
            }
            return Ok(None);
        }
        let tags = club_tags_of(ctx.api, &account_ids(&players))?;
        let rows = tags_for(&players, &tags);
        let next = (players.len() == BATCH).then(|| players[players.len() - 1].uuid.clone());
        let walk_started = cursor.is_none().then_some(now);
        let written_at = ctx.zone.now();
        lock_retry::transaction(ctx.conn, |conn| {
            names::write_club_tags(conn, &rows)?;
            sync_current_season(conn, written_at, &rows)?;
            collector_state::set_walk(conn, key, next.as_deref(), walk_started)?;
            Ok::<_, Error>(())
        })?;
        log::info!(
            "club-tags: {} players tagged ({} tags from the API)",
            rows.len(),
            tags.len()
        );
        Ok(next)
    }
}

impl Job for ClubTags {
    fn name(&self) -> JobName {
        JobName::ClubTags
    }

    fn iterate(&mut self, ctx: &mut Context) -> anyhow::Result<Pace> {
        if env::switch(&env::process_var, "ENABLE_OAUTH")? {
            log::debug!(
                "club-tags: ENABLE_OAUTH is True, so resolve-names refreshes club tags with the \
                 names; nothing to do"
            );
            return Ok(Pace::Normal);
        }
        let now = ctx.zone.now();
        let state = collector_state::get(ctx.conn, JobName::ClubTags.key())?;
        let mut cursor = state.as_ref().and_then(|s| s.cursor_text.clone());
        let last_walk = state.and_then(|s| s.last_poll_at);
        if let (None, Some(started)) = (&cursor, last_walk) {
            if now - started < self.stale_after {
                log::debug!(
                    "club-tags: the last walk began at {started}; the next begins at {}",
                    started + self.stale_after
                );
                return Ok(Pace::Normal);
            }
        }
        for _ in 0..self.batches {
            if ctx.deadline.passed() {
                return Ok(Pace::Normal);
            }
            match self.walk_batch(ctx, cursor.as_deref(), now)? {
                Some(next) => cursor = Some(next),
                None => return Ok(Pace::Normal),
            }
        }
        Ok(Pace::Soon)
    }
}
