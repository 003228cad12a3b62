//! What `init-db` and `migrate` print on stdout about a migration run.

use crate::db::migrations::{self, MigrationState, MigrationStatus, Progress};

/// One line per step of a migration run, as it happens.
pub fn print_progress(progress: Progress) {
    println!("{}", progress_line(&progress));
}

fn progress_line(progress: &Progress) -> String {
    match progress {
        Progress::Adopted(adoption) => format!(
            "adopted a reference database: history up to {} recorded as {} applied migration(s)",
            adoption.last_reference_migration(),
            adoption.versions.len()
        ),
        Progress::Applied(name) => format!("applied {name}"),
        Progress::Recorded(name) => format!(
            "recorded {name} without running it: its change was already in the schema \
             (an earlier run was interrupted)"
        ),
        Progress::HistoryAppended(names) => format!(
            "migratehistory: appended {} so the reference's own migrator agrees",
            names.join(", ")
        ),
        Progress::DuplicatesDeleted(duplicates) => duplicates.describe(),
    }
}

/// Where a migration run left the database.
pub fn print_summary(database: &str, outcome: &migrations::Outcome) {
    println!("{}", summary_line(database, outcome));
}

fn summary_line(database: &str, outcome: &migrations::Outcome) -> String {
    let mut line = format!("database `{database}` is up to date; ");
    match outcome.ran.len() {
        0 => line.push_str("no migration to run"),
        n => line.push_str(&format!("ran {n} migration(s)")),
    }
    if !outcome.recorded.is_empty() {
        line.push_str(&format!(
            ", recorded {} already in the schema",
            outcome.recorded.len()
        ));
    }
    line
}

/// One line per migration: its name and state.
pub fn print_status(statuses: &[MigrationStatus]) {
    for status in statuses {
        println!("{}", status_line(status));
    }
}

fn status_line(status: &MigrationStatus) -> String {
    let state = match status.state {
        MigrationState::Applied => "applied",
        MigrationState::AppliedByReference => "applied by the reference (to be recorded)",
        MigrationState::InSchema => "in the schema but not recorded (to be recorded)",
        MigrationState::Pending => "pending",
    };
    format!("{:<50} {state}", status.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(ran: usize, recorded: usize) -> migrations::Outcome {
        migrations::Outcome {
            ran: vec!["x".to_string(); ran],
            recorded: vec!["y".to_string(); recorded],
        }
    }

    #[test]
    fn the_summary_says_what_ran_and_what_was_only_recorded() {
        assert_eq!(
            summary_line("db", &outcome(0, 0)),
            "database `db` is up to date; no migration to run"
        );
        assert_eq!(
            summary_line("db", &outcome(2, 0)),
            "database `db` is up to date; ran 2 migration(s)"
        );
        assert_eq!(
            summary_line("db", &outcome(0, 1)),
            "database `db` is up to date; no migration to run, recorded 1 already in the schema"
        );
    }

    #[test]
    fn a_recorded_migration_says_why() {
        let line = progress_line(&Progress::Recorded("2026-x"));
        assert!(line.contains("already in the schema"), "{line}");
        assert!(line.contains("interrupted"), "{line}");
    }
}
