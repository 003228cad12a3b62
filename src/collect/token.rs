//! `token`: the forced Core token refresh (collection.md §2.12). Nadeo's
//! refresh tokens last about a day and rotate on each use, so the reference
//! refreshes Core every 42 800 s whether or not it expired; the time of the
//! last forced refresh is kept in the credentials file.

use crate::collect::{Context, Job, JobName, Pace};
use std::time::Duration;

/// The reference's period.
pub const DEFAULT_FORCED_REFRESH_SECS: u64 = 42_800;

#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
#[command(next_help_heading = "Job token")]
pub struct Flags {
    /// token: seconds between two forced refreshes of the Core token.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_FORCED_REFRESH_SECS,
          value_parser = clap::value_parser!(u64).range(60..=86_400))]
    pub core_forced_refresh: u64,
}

pub struct Token {
    period: Duration,
}

impl Token {
    pub fn new(flags: &Flags) -> Token {
        Token {
            period: Duration::from_secs(flags.core_forced_refresh),
        }
    }
}

impl Job for Token {
    fn name(&self) -> JobName {
        JobName::Token
    }

    fn iterate(&mut self, ctx: &mut Context) -> anyhow::Result<Pace> {
        if ctx.api.refresh_core_if_older_than(self.period)? {
            log::info!(
                "token: Core token refreshed (forced every {} s)",
                self.period.as_secs()
            );
        }
        Ok(Pace::Normal)
    }
}
