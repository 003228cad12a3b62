//! The reference's final schema, read from the TSV files of
//! shared/data/reference-schema (see shared/data/README.md), and the check that
//! a database holds it: every reference table, column, index and foreign key
//! present and equal, the same engine and collation, and nothing else but the
//! additions of mmstatus's own listed below.

use crate::common::{strings, TestDb};
use diesel::connection::SimpleConnection;
use diesel::MysqlConnection;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where the TSV files are, when not in the default place.
pub const SCHEMA_DIR_VAR: &str = "MMSTATUS_REFERENCE_SCHEMA_DIR";
const DEFAULT_SCHEMA_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/reference-schema"
);

/// mmstatus's own tables: wholly its own, whatever their columns and keys.
const OWN_TABLES: &[&str] = &["__diesel_schema_migrations", "collector_state"];
/// mmstatus's own columns on the reference's tables: (table, column).
const OWN_COLUMNS: &[(&str, &str)] = &[];
/// mmstatus's own indexes on the reference's tables: (table, index).
const OWN_INDEXES: &[(&str, &str)] = &[("rankstatrollup", "rankstatrollup_period_rank_start_end")];
/// mmstatus's own foreign keys on the reference's tables: (table, column).
const OWN_FOREIGN_KEYS: &[(&str, &str)] = &[];

/// A table: engine and collation.
type Tables = BTreeMap<String, (String, String)>;
/// Columns by (table, column): type, nullable, default, extra; and each
/// table's column order.
type Columns = BTreeMap<(String, String), [String; 4]>;
/// Indexes by (table, index): non_unique, columns.
type Indexes = BTreeMap<(String, String), (String, String)>;
/// Foreign keys: table, column, referenced table, referenced column.
type ForeignKeys = BTreeSet<[String; 4]>;

/// A schema in the form of the TSV files.
#[derive(Debug, Default)]
pub struct Schema {
    tables: Tables,
    columns: Columns,
    column_order: BTreeMap<String, Vec<String>>,
    indexes: Indexes,
    foreign_keys: ForeignKeys,
}

impl Schema {
    fn add_column(&mut self, row: &[String]) {
        let (table, column) = (row[0].clone(), row[1].clone());
        self.column_order
            .entry(table.clone())
            .or_default()
            .push(column.clone());
        self.columns.insert(
            (table, column),
            [
                normalise_type(&row[2]),
                row[3].clone(),
                row[4].clone(),
                row[5].clone(),
            ],
        );
    }

    /// The reference's application tables: those whose columns it lists
    /// (`migratehistory`, its bookkeeping, has none listed).
    fn application_tables(&self) -> BTreeSet<String> {
        self.column_order.keys().cloned().collect()
    }
}

/// MySQL 8 writes `int` where MariaDB writes `int(11)`.
fn normalise_type(column_type: &str) -> String {
    column_type.to_lowercase().replace("int(11)", "int")
}

/// The reference schema, read once.
pub fn reference() -> &'static Schema {
    static REFERENCE: OnceLock<Schema> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let dir = std::env::var_os(SCHEMA_DIR_VAR)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_SCHEMA_DIR));
        load(&dir).unwrap_or_else(|e| panic!("{e}"))
    })
}

/// Reads columns.tsv, indexes.tsv, fks.tsv and tables.tsv from `dir`.
pub fn load(dir: &Path) -> Result<Schema, String> {
    if !dir.is_dir() {
        return Err(format!(
            "the reference schema folder {} does not exist; set {SCHEMA_DIR_VAR} to the folder \
             holding columns.tsv, indexes.tsv, fks.tsv and tables.tsv \
             (shared/data/reference-schema)",
            dir.display()
        ));
    }
    let mut schema = Schema::default();
    for row in read_tsv(dir, "tables.tsv", 3)? {
        schema
            .tables
            .insert(row[0].clone(), (row[1].clone(), row[2].clone()));
    }
    for row in read_tsv(dir, "columns.tsv", 6)? {
        schema.add_column(&row);
    }
    for row in read_tsv(dir, "indexes.tsv", 4)? {
        schema.indexes.insert(
            (row[0].clone(), row[1].clone()),
            (row[2].clone(), row[3].clone()),
        );
    }
    for row in read_tsv(dir, "fks.tsv", 4)? {
        schema
            .foreign_keys
            .insert([0, 1, 2, 3].map(|i| row[i].clone()));
    }
    if schema.columns.is_empty() || schema.tables.is_empty() {
        return Err(format!("{}: no tables or no columns", dir.display()));
    }
    Ok(schema)
}

