//! Queries of the names and club-tags jobs (collection.md §2.5): which
//! players are due, and the set-based writes of one batch on `player` and
//! `playerseason`. Writes touch only the columns these jobs own, by UPDATE:
//! they never create a row.

use crate::db::bulk::Statement;
use crate::error::Result;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Datetime, Text};

/// `player.name` and `player.club_tag` (and `playerseason.club_tag`) are
/// VARCHAR(64): longer values are cut to this many characters, so strict
/// SQL mode cannot fail a whole batch.
pub const MAX_CHARS: usize = 64;

/// A player due for a refresh, with the name stored now.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct DuePlayer {
    #[diesel(sql_type = Text)]
    pub uuid: String,
    #[diesel(sql_type = Text)]
    pub name: String,
}

/// The names job's queue (the reference's): players not refreshed for the
/// staleness period that have points or were never named, the longest
/// waiting first (uuid breaks ties, for a deterministic batch).
pub const DUE_FOR_NAMES_SQL: &str = "SELECT uuid, name FROM player \
     WHERE last_name_update < ? AND (points > 0 OR last_name_update = ?) \
     ORDER BY last_name_update, uuid LIMIT ?";

/// Up to `limit` players of the names queue: last refreshed before
/// `stale_before` and either with points or still at `never` (the sentinel).
pub fn due_for_names(
    conn: &mut MysqlConnection,
    stale_before: NaiveDateTime,
    never: NaiveDateTime,
    limit: usize,
) -> Result<Vec<DuePlayer>> {
    Ok(diesel::sql_query(DUE_FOR_NAMES_SQL)
        .bind::<Datetime, _>(stale_before)
        .bind::<Datetime, _>(never)
        .bind::<BigInt, _>(as_limit(limit))
        .load(conn)?)
}

/// The club-tags walk: the same players as the names queue, in uuid order
/// from just after `after`.
pub const CLUB_TAG_WALK_SQL: &str = "SELECT uuid, name FROM player \
     WHERE uuid > ? AND last_name_update < ? AND (points > 0 OR last_name_update = ?) \
     ORDER BY uuid LIMIT ?";

/// Up to `limit` players the names queue would hold, whose uuid sorts after
/// `after` (`""`: from the start), in uuid order.
pub fn club_tag_walk(
    conn: &mut MysqlConnection,
    after: &str,
    stale_before: NaiveDateTime,
    never: NaiveDateTime,
    limit: usize,
) -> Result<Vec<DuePlayer>> {
    Ok(diesel::sql_query(CLUB_TAG_WALK_SQL)
        .bind::<Text, _>(after)
        .bind::<Datetime, _>(stale_before)
        .bind::<Datetime, _>(never)
        .bind::<BigInt, _>(as_limit(limit))
        .load(conn)?)
}

fn as_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// What a names batch writes for one player.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedPlayer {
    pub uuid: String,
    pub name: String,
    pub club_tag: Option<String>,
}

/// A player's club tag (`None`: no tag, stored as NULL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerTag {
    pub uuid: String,
    pub club_tag: Option<String>,
}

/// `text` cut to [`MAX_CHARS`] characters.
pub fn fit(text: &str) -> &str {
    crate::db::text::truncate_chars(text, MAX_CHARS)
}

/// A player's name, cut to fit.
fn name_of(p: &NamedPlayer) -> (&str, &str) {
    (p.uuid.as_str(), fit(&p.name))
}

/// A player's club tag (NULL for none), cut to fit.
fn tag_of(uuid: &str, tag: Option<&str>) -> (String, Option<String>) {
    (uuid.to_string(), tag.map(|t| fit(t).to_string()))
}

/// One statement for a names batch: name, club tag (each by uuid) and the
/// time of the refresh.
pub fn write_names_statement(players: &[NamedPlayer], now: NaiveDateTime) -> Statement {
    Statement::new("UPDATE player SET name = ")
        .case("uuid", players.iter().map(name_of))
        .push(", club_tag = ")
        .case(
            "uuid",
            players
                .iter()
                .map(|p| tag_of(&p.uuid, p.club_tag.as_deref())),
        )
        .push(", last_name_update = ")
        .value(now)
        .push(" WHERE uuid IN ")
        .list(players.iter().map(|p| p.uuid.as_str()))
}

