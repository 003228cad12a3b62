//! The database side: the refusal to overwrite data, and multi-row INSERTs of
//! the generated rows (foreign-key and unique checks off for the session,
//! one transaction per few thousand rows).

use crate::model::{Dataset, ZoneNode, SENTINEL_TEXT};
use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::mysql::MysqlConnection;
use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use mmstatus::error::Error;
use std::fmt::Write;

/// Tables the generator fills, children first (the order they are emptied in).
pub const GENERATED_TABLES: &[&str] = &[
    "playerseason",
    "playergame",
    "rankstatrollup",
    "player",
    "game",
    "map",
    "season",
];
/// Rows per INSERT statement.
const ROWS_PER_STATEMENT: usize = 2000;
/// Statements per transaction.
const STATEMENTS_PER_COMMIT: usize = 10;

/// Rows in tables the generator would fill, when the table exists.
const EXISTING_ROWS_SQL: &str = "SELECT (SELECT COUNT(*) FROM information_schema.tables \
     WHERE table_schema = DATABASE() AND table_name = 'game') AS value";

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    value: i64,
}

/// Refuses, before anything changes, a database that already holds games,
/// players, maps or seasons, unless `force`.
pub fn refuse_existing_data(
    conn: &mut MysqlConnection,
    database: &str,
    force: bool,
) -> anyhow::Result<()> {
    let has_tables = sql_query(EXISTING_ROWS_SQL)
        .get_result::<Count>(conn)?
        .value
        > 0;
    if !has_tables || force {
        return Ok(());
    }
    for table in ["game", "player", "map", "season"] {
        let rows = sql_query(format!(
            "SELECT COUNT(*) AS value FROM (SELECT 1 FROM `{table}` LIMIT 1) AS t"
        ))
        .get_result::<Count>(conn)?
        .value;
        if rows > 0 {
            return Err(Error::invalid(format!(
                "the database {database} already holds rows in table {table}; \
                 pass --force to delete its games, players, maps and seasons first"
            ))
            .into());
        }
    }
    Ok(())
}

/// Empties the generated tables. TRUNCATE rebuilds each table empty: after
/// a large season, DELETE took minutes and left the tables' files at their
/// old size, so a smaller season generated next was read from sparse pages.
pub fn delete_generated_tables(conn: &mut MysqlConnection) -> anyhow::Result<()> {
    let mut sql = String::from("SET foreign_key_checks = 0;");
    for table in GENERATED_TABLES {
        write!(sql, "TRUNCATE TABLE `{table}`;").unwrap();
    }
    sql.push_str("SET foreign_key_checks = 1;");
    conn.batch_execute(&sql)?;
    Ok(())
}

#[derive(QueryableByName)]
struct ZoneRow {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Nullable<Integer>)]
    parent_id: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    country_alpha3: Option<String>,
}

pub const ZONES_SQL: &str = "SELECT id, parent_id, country_alpha3 FROM zone ORDER BY id";

pub fn zone_nodes(conn: &mut MysqlConnection) -> anyhow::Result<Vec<ZoneNode>> {
    let rows: Vec<ZoneRow> = sql_query(ZONES_SQL).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|z| ZoneNode {
            id: z.id,
            parent_id: z.parent_id,
            alpha3: z.country_alpha3,
        })
        .collect())
}

pub struct Counts {
    pub participations: usize,
    pub player_seasons: usize,
}

/// Accumulates rows into multi-row INSERTs and runs them, committing every
/// few statements.
struct Inserter<'a> {
    conn: &'a mut MysqlConnection,
    head: &'static str,
    sql: String,
    rows: usize,
    statements: usize,
}

impl<'a> Inserter<'a> {
    fn new(conn: &'a mut MysqlConnection, head: &'static str) -> Inserter<'a> {
        Inserter {
            conn,
            head,
            sql: String::with_capacity(1 << 20),
            rows: 0,
            statements: 0,
        }
    }

    /// The next row's text, to push `(…)` onto.
    fn row(&mut self) -> anyhow::Result<&mut String> {
        if self.rows == ROWS_PER_STATEMENT {
            self.flush()?;
        }
        if self.rows == 0 {
            if self.statements == 0 {
                self.sql.push_str("BEGIN;");
            }
            self.sql.push_str(self.head);
        } else {
            self.sql.push(',');
        }
        self.rows += 1;
        Ok(&mut self.sql)
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        self.sql.push(';');
        self.statements += 1;
        if self.statements == STATEMENTS_PER_COMMIT {
            self.sql.push_str("COMMIT;");
            self.statements = 0;
        }
        self.conn.batch_execute(&self.sql)?;
        self.sql.clear();
        self.rows = 0;
        Ok(())
    }

    fn finish(mut self) -> anyhow::Result<()> {
        self.flush()?;
        if self.statements > 0 {
            self.conn.batch_execute("COMMIT")?;
        }
        Ok(())
    }
}

