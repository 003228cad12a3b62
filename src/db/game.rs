//! Queries on `game` and the rows a match brings along: its map, its players
//! and their participations (`playergame`). Written the way the reference's
//! match walker and match updater write them, set-based: one statement per
//! table and match, never one per player.

use crate::db::bulk::Statement;
use crate::db::schema::{game, player, playergame};
use crate::error::Result;
use chrono::NaiveDateTime;
use diesel::dsl::max;
use diesel::mysql::Mysql;
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::result::QueryResult;
use diesel::sql_types::{Bool, Integer, Nullable};

/// What `min_elo`, `average_elo` and `max_elo` hold until computed.
pub const ELO_NOT_COMPUTED: i32 = -1;
/// A new player's rank, and the trackmaster limit when there is no
/// trackmaster (the reference's values).
pub const NO_RANK: i32 = 99_999;

/// A map row for a uid unless one exists (the collation is case-insensitive,
/// so a uid differing only in case is the same map, as in the reference's
/// get-or-create). The uid's length is checked before.
pub const INSERT_MAP_SQL: &str = "INSERT IGNORE INTO map (uid, name) VALUES (?, '')";

/// The points of the lowest-placed trackmaster (top 10, at least 4000
/// points), collection.md §1.4.
pub const TRACKMASTER_LIMIT_SQL: &str = "SELECT points FROM player \
     WHERE `rank` <= 10 AND points >= 4000 ORDER BY `rank` DESC LIMIT 1";

/// The longest map uid `map.uid` holds.
pub const MAP_UID_MAX_CHARS: usize = 64;

/// A match as the walker records it: ids and times already checked.
#[derive(Debug, Clone)]
pub struct NewMatch<'a> {
    pub id: i32,
    pub map_uid: &'a str,
    /// Local start time.
    pub time: NaiveDateTime,
    /// Participants' stored uuids, in the API's order.
    pub players: &'a [&'a str],
    /// The "never" of `last_points_update` and `last_name_update`.
    pub sentinel: NaiveDateTime,
}

#[derive(QueryableByName)]
struct Points {
    #[diesel(sql_type = Integer)]
    points: i32,
}

/// The newest game's id.
pub fn max_id(conn: &mut MysqlConnection) -> Result<Option<i32>> {
    Ok(game::table.select(max(game::id)).first(conn)?)
}

/// The trackmaster limit a new game gets: the points of the lowest-placed
/// trackmaster, else [`NO_RANK`].
pub fn trackmaster_limit(conn: &mut MysqlConnection) -> QueryResult<i32> {
    Ok(diesel::sql_query(TRACKMASTER_LIMIT_SQL)
        .get_result::<Points>(conn)
        .optional()?
        .map_or(NO_RANK, |p| p.points))
}

/// Records a new match, unfinished whatever the API says (only the updater
/// finishes a game): its map unless known, the game, every participant
/// (created with the reference's defaults and sentinels if new; in any case
/// pointing at this game as their last match) and one empty participation
/// each, in the API's order. Five statements; call it inside a transaction.
pub fn record_new_match(conn: &mut MysqlConnection, new: &NewMatch) -> QueryResult<()> {
    diesel::sql_query(INSERT_MAP_SQL)
        .bind::<diesel::sql_types::Text, _>(new.map_uid)
        .execute(conn)?;
    let limit = trackmaster_limit(conn)?;
    diesel::insert_into(game::table)
        .values((
            game::id.eq(new.id),
            game::map_id.eq(new.map_uid),
            game::min_elo.eq(ELO_NOT_COMPUTED),
            game::average_elo.eq(ELO_NOT_COMPUTED),
            game::max_elo.eq(ELO_NOT_COMPUTED),
            game::time.eq(new.time),
            game::is_finished.eq(false),
            game::trackmaster_limit.eq(limit),
            game::rounds.eq(None::<i32>),
        ))
        .execute(conn)?;
    if new.players.is_empty() {
        return Ok(());
    }
    upsert_players(conn, new)?;
    insert_participations(conn, new)?;
    Ok(())
}