/// Writes a names batch (names and tags cut to [`MAX_CHARS`]), stamped
/// `now`; returns the rows changed.
pub fn write_names(
    conn: &mut MysqlConnection,
    players: &[NamedPlayer],
    now: NaiveDateTime,
) -> Result<usize> {
    if players.is_empty() {
        return Ok(0);
    }
    Ok(write_names_statement(players, now).execute(conn)?)
}

fn tags_by(tags: &[PlayerTag]) -> impl Iterator<Item = (String, Option<String>)> + '_ {
    tags.iter().map(|t| tag_of(&t.uuid, t.club_tag.as_deref()))
}

/// One statement for the club tags of players.
pub fn write_club_tags_statement(tags: &[PlayerTag]) -> Statement {
    Statement::new("UPDATE player SET club_tag = ")
        .case("uuid", tags_by(tags))
        .push(" WHERE uuid IN ")
        .list(tags.iter().map(|t| t.uuid.as_str()))
}

/// Writes players' club tags (cut to [`MAX_CHARS`]) and nothing else;
/// returns the rows changed.
pub fn write_club_tags(conn: &mut MysqlConnection, tags: &[PlayerTag]) -> Result<usize> {
    if tags.is_empty() {
        return Ok(0);
    }
    Ok(write_club_tags_statement(tags).execute(conn)?)
}

/// One statement copying the club tags of players to their existing rows
/// of one season.
pub fn sync_season_club_tags_statement(season: i32, tags: &[PlayerTag]) -> Statement {
    Statement::new("UPDATE playerseason SET club_tag = ")
        .case("player_id", tags_by(tags))
        .push(" WHERE season_id = ")
        .value(season)
        .push(" AND player_id IN ")
        .list(tags.iter().map(|t| t.uuid.as_str()))
}

/// Sets `playerseason.club_tag` of `season` for these players (rows that
/// exist only; none is created); returns the rows changed.
pub fn sync_season_club_tags(
    conn: &mut MysqlConnection,
    season: i32,
    tags: &[PlayerTag],
) -> Result<usize> {
    if tags.is_empty() {
        return Ok(0);
    }
    Ok(sync_season_club_tags_statement(season, tags).execute(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(uuid: &str, tag: Option<&str>) -> PlayerTag {
        PlayerTag {
            uuid: uuid.into(),
            club_tag: tag.map(str::to_string),
        }
    }

    #[test]
    fn statements_have_one_placeholder_per_value() {
        let players = [
            NamedPlayer {
                uuid: "a".into(),
                name: "A".into(),
                club_tag: None,
            },
            NamedPlayer {
                uuid: "b".into(),
                name: "B".into(),
                club_tag: Some("T".into()),
            },
        ];
        let now = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert_eq!(
            write_names_statement(&players, now).sql(),
            "UPDATE player SET name = CASE uuid WHEN ? THEN ? WHEN ? THEN ? END, \
             club_tag = CASE uuid WHEN ? THEN ? WHEN ? THEN ? END, last_name_update = ? \
             WHERE uuid IN (?, ?)"
        );
        let tags = [tag("a", None), tag("b", Some(""))];
        assert_eq!(
            write_club_tags_statement(&tags).sql(),
            "UPDATE player SET club_tag = CASE uuid WHEN ? THEN ? WHEN ? THEN ? END \
             WHERE uuid IN (?, ?)"
        );
        assert_eq!(
            sync_season_club_tags_statement(3, &tags).sql(),
            "UPDATE playerseason SET club_tag = CASE player_id WHEN ? THEN ? WHEN ? THEN ? END \
             WHERE season_id = ? AND player_id IN (?, ?)"
        );
    }

    #[test]
    fn long_values_are_cut_by_characters() {
        let emoji = "🦀".repeat(70);
        assert_eq!(fit(&emoji).chars().count(), MAX_CHARS);
        assert_eq!(fit("⚡GG"), "⚡GG");
        assert_eq!(fit(""), "");
        let exact = "x".repeat(MAX_CHARS);
        assert_eq!(fit(&exact), exact);
    }
}
