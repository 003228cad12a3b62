//! `recompute-elo`: repairs the elo of recent finished games stored more
//! than `--recompute-threshold` above what their players had after the match
//! (collection.md §2.10). `match-elo` computes elo from points that may be
//! stale, or 0 for players not fetched yet; once every player of a game has
//! points after the match, those give the game's min, average and max.

use crate::collect::{Context, Job, JobName, Pace};
use crate::db::{elo, lock_retry};
use crate::error::Result;
use chrono::NaiveDateTime;
use diesel::MysqlConnection;

/// The reference's constants.
pub const DEFAULT_WINDOW_SECS: u64 = 3600;
pub const DEFAULT_THRESHOLD: u32 = elo::DEFAULT_THRESHOLD;
/// Games repaired per iteration at most (the window holds far fewer).
const LIMIT: i64 = 1000;

#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
#[command(next_help_heading = "Job recompute-elo")]
pub struct Flags {
    /// recompute-elo: seconds back from now of the games looked at (1 h;
    /// games whose points after the match come later are never repaired).
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_WINDOW_SECS,
          value_parser = clap::value_parser!(u64).range(60..=31 * 86_400))]
    pub recompute_window: u64,

    /// recompute-elo: how far above the points after the match a game's
    /// stored min or max elo must be to be repaired.
    #[arg(long, value_name = "POINTS", default_value_t = DEFAULT_THRESHOLD,
          value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub recompute_threshold: u32,
}

pub struct RecomputeElo {
    window: chrono::Duration,
    threshold: u32,
}

impl RecomputeElo {
    pub fn new(flags: &Flags) -> RecomputeElo {
        RecomputeElo {
            window: chrono::Duration::seconds(
                i64::try_from(flags.recompute_window).unwrap_or(i64::MAX / 1000),
            ),
            threshold: flags.recompute_threshold,
        }
    }
}

/// Repairs the divergent games of `[start, end]`; how many there were.
pub fn repair(
    conn: &mut MysqlConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
    threshold: u32,
) -> Result<usize> {
    lock_retry::transaction(conn, |conn| {
        let fixes = elo::divergent(conn, start, end, threshold, LIMIT)?;
        Ok(elo::write(conn, &fixes)?)
    })
}

impl Job for RecomputeElo {
    fn name(&self) -> JobName {
        JobName::RecomputeElo
    }

    fn iterate(&mut self, ctx: &mut Context) -> anyhow::Result<Pace> {
        let end = ctx.zone.now();
        let repaired = repair(ctx.conn, end - self.window, end, self.threshold)?;
        if repaired > 0 {
            log::info!("recompute-elo: elo repaired for {repaired} games");
        }
        Ok(Pace::Normal)
    }
}
