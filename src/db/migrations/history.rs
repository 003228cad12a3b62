//! Keeps the reference's `migratehistory` in step with what mmstatus applies,
//! so the reference's own migrator (peewee-migrations, which replays every
//! name missing from that table) finds nothing left to do.
//!
//! Reconciling is idempotent and safe to repeat after a crash: it appends each
//! reference migration whose Diesel equivalent is recorded but whose name is
//! missing, in the reference's order, never duplicating a name and never
//! touching an existing row. A database without `migratehistory` (one mmstatus
//! created) is left without one.

use super::introspect::{self, names};
use super::reference::reference_migrations_carried_by;
use super::state::{applied_versions, REFERENCE_HISTORY_SQL, REFERENCE_HISTORY_TABLE};
use crate::error::Result;
use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::sql_types::{Datetime, Text};
use diesel::{sql_query, Connection, MysqlConnection, RunQueryDsl};
use std::collections::BTreeSet;

/// A row the way the reference's migrator writes it: `migrated` in UTC.
pub const APPEND_HISTORY_SQL: &str = "INSERT INTO migratehistory (name, migrated) VALUES (?, ?)";

/// The reference migrations to append: carried by a recorded Diesel version,
/// not yet in the history.
pub fn missing_names(
    recorded_versions: &BTreeSet<String>,
    history: &BTreeSet<String>,
) -> Vec<&'static str> {
    reference_migrations_carried_by(recorded_versions)
        .into_iter()
        .filter(|name| !history.contains(*name))
        .collect()
}

/// Appends what `migratehistory` lacks, in one transaction; returns the
/// names appended.
pub fn reconcile(conn: &mut MysqlConnection) -> Result<Vec<&'static str>> {
    if !introspect::tables(conn)?.contains(REFERENCE_HISTORY_TABLE) {
        return Ok(Vec::new());
    }
    let recorded: BTreeSet<String> = applied_versions(conn)?.into_iter().collect();
    let history: BTreeSet<String> = names(conn, REFERENCE_HISTORY_SQL)?.into_iter().collect();
    let missing = missing_names(&recorded, &history);
    if missing.is_empty() {
        return Ok(missing);
    }
    let migrated = utc_now();
    conn.transaction(|conn| {
        for name in &missing {
            sql_query(APPEND_HISTORY_SQL)
                .bind::<Text, _>(*name)
                .bind::<Datetime, _>(migrated)
                .execute(conn)?;
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(missing)
}

/// The current UTC time to the second, as the reference's `utcnow()` stores.
fn utc_now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::migrations::reference::{BASELINE_VERSION, REFERENCE_MIGRATIONS};

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn an_adoption_at_0031_appends_0032_and_0033_with_the_baseline() {
        let history = set(&REFERENCE_MIGRATIONS[..31]);
        assert_eq!(
            missing_names(&set(&[BASELINE_VERSION]), &history),
            ["0032_migration_202603280001", "0033_migration_202603281041"]
        );
        let with_0034 = set(&[BASELINE_VERSION, "20260401000100"]);
        assert_eq!(
            missing_names(&with_0034, &history),
            [
                "0032_migration_202603280001",
                "0033_migration_202603281041",
                "0034_migration_202604010001"
            ]
        );
    }

    #[test]
    fn nothing_is_appended_twice_or_without_a_recorded_equivalent() {
        let all = set(&REFERENCE_MIGRATIONS);
        assert!(missing_names(&set(&[BASELINE_VERSION, "20260411172200"]), &all).is_empty());
        assert!(missing_names(&BTreeSet::new(), &BTreeSet::new()).is_empty());
        // 0038 recorded without 0037 (never happens in order, but): only 0038.
        let history = set(&REFERENCE_MIGRATIONS[..37]);
        assert_eq!(
            missing_names(&set(&["20260411172200"]), &history),
            ["0038_migration_202604111722"]
        );
    }

    #[test]
    fn the_timestamp_has_no_fraction() {
        assert_eq!(utc_now().and_utc().timestamp_subsec_nanos(), 0);
    }
}
