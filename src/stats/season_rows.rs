//! The season's rows, read once per run and shared by every statistic that
//! reads games or participations (S03, S05, S06, S08, S10–S14, S17–S19):
//! the window's games, their participations with players and maps as small
//! indexes, and the players' current countries. Each family then aggregates
//! in Rust, every tier variant from the same rows, instead of one SQL
//! grouping per job (139 scans of the season become one).

use crate::db::models::Season;
use crate::db::schema::{game, map, player, playergame, zone};
use crate::stats::scan::Scan;
use chrono::NaiveDateTime;
use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

/// One game of the window.
#[derive(Debug, Clone)]
pub struct GameRow {
    pub id: i32,
    /// Index into [`SeasonRows::maps`].
    pub map: u32,
    pub min_elo: i32,
    pub average_elo: i32,
    pub max_elo: i32,
    /// Stored naive local time.
    pub time: NaiveDateTime,
    pub is_finished: bool,
    pub trackmaster_limit: i32,
}

impl GameRow {
    /// Its elo is computed (`average_elo > -1`).
    pub fn has_elo(&self) -> bool {
        self.average_elo > -1
    }
}

/// One participation (playergame row) of a window's game.
#[derive(Debug, Clone, Copy)]
pub struct Part {
    /// Index into [`SeasonRows::games`].
    pub game: u32,
    /// Index into [`SeasonRows::players`].
    pub player: u32,
    pub is_win: bool,
    pub is_mvp: bool,
}

/// A player of the window's participations.
#[derive(Debug, Clone)]
pub struct PlayerRef {
    pub uuid: String,
    /// The player's current country (zone id), if any.
    pub country: Option<i32>,
}

/// A map, in the database's order of uids (its collation's).
#[derive(Debug, Clone)]
pub struct MapRef {
    pub uid: String,
    pub name: String,
}

/// A zone's fields the statistics print.
#[derive(Debug, Clone)]
pub struct ZoneRef {
    pub name: String,
    pub file_name: String,
    pub alpha3: Option<String>,
}

/// Everything the shared statistics read of one season window.
#[derive(Debug, Default)]
pub struct SeasonRows {
    /// Games with time in [start, end] (both ends), by id.
    pub games: Vec<GameRow>,
    /// Their participations, by game (then by playergame order).
    pub parts: Vec<Part>,
    pub players: Vec<PlayerRef>,
    /// Every map, ordered by uid as the database orders it.
    pub maps: Vec<MapRef>,
    /// Every zone, by id.
    pub zones: HashMap<i32, ZoneRef>,
}

impl SeasonRows {
    /// The participations of each game, in game order.
    pub fn parts_by_game(&self) -> impl Iterator<Item = (&GameRow, &[Part])> {
        self.parts
            .chunk_by(|a, b| a.game == b.game)
            .map(|chunk| (&self.games[chunk[0].game as usize], chunk))
    }

    pub fn game(&self, part: &Part) -> &GameRow {
        &self.games[part.game as usize]
    }

    pub fn player(&self, part: &Part) -> &PlayerRef {
        &self.players[part.player as usize]
    }
}

/// Uuids per statement reading players' countries.
const PLAYER_CHUNK: usize = 5_000;

static SEASON_ROWS: Scan<SeasonRows> = Scan::new();

/// The rows of `season`'s window, read at the first call of a run for that
/// season and window, then shared.
pub fn season_rows(conn: &mut MysqlConnection, season: &Season) -> anyhow::Result<Arc<SeasonRows>> {
    SEASON_ROWS.get(season, || read(conn, season, PART_CHUNK))
}

