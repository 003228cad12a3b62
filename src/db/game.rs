//! Queries on `game` and the rows a match brings along: its map, its players
//! and their participations (`playergame`). Written the way the reference's
//! match walker and match updater write them, set-based: a statement per
//! table and match at most, never one per player. The statements of every
//! match stay prepared on the connection (`Statement::execute_prepared`).

use crate::db::bulk::{Bind, Statement};
use crate::db::schema::{game, player, playergame};
use crate::error::Result;
use chrono::NaiveDateTime;
use diesel::dsl::max;
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel::sql_types::Integer;

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

/// A new game: elo not computed, unfinished, no rounds; its id, map, time
/// and trackmaster limit bound.
pub const INSERT_GAME_SQL: &str = "INSERT INTO game (id, map_id, min_elo, average_elo, max_elo, \
     time, is_finished, trackmaster_limit, rounds) VALUES (?, ?, -1, -1, -1, ?, 0, ?, NULL)";

/// New players with the reference's defaults, one [`PLAYER_ROW_SQL`] each;
/// an existing one only gets the last match ([`PLAYERS_CONFLICT_SQL`]).
pub const INSERT_PLAYERS_SQL: &str = "INSERT INTO player (uuid, name, points, `rank`, \
     last_points_update, last_match_id, last_name_update, zone_id, country_id, club_tag, \
     region_id, points_fetch_retries) VALUES ";
/// uuid, last_points_update (the sentinel), last_match_id, last_name_update
/// (the sentinel).
pub const PLAYER_ROW_SQL: &str = "(?, '', 0, 99999, ?, ?, ?, NULL, NULL, NULL, NULL, 0)";
/// last_match_id.
pub const PLAYERS_CONFLICT_SQL: &str = " ON DUPLICATE KEY UPDATE last_match_id = ?";

/// Empty participations, one [`PARTICIPATION_ROW_SQL`] each.
pub const INSERT_PARTICIPATIONS_SQL: &str = "INSERT INTO playergame (game_id, player_id, \
     is_win, is_mvp, position, points, rank_after_match, points_after_match) VALUES ";
/// game_id, player_id.
pub const PARTICIPATION_ROW_SQL: &str = "(?, ?, 0, 0, NULL, NULL, NULL, NULL)";

/// The longest map uid `map.uid` holds.
pub const MAP_UID_MAX_CHARS: usize = 64;

/// Statements whose text grows with the players of a match stay prepared
/// on the connection up to this many players (3v3 and 2v2 matches give two
/// shapes); larger ones, which no ranked match has, are parsed each time.
pub const PREPARED_MAX_PLAYERS: usize = 8;

/// A match as the walker records it: ids and times already checked.
#[derive(Debug, Clone)]
pub struct NewMatch<'a> {
    pub id: i32,
    pub map_uid: &'a str,
    /// The map's row is known to exist (a game of this run was recorded on
    /// it): no need to ask for it again.
    pub map_known: bool,
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
    Ok(Statement::new(TRACKMASTER_LIMIT_SQL)
        .load_prepared::<Points>(conn)?
        .first()
        .map_or(NO_RANK, |p| p.points))
}

/// Runs a statement over a match's players, kept prepared when the match
/// has no more than [`PREPARED_MAX_PLAYERS`].
fn execute_for_players(
    statement: Statement,
    players: usize,
    conn: &mut MysqlConnection,
) -> QueryResult<usize> {
    if players <= PREPARED_MAX_PLAYERS {
        statement.execute_prepared(conn)
    } else {
        statement.execute(conn)
    }
}

/// Records a new match, unfinished whatever the API says (only the updater
/// finishes a game): its map unless known, the game, every participant
/// (created with the reference's defaults and sentinels if new; in any case
/// pointing at this game as their last match) and one empty participation
/// each, in the API's order. Four statements, five with the map; call it
/// inside a transaction.
pub fn record_new_match(conn: &mut MysqlConnection, new: &NewMatch) -> QueryResult<()> {
    if !new.map_known {
        Statement::bound(INSERT_MAP_SQL, [Bind::from(new.map_uid)]).execute_prepared(conn)?;
    }
    let limit = trackmaster_limit(conn)?;
    let game = [
        Bind::from(new.id),
        Bind::from(new.map_uid),
        Bind::from(new.time),
        Bind::from(limit),
    ];
    Statement::bound(INSERT_GAME_SQL, game).execute_prepared(conn)?;
    if new.players.is_empty() {
        return Ok(());
    }
    execute_for_players(upsert_players(new), new.players.len(), conn)?;
    execute_for_players(insert_participations(new), new.players.len(), conn)?;
    Ok(())
}

