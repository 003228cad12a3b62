//! The season's ladder, read once per season and run: the players active
//! since the season's start and the season's `playerseason` rows with their
//! players. Shared by S01, S02, S04 (season rows) and S07, S09 (active
//! players), which select, sort and count in Rust instead of one join of
//! the season's rows with the players per statistic.

use crate::db::models::Season;
use crate::db::schema::{player, playerseason};
use crate::stats::scan::Scan;
use crate::stats::season_rows::{load_zones, ZoneRef};
use chrono::NaiveDateTime;
use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;
use diesel::sql_types::{Datetime, Integer, Nullable, Text};
use std::collections::HashMap;
use std::sync::Arc;

/// A player as the statistics print and classify him.
#[derive(Debug, Clone)]
pub struct LadderPlayer {
    pub uuid: String,
    pub name: String,
    /// Current points and rank.
    pub points: i32,
    pub rank: i32,
    pub country: Option<i32>,
    pub region: Option<i32>,
    /// When his last match started; `None` when it is before the season's
    /// start (or he has none).
    pub last_match: Option<NaiveDateTime>,
}

/// One `playerseason` row of the season.
#[derive(Debug, Clone)]
pub struct SeasonEntry {
    pub uuid: String,
    pub points: i32,
    pub rank: i32,
    /// The season's club tag.
    pub club_tag: Option<String>,
    /// Index into [`Ladder::players`]; `None` without a player row.
    pub player: Option<usize>,
}

#[derive(Debug, Default)]
pub struct Ladder {
    /// Players whose last match started at or after the season's start,
    /// then those of season rows who are not.
    pub players: Vec<LadderPlayer>,
    pub entries: Vec<SeasonEntry>,
    /// Every zone, by id.
    pub zones: HashMap<i32, ZoneRef>,
}

impl Ladder {
    pub fn player(&self, entry: &SeasonEntry) -> Option<&LadderPlayer> {
        entry.player.map(|i| &self.players[i])
    }

    /// The players whose last match started at or after `since`.
    pub fn active_since(&self, since: NaiveDateTime) -> impl Iterator<Item = &LadderPlayer> {
        self.players
            .iter()
            .filter(move |p| p.last_match.is_some_and(|t| t >= since))
    }

    /// The season rows with a rank, by rank then player uuid.
    pub fn ranked_entries(&self) -> Vec<&SeasonEntry> {
        let mut ranked: Vec<&SeasonEntry> = self.entries.iter().filter(|e| e.rank != 0).collect();
        ranked.sort_by(|a, b| {
            a.rank
                .cmp(&b.rank)
                .then_with(|| uuid_order(&a.uuid, &b.uuid))
        });
        ranked
    }
}

/// Uuids compared as the database's case-insensitive collation does.
pub fn uuid_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes()
        .map(|c| c.to_ascii_uppercase())
        .cmp(b.bytes().map(|c| c.to_ascii_uppercase()))
}

/// Players whose last match started at or after the bound, with that time.
pub const ACTIVE_PLAYERS_SQL: &str = "\
SELECT p.uuid AS uuid, p.name AS name, p.points AS points, p.`rank` AS `rank`, \
 p.country_id AS country, p.region_id AS region, g.time AS last_match \
FROM player p JOIN game g ON g.id = p.last_match_id \
WHERE g.time >= ?";

#[derive(QueryableByName)]
struct ActiveRow {
    #[diesel(sql_type = Text)]
    uuid: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Integer)]
    points: i32,
    #[diesel(sql_type = Integer)]
    rank: i32,
    #[diesel(sql_type = Nullable<Integer>)]
    country: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    region: Option<i32>,
    #[diesel(sql_type = Datetime)]
    last_match: NaiveDateTime,
}

/// Uuids per statement reading the players of season rows not active.
const PLAYER_CHUNK: usize = 5_000;

static LADDER: Scan<Ladder> = Scan::new();

