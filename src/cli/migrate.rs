//! `mmstatus migrate`: run pending schema migrations, or list them.

use crate::config::Config;
use crate::db::migrations::{MigrationState, Progress};
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
    let ran = migrations::run_pending(&mut conn, &database, print_progress)?;
    print_summary(&database, ran.len());
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

/// Prints each step of a migration run; shared with init-db.
pub fn print_progress(progress: Progress) {
    match progress {
        Progress::Adopted(adoption) => println!(
            "adopted a reference database: history up to {} recorded as {} applied migration(s); \
             migratehistory left unchanged",
            adoption.last_reference_migration(),
            adoption.versions.len()
        ),
        Progress::Applied(name) => println!("applied {name}"),
    }
}

/// Says where a migration run left the database; shared with init-db.
pub fn print_summary(database: &str, ran: usize) {
    match ran {
        0 => println!("database `{database}` is up to date; no migration to run"),
        n => println!("database `{database}` is up to date; ran {n} migration(s)"),
    }
}