/// New players with the reference's defaults; every one (new or not) gets
/// this game as `last_match_id`, and nothing else of an existing row changes.
fn upsert_players(conn: &mut MysqlConnection, new: &NewMatch) -> QueryResult<usize> {
    let rows: Vec<_> = new
        .players
        .iter()
        .map(|uuid| {
            (
                player::uuid.eq(*uuid),
                player::name.eq(""),
                player::points.eq(0),
                player::rank.eq(NO_RANK),
                player::last_points_update.eq(new.sentinel),
                player::last_match_id.eq(Some(new.id)),
                player::last_name_update.eq(new.sentinel),
                player::zone_id.eq(None::<i32>),
                player::country_id.eq(None::<i32>),
                player::club_tag.eq(None::<String>),
                player::region_id.eq(None::<i32>),
                player::points_fetch_retries.eq(0),
            )
        })
        .collect();
    diesel::insert_into(player::table)
        .values(rows)
        .on_conflict(diesel::dsl::DuplicatedKeys)
        .do_update()
        .set(player::last_match_id.eq(Some(new.id)))
        .execute(conn)
}

/// One empty participation per participant, in the API's order.
fn insert_participations(conn: &mut MysqlConnection, new: &NewMatch) -> QueryResult<usize> {
    let rows: Vec<_> = new
        .players
        .iter()
        .map(|uuid| {
            (
                playergame::game_id.eq(new.id),
                playergame::player_id.eq(*uuid),
                playergame::is_win.eq(false),
                playergame::is_mvp.eq(false),
                playergame::position.eq(None::<i32>),
                playergame::points.eq(None::<i32>),
                playergame::rank_after_match.eq(None::<i32>),
                playergame::points_after_match.eq(None::<i32>),
            )
        })
        .collect();
    diesel::insert_into(playergame::table)
        .values(rows)
        .execute(conn)
}

/// Unfinished games that started before `started_before`, at most `limit`:
/// those started since `recent_since` first, then older ones, each by id.
/// Games the API never calls completed (purged after about a month, stuck
/// servers) pile up at the lowest ids; by id alone they would take the whole
/// budget, and newer games would never finish.
pub fn pending(
    conn: &mut MysqlConnection,
    started_before: NaiveDateTime,
    recent_since: NaiveDateTime,
    limit: i64,
) -> Result<Vec<i32>> {
    Ok(game::table
        .filter(game::is_finished.eq(false))
        .filter(game::time.lt(started_before))
        .order((game::time.lt(recent_since), game::id))
        .limit(limit)
        .select(game::id)
        .load(conn)?)
}

/// A participation's result, as the updater computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlayerResult {
    pub is_mvp: bool,
    pub is_win: bool,
    /// 1-based.
    pub position: Option<i32>,
    /// In-match score.
    pub points: Option<i32>,
}

/// Results of several participations in one statement: a derived table of
/// (id, is_mvp, is_win, position, points) rows joined on the id.
fn update_results_sql(rows: usize) -> String {
    let row = "SELECT ? AS id, ? AS is_mvp, ? AS is_win, ? AS position, ? AS points";
    format!(
        "UPDATE playergame pg JOIN ({}) r ON r.id = pg.id \
         SET pg.is_mvp = r.is_mvp, pg.is_win = r.is_win, pg.position = r.position, \
         pg.points = r.points",
        vec![row; rows].join(" UNION ALL ")
    )
}

