//! `mmstatus resolve-names`: players' display names and club tags, a few
//! bounded batches per run.

use crate::cli::collector;
use crate::collect::names::{self, Names};
use crate::collect::runner::{self, Shared};
use crate::collect::{Deadline, Environment, JobName};
use crate::config::Config;
use crate::env;
use crate::error::Error;
use crate::nadeo::{NadeoClient, NadeoConfig};
use std::time::{Duration, Instant};

/// Longest --pause, in seconds.
const MAX_PAUSE_SECS: f64 = 3_600.0;

/// The run lock of resolve-names: `mmstatus:<database>:names`.
const RUN_LOCK: &str = "names";

/// Resolve players' display names (public Trackmania API: CLIENT_ID,
/// CLIENT_SECRET, UBISOFT_OAUTH_REFRESH_TOKEN) and club tags (Core API).
///
/// Players are due once a day when they have matchmaking points, and as soon
/// as possible when never named, the longest waiting first. Each batch asks
/// both APIs first, then writes every player of the batch in one
/// transaction: the name (the API's; else the stored one; else "Name
/// unknown"), the club tag (none when the API lists none), the time of the
/// refresh, and the tag in the current season's rows. A failed call writes
/// nothing; the batch comes first again on the next run. A run stops when
/// fewer players than --batch are due, after --max-batches, or at
/// --deadline, work in progress or not.
///
/// Meant to run every 2 minutes from cron, beside `fetch`. Only one run at a
/// time resolves names on a database: a second one says so and exits 0 (5
/// with --strict). Does nothing, and says why, when ENABLE_OAUTH (or
/// ENABLE_THREADS) is set to anything but True. After each run the health
/// file <CACHE_DIR>/thread_health.json gets its UpdatePlayersThread entry.
/// Exit code 6: the run went through, but a batch failed (see the log).
#[derive(Debug, clap::Args)]
pub struct Opts {
    /// Players per batch (the display-names endpoint takes at most 50).
    #[arg(long, value_name = "N", default_value_t = 50,
          value_parser = clap::value_parser!(u16).range(1..=50))]
    pub batch: u16,

    /// Batches at most in one run.
    #[arg(long, value_name = "N", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_batches: u32,

    /// Seconds between two full batches (fractions allowed; 0 for none; a
    /// trailing `s` is accepted).
    #[arg(long, value_name = "SECS", default_value = "1", value_parser = parse_pause)]
    pub pause: Duration,

    /// Seconds after the start at which the run stops, work in progress or not.
    #[arg(long, value_name = "SECS", default_value_t = 100,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub deadline: u64,

    /// When another run holds the lock, exit with code 5 instead of 0.
    #[arg(long)]
    pub strict: bool,
}

/// A pause: seconds from 0 to an hour, `1`, `0.5` or `1s`.
fn parse_pause(text: &str) -> Result<Duration, String> {
    let number = text.trim().strip_suffix('s').unwrap_or(text.trim());
    match number.parse::<f64>() {
        Ok(secs) if (0.0..=MAX_PAUSE_SECS).contains(&secs) => Ok(Duration::from_secs_f64(secs)),
        _ => Err(format!(
            "expected seconds from 0 to {MAX_PAUSE_SECS}, such as 1, 0.5 or 2s"
        )),
    }
}

pub fn run(opts: Opts, config: &Config) -> anyhow::Result<()> {
    let started = Instant::now();
    if collector::switched_off("ENABLE_THREADS", "the collector is switched off")?
        || collector::switched_off("ENABLE_OAUTH", "display names are not resolved")?
    {
        return Ok(());
    }
    let environment = Environment::from_env(&env::process_var)?;
    let api = NadeoClient::new(NadeoConfig::from_process_env()?, config.zone);
    let Some(mut conn) =
        collector::connect_locked(config, RUN_LOCK, "resolving names", opts.strict)?
    else {
        return Ok(());
    };
    let hard = started + Duration::from_secs(opts.deadline);
    let deadline = Deadline {
        loop_end: hard,
        hard,
    };
    let shared = Shared {
        url: &config.database_url,
        api: &api,
        zone: config.zone,
        environment: &environment,
    };
    let mut job = Names::new(usize::from(opts.batch));
    let report = runner::run_repeated(
        &mut conn,
        &mut job,
        opts.max_batches,
        opts.pause,
        deadline,
        &shared,
    )
    .map_err(|e| collector::run_error(e, config))?;
    collector::write_health(&mut conn, &environment, config)?;
    collector::release_lock(&mut conn, config, RUN_LOCK);
    let errors = report.errors.get(&JobName::Names).copied().unwrap_or(0);
    finish(&job, errors, started.elapsed())
}

/// Prints the run's summary; a failed batch becomes the exit code.
fn finish(job: &names::Names, errors: u32, took: Duration) -> anyhow::Result<()> {
    println!(
        "resolve-names: done in {:.1} s; {} players in {} batches; {}",
        took.as_secs_f64(),
        job.players,
        job.batches,
        if errors == 0 {
            "no errors".to_string()
        } else {
            format!("{errors} failed")
        }
    );
    if errors > 0 {
        return Err(Error::JobsFailed(
            "a batch of names failed and is retried on the next run; see the log above".to_string(),
        )
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_are_seconds_with_an_optional_unit() {
        assert_eq!(parse_pause("1"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_pause("0"), Ok(Duration::ZERO));
        assert_eq!(parse_pause("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_pause("0.5"), Ok(Duration::from_millis(500)));
        for bad in ["-1", "NaN", "inf", "", "s", "1h", "3601", "1e400"] {
            assert!(parse_pause(bad).is_err(), "{bad}");
        }
    }
}
