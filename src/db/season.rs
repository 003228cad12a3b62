//! Queries on `season`.

use crate::db::models::{NewSeason, Season};
use crate::db::schema::season;
use crate::error::Result;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Unsigned};

/// The id the last INSERT on this connection generated.
pub const LAST_INSERT_ID_SQL: &str = "LAST_INSERT_ID()";

/// Every season, oldest first.
pub fn all(conn: &mut MysqlConnection) -> Result<Vec<Season>> {
    Ok(season::table
        .select(Season::as_select())
        .order((season::start_time, season::id))
        .load(conn)?)
}

/// Seasons whose window shares at least one second with `[start, end]`
/// (both ends inclusive, as seasons are).
pub fn overlapping(
    conn: &mut MysqlConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> Result<Vec<Season>> {
    Ok(season::table
        .filter(season::start_time.le(end))
        .filter(season::end_time.ge(start))
        .select(Season::as_select())
        .order(season::id)
        .load(conn)?)
}

/// Inserts a season and returns its id.
pub fn insert(conn: &mut MysqlConnection, new: &NewSeason) -> Result<i32> {
    diesel::insert_into(season::table)
        .values(new)
        .execute(conn)?;
    let id: u64 = diesel::select(diesel::dsl::sql::<Unsigned<BigInt>>(LAST_INSERT_ID_SQL))
        .get_result(conn)?;
    Ok(i32::try_from(id).expect("season ids are int(11)"))
}

/// The season the reference treats as current at `now`: among those whose
/// window contains it, the first in primary-key order (InnoDB's scan order
/// for its unordered `LIMIT 1`).
pub fn current(seasons: &[Season], now: NaiveDateTime) -> Option<&Season> {
    seasons
        .iter()
        .filter(|s| s.contains(now))
        .min_by_key(|s| s.id)
}

/// The season the reference treats as current at `time` (or as the season
/// of a game started at `time`): the lowest id whose window contains it.
pub fn containing(conn: &mut MysqlConnection, time: NaiveDateTime) -> Result<Option<Season>> {
    Ok(season::table
        .filter(season::start_time.le(time))
        .filter(season::end_time.ge(time))
        .order(season::id)
        .select(Season::as_select())
        .first(conn)
        .optional()?)
}
