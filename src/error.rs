//! The error type every subcommand returns, and the exit code each kind maps to.

use std::path::PathBuf;

/// Exit codes, documented in `mmstatus --help` and the README.
pub mod exit {
    /// Success, including "nothing to do".
    pub const OK: i32 = 0;
    /// A runtime failure: database error, unreadable file, bug.
    pub const FAILURE: i32 = 1;
    /// Bad usage or invalid input: wrong flags, bad dates, a refused season.
    pub const USAGE: i32 = 2;
    /// The database cannot be used: unreachable, credentials refused, missing.
    pub const DATABASE: i32 = 3;
    /// The database's schema is unknown to mmstatus, or not migrated yet; nothing was changed.
    pub const SCHEMA_STATE: i32 = 4;
    /// Another mmstatus run holds the lock for this work; try again later.
    pub const BUSY: i32 = 5;
    /// The run finished, but some collector jobs recorded errors (see the log).
    pub const JOBS_FAILED: i32 = 6;
    /// The watchdog found the newest game older than allowed.
    pub const STALE: i32 = 7;
    /// compute-stats finished, but some statistics failed (see the log).
    pub const STATS_FAILED: i32 = 8;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid input from flags, environment or files the user gave.
    #[error("{0}")]
    Invalid(String),

    #[error(
        "no database configured: set DATABASE_URL (mysql://user:password@host:port/database), \
         or DATABASE_HOST and friends, or pass --database-url"
    )]
    NoDatabaseConfigured,

    #[error("cannot reach the database server at {target}: {detail}; is it running, and are host and port right?")]
    DatabaseUnreachable { target: String, detail: String },

    #[error("the database server at {target} refused the credentials: {detail}; check the user and password in DATABASE_URL")]
    DatabaseAccessDenied { target: String, detail: String },

    #[error("database `{name}` does not exist on {target}; create it with `mmstatus init-db`")]
    UnknownDatabase { name: String, target: String },

    #[error("cannot connect to the database at {target}: {detail}")]
    DatabaseConnection { target: String, detail: String },

    #[error("refusing to touch the schema: {0}")]
    UnknownSchemaState(String),

    #[error("the database is not ready: {0}")]
    SchemaNotReady(String),

    #[error("another mmstatus run is already {0}; try again when it has finished")]
    Busy(String),

    /// The run went through; some jobs recorded errors.
    #[error("{0}")]
    JobsFailed(String),

    /// The watchdog's verdict.
    #[error("{0}")]
    Stale(String),

    /// compute-stats went through; some statistics failed.
    #[error("{0}")]
    StatsFailed(String),

    /// Not a `source`: the message holds the database's own, and a chain
    /// printed with `{:#}` would say it twice.
    #[error("database error: {0}")]
    Database(diesel::result::Error),

    #[error("migration failed: {0}")]
    Migration(String),

    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Invalid(_) | Error::NoDatabaseConfigured => exit::USAGE,
            Error::DatabaseUnreachable { .. }
            | Error::DatabaseAccessDenied { .. }
            | Error::UnknownDatabase { .. }
            | Error::DatabaseConnection { .. } => exit::DATABASE,
            Error::UnknownSchemaState(_) | Error::SchemaNotReady(_) => exit::SCHEMA_STATE,
            Error::Busy(_) => exit::BUSY,
            Error::JobsFailed(_) => exit::JOBS_FAILED,
            Error::Stale(_) => exit::STALE,
            Error::StatsFailed(_) => exit::STATS_FAILED,
            Error::Database(_) | Error::Migration(_) | Error::Io { .. } => exit::FAILURE,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Error::Invalid(message.into())
    }
}

impl From<diesel::result::Error> for Error {
    fn from(error: diesel::result::Error) -> Error {
        Error::Database(error)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_error_says_the_databases_message_once() {
        let error = anyhow::Error::from(Error::from(diesel::result::Error::NotFound));
        assert_eq!(format!("{error:#}"), "database error: Record not found");
    }
}