/// New players with the reference's defaults; every one (new or not) gets
/// this game as `last_match_id`, and nothing else of an existing row changes.
fn upsert_players(new: &NewMatch) -> Statement {
    let mut statement = Statement::new(INSERT_PLAYERS_SQL);
    for (i, uuid) in new.players.iter().enumerate() {
        let row = [
            Bind::from(*uuid),
            Bind::from(new.sentinel),
            Bind::from(new.id),
            Bind::from(new.sentinel),
        ];
        statement = statement
            .push(if i == 0 { "" } else { ", " })
            .push_bound(PLAYER_ROW_SQL, row);
    }
    statement.push_bound(PLAYERS_CONFLICT_SQL, [Bind::from(new.id)])
}

/// One empty participation per participant, in the API's order.
fn insert_participations(new: &NewMatch) -> Statement {
    let mut statement = Statement::new(INSERT_PARTICIPATIONS_SQL);
    for (i, uuid) in new.players.iter().enumerate() {
        statement = statement.push(if i == 0 { "" } else { ", " }).push_bound(
            PARTICIPATION_ROW_SQL,
            [Bind::from(new.id), Bind::from(*uuid)],
        );
    }
    statement
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

/// Finishes a game (its id and rounds bound) with the participations and
/// players it has; the `SET` clause gets each participation's result
/// between [`FINISH_SQL`] and [`FINISH_PLAYERS_SQL`]. A game without
/// participations joins none and only the game changes.
pub const FINISH_SQL: &str = "UPDATE game g \
     LEFT JOIN playergame pg ON pg.game_id = g.id \
     LEFT JOIN player p ON p.uuid = pg.player_id \
     SET g.is_finished = 1, g.rounds = ?";
/// Queues the players for a points refresh (the sentinel bound), for the
/// game whose id is bound.
pub const FINISH_PLAYERS_SQL: &str = ", p.last_points_update = ? WHERE g.id = ?";

/// Finishes a game in one statement: `is_finished = 1` and its rounds (more
/// than 0), each of its participations (those in the database) gets the
/// result of its player in `results`, or `absent` for a player the API did
/// not list, and its players are queued for a points refresh
/// (`last_points_update = sentinel`).
pub fn finish(
    conn: &mut MysqlConnection,
    id: i32,
    rounds: i32,
    results: &[(&str, PlayerResult)],
    absent: PlayerResult,
    sentinel: NaiveDateTime,
) -> QueryResult<()> {
    let of = |field: fn(&PlayerResult) -> Bind| results.iter().map(move |(p, r)| (*p, field(r)));
    let statement = Statement::bound(FINISH_SQL, [Bind::from(rounds)])
        .push(", pg.is_mvp = ")
        .case_else("pg.player_id", of(|r| r.is_mvp.into()), absent.is_mvp)
        .push(", pg.is_win = ")
        .case_else("pg.player_id", of(|r| r.is_win.into()), absent.is_win)
        .push(", pg.position = ")
        .case_else("pg.player_id", of(|r| r.position.into()), absent.position)
        .push(", pg.points = ")
        .case_else("pg.player_id", of(|r| r.points.into()), absent.points)
        .push_bound(FINISH_PLAYERS_SQL, [Bind::from(sentinel), Bind::from(id)]);
    execute_for_players(statement, results.len(), conn)?;
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
    fn new_rows_hold_the_reference_defaults() {
        let elo = ELO_NOT_COMPUTED;
        assert!(INSERT_GAME_SQL.contains(&format!("{elo}, {elo}, {elo}, ?, 0, ?, NULL")));
        assert!(PLAYER_ROW_SQL.starts_with(&format!("(?, '', 0, {NO_RANK}, ")));
        for (sql, values) in [
            (INSERT_GAME_SQL, 4),
            (PLAYER_ROW_SQL, 4),
            (PARTICIPATION_ROW_SQL, 2),
            (PLAYERS_CONFLICT_SQL, 1),
            (FINISH_SQL, 1),
            (FINISH_PLAYERS_SQL, 2),
        ] {
            assert_eq!(sql.matches('?').count(), values, "{sql}");
        }
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
