//! `mmstatus migrate`: run pending schema migrations, or list them.

use crate::cli::output::{print_progress, print_status, print_summary};
use crate::config::Config;
use crate::db::{self, migrations};

/// Apply pending schema migrations, or list them with --status.
///
/// A database created by the reference (Python) backend is adopted: the
/// migrations its `migratehistory` table records are marked as applied without
/// being run, then only the rest run, and each reference migration they stand
/// for is appended to `migratehistory` so the reference's own migrator agrees.
/// A migration whose change is already in the schema (an earlier run was
/// interrupted) is recorded without running it; one whose change is only
/// partly there is refused with the SQL that repairs it. A database in any
/// other unknown state is refused and left untouched. The database must
/// exist: create it with `mmstatus init-db`.
#[derive(Debug, clap::Args)]
pub struct Opts {
    /// List applied and pending migrations; change nothing.
    #[arg(long)]
    pub status: bool,
}

pub fn run(opts: Opts, config: &Config) -> anyhow::Result<()> {
    let mut conn = db::connect(&config.database_url)?;
    let database = config.database_url.database_name().unwrap_or_default();
    if opts.status {
        print_status(&migrations::status(&mut conn)?);
        return Ok(());
    }
    let outcome = migrations::run_pending(&mut conn, &database, print_progress)?;
    print_summary(&database, &outcome);
    Ok(())
}
