//! What the collector subcommands (`fetch`, `resolve-names`) share: the
//! reference's switches, the connection with its run lock, the error a lost
//! connection becomes, and the health file written after a run.

use crate::collect::Environment;
use crate::collect::{health, runner};
use crate::config::Config;
use crate::db::{self, collector_state, lock, migrations};
use crate::env;
use crate::error::Error;
use diesel::MysqlConnection;

/// Whether the reference switch `variable` (`ENABLE_THREADS`, `ENABLE_OAUTH`)
/// is off; if so, says so: `what` completes "<variable> is not True: …".
pub fn switched_off(variable: &str, what: &str) -> anyhow::Result<bool> {
    if env::switch(&env::process_var, variable)? {
        return Ok(false);
    }
    log::info!("{variable} is not True: {what}; nothing to do");
    Ok(true)
}

/// The lock of a collector subcommand's runs: `mmstatus:<database>:<work>`.
fn run_lock(config: &Config, work: &str) -> String {
    let database = config.database_url.database_name().unwrap_or_default();
    lock::lock_name(&database, work)
}

/// Connects, checks that the schema is up to date and takes the run lock
/// of `work`. `None` when another run holds it and `strict` is off (said in
/// the log); with `strict`, [`Error::Busy`].
pub fn connect_locked(
    config: &Config,
    work: &str,
    activity: &str,
    strict: bool,
) -> anyhow::Result<Option<MysqlConnection>> {
    let mut conn = db::connect(&config.database_url)?;
    migrations::ensure_up_to_date(&mut conn)?;
    match lock::try_lock(&mut conn, &run_lock(config, work), activity) {
        Err(Error::Busy(_)) if !strict => {
            log::info!("previous run still active; this one does nothing");
            Ok(None)
        }
        Err(e) => Err(e.into()),
        Ok(()) => Ok(Some(conn)),
    }
}

/// Gives the run lock of `work` back, so that a run started right after
/// this one ends finds it free (the server may take a while to notice the
/// closed connection). A failure only delays the next run: logged.
pub fn release_lock(conn: &mut MysqlConnection, config: &Config, work: &str) {
    if let Err(e) = lock::release(conn, &run_lock(config, work)) {
        log::warn!("cannot give the run lock back ({e}); it goes with the connection");
    }
}

/// A run's error, with a lost database connection turned into the
/// database's exit code.
pub fn run_error(error: anyhow::Error, config: &Config) -> anyhow::Error {
    if runner::is_connection_lost(&error) {
        Error::DatabaseUnreachable {
            target: config.database_url.server(),
            detail: format!(
                "the connection was lost during the run ({error:#}); the next run carries on"
            ),
        }
        .into()
    } else {
        error
    }
}

/// Rewrites the health file from every job's state row; a file that cannot
/// be written is logged, not fatal.
pub fn write_health(
    conn: &mut MysqlConnection,
    environment: &Environment,
    config: &Config,
) -> anyhow::Result<()> {
    let states = collector_state::all(conn)?;
    if let Err(e) = health::write(&environment.cache_dir, &states, config.zone.now()) {
        log::error!(
            "cannot write the health file in {}: {e}",
            environment.cache_dir.display()
        );
    }
    Ok(())
}
