//! Queries on `collector_state`: one row per collector job, with the cursor
//! it keeps between runs and how its runs fare (for the health file and the
//! watchdog). Each function writes only the columns it names.

use crate::db::bulk::{Bind, Statement};
use crate::db::schema::collector_state;
use crate::error::Result;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Datetime, Nullable, Text};

/// A job's row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = collector_state)]
pub struct JobState {
    pub job: String,
    pub cursor_int: Option<i64>,
    pub counter: i32,
    pub cursor_text: Option<String>,
    pub last_poll_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub last_run_start: Option<NaiveDateTime>,
    pub last_success: Option<NaiveDateTime>,
    pub last_error_at: Option<NaiveDateTime>,
    pub error_count: i32,
}

/// Creates the job's row, stamped `now`, unless it exists.
pub fn ensure(conn: &mut MysqlConnection, job: &str, now: NaiveDateTime) -> Result<()> {
    diesel::insert_or_ignore_into(collector_state::table)
        .values((
            collector_state::job.eq(job),
            collector_state::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut MysqlConnection, job: &str) -> Result<Option<JobState>> {
    Ok(collector_state::table
        .find(job)
        .select(JobState::as_select())
        .first(conn)
        .optional()?)
}

/// Every job's row, by job name.
pub fn all(conn: &mut MysqlConnection) -> Result<Vec<JobState>> {
    Ok(collector_state::table
        .select(JobState::as_select())
        .order(collector_state::job)
        .load(conn)?)
}

pub fn mark_run_start(conn: &mut MysqlConnection, job: &str, now: NaiveDateTime) -> Result<()> {
    diesel::update(collector_state::table.find(job))
        .set(collector_state::last_run_start.eq(now))
        .execute(conn)?;
    Ok(())
}

pub fn mark_success(conn: &mut MysqlConnection, job: &str, now: NaiveDateTime) -> Result<()> {
    diesel::update(collector_state::table.find(job))
        .set(collector_state::last_success.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Adds errors to a job's count (which stops at the column's maximum rather
/// than fail) and stamps the last one.
pub const MARK_ERRORS_SQL: &str = "UPDATE collector_state \
     SET error_count = LEAST(error_count + ?, 2147483647), last_error_at = ? WHERE job = ?";

/// Counts `errors` more errors for the job, the last one at `now`.
pub fn mark_errors(
    conn: &mut MysqlConnection,
    job: &str,
    errors: u32,
    now: NaiveDateTime,
) -> Result<()> {
    diesel::sql_query(MARK_ERRORS_SQL)
        .bind::<BigInt, _>(i64::from(errors))
        .bind::<Datetime, _>(now)
        .bind::<Text, _>(job)
        .execute(conn)?;
    Ok(())
}

/// Moves a job's text cursor (`zones`: the last player asked about).
pub fn set_cursor_text(conn: &mut MysqlConnection, job: &str, cursor: Option<&str>) -> Result<()> {
    diesel::update(collector_state::table.find(job))
        .set(collector_state::cursor_text.eq(cursor))
        .execute(conn)?;
    Ok(())
}

/// A walk over players in uuid order (club-tags): where it stands
/// (`cursor_text`, NULL between two walks) and, when a walk begins, when
/// (`last_poll_at`, kept otherwise).
pub const SET_WALK_SQL: &str = "UPDATE collector_state \
     SET cursor_text = ?, last_poll_at = COALESCE(?, last_poll_at) WHERE job = ?";

/// Moves the job's walk to `cursor` (`None`: the walk is over); `started`
/// stamps the beginning of a new walk.
pub fn set_walk(
    conn: &mut MysqlConnection,
    job: &str,
    cursor: Option<&str>,
    started: Option<NaiveDateTime>,
) -> Result<()> {
    diesel::sql_query(SET_WALK_SQL)
        .bind::<Nullable<Text>, _>(cursor)
        .bind::<Nullable<Datetime>, _>(started)
        .bind::<Text, _>(job)
        .execute(conn)?;
    Ok(())
}

/// A job's integer cursor and counter.
pub const SET_CURSOR_SQL: &str =
    "UPDATE collector_state SET cursor_int = ?, counter = ? WHERE job = ?";

/// Moves a job's integer cursor and sets its counter (the match walker: the
/// next id and its failed polls), in the caller's transaction if any. Kept
/// prepared: the walker moves it with every match.
pub fn set_cursor(
    conn: &mut MysqlConnection,
    job: &str,
    cursor: i64,
    counter: i32,
) -> Result<(), diesel::result::Error> {
    Statement::bound(
        SET_CURSOR_SQL,
        [Bind::from(cursor), Bind::from(counter), Bind::from(job)],
    )
    .execute_prepared(conn)?;
    Ok(())
}

/// Records the end of a poll: the cursor and counter it leaves, and when it
/// ended.
pub fn set_poll_end(
    conn: &mut MysqlConnection,
    job: &str,
    cursor: i64,
    counter: i32,
    at: NaiveDateTime,
) -> Result<()> {
    diesel::update(collector_state::table.find(job))
        .set((
            collector_state::cursor_int.eq(Some(cursor)),
            collector_state::counter.eq(counter),
            collector_state::last_poll_at.eq(Some(at)),
        ))
        .execute(conn)?;
    Ok(())
}