fn read_tsv(dir: &Path, file: &str, fields: usize) -> Result<Vec<Vec<String>>, String> {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "cannot read {} ({e}); set {SCHEMA_DIR_VAR} to the reference schema folder",
            path.display()
        )
    })?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.is_empty())
        .map(|(n, line)| {
            let row: Vec<String> = line.split('\t').map(str::to_string).collect();
            if row.len() == fields {
                Ok(row)
            } else {
                Err(format!(
                    "{} line {}: {} fields, expected {fields}",
                    path.display(),
                    n + 1,
                    row.len()
                ))
            }
        })
        .collect()
}

/// Reads the connection's database in the form of the TSV files.
pub fn describe(conn: &mut MysqlConnection) -> Schema {
    let mut schema = Schema::default();
    for row in rows(
        conn,
        "SELECT CONCAT_WS('\t', table_name, engine, table_collation) AS value \
         FROM information_schema.tables \
         WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'",
    ) {
        schema
            .tables
            .insert(row[0].clone(), (row[1].clone(), row[2].clone()));
    }
    // MariaDB writes no default as the text NULL on nullable columns and
    // quotes strings; MySQL 8 gives SQL NULL and bare strings.
    for row in rows(
        conn,
        "SELECT CONCAT_WS('\t', table_name, column_name, column_type, is_nullable, \
           CASE WHEN column_default IS NULL THEN 'NULL' \
                WHEN column_default = '' THEN '''''' ELSE column_default END, \
           extra) AS value \
         FROM information_schema.columns WHERE table_schema = DATABASE() \
         ORDER BY table_name, ordinal_position",
    ) {
        schema.add_column(&row);
    }
    for row in rows(
        conn,
        "SELECT CONCAT_WS('\t', table_name, index_name, MIN(non_unique), \
           GROUP_CONCAT(column_name ORDER BY seq_in_index)) AS value \
         FROM information_schema.statistics WHERE table_schema = DATABASE() \
         GROUP BY table_name, index_name",
    ) {
        schema.indexes.insert(
            (row[0].clone(), row[1].clone()),
            (row[2].clone(), row[3].clone()),
        );
    }
    for row in rows(
        conn,
        "SELECT CONCAT_WS('\t', table_name, column_name, referenced_table_name, \
           referenced_column_name) AS value \
         FROM information_schema.key_column_usage \
         WHERE table_schema = DATABASE() AND referenced_table_name IS NOT NULL",
    ) {
        schema
            .foreign_keys
            .insert([0, 1, 2, 3].map(|i| row[i].clone()));
    }
    schema
}

fn rows(conn: &mut MysqlConnection, sql: &str) -> Vec<Vec<String>> {
    strings(conn, sql)
        .into_iter()
        .map(|line| line.split('\t').map(str::to_string).collect())
        .collect()
}

/// Everything in which `actual` fails to hold the reference schema plus the
/// planned additions, one line each.
pub fn differences(reference: &Schema, actual: &Schema) -> Vec<String> {
    let mut found = Vec::new();
    let checked = reference.application_tables();
    let is_checked = |table: &String| checked.contains(table);

    for table in &checked {
        if !actual.tables.contains_key(table) {
            found.push(format!("missing table {table}"));
        }
    }
    for (table, details) in &actual.tables {
        match reference.tables.get(table) {
            Some(expected) if expected != details => found.push(format!(
                "table {table}: engine, collation {details:?}, reference {expected:?}"
            )),
            Some(_) => {}
            None if OWN_TABLES.contains(&table.as_str()) => {}
            None => found.push(format!("unplanned table {table}")),
        }
    }

    for ((table, column), expected) in &reference.columns {
        match actual.columns.get(&(table.clone(), column.clone())) {
            None => found.push(format!("missing column {table}.{column}")),
            Some(details) if details != expected => found.push(format!(
                "column {table}.{column}: type, null, default, extra {details:?}, \
                 reference {expected:?}"
            )),
            Some(_) => {}
        }
    }
    for (table, order) in &reference.column_order {
        let actual_order: Vec<&String> = actual
            .column_order
            .get(table)
            .into_iter()
            .flatten()
            .filter(|c| order.contains(c))
            .collect();
        if actual_order.len() == order.len() && !actual_order.iter().copied().eq(order.iter()) {
            found.push(format!(
                "column order of {table}: {actual_order:?}, reference {order:?}"
            ));
        }
    }
    for (table, column) in actual.columns.keys() {
        let planned = reference
            .columns
            .contains_key(&(table.clone(), column.clone()))
            || OWN_COLUMNS.contains(&(table.as_str(), column.as_str()));
        if is_checked(table) && !planned {
            found.push(format!("unplanned column {table}.{column}"));
        }
    }

    for (key @ (table, index), expected) in &reference.indexes {
        match actual.indexes.get(key) {
            None => found.push(format!("missing index {index} on {table}")),
            Some(details) if details != expected => found.push(format!(
                "index {index} on {table}: non_unique, columns {details:?}, \
                 reference {expected:?}"
            )),
            Some(_) => {}
        }
    }
    for key @ (table, index) in actual.indexes.keys() {
        let planned = reference.indexes.contains_key(key)
            || OWN_INDEXES.contains(&(table.as_str(), index.as_str()));
        if is_checked(table) && !planned {
            found.push(format!("unplanned index {index} on {table}"));
        }
    }

    for fk in reference.foreign_keys.difference(&actual.foreign_keys) {
        found.push(format!(
            "missing foreign key {}.{} -> {}.{}",
            fk[0], fk[1], fk[2], fk[3]
        ));
    }
    for fk in actual.foreign_keys.difference(&reference.foreign_keys) {
        let planned = OWN_FOREIGN_KEYS.contains(&(fk[0].as_str(), fk[1].as_str()));
        if is_checked(&fk[0]) && !planned {
            found.push(format!(
                "unplanned foreign key {}.{} -> {}.{}",
                fk[0], fk[1], fk[2], fk[3]
            ));
        }
    }
    found
}

