//! Queries of the names and club-tags jobs (collection.md §2.5): which
//! players are due, and the set-based writes of one batch on `player` and
//! `playerseason`. Writes touch only the columns these jobs own, by UPDATE:
//! they never create a row.

use crate::error::Result;
use chrono::NaiveDateTime;
use diesel::mysql::Mysql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Datetime, Integer, Nullable, Text};

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
    match text.char_indices().nth(MAX_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// `CASE <key> WHEN ? THEN ? … END` for `n` pairs.
fn case_by(key: &str, n: usize) -> String {
    format!("CASE {key}{} END", " WHEN ? THEN ?".repeat(n))
}

/// `?, ?, …` for `n` values.
fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// One statement for a names batch of `n` players: name, club tag (each by
/// uuid) and the time of the refresh. Binds: `n` (uuid, name) pairs, `n`
/// (uuid, tag) pairs, the time, the `n` uuids.
pub fn write_names_sql(n: usize) -> String {
    format!(
        "UPDATE player SET name = {}, club_tag = {}, last_name_update = ? WHERE uuid IN ({})",
        case_by("uuid", n),
        case_by("uuid", n),
        placeholders(n)
    )
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
    let mut query = diesel::sql_query(write_names_sql(players.len())).into_boxed::<Mysql>();
    for p in players {
        query = query
            .bind::<Text, _>(p.uuid.as_str())
            .bind::<Text, _>(fit(&p.name));
    }
    for p in players {
        query = query
            .bind::<Text, _>(p.uuid.as_str())
            .bind::<Nullable<Text>, _>(p.club_tag.as_deref().map(fit));
    }
    query = query.bind::<Datetime, _>(now);
    for p in players {
        query = query.bind::<Text, _>(p.uuid.as_str());
    }
    Ok(query.execute(conn)?)
}

/// One statement for the club tags of `n` players. Binds: `n` (uuid, tag)
/// pairs, the `n` uuids.
pub fn write_club_tags_sql(n: usize) -> String {
    format!(
        "UPDATE player SET club_tag = {} WHERE uuid IN ({})",
        case_by("uuid", n),
        placeholders(n)
    )
}

/// Writes players' club tags (cut to [`MAX_CHARS`]) and nothing else;
/// returns the rows changed.
pub fn write_club_tags(conn: &mut MysqlConnection, tags: &[PlayerTag]) -> Result<usize> {
    if tags.is_empty() {
        return Ok(0);
    }
    let mut query = diesel::sql_query(write_club_tags_sql(tags.len())).into_boxed::<Mysql>();
    for t in tags {
        query = query
            .bind::<Text, _>(t.uuid.as_str())
            .bind::<Nullable<Text>, _>(t.club_tag.as_deref().map(fit));
    }
    for t in tags {
        query = query.bind::<Text, _>(t.uuid.as_str());
    }
    Ok(query.execute(conn)?)
}

/// One statement copying the club tags of `n` players to their existing
/// rows of one season. Binds: `n` (uuid, tag) pairs, the season id, the `n`
/// uuids.
pub fn sync_season_club_tags_sql(n: usize) -> String {
    format!(
        "UPDATE playerseason SET club_tag = {} WHERE season_id = ? AND player_id IN ({})",
        case_by("player_id", n),
        placeholders(n)
    )
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
    let mut query = diesel::sql_query(sync_season_club_tags_sql(tags.len())).into_boxed::<Mysql>();
    for t in tags {
        query = query
            .bind::<Text, _>(t.uuid.as_str())
            .bind::<Nullable<Text>, _>(t.club_tag.as_deref().map(fit));
    }
    query = query.bind::<Integer, _>(season);
    for t in tags {
        query = query.bind::<Text, _>(t.uuid.as_str());
    }
    Ok(query.execute(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_have_one_placeholder_per_bind() {
        let count = |sql: &str| sql.matches('?').count();
        assert_eq!(count(&write_names_sql(3)), 3 * 2 + 3 * 2 + 1 + 3);
        assert_eq!(count(&write_club_tags_sql(3)), 3 * 2 + 3);
        assert_eq!(count(&sync_season_club_tags_sql(3)), 3 * 2 + 1 + 3);
        assert_eq!(
            write_club_tags_sql(2),
            "UPDATE player SET club_tag = CASE uuid WHEN ? THEN ? WHEN ? THEN ? END \
             WHERE uuid IN (?, ?)"
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
