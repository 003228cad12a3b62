//! The reference's final schema, written out from the specification
//! (schema.md), and a reader that describes a live database the same way.

use crate::common::strings;
use diesel::MysqlConnection;
use std::collections::BTreeSet;

pub const REFERENCE_TABLES: [&str; 8] = [
    "game",
    "map",
    "player",
    "playergame",
    "playerseason",
    "rankstatrollup",
    "season",
    "zone",
];

/// (table, column, type, nullable, default, extra), in physical order per table.
/// `int(11)` is written `int` (MySQL 8 drops the display width).
pub const COLUMNS: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("game", "id", "int", "NO", "", "auto_increment"),
    ("game", "map_id", "varchar(64)", "NO", "", ""),
    ("game", "min_elo", "int", "NO", "", ""),
    ("game", "average_elo", "int", "NO", "", ""),
    ("game", "max_elo", "int", "NO", "", ""),
    ("game", "time", "datetime", "NO", "", ""),
    ("game", "is_finished", "tinyint(1)", "NO", "", ""),
    ("game", "trackmaster_limit", "int", "NO", "", ""),
    ("game", "rounds", "int", "YES", "", ""),
    ("map", "uid", "varchar(64)", "NO", "", ""),
    ("map", "name", "varchar(128)", "NO", "", ""),
    ("player", "uuid", "varchar(40)", "NO", "", ""),
    ("player", "name", "varchar(64)", "NO", "''", ""),
    ("player", "points", "int", "NO", "", ""),
    ("player", "rank", "int", "NO", "", ""),
    ("player", "last_points_update", "datetime", "NO", "", ""),
    ("player", "last_match_id", "int", "YES", "", ""),
    ("player", "last_name_update", "datetime", "NO", "", ""),
    ("player", "zone_id", "int", "YES", "", ""),
    ("player", "country_id", "int", "YES", "", ""),
    ("player", "club_tag", "varchar(64)", "YES", "", ""),
    ("player", "region_id", "int", "YES", "", ""),
    ("player", "points_fetch_retries", "int", "NO", "", ""),
    ("playergame", "id", "int", "NO", "", "auto_increment"),
    ("playergame", "game_id", "int", "NO", "", ""),
    ("playergame", "player_id", "varchar(40)", "NO", "", ""),
    ("playergame", "is_mvp", "tinyint(1)", "NO", "", ""),
    ("playergame", "is_win", "tinyint(1)", "NO", "", ""),
    ("playergame", "position", "int", "YES", "", ""),
    ("playergame", "points", "int", "YES", "", ""),
    ("playergame", "rank_after_match", "int", "YES", "", ""),
    ("playergame", "points_after_match", "int", "YES", "", ""),
    ("playerseason", "id", "int", "NO", "", "auto_increment"),
    ("playerseason", "season_id", "int", "NO", "", ""),
    ("playerseason", "player_id", "varchar(40)", "NO", "", ""),
    ("playerseason", "points", "int", "NO", "", ""),
    ("playerseason", "rank", "int", "NO", "", ""),
    ("playerseason", "club_tag", "varchar(64)", "YES", "", ""),
    ("rankstatrollup", "id", "int", "NO", "", "auto_increment"),
    ("rankstatrollup", "start_time", "datetime", "NO", "", ""),
    ("rankstatrollup", "end_time", "datetime", "NO", "", ""),
    ("rankstatrollup", "period", "int", "NO", "", ""),
    ("rankstatrollup", "rank", "int", "NO", "", ""),
    ("rankstatrollup", "count", "int", "NO", "", ""),
    (
        "rankstatrollup",
        "last_game_time",
        "datetime",
        "YES",
        "",
        "",
    ),
    ("season", "id", "int", "NO", "", "auto_increment"),
    ("season", "name", "varchar(32)", "NO", "", ""),
    ("season", "start_time", "datetime", "NO", "", ""),
    ("season", "end_time", "datetime", "NO", "", ""),
    ("season", "is_aggregated", "tinyint(1)", "NO", "", ""),
    ("zone", "id", "int", "NO", "", "auto_increment"),
    ("zone", "uuid", "varchar(40)", "NO", "", ""),
    ("zone", "name", "text", "NO", "", ""),
    ("zone", "parent_id", "int", "YES", "", ""),
    ("zone", "country_alpha3", "varchar(10)", "YES", "", ""),
    ("zone", "file_name", "text", "NO", "", ""),
];

