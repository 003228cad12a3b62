//! Named server-side locks that keep overlapping runs apart.
//!
//! `GET_LOCK` locks belong to the connection: they are released when it
//! closes, so a killed run never leaves a stale lock behind. The server
//! notices a closed connection on its own time, though: a run that is done
//! gives its lock back itself ([`release`]), so the next run may start at
//! once.

use crate::error::{Error, Result};
use diesel::sql_types::{Integer, Nullable, Text};
use diesel::{sql_query, MysqlConnection, QueryableByName, RunQueryDsl};

/// Try to take the lock without waiting: 1 taken, 0 held elsewhere, NULL error.
pub const TRY_LOCK_SQL: &str = "SELECT GET_LOCK(?, 0) AS acquired";

/// Gives back a lock this connection holds.
pub const RELEASE_LOCK_SQL: &str = "SELECT RELEASE_LOCK(?) AS acquired";

#[derive(QueryableByName)]
struct Acquired {
    #[diesel(sql_type = Nullable<Integer>)]
    acquired: Option<i32>,
}

/// The lock name for one kind of work on one database (MySQL caps names at 64).
pub fn lock_name(database: &str, work: &str) -> String {
    let mut name = format!("mmstatus:{database}:{work}");
    name.truncate(64);
    name
}

/// Takes the named lock for this connection's lifetime, or fails with
/// [`Error::Busy`] naming `activity` when another session holds it.
pub fn try_lock(conn: &mut MysqlConnection, name: &str, activity: &str) -> Result<()> {
    let row: Acquired = sql_query(TRY_LOCK_SQL)
        .bind::<Text, _>(name)
        .get_result(conn)?;
    match row.acquired {
        Some(1) => {
            log::debug!("took lock {name}");
            Ok(())
        }
        _ => Err(Error::Busy(activity.to_string())),
    }
}

/// Gives back a lock taken with [`try_lock`] (nothing happens when this
/// connection does not hold it).
pub fn release(conn: &mut MysqlConnection, name: &str) -> Result<()> {
    sql_query(RELEASE_LOCK_SQL)
        .bind::<Text, _>(name)
        .get_result::<Acquired>(conn)?;
    log::debug!("released lock {name}");
    Ok(())
}
