//! `mmstatus migrate`: run pending schema migrations, or list them.

use crate::config::Config;
use crate::db::migrations::{MigrationState, RunReport};
use crate::db::{self, migrations};

/// Apply pending schema migrations, or list them with --status.
///
/// A database created by the reference (Python) backend is adopted: the
/// migrations its `migratehistory` table records are marked as applied without
/// being run, then only the rest run. `migratehistory` itself is left as is.
/// A database in any other unknown state is refused and left untouched. The
/// database must exist: create it with `mmstatus init-db`.
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
        return print_status(&mut conn);
    }
    let report = migrations::run_pending(&mut conn, &database, |name| {
        println!("applied {name}");
    })?;
    print_summary(&database, &report);
    Ok(())
}

fn print_status(conn: &mut diesel::MysqlConnection) -> anyhow::Result<()> {
    for migration in migrations::status(conn)? {
        let state = match migration.state {
            MigrationState::Applied => "applied",
            MigrationState::AppliedByReference => "applied by the reference (to be recorded)",
            MigrationState::Pending => "pending",
        };
        println!("{:<50} {state}", migration.name);
    }
    Ok(())
}

/// Says what a run did; shared with init-db.
pub fn print_summary(database: &str, report: &RunReport) {
    if let Some(adoption) = &report.adopted {
        println!(
            "adopted a reference database: history up to {} recorded as {} applied migration(s); \
             migratehistory left unchanged",
            adoption.last_reference_migration(),
            adoption.versions.len()
        );
    }
    match report.ran.len() {
        0 => println!("database `{database}` is up to date; no migration to run"),
        n => println!("database `{database}` is up to date; ran {n} migration(s)"),
    }
}
