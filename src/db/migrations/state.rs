//! Which migration history the database carries: none, Diesel's, or the
//! reference's `migratehistory` still to be adopted.

use super::introspect::{self, names};
use super::probes::BASELINE_TABLES;
use super::reference::{plan_adoption, Adoption};
use crate::error::{Error, Result};
use diesel::MysqlConnection;

pub const DIESEL_TABLE: &str = "__diesel_schema_migrations";
pub const REFERENCE_HISTORY_TABLE: &str = "migratehistory";

pub const APPLIED_VERSIONS_SQL: &str = "SELECT version AS name FROM __diesel_schema_migrations";
pub const REFERENCE_HISTORY_SQL: &str = "SELECT name FROM migratehistory ORDER BY id";

/// What the database holds, as far as migrations are concerned.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaState {
    /// No mmstatus or reference tables: everything is to be run.
    Empty,
    /// Tracked by Diesel; these versions are recorded.
    Managed { applied: Vec<String> },
    /// Created by the reference and not adopted yet.
    Reference(Adoption),
}

/// Looks at the database's history tables and names its state, refusing
/// application tables without any history.
pub fn inspect(conn: &mut MysqlConnection) -> Result<SchemaState> {
    let tables = introspect::tables(conn)?;
    let applied = applied_versions(conn)?;
    // An empty Diesel table beside a reference history is an adoption that
    // was interrupted before it recorded anything: adopt again.
    let has_reference_history = tables.contains(REFERENCE_HISTORY_TABLE);
    if tables.contains(DIESEL_TABLE) && !(applied.is_empty() && has_reference_history) {
        return Ok(SchemaState::Managed { applied });
    }
    if has_reference_history {
        let history = names(conn, REFERENCE_HISTORY_SQL)?;
        return Ok(SchemaState::Reference(plan_adoption(&history)?));
    }
    let app_tables: Vec<&str> = BASELINE_TABLES
        .iter()
        .copied()
        .filter(|t| tables.contains(*t))
        .collect();
    if !app_tables.is_empty() {
        return Err(Error::UnknownSchemaState(format!(
            "the database has tables {} but no migration history (neither {DIESEL_TABLE} nor \
             {REFERENCE_HISTORY_TABLE}); mmstatus cannot tell which schema they have",
            app_tables.join(", ")
        )));
    }
    Ok(SchemaState::Empty)
}

/// The versions Diesel's table records; none when it does not exist.
pub fn applied_versions(conn: &mut MysqlConnection) -> Result<Vec<String>> {
    if introspect::tables(conn)?.contains(DIESEL_TABLE) {
        names(conn, APPLIED_VERSIONS_SQL)
    } else {
        Ok(Vec::new())
    }
}