/// The database holds the reference schema, and nothing unplanned.
#[track_caller]
pub fn assert_matches_reference(conn: &mut MysqlConnection) {
    let found = differences(reference(), &describe(conn));
    assert!(
        found.is_empty(),
        "the schema differs from the reference:\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn the_reference_files_describe_eight_tables_and_their_keys() {
    let reference = reference();
    assert_eq!(reference.application_tables().len(), 8);
    assert_eq!(reference.columns.len(), 56);
    assert_eq!(reference.indexes.len(), 34);
    assert_eq!(reference.foreign_keys.len(), 10);
    assert!(reference.tables.contains_key("migratehistory"));
}

#[test]
fn a_missing_reference_folder_names_the_variable() {
    let err = load(Path::new("/nonexistent/reference-schema")).unwrap_err();
    assert!(err.contains(SCHEMA_DIR_VAR), "{err}");
    assert!(err.contains("/nonexistent/reference-schema"), "{err}");
}

#[test]
fn a_malformed_reference_file_is_refused() {
    let dir = crate::common::scratch_dir();
    for file in ["tables.tsv", "columns.tsv", "indexes.tsv", "fks.tsv"] {
        std::fs::write(dir.join(file), "").unwrap();
    }
    std::fs::write(dir.join("columns.tsv"), "game\tid\tint(11)\n").unwrap();
    let err = load(&dir).unwrap_err();
    assert!(
        err.contains("columns.tsv line 1: 3 fields, expected 6"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unplanned_additions_and_missing_pieces_are_reported() {
    let db = TestDb::create();
    db.mmstatus(&["migrate"]).assert_ok();
    let mut conn = db.conn();
    assert_matches_reference(&mut conn);
    conn.batch_execute(
        "ALTER TABLE player ADD COLUMN nickname varchar(10) NULL;
         CREATE INDEX game_rounds ON game (rounds);
         ALTER TABLE playerseason MODIFY club_tag varchar(32) NULL;
         ALTER TABLE player DROP KEY player_name;
         ALTER TABLE game ADD COLUMN season_id int NULL, ADD FOREIGN KEY (season_id) REFERENCES season (id);
         CREATE TABLE stray (id int PRIMARY KEY) ENGINE=InnoDB;
         ALTER TABLE rankstatrollup COLLATE=utf8mb4_unicode_ci;",
    )
    .unwrap();
    let found = differences(reference(), &describe(&mut conn));
    for expected in [
        "unplanned column player.nickname",
        "unplanned index game_rounds on game",
        "column playerseason.club_tag: type, null, default, extra",
        "missing index player_name on player",
        "unplanned foreign key game.season_id -> season.id",
        "unplanned table stray",
        "table rankstatrollup: engine, collation",
    ] {
        assert!(
            found.iter().any(|f| f.starts_with(expected)),
            "{expected:?} not in {found:#?}"
        );
    }
}

#[test]
fn a_missing_foreign_key_or_a_reordered_column_is_reported() {
    let db = TestDb::create();
    db.mmstatus(&["migrate"]).assert_ok();
    let mut conn = db.conn();
    conn.batch_execute(
        "ALTER TABLE player DROP FOREIGN KEY player_ibfk_4;
         ALTER TABLE map MODIFY uid varchar(64) NOT NULL AFTER name;",
    )
    .unwrap();
    let found = differences(reference(), &describe(&mut conn));
    assert!(
        found.contains(&"missing foreign key player.region_id -> zone.id".to_string()),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|f| f.starts_with("column order of map")),
        "{found:#?}"
    );
}