/// Reads the rows of `season`'s window, participations `slice` playergame
/// ids per statement.
pub fn read(conn: &mut MysqlConnection, season: &Season, slice: i32) -> anyhow::Result<SeasonRows> {
    let started = std::time::Instant::now();
    let maps = load_maps(conn)?;
    let games = load_games(conn, season, &maps, slice.max(1))?;
    let mut players = Players::default();
    let parts = load_parts(conn, &games, &mut players, slice.max(1))?;
    let players = load_countries(conn, players.uuids)?;
    let zones = load_zones(conn)?;
    log::debug!(
        "season {}: read {} games, {} participations, {} players in {:.2} s",
        season.id,
        games.len(),
        parts.len(),
        players.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(SeasonRows {
        games,
        parts,
        players,
        maps,
        zones,
    })
}

fn load_maps(conn: &mut MysqlConnection) -> anyhow::Result<Vec<MapRef>> {
    let rows: Vec<(String, String)> = map::table
        .select((map::uid, map::name))
        .order(map::uid)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(uid, name)| MapRef { uid, name })
        .collect())
}

/// `[low, high]` as consecutive ranges of at most `slice` ids.
fn id_slices(low: i32, high: i32, slice: i32) -> impl Iterator<Item = (i32, i32)> {
    let mut next = (low <= high).then_some(low);
    std::iter::from_fn(move || {
        let from = next?;
        let to = from.saturating_add(slice.max(1) - 1).min(high);
        next = (to < high).then(|| to + 1);
        Some((from, to))
    })
}

/// id, map uid, min, average and max elo, time, finished, limit.
type GameColumns = (i32, String, i32, i32, i32, NaiveDateTime, bool, i32);

/// The window's games by id, read in slices of `slice` ids (the window's
/// ids are found from the time index). A game whose map row is missing (the
/// schema's foreign key forbids it) is left out, as the joins of the
/// reference do.
fn load_games(
    conn: &mut MysqlConnection,
    season: &Season,
    maps: &[MapRef],
    slice: i32,
) -> anyhow::Result<Vec<GameRow>> {
    // Keys compare as the database's case-insensitive collation does.
    let map_index: HashMap<String, u32> = maps
        .iter()
        .enumerate()
        .map(|(i, m)| (m.uid.to_lowercase(), i as u32))
        .collect();
    let window = || game::time.between(season.start_time, season.end_time);
    let (low, high, count): (Option<i32>, Option<i32>, i64) = game::table
        .filter(window())
        .select((
            diesel::dsl::min(game::id),
            diesel::dsl::max(game::id),
            diesel::dsl::count_star(),
        ))
        .first(conn)?;
    let (Some(low), Some(high)) = (low, high) else {
        return Ok(Vec::new());
    };
    let mut games = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for (from, to) in id_slices(low, high, slice) {
        let rows = game::table
            .filter(game::id.between(from, to))
            .filter(window())
            .select((
                game::id,
                game::map_id,
                game::min_elo,
                game::average_elo,
                game::max_elo,
                game::time,
                game::is_finished,
                game::trackmaster_limit,
            ))
            .load_iter::<GameColumns, DefaultLoadingMode>(conn)?;
        for row in rows {
            let (id, map_id, min_elo, average_elo, max_elo, time, is_finished, trackmaster_limit) =
                row?;
            let Some(&map) = map_index.get(&map_id.to_lowercase()) else {
                continue;
            };
            games.push(GameRow {
                id,
                map,
                min_elo,
                average_elo,
                max_elo,
                time,
                is_finished,
                trackmaster_limit,
            });
        }
    }
    games.sort_unstable_by_key(|g| g.id);
    Ok(games)
}

/// Player uuids as small indexes, in order of first appearance.
#[derive(Default)]
struct Players {
    index: HashMap<String, u32>,
    uuids: Vec<String>,
}

impl Players {
    fn intern(&mut self, uuid: String) -> u32 {
        if let Some(&i) = self.index.get(&uuid) {
            return i;
        }
        let i = self.uuids.len() as u32;
        self.uuids.push(uuid.clone());
        self.index.insert(uuid, i);
        i
    }
}

/// Rows per statement (game or playergame ids): the MySQL client holds a
/// statement's whole result in memory, so the season is read in slices.
pub const PART_CHUNK: i32 = 200_000;

