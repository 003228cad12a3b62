//! What a migration run will do, worked out before anything changes: the
//! adoption of a reference history (verified against the schema), then for
//! each pending migration whether to run it or only record it.

use super::probes::{probe_for, with_advice, Outcome, Probe, Repair};
use super::reference::Adoption;
use super::state::{inspect, SchemaState};
use super::{known_migrations, version_of};
use crate::error::{Error, Result};
use diesel::migration::Migration;
use diesel::mysql::Mysql;
use diesel::MysqlConnection;
use std::collections::BTreeSet;

pub struct Plan {
    /// The reference history to adopt first, if the database has one.
    pub adoption: Option<Adoption>,
    /// Versions Diesel's table already records.
    pub recorded: BTreeSet<String>,
    /// The pending migrations, in version order.
    pub steps: Vec<Step>,
}

pub struct Step {
    pub migration: Box<dyn Migration<Mysql>>,
    pub action: Action,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    Run,
    /// Its change is already in the schema (an earlier run was interrupted
    /// between the change and its version row): record it only.
    Record,
}

/// Works out the plan, refusing (and changing nothing) when the schema is in
/// a state no migration can safely continue from.
pub fn plan(conn: &mut MysqlConnection) -> Result<Plan> {
    let (adoption, recorded) = match inspect(conn)? {
        SchemaState::Empty => (None, BTreeSet::new()),
        SchemaState::Managed { applied } => {
            warn_about_unknown_versions(&applied);
            (None, applied.into_iter().collect())
        }
        SchemaState::Reference(adoption) => {
            verify_adoption(conn, &adoption)?;
            (Some(adoption), BTreeSet::new())
        }
    };
    let done = |version: &str| {
        recorded.contains(version)
            || adoption
                .as_ref()
                .is_some_and(|a| a.versions.contains(&version))
    };
    let mut steps = Vec::new();
    for migration in known_migrations() {
        let version = version_of(migration.as_ref());
        if done(&version) {
            continue;
        }
        let findings = probe(&version)?.check(conn)?;
        let action = match findings.outcome() {
            Outcome::Absent => Action::Run,
            Outcome::Present => Action::Record,
            Outcome::Partial => {
                return Err(Error::UnknownSchemaState(
                    findings.partial_message(&migration.name().to_string()),
                ))
            }
        };
        steps.push(Step { migration, action });
    }
    Ok(Plan {
        adoption,
        recorded,
        steps,
    })
}

fn probe(version: &str) -> Result<&'static Probe> {
    probe_for(version)
        .ok_or_else(|| Error::Migration(format!("migration {version} has no schema probe")))
}

/// Checks that the schema holds what the reference history claims: running
/// a claimed migration again would fail halfway, and MySQL cannot roll DDL
/// back. Changes the history does not claim are left to the plan's probes.
fn verify_adoption(conn: &mut MysqlConnection, adoption: &Adoption) -> Result<()> {
    for version in &adoption.versions {
        let probe = probe(version)?;
        if !probe.shows_in_schema() {
            continue;
        }
        let findings = probe.check(conn)?;
        let claim = format!(
            "migratehistory records the reference up to {}",
            adoption.last_reference_migration()
        );
        let message = match findings.outcome() {
            Outcome::Present => continue,
            Outcome::Absent => format!("{claim} but {} missing", is_or_are(&findings.missing)),
            Outcome::Partial => format!(
                "{claim} but only part of its change is there: {}",
                findings.describe()
            ),
        };
        // Only completing a change the history claims repairs it.
        let message = match findings.repair {
            Repair::Complete(_) => with_advice(message, &findings),
            _ => message,
        };
        return Err(Error::UnknownSchemaState(message));
    }
    Ok(())
}

fn is_or_are(items: &[String]) -> String {
    match items {
        [one] => format!("{one} is"),
        many => format!("{} are", many.join(", ")),
    }
}

fn warn_about_unknown_versions(applied: &[String]) {
    let known: BTreeSet<String> = known_migrations()
        .iter()
        .map(|m| version_of(m.as_ref()))
        .collect();
    for version in applied.iter().filter(|v| !known.contains(*v)) {
        log::warn!(
            "the database records migration {version}, which this mmstatus does not have; \
             it was migrated by a newer version"
        );
    }
}
