//! Queries on `map` (and the games played on one): names still to fetch,
//! the name once fetched, the map's first game.

use crate::db::schema::{game, map};
use crate::error::Result;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Up to `limit` maps whose name is not fetched yet (`''`), in primary-key
/// order: the order the reference's unordered scan visits them, which
/// decides which map of a new season opens it.
pub fn unnamed(conn: &mut MysqlConnection, limit: i64) -> Result<Vec<String>> {
    Ok(map::table
        .filter(map::name.eq(""))
        .order(map::uid)
        .limit(limit)
        .select(map::uid)
        .load(conn)?)
}

/// Names a map that has no name yet; returns the rows changed (0 when the
/// map is gone or was named meanwhile).
pub fn set_name(conn: &mut MysqlConnection, uid: &str, name: &str) -> Result<usize> {
    Ok(
        diesel::update(map::table.find(uid).filter(map::name.eq("")))
            .set(map::name.eq(name))
            .execute(conn)?,
    )
}

/// The start of the earliest game played on the map, if any.
pub fn first_game_time(conn: &mut MysqlConnection, uid: &str) -> Result<Option<NaiveDateTime>> {
    Ok(game::table
        .filter(game::map_id.eq(uid))
        .order(game::time.asc())
        .select(game::time)
        .first(conn)
        .optional()?)
}