/// (table, index, unique, columns).
pub const INDEXES: &[(&str, &str, bool, &str)] = &[
    ("game", "PRIMARY", true, "id"),
    ("game", "game_id", true, "id"),
    ("game", "game_map_id", false, "map_id"),
    ("game", "game_min_elo", false, "min_elo"),
    ("game", "game_average_elo", false, "average_elo"),
    ("game", "game_max_elo", false, "max_elo"),
    ("game", "game_time", false, "time"),
    ("map", "PRIMARY", true, "uid"),
    ("player", "PRIMARY", true, "uuid"),
    ("player", "player_rank", false, "rank"),
    ("player", "player_points", false, "points"),
    ("player", "player_last_match_id", false, "last_match_id"),
    ("player", "player_zone_id", false, "zone_id"),
    ("player", "player_country_id", false, "country_id"),
    ("player", "player_name", false, "name"),
    ("player", "player_region_id", false, "region_id"),
    ("playergame", "PRIMARY", true, "id"),
    ("playergame", "playergame_game_id", false, "game_id"),
    ("playergame", "playergame_player_id", false, "player_id"),
    ("playerseason", "PRIMARY", true, "id"),
    ("playerseason", "playerseason_season_id", false, "season_id"),
    ("playerseason", "playerseason_player_id", false, "player_id"),
    ("playerseason", "playerseason_points", false, "points"),
    ("playerseason", "playerseason_rank", false, "rank"),
    ("rankstatrollup", "PRIMARY", true, "id"),
    ("rankstatrollup", "rankstatrollup_rank", false, "rank"),
    ("rankstatrollup", "rankstatrollup_period", false, "period"),
    (
        "rankstatrollup",
        "rankstatrollup_start_time",
        false,
        "start_time",
    ),
    (
        "rankstatrollup",
        "rankstatrollup_end_time",
        false,
        "end_time",
    ),
    (
        "rankstatrollup",
        "rankstatrollup_last_game_time",
        false,
        "last_game_time",
    ),
    ("season", "PRIMARY", true, "id"),
    ("zone", "PRIMARY", true, "id"),
    ("zone", "zone_uuid", true, "uuid"),
    ("zone", "zone_parent_id", false, "parent_id"),
];

/// (constraint, table, column, referenced table, referenced column).
pub const FOREIGN_KEYS: &[(&str, &str, &str, &str, &str)] = &[
    ("game_ibfk_1", "game", "map_id", "map", "uid"),
    ("player_ibfk_1", "player", "last_match_id", "game", "id"),
    ("player_ibfk_2", "player", "zone_id", "zone", "id"),
    ("player_ibfk_3", "player", "country_id", "zone", "id"),
    ("player_ibfk_4", "player", "region_id", "zone", "id"),
    ("playergame_ibfk_1", "playergame", "game_id", "game", "id"),
    (
        "playergame_ibfk_2",
        "playergame",
        "player_id",
        "player",
        "uuid",
    ),
    (
        "playerseason_ibfk_1",
        "playerseason",
        "season_id",
        "season",
        "id",
    ),
    (
        "playerseason_ibfk_2",
        "playerseason",
        "player_id",
        "player",
        "uuid",
    ),
    ("zone_ibfk_1", "zone", "parent_id", "zone", "id"),
];

/// A database's schema restricted to the reference tables, one line per fact.
#[derive(Debug, PartialEq)]
pub struct Schema {
    pub tables: Vec<String>,
    pub columns: Vec<String>,
    pub indexes: BTreeSet<String>,
    pub foreign_keys: BTreeSet<String>,
}

fn in_reference_tables() -> String {
    let quoted: Vec<String> = REFERENCE_TABLES.iter().map(|t| format!("'{t}'")).collect();
    format!("table_name IN ({})", quoted.join(","))
}

