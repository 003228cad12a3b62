//! `watchdog`: is the newest game recent (collection.md §2.13)? Every run
//! is a fresh process with hard timeouts, so nothing needs restarting: a
//! stale newest game ends the run with its own exit code, for cron mail or
//! monitoring, once the collector has run long enough to have caught up.

use crate::collect::runner::Stale;
use crate::collect::{Context, Job, JobName, Pace};
use crate::db::collector_state;
use crate::error::Result;
use chrono::NaiveDateTime;
use diesel::dsl::max;
use diesel::prelude::*;

/// The reference's limits: a newest game more than 10 min old is stale, once
/// the collector has run for 10 min.
pub const DEFAULT_STALE_AFTER_SECS: i64 = 600;

#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
#[command(next_help_heading = "Job watchdog")]
pub struct Flags {
    /// watchdog: seconds after which the newest game counts as stale (and the
    /// collector's age before the check applies).
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_STALE_AFTER_SECS,
          value_parser = clap::value_parser!(i64).range(60..=604_800))]
    pub stale_after: i64,
}

pub struct Watchdog {
    stale_after: chrono::Duration,
}

impl Watchdog {
    pub fn new(flags: &Flags) -> Watchdog {
        Watchdog {
            stale_after: chrono::Duration::seconds(flags.stale_after),
        }
    }
}

/// The start of the newest game, if any.
pub fn newest_game_time(conn: &mut MysqlConnection) -> Result<Option<NaiveDateTime>> {
    use crate::db::schema::game;
    Ok(game::table.select(max(game::time)).first(conn)?)
}

/// Since when the collector runs: its oldest job row.
fn collector_since(conn: &mut MysqlConnection) -> Result<Option<NaiveDateTime>> {
    Ok(collector_state::all(conn)?
        .into_iter()
        .map(|s| s.created_at)
        .min())
}

impl Job for Watchdog {
    fn name(&self) -> JobName {
        JobName::Watchdog
    }

    fn iterate(&mut self, ctx: &mut Context) -> anyhow::Result<Pace> {
        let now = ctx.zone.now();
        let Some(since) = collector_since(ctx.conn)? else {
            return Ok(Pace::Normal);
        };
        if now - since < self.stale_after {
            return Ok(Pace::Normal);
        }
        if let Some(newest) = newest_game_time(ctx.conn)? {
            if now - newest > self.stale_after {
                return Err(Stale(format!(
                    "the newest game started at {newest}, more than {} s ago: is the collector \
                     reaching the API?",
                    self.stale_after.num_seconds()
                ))
                .into());
            }
        }
        Ok(Pace::Normal)
    }
}
