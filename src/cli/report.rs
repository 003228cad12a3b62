//! `mmstatus report`: the pipeline's result at a glance.

use crate::config::Config;
use crate::db::{self, migrations};
use crate::report;
use std::path::PathBuf;

/// Show what the collector and the statistics have produced, at a glance.
///
/// Read-only and without a lock, so it runs beside the cron jobs: from the
/// database, the games of the last 24 hours per hour (finished or not),
/// the players active in the last 24 hours and 7 days per rank tier (on
/// their current points), the totals and the current season, and each
/// collector job's health (stale: no success for 10 minutes); from
/// CACHE_DIR (default cache/), the current season's statistics files with
/// their age, and the clubs and countries leaderboards (top 5) and the games
/// per hour of the day as the files hold them ("not computed yet" when a
/// file is missing). Plain text on stdout, charts included; --html writes
/// one self-contained HTML page instead and prints its path.
#[derive(Debug, clap::Args)]
pub struct Opts {
    /// Write the report as one static HTML page (inline SVG charts) to FILE,
    /// replacing it, and print its path instead of the text report.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

pub fn run(opts: Opts, config: &Config) -> anyhow::Result<()> {
    let cache_dir = crate::config::cache_dir(&crate::env::process_var)?;
    let mut conn = db::connect(&config.database_url)?;
    migrations::ensure_up_to_date(&mut conn)?;
    let gathered = report::gather(
        &mut conn,
        config.zone.now(),
        config.zone.describe(),
        &cache_dir,
        crate::stats::output::now_epoch(),
        crate::collect::names::NAME_UNKNOWN,
    )?;
    match opts.html {
        None => print!("{}", report::text::render(&gathered)),
        Some(path) => {
            crate::atomic_file::write(&path, report::html::render(&gathered).as_bytes())
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            println!("{}", path.display());
        }
    }
    Ok(())
}
