//! Transactions retried when the server gives up on a lock: a deadlock
//! (1213) or a lock-wait timeout (1205) rolls the transaction back, and the
//! same work can simply run again (collection.md §1.5: at most 3 retries,
//! 1 s apart).

use crate::error::Error;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection, MysqlConnection};
use std::fmt::Display;
use std::time::Duration;

/// Retries after the first attempt.
pub const MAX_RETRIES: u32 = 3;
/// Pause before each retry.
pub const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// Whether the server rolled the statement (or the transaction) back
/// because of a lock: a deadlock or a lock-wait timeout.
pub fn is_lock_conflict(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(_, info) => {
            let message = info.message().to_ascii_lowercase();
            message.contains("deadlock found") || message.contains("lock wait timeout exceeded")
        }
        _ => false,
    }
}

/// An error that may be a lock conflict ([`is_lock_conflict`]).
pub trait LockConflict: From<DieselError> + Display {
    fn is_lock_conflict(&self) -> bool;
}

impl LockConflict for DieselError {
    fn is_lock_conflict(&self) -> bool {
        is_lock_conflict(self)
    }
}

impl LockConflict for Error {
    fn is_lock_conflict(&self) -> bool {
        matches!(self, Error::Database(e) if is_lock_conflict(e))
    }
}

/// Runs `work` in a transaction, again (in a new transaction) when it fails
/// on a lock conflict, at most [`MAX_RETRIES`] more times. Every unit of
/// work a collector job writes goes through here.
pub fn transaction<T, E: LockConflict>(
    conn: &mut MysqlConnection,
    mut work: impl FnMut(&mut MysqlConnection) -> Result<T, E>,
) -> Result<T, E> {
    retried(conn, |conn| conn.transaction(&mut work))
}

/// Runs a single statement (atomic by itself, no transaction needed), again
/// when it fails on a lock conflict, at most [`MAX_RETRIES`] more times.
pub fn statement<T>(
    conn: &mut MysqlConnection,
    work: impl FnMut(&mut MysqlConnection) -> Result<T, DieselError>,
) -> Result<T, DieselError> {
    retried(conn, work)
}

fn retried<T, E: LockConflict>(
    conn: &mut MysqlConnection,
    mut attempt: impl FnMut(&mut MysqlConnection) -> Result<T, E>,
) -> Result<T, E> {
    let mut retries = 0;
    loop {
        match attempt(conn) {
            Err(e) if e.is_lock_conflict() && retries < MAX_RETRIES => {
                retries += 1;
                log::warn!("database lock conflict ({e}); retrying ({retries}/{MAX_RETRIES})");
                std::thread::sleep(RETRY_PAUSE);
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::DatabaseErrorInformation;

    struct Info(&'static str);

    impl DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            self.0
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            None
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    fn error(kind: DatabaseErrorKind, message: &'static str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(Info(message)))
    }

    #[test]
    fn deadlocks_and_lock_wait_timeouts_are_lock_conflicts() {
        assert!(is_lock_conflict(&error(
            DatabaseErrorKind::SerializationFailure,
            "Deadlock found when trying to get lock; try restarting transaction"
        )));
        assert!(is_lock_conflict(&error(
            DatabaseErrorKind::Unknown,
            "Lock wait timeout exceeded; try restarting transaction"
        )));
        assert!(!is_lock_conflict(&error(
            DatabaseErrorKind::UniqueViolation,
            "Duplicate entry '5' for key 'PRIMARY'"
        )));
        assert!(!is_lock_conflict(&DieselError::NotFound));
        let deadlock = || {
            error(
                DatabaseErrorKind::SerializationFailure,
                "Deadlock found when trying to get lock; try restarting transaction",
            )
        };
        assert!(LockConflict::is_lock_conflict(&Error::Database(deadlock())));
        assert!(!LockConflict::is_lock_conflict(&Error::invalid(
            "Deadlock found"
        )));
    }
}
