//! The read-only queries of `mmstatus report`: games per hour, players
//! active per points and rank, and the tables' totals. Each aggregates in
//! the server, so the report reads a few hundred rows at most.

use crate::error::Result;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Datetime, Integer, Text};

/// Games per stored local hour and state, from `?` (inclusive) to `?`
/// (inclusive): the `game_time` index bounds the scan.
pub const GAMES_PER_HOUR_SQL: &str = "SELECT DATE_FORMAT(time, '%Y-%m-%d %H:00:00') AS hour, \
     is_finished, COUNT(*) AS games FROM game WHERE time >= ? AND time <= ? \
     GROUP BY hour, is_finished ORDER BY hour, is_finished";

/// One hour's games, finished or not.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct HourGames {
    /// The hour's first second, `YYYY-MM-DD HH:00:00` (stored local time).
    #[diesel(sql_type = Text)]
    pub hour: String,
    #[diesel(sql_type = Bool)]
    pub is_finished: bool,
    #[diesel(sql_type = BigInt)]
    pub games: i64,
}

/// The games stored from `since` to `until`, both included, per hour and state.
pub fn games_per_hour(
    conn: &mut MysqlConnection,
    since: NaiveDateTime,
    until: NaiveDateTime,
) -> Result<Vec<HourGames>> {
    Ok(diesel::sql_query(GAMES_PER_HOUR_SQL)
        .bind::<Datetime, _>(since)
        .bind::<Datetime, _>(until)
        .load(conn)?)
}

/// Players whose last match started at or after the first `?`, by current
/// points and whether their rank is in the top `?`, counting those whose
/// last match started at or after the third `?` apart. Grouped on points,
/// hence a few thousand rows at most.
pub const ACTIVE_PLAYERS_SQL: &str = "SELECT p.points AS points, \
     (p.`rank` BETWEEN 1 AND ?) AS top, COUNT(*) AS week, \
     CAST(COALESCE(SUM(g.time >= ?), 0) AS SIGNED) AS day \
     FROM player p JOIN game g ON g.id = p.last_match_id \
     WHERE g.time >= ? GROUP BY points, top";

/// Active players of one points value.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct ActivePoints {
    #[diesel(sql_type = Integer)]
    pub points: i32,
    /// Ranked 1 to the given top.
    #[diesel(sql_type = Bool)]
    pub top: bool,
    /// Last match since the long window's start.
    #[diesel(sql_type = BigInt)]
    pub week: i64,
    /// Last match since the short window's start.
    #[diesel(sql_type = BigInt)]
    pub day: i64,
}

/// Players active since `week_start`, and since `day_start`, by points and
/// whether ranked 1 to `top_rank`.
pub fn active_players(
    conn: &mut MysqlConnection,
    top_rank: i32,
    day_start: NaiveDateTime,
    week_start: NaiveDateTime,
) -> Result<Vec<ActivePoints>> {
    Ok(diesel::sql_query(ACTIVE_PLAYERS_SQL)
        .bind::<Integer, _>(top_rank)
        .bind::<Datetime, _>(day_start)
        .bind::<Datetime, _>(week_start)
        .load(conn)?)
}

/// Row counts: games, players, players with a display name (neither empty,
/// as a new player is stored, nor the placeholder `?` that name resolution
/// writes), players with a zone.
pub const TOTALS_SQL: &str = "SELECT \
     (SELECT COUNT(*) FROM game) AS games, \
     (SELECT COUNT(*) FROM player) AS players, \
     (SELECT COUNT(*) FROM player WHERE name <> '' AND name <> ?) AS named_players, \
     (SELECT COUNT(*) FROM player WHERE zone_id IS NOT NULL) AS zoned_players";

#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct Totals {
    #[diesel(sql_type = BigInt)]
    pub games: i64,
    #[diesel(sql_type = BigInt)]
    pub players: i64,
    #[diesel(sql_type = BigInt)]
    pub named_players: i64,
    #[diesel(sql_type = BigInt)]
    pub zoned_players: i64,
}

/// The totals, `placeholder` being the name that stands for "unknown".
pub fn totals(conn: &mut MysqlConnection, placeholder: &str) -> Result<Totals> {
    Ok(diesel::sql_query(TOTALS_SQL)
        .bind::<Text, _>(placeholder)
        .get_result(conn)?)
}
