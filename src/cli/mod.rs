//! The command line: global options, one module per subcommand, and the
//! dispatch from parsed arguments to a subcommand's `run`.

mod collector;
pub mod compute_stats;
pub mod create_season;
pub mod fetch;
pub mod init_db;
pub mod logging;
pub mod migrate;
mod output;
pub mod report;
pub mod resolve_names;

use crate::config::Config;
use crate::error::{exit, Error};
use clap::{Parser, Subcommand};

const EXIT_CODES: &str = "\
Exit codes:
  0  success (including \"nothing to do\")
  1  runtime failure (database error, unreadable file)
  2  bad usage or invalid input; nothing was changed
  3  database unreachable, credentials refused, or database missing
  4  the database's schema is in a state mmstatus does not recognise; nothing was changed
  5  another mmstatus run holds the lock for this work; try again later
  6  fetch, resolve-names: the run went through, but some jobs recorded errors
     (see the log)
  7  fetch: the watchdog found the newest game older than allowed
  8  compute-stats: the run went through, but some statistics failed (see the
     log; their previous files are kept)

Configuration is read from the environment and from a .env file in the current
directory or above (variables already set win): DATABASE_URL, or the reference's
DATABASE_HOST/PORT/NAME/USER/PASSWORD; MMSTATUS_TZ; RUST_LOG.";

/// Tracks Trackmania ranked matchmaking into MySQL and computes its statistics.
///
/// Each subcommand is one short run against the database, meant to be
/// scheduled by cron. Stored datetimes are naive local times in MMSTATUS_TZ
/// (an IANA zone such as Europe/Paris; default: the system's local zone).
#[derive(Debug, Parser)]
#[command(name = "mmstatus", version, after_long_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Args)]
pub struct GlobalOpts {
    /// MySQL database URL, mysql://user:password@host:port/database. Overrides
    /// DATABASE_URL and the DATABASE_* variables.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// Log more: -v for debug, -vv for trace (RUST_LOG, when set, wins).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Log only errors (RUST_LOG, when set, wins).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    InitDb(init_db::Opts),
    Migrate(migrate::Opts),
    CreateSeason(create_season::Opts),
    Fetch(fetch::Opts),
    ResolveNames(resolve_names::Opts),
    ComputeStats(compute_stats::Opts),
    Report(report::Opts),
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let dotenv = dotenvy::dotenv();
    let cli = Cli::parse();
    logging::init_logging(&cli.global);
    if let Err(e) = dotenv {
        if !e.not_found() {
            return report(anyhow::anyhow!(
                "cannot read the .env file: {e}; fix or remove it"
            ));
        }
    }
    match dispatch(cli) {
        Ok(()) => exit::OK,
        Err(e) => report(e),
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<()> {
    if let Command::ComputeStats(opts) = &cli.command {
        if opts.list_stats {
            // A listing needs no database, hence no configuration.
            return compute_stats::list_stats();
        }
    }
    let config = Config::load(cli.global.database_url.as_deref())?;
    match cli.command {
        Command::InitDb(opts) => init_db::run(opts, &config),
        Command::Migrate(opts) => migrate::run(opts, &config),
        Command::CreateSeason(opts) => create_season::run(opts, &config),
        Command::Fetch(opts) => fetch::run(opts, &config),
        Command::ResolveNames(opts) => resolve_names::run(opts, &config),
        Command::ComputeStats(opts) => compute_stats::run(opts, &config),
        Command::Report(opts) => report::run(opts, &config),
    }
}

/// Prints the error as one line on stderr and picks the exit code.
fn report(error: anyhow::Error) -> i32 {
    let code = error
        .downcast_ref::<Error>()
        .map_or(exit::FAILURE, Error::exit_code);
    let message = format!("{error:#}").replace('\n', " ");
    eprintln!("mmstatus: error: {message}");
    code
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
