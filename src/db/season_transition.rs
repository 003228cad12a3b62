//! The writes of a season transition (a newly named map opens the next
//! season): the current season ends, the new one starts.

use crate::db::schema::season;
use crate::error::Result;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Whether a season of that name exists (compared as the database compares
/// names: without regard to case).
pub fn exists_named(conn: &mut MysqlConnection, name: &str) -> Result<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        season::table.filter(season::name.eq(name)),
    ))
    .get_result(conn)?)
}

/// Moves a season's end (and only its end).
pub fn end_at(conn: &mut MysqlConnection, season_id: i32, end: NaiveDateTime) -> Result<()> {
    diesel::update(season::table.find(season_id))
        .set(season::end_time.eq(end))
        .execute(conn)?;
    Ok(())
}