/// Finishes a game: `is_finished = 1` and its rounds (more than 0), each of
/// its participations (those in the database) gets the result
/// `result_of(player uuid)` gives, and its players are queued for a points
/// refresh (`last_points_update = sentinel`). Four statements; call it
/// inside a transaction.
pub fn finish(
    conn: &mut MysqlConnection,
    id: i32,
    rounds: i32,
    result_of: &dyn Fn(&str) -> PlayerResult,
    sentinel: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(game::table.find(id))
        .set((game::is_finished.eq(true), game::rounds.eq(Some(rounds))))
        .execute(conn)?;
    let participations: Vec<(i32, String)> = playergame::table
        .filter(playergame::game_id.eq(id))
        .order(playergame::id)
        .select((playergame::id, playergame::player_id))
        .load(conn)?;
    if participations.is_empty() {
        return Ok(());
    }
    let mut query: BoxedSqlQuery<'_, Mysql, SqlQuery> =
        diesel::sql_query(update_results_sql(participations.len())).into_boxed();
    for (pg_id, player_id) in &participations {
        let result = result_of(player_id);
        query = query
            .bind::<Integer, _>(*pg_id)
            .bind::<Bool, _>(result.is_mvp)
            .bind::<Bool, _>(result.is_win)
            .bind::<Nullable<Integer>, _>(result.position)
            .bind::<Nullable<Integer>, _>(result.points);
    }
    query.execute(conn)?;
    let players: Vec<&str> = participations.iter().map(|(_, p)| p.as_str()).collect();
    diesel::update(player::table.filter(player::uuid.eq_any(players)))
        .set(player::last_points_update.eq(sentinel))
        .execute(conn)?;
    Ok(())
}

/// Gives each of `players` their newest game other than `game` as
/// `last_match_id` (NULL when none): one statement.
pub fn repair_last_match_statement(game: i32, players: &[String]) -> Statement {
    Statement::new(
        "UPDATE player p SET p.last_match_id = (SELECT MAX(pg.game_id) FROM playergame pg \
         WHERE pg.player_id = p.uuid AND pg.game_id <> ",
    )
    .value(game)
    .push(") WHERE p.uuid IN ")
    .list(players)
}

/// Deletes a bugged game (completed with no round played) and its
/// participations. Its players' `last_match_id` becomes their newest other
/// game, NULL when they have none (collection.md §2.2 [REC]); any other
/// player still pointing at it gets NULL, as in the reference. Call it
/// inside a transaction.
pub fn delete_bugged(conn: &mut MysqlConnection, id: i32) -> QueryResult<()> {
    let players: Vec<String> = playergame::table
        .filter(playergame::game_id.eq(id))
        .select(playergame::player_id)
        .distinct()
        .load(conn)?;
    if !players.is_empty() {
        repair_last_match_statement(id, &players).execute(conn)?;
    }
    diesel::update(player::table.filter(player::last_match_id.eq(id)))
        .set(player::last_match_id.eq(None::<i32>))
        .execute(conn)?;
    diesel::delete(playergame::table.filter(playergame::game_id.eq(id))).execute(conn)?;
    diesel::delete(game::table.find(id)).execute(conn)?;
    Ok(())
}

/// Whether a map uid fits `map.uid` (and is not empty).
pub fn map_uid_fits(uid: &str) -> bool {
    !uid.is_empty() && uid.chars().count() <= MAP_UID_MAX_CHARS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_results_statement_has_one_row_per_participation() {
        let sql = update_results_sql(2);
        assert_eq!(sql.matches('?').count(), 10);
        assert_eq!(sql.matches("UNION ALL").count(), 1);
    }

    #[test]
    fn the_last_match_repair_binds_the_game_then_the_players() {
        let players = ["a".to_string(), "b".to_string()];
        assert_eq!(
            repair_last_match_statement(5, &players).sql(),
            "UPDATE player p SET p.last_match_id = (SELECT MAX(pg.game_id) FROM playergame pg \
             WHERE pg.player_id = p.uuid AND pg.game_id <> ?) WHERE p.uuid IN (?, ?)"
        );
    }

    #[test]
    fn map_uids_must_fit_the_column() {
        assert!(map_uid_fits("FAKE_UID"));
        assert!(map_uid_fits(&"é".repeat(64)));
        assert!(!map_uid_fits(&"x".repeat(65)));
        assert!(!map_uid_fits(""));
    }
}