/// Reads the schema of the connection's database from information_schema.
pub fn describe(conn: &mut MysqlConnection) -> Schema {
    let filter = in_reference_tables();
    let tables = strings(
        conn,
        &format!(
            "SELECT CONCAT_WS(' ', table_name, engine, table_collation) AS value \
             FROM information_schema.tables WHERE table_schema = DATABASE() AND {filter} \
             ORDER BY table_name"
        ),
    );
    // MariaDB writes string defaults quoted and nullable columns' default as
    // the text NULL; MySQL writes neither. Normalise to "no default" = "".
    let columns = strings(
        conn,
        &format!(
            "SELECT CONCAT_WS('|', table_name, column_name, \
               REPLACE(column_type, 'int(11)', 'int'), is_nullable, \
               CASE WHEN column_default IS NULL OR column_default = 'NULL' THEN '' \
                    WHEN column_default = '' THEN '''''' ELSE column_default END, \
               extra) AS value \
             FROM information_schema.columns WHERE table_schema = DATABASE() AND {filter} \
             ORDER BY table_name, ordinal_position"
        ),
    );
    let indexes = strings(
        conn,
        &format!(
            "SELECT CONCAT_WS('|', table_name, index_name, \
               IF(non_unique = 0, 'unique', 'non-unique'), \
               GROUP_CONCAT(column_name ORDER BY seq_in_index)) AS value \
             FROM information_schema.statistics WHERE table_schema = DATABASE() AND {filter} \
             GROUP BY table_name, index_name, non_unique"
        ),
    );
    let foreign_keys = strings(
        conn,
        &format!(
            "SELECT CONCAT_WS('|', constraint_name, table_name, column_name, \
               referenced_table_name, referenced_column_name) AS value \
             FROM information_schema.key_column_usage WHERE table_schema = DATABASE() \
               AND referenced_table_name IS NOT NULL AND {filter}"
        ),
    );
    Schema {
        tables,
        columns,
        indexes: indexes.into_iter().collect(),
        foreign_keys: foreign_keys.into_iter().collect(),
    }
}

/// The schema the reference ends with, in the shape [`describe`] returns.
pub fn expected() -> Schema {
    let mut columns: Vec<(usize, String)> = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (t, c, ty, null, default, extra))| {
            (i, [*t, *c, *ty, *null, *default, *extra].join("|"))
        })
        .collect();
    // Same order as the reader: by table name, then physical position.
    columns.sort_by(|a, b| {
        let table = |s: &str| s.split('|').next().unwrap().to_string();
        table(&a.1).cmp(&table(&b.1)).then(a.0.cmp(&b.0))
    });
    Schema {
        tables: REFERENCE_TABLES
            .iter()
            .map(|t| format!("{t} InnoDB utf8mb4_general_ci"))
            .collect(),
        columns: columns.into_iter().map(|(_, c)| c).collect(),
        indexes: INDEXES
            .iter()
            .map(|(t, i, unique, cols)| {
                let kind = if *unique { "unique" } else { "non-unique" };
                format!("{t}|{i}|{kind}|{cols}")
            })
            .collect(),
        foreign_keys: FOREIGN_KEYS
            .iter()
            .map(|(n, t, c, rt, rc)| format!("{n}|{t}|{c}|{rt}|{rc}"))
            .collect(),
    }
}

/// Compares fact by fact so a failure names exactly what differs.
#[track_caller]
pub fn assert_matches_reference(conn: &mut MysqlConnection) {
    let actual = describe(conn);
    let expected = expected();
    assert_eq!(
        actual.tables, expected.tables,
        "tables, engines, collations"
    );
    for (a, e) in actual.columns.iter().zip(&expected.columns) {
        assert_eq!(a, e, "column (table|column|type|null|default|extra)");
    }
    assert_eq!(actual.columns.len(), expected.columns.len(), "column count");
    let missing: Vec<_> = expected.indexes.difference(&actual.indexes).collect();
    let extra: Vec<_> = actual.indexes.difference(&expected.indexes).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "indexes missing {missing:?}, unexpected {extra:?}"
    );
    let missing: Vec<_> = expected
        .foreign_keys
        .difference(&actual.foreign_keys)
        .collect();
    let extra: Vec<_> = actual
        .foreign_keys
        .difference(&expected.foreign_keys)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "foreign keys missing {missing:?}, unexpected {extra:?}"
    );
}