/// The participations of `games` (sorted by id). Their playergame ids are
/// found from the game id index, then read in slices of the primary key
/// (rows of other games in that range are dropped): a range read of the
/// table in its own order, much cheaper than a lookup per row through the
/// game id index, and bounded in memory.
fn load_parts(
    conn: &mut MysqlConnection,
    games: &[GameRow],
    players: &mut Players,
    slice: i32,
) -> anyhow::Result<Vec<Part>> {
    let (Some(first), Some(last)) = (games.first(), games.last()) else {
        return Ok(Vec::new());
    };
    let (low, high, count): (Option<i32>, Option<i32>, i64) = playergame::table
        .filter(playergame::game_id.between(first.id, last.id))
        .select((
            diesel::dsl::min(playergame::id),
            diesel::dsl::max(playergame::id),
            diesel::dsl::count_star(),
        ))
        .first(conn)?;
    let (Some(low), Some(high)) = (low, high) else {
        return Ok(Vec::new());
    };
    // At most `count` rows belong to the window's games: no regrowth.
    let mut parts = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for (from, to) in id_slices(low, high, slice) {
        let rows = playergame::table
            .filter(playergame::id.between(from, to))
            .order(playergame::id)
            .select((
                playergame::game_id,
                playergame::player_id,
                playergame::is_win,
                playergame::is_mvp,
            ))
            .load_iter::<(i32, String, bool, bool), DefaultLoadingMode>(conn)?;
        for row in rows {
            let (game_id, uuid, is_win, is_mvp) = row?;
            let Ok(game) = games.binary_search_by_key(&game_id, |g| g.id) else {
                continue;
            };
            parts.push(Part {
                game: game as u32,
                player: players.intern(uuid),
                is_win,
                is_mvp,
            });
        }
    }
    // Read in playergame id order; a stable sort keeps it within a game.
    parts.sort_by_key(|part| part.game);
    Ok(parts)
}

/// The current country of each uuid, in the same order. A uuid without a
/// player row (the foreign key forbids it) has none.
fn load_countries(
    conn: &mut MysqlConnection,
    uuids: Vec<String>,
) -> anyhow::Result<Vec<PlayerRef>> {
    let mut countries: HashMap<String, Option<i32>> = HashMap::with_capacity(uuids.len());
    for chunk in uuids.chunks(PLAYER_CHUNK) {
        let rows: Vec<(String, Option<i32>)> = player::table
            .filter(player::uuid.eq_any(chunk))
            .select((player::uuid, player::country_id))
            .load(conn)?;
        countries.extend(rows.into_iter().map(|(uuid, c)| (uuid.to_lowercase(), c)));
    }
    Ok(uuids
        .into_iter()
        .map(|uuid| {
            let country = countries.get(&uuid.to_lowercase()).copied().flatten();
            PlayerRef { uuid, country }
        })
        .collect())
}

pub fn load_zones(conn: &mut MysqlConnection) -> anyhow::Result<HashMap<i32, ZoneRef>> {
    let rows: Vec<(i32, String, String, Option<String>)> = zone::table
        .select((zone::id, zone::name, zone::file_name, zone::country_alpha3))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, file_name, alpha3)| {
            (
                id,
                ZoneRef {
                    name,
                    file_name,
                    alpha3,
                },
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::id_slices;

    #[test]
    fn slices_cover_the_range_once() {
        let all = |low, high, slice| id_slices(low, high, slice).collect::<Vec<_>>();
        assert_eq!(all(1, 10, 4), [(1, 4), (5, 8), (9, 10)]);
        assert_eq!(all(1, 8, 4), [(1, 4), (5, 8)]);
        assert_eq!(all(5, 5, 200_000), [(5, 5)]);
        assert_eq!(all(6, 5, 3), []);
        assert_eq!(all(i32::MAX - 1, i32::MAX, 5), [(i32::MAX - 1, i32::MAX)]);
        assert_eq!(all(1, 3, 0), [(1, 1), (2, 2), (3, 3)]);
    }
}