/// The ladder of `season`, read at the first call of a run for that season
/// and window, then shared.
pub fn ladder(conn: &mut MysqlConnection, season: &Season) -> anyhow::Result<Arc<Ladder>> {
    LADDER.get(season, || read(conn, season))
}

fn read(conn: &mut MysqlConnection, season: &Season) -> anyhow::Result<Ladder> {
    let started = std::time::Instant::now();
    let mut players = active_players(conn, season.start_time)?;
    let mut index: HashMap<String, usize> = players
        .iter()
        .enumerate()
        .map(|(i, p)| (p.uuid.to_lowercase(), i))
        .collect();
    let mut entries = season_entries(conn, season.id)?;
    let missing: Vec<String> = entries
        .iter()
        .filter(|e| !index.contains_key(&e.uuid.to_lowercase()))
        .map(|e| e.uuid.clone())
        .collect();
    for player in other_players(conn, &missing)? {
        index.insert(player.uuid.to_lowercase(), players.len());
        players.push(player);
    }
    for entry in &mut entries {
        entry.player = index.get(&entry.uuid.to_lowercase()).copied();
    }
    let zones = load_zones(conn)?;
    log::debug!(
        "season {}: read {} players and {} season rows in {:.2} s",
        season.id,
        players.len(),
        entries.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(Ladder {
        players,
        entries,
        zones,
    })
}

fn active_players(
    conn: &mut MysqlConnection,
    since: NaiveDateTime,
) -> anyhow::Result<Vec<LadderPlayer>> {
    let rows = diesel::sql_query(ACTIVE_PLAYERS_SQL)
        .bind::<Datetime, _>(since)
        .load_iter::<ActiveRow, DefaultLoadingMode>(conn)?;
    let mut players = Vec::new();
    for row in rows {
        let row = row?;
        players.push(LadderPlayer {
            uuid: row.uuid,
            name: row.name,
            points: row.points,
            rank: row.rank,
            country: row.country,
            region: row.region,
            last_match: Some(row.last_match),
        });
    }
    Ok(players)
}

fn season_entries(conn: &mut MysqlConnection, season: i32) -> anyhow::Result<Vec<SeasonEntry>> {
    let rows = playerseason::table
        .filter(playerseason::season_id.eq(season))
        .select((
            playerseason::player_id,
            playerseason::points,
            playerseason::rank,
            playerseason::club_tag,
        ))
        .load_iter::<(String, i32, i32, Option<String>), DefaultLoadingMode>(conn)?;
    let mut entries = Vec::new();
    for row in rows {
        let (uuid, points, rank, club_tag) = row?;
        entries.push(SeasonEntry {
            uuid,
            points,
            rank,
            club_tag,
            player: None,
        });
    }
    Ok(entries)
}

/// uuid, name, points, rank, country, region.
type PlayerColumns = (String, String, i32, i32, Option<i32>, Option<i32>);

/// The players `uuids` name (not active since the season's start).
fn other_players(
    conn: &mut MysqlConnection,
    uuids: &[String],
) -> anyhow::Result<Vec<LadderPlayer>> {
    let mut players = Vec::new();
    for chunk in uuids.chunks(PLAYER_CHUNK) {
        let rows: Vec<PlayerColumns> = player::table
            .filter(player::uuid.eq_any(chunk))
            .select((
                player::uuid,
                player::name,
                player::points,
                player::rank,
                player::country_id,
                player::region_id,
            ))
            .load(conn)?;
        players.extend(
            rows.into_iter()
                .map(|(uuid, name, points, rank, country, region)| LadderPlayer {
                    uuid,
                    name,
                    points,
                    rank,
                    country,
                    region,
                    last_match: None,
                }),
        );
    }
    Ok(players)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_order_as_the_collation_does() {
        use std::cmp::Ordering::*;
        assert_eq!(uuid_order("ab", "AB"), Equal);
        assert_eq!(uuid_order("a0", "b"), Less);
        assert_eq!(uuid_order("B", "a"), Greater);
        assert_eq!(ACTIVE_PLAYERS_SQL.matches('?').count(), 1);
    }
}