pub const MAP_INSERT: &str = "INSERT INTO map (uid, name) VALUES ";
pub const SEASON_INSERT: &str =
    "INSERT INTO season (id, name, start_time, end_time, is_aggregated) VALUES ";
pub const GAME_INSERT: &str = "INSERT INTO game (id, map_id, min_elo, average_elo, max_elo, time, \
     is_finished, trackmaster_limit, rounds) VALUES ";
pub const PLAYER_INSERT: &str = "INSERT INTO player (uuid, name, points, `rank`, last_points_update, \
     last_match_id, last_name_update, zone_id, country_id, club_tag, region_id, points_fetch_retries) VALUES ";
pub const PLAYERGAME_INSERT: &str =
    "INSERT INTO playergame (id, game_id, player_id, is_mvp, is_win, \
     position, points, rank_after_match, points_after_match) VALUES ";
pub const PLAYERSEASON_INSERT: &str =
    "INSERT INTO playerseason (id, season_id, player_id, points, `rank`, club_tag) VALUES ";

pub fn insert_all(conn: &mut MysqlConnection, data: &Dataset) -> anyhow::Result<Counts> {
    conn.batch_execute("SET foreign_key_checks = 0, unique_checks = 0")?;
    let mut insert = Inserter::new(conn, MAP_INSERT);
    for map in &data.maps {
        write!(insert.row()?, "({},{})", quote(&map.uid), quote(&map.name))?;
    }
    insert.finish()?;

    let mut insert = Inserter::new(conn, SEASON_INSERT);
    for s in &data.seasons {
        write!(
            insert.row()?,
            "({},{},{},{},0)",
            s.id,
            quote(&s.name),
            time(s.start),
            time(s.end)
        )?;
    }
    insert.finish()?;

    let mut insert = Inserter::new(conn, GAME_INSERT);
    for game in &data.games {
        let (min, avg, max) = data.elo(game);
        write!(
            insert.row()?,
            "({},{},{},{},{},{},{},{},{})",
            game.id,
            quote(&data.maps[game.map].uid),
            min,
            avg,
            max,
            time(game.time),
            game.is_finished as u8,
            game.trackmaster_limit,
            opt(data.rounds(game))
        )?;
    }
    insert.finish()?;

    let mut insert = Inserter::new(conn, PLAYER_INSERT);
    for p in &data.players {
        write!(
            insert.row()?,
            "({},{},{},{},{},{},{},{},{},{},{},0)",
            quote(&p.uuid),
            quote(&p.name),
            p.points,
            p.rank,
            p.last_points_update
                .map_or_else(|| quote(SENTINEL_TEXT), time),
            opt(p.last_match_id),
            p.last_name_update
                .map_or_else(|| quote(SENTINEL_TEXT), time),
            opt(p.zone_id),
            opt(p.country_id),
            p.club_tag
                .as_deref()
                .map_or_else(|| "NULL".to_string(), quote),
            opt(p.region_id)
        )?;
    }
    insert.finish()?;

    let mut participations = 0;
    let mut insert = Inserter::new(conn, PLAYERGAME_INSERT);
    for game in &data.games {
        for pg in data.participations(game) {
            participations += 1;
            write!(
                insert.row()?,
                "({},{},{},{},{},{},{},{},{})",
                participations,
                game.id,
                quote(&data.players[pg.player as usize].uuid),
                pg.is_mvp as u8,
                pg.is_win as u8,
                opt(pg.position),
                opt(pg.points),
                opt(pg.rank_after_match),
                opt(pg.points_after_match)
            )?;
        }
    }
    insert.finish()?;

    let mut insert = Inserter::new(conn, PLAYERSEASON_INSERT);
    for ps in &data.player_seasons {
        write!(
            insert.row()?,
            "({},{},{},{},{},{})",
            ps.id,
            ps.season_id,
            quote(&data.players[ps.player as usize].uuid),
            ps.points,
            ps.rank,
            ps.club_tag
                .as_deref()
                .map_or_else(|| "NULL".to_string(), quote)
        )?;
    }
    insert.finish()?;
    conn.batch_execute("SET foreign_key_checks = 1, unique_checks = 1")?;
    Ok(Counts {
        participations,
        player_seasons: data.player_seasons.len(),
    })
}

/// A string literal for MySQL/MariaDB (the default SQL mode: backslash escapes).
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn time(t: NaiveDateTime) -> String {
    format!("'{}'", t.format("%Y-%m-%d %H:%M:%S"))
}

fn opt(value: Option<i32>) -> String {
    value.map_or_else(|| "NULL".to_string(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_doubles_quotes_and_escapes_backslashes() {
        assert_eq!(quote("it's"), "'it''s'");
        assert_eq!(quote("a\\b"), "'a\\\\b'");
        assert_eq!(quote("🦆"), "'🦆'");
    }
}
