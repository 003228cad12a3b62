//! Schema migrations: Diesel's embedded migrations, the adoption of a
//! database created by the reference (which tracks its own history in
//! `migratehistory`), and the recovery of runs interrupted between a
//! migration's DDL and its version row.
//!
//! - `reference`: the reference's 38 migrations, their Diesel equivalents,
//!   and the adoption of a reference history;
//! - `probes`: one schema probe per migration (absent, present, partial);
//! - `state`: which history the database carries;
//! - `plan`: what a run will do, decided before anything changes;
//! - `history`: keeping `migratehistory` in step with what mmstatus applies;
//! - `introspect`: the information_schema queries the others use.

mod history;
mod introspect;
mod plan;
mod probes;
mod reference;
mod rollup_duplicates;
mod state;

use crate::db::lock;
use crate::error::{Error, Result};
use diesel::migration::{Migration, MigrationConnection};
use diesel::mysql::Mysql;
use diesel::sql_types::Text;
use diesel::{sql_query, Connection, MysqlConnection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use plan::{plan, Action, Plan};
pub use reference::Adoption;
pub use rollup_duplicates::RollupDuplicates;
use std::collections::BTreeSet;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// What the reference's 0033 re-creates, needed when its history stops at 0032.
pub const CREATE_GAME_ID_INDEX_SQL: &str = "CREATE UNIQUE INDEX `game_id` ON `game` (`id`)";
pub const MARK_APPLIED_SQL: &str = "INSERT INTO __diesel_schema_migrations (version) VALUES (?)";

/// The embedded migrations, in version order.
fn known_migrations() -> Vec<Box<dyn Migration<Mysql>>> {
    let mut migrations = diesel::migration::MigrationSource::<Mysql>::migrations(&MIGRATIONS)
        .expect("embedded migrations are readable");
    migrations.sort_by_key(|m| version_of(m.as_ref()));
    migrations
}

fn version_of(migration: &dyn Migration<Mysql>) -> String {
    migration.name().version().to_string()
}

/// One migration and whether it is applied.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationStatus {
    pub name: String,
    pub state: MigrationState,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MigrationState {
    Applied,
    /// Applied by the reference; `migrate` will record it without running it.
    AppliedByReference,
    /// Not recorded, but its change is in the schema; `migrate` will record it.
    InSchema,
    Pending,
}

/// Lists every migration and its state, changing nothing.
pub fn status(conn: &mut MysqlConnection) -> Result<Vec<MigrationStatus>> {
    let Plan {
        recorded, steps, ..
    } = plan(conn)?;
    Ok(known_migrations()
        .iter()
        .map(|m| {
            let version = version_of(m.as_ref());
            let action = steps
                .iter()
                .find(|s| version_of(s.migration.as_ref()) == version)
                .map(|s| s.action);
            let state = match action {
                Some(Action::Run) => MigrationState::Pending,
                Some(Action::Record) => MigrationState::InSchema,
                None if recorded.contains(&version) => MigrationState::Applied,
                // Neither pending nor recorded: the adoption will record it.
                None => MigrationState::AppliedByReference,
            };
            MigrationStatus {
                name: m.name().to_string(),
                state,
            }
        })
        .collect())
}

/// Fails unless every migration is applied: the other subcommands run only
/// on a database whose schema they know. Changes nothing.
pub fn ensure_up_to_date(conn: &mut MysqlConnection) -> Result<()> {
    let tables = introspect::tables(conn)?;
    if !tables.contains(state::DIESEL_TABLE) {
        return Err(Error::SchemaNotReady(
            "it has no mmstatus schema yet; run `mmstatus init-db` (or `mmstatus migrate` to \
             adopt a reference database)"
                .to_string(),
        ));
    }
    let applied: BTreeSet<String> = state::applied_versions(conn)?.into_iter().collect();
    let pending: Vec<String> = known_migrations()
        .iter()
        .filter(|m| !applied.contains(&version_of(m.as_ref())))
        .map(|m| m.name().to_string())
        .collect();
    if pending.is_empty() {
        Ok(())
    } else {
        Err(Error::SchemaNotReady(format!(
            "{} migration(s) pending ({}); run `mmstatus migrate`",
            pending.len(),
            pending.join(", ")
        )))
    }
}

/// Progress of [`run_pending`], reported as it happens.
pub enum Progress<'a> {
    Adopted(&'a Adoption),
    Applied(&'a str),
    /// Its change was already in the schema: recorded without running it.
    Recorded(&'a str),
    /// Reference migrations appended to `migratehistory`.
    HistoryAppended(&'a [&'static str]),
    /// Duplicate rollup rows the unique key's migration deleted.
    DuplicatesDeleted(&'a RollupDuplicates),
}

/// What [`run_pending`] did: migrations run, and migrations recorded
/// because their change was already there.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Outcome {
    pub ran: Vec<String>,
    pub recorded: Vec<String>,
}

/// Brings the database up to date: adopts a reference database if needed,
/// then runs (or, when its change is already there, records) the pending
/// migrations one by one, reporting each step to `progress`. Keeps
/// `migratehistory`, when there is one, in step after each step. Holds the
/// schema lock of `database` for the whole run; a refused state changes
/// nothing.
pub fn run_pending(
    conn: &mut MysqlConnection,
    database: &str,
    mut progress: impl FnMut(Progress),
) -> Result<Outcome> {
    lock::try_lock(
        conn,
        &lock::lock_name(database, "schema"),
        "changing this database's schema (init-db or migrate)",
    )?;
    let plan = plan(conn)?;
    if let Some(adoption) = &plan.adoption {
        adopt(conn, adoption)?;
        progress(Progress::Adopted(adoption));
    }
    if !plan.steps.is_empty() {
        conn.setup()?;
    }
    reconcile_history(conn, &mut progress)?;
    let mut outcome = Outcome::default();
    for step in plan.steps {
        let name = step.migration.name().to_string();
        match step.action {
            Action::Run => {
                log::debug!("running migration {name}");
                let version = version_of(step.migration.as_ref());
                let duplicates = if version == probes::ROLLUP_UNIQUE_VERSION {
                    Some(rollup_duplicates::count(conn)?)
                } else {
                    None
                };
                conn.run_migration(step.migration.as_ref())
                    .map_err(|e| Error::Migration(format!("{name}: {e}")))?;
                if let Some(duplicates) = duplicates.filter(|d| d.extra > 0) {
                    progress(Progress::DuplicatesDeleted(&duplicates));
                }
                progress(Progress::Applied(&name));
                outcome.ran.push(name);
            }
            Action::Record => {
                record(conn, &version_of(step.migration.as_ref()))?;
                progress(Progress::Recorded(&name));
                outcome.recorded.push(name);
            }
        }
        reconcile_history(conn, &mut progress)?;
    }
    Ok(outcome)
}

fn reconcile_history(
    conn: &mut MysqlConnection,
    progress: &mut impl FnMut(Progress),
) -> Result<()> {
    let appended = history::reconcile(conn)?;
    if !appended.is_empty() {
        progress(Progress::HistoryAppended(&appended));
    }
    Ok(())
}

fn record(conn: &mut MysqlConnection, version: &str) -> Result<()> {
    sql_query(MARK_APPLIED_SQL)
        .bind::<Text, _>(version)
        .execute(conn)?;
    Ok(())
}

/// Records the reference's applied migrations as Diesel versions.
fn adopt(conn: &mut MysqlConnection, adoption: &Adoption) -> Result<()> {
    log::debug!(
        "adopting a reference database (history up to {})",
        adoption.last_reference_migration()
    );
    if adoption.recreate_game_id_index && introspect::index(conn, "game", "game_id")?.is_none() {
        sql_query(CREATE_GAME_ID_INDEX_SQL).execute(conn)?;
    }
    conn.setup()?;
    conn.transaction(|conn| {
        for version in &adoption.versions {
            record(conn, version)?;
        }
        Ok::<_, Error>(())
    })
}
