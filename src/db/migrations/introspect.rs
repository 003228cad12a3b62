//! What the schema holds, read from information_schema: tables, one column,
//! one index, one foreign key. Results are normalised so MariaDB and MySQL 8
//! read the same (`int(11)` vs `int`, quoted vs bare string defaults).

use crate::error::Result;
use diesel::sql_types::{Integer, Nullable, Text};
use diesel::{sql_query, MysqlConnection, QueryableByName, RunQueryDsl};
use std::collections::BTreeSet;

pub const LIST_TABLES_SQL: &str = "SELECT table_name AS name FROM information_schema.tables \
     WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'";
pub const COLUMN_SQL: &str = "SELECT column_type AS column_type, is_nullable AS is_nullable, \
     column_default AS column_default FROM information_schema.columns \
     WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?";
pub const INDEX_SQL: &str = "SELECT IF(MIN(non_unique) = 0, 'unique', 'non-unique') AS kind, \
     GROUP_CONCAT(column_name ORDER BY seq_in_index) AS columns \
     FROM information_schema.statistics \
     WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ? \
     GROUP BY index_name";
pub const FOREIGN_KEY_SQL: &str = "SELECT constraint_name AS name \
     FROM information_schema.key_column_usage \
     WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ? \
       AND referenced_table_schema = DATABASE() AND referenced_table_name = ? \
       AND referenced_column_name = ?";

/// Whether a table holds any row; `table` must come from the code, not input.
pub fn has_rows_sql(table: &str) -> String {
    format!("SELECT EXISTS (SELECT 1 FROM `{table}`) AS found")
}

#[derive(QueryableByName)]
pub struct Name {
    #[diesel(sql_type = Text)]
    pub name: String,
}

/// The names a query returns in its `name` column.
pub fn names(conn: &mut MysqlConnection, sql: &str) -> Result<Vec<String>> {
    let rows: Vec<Name> = sql_query(sql).load(conn)?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

/// The database's tables, lower-cased.
pub fn tables(conn: &mut MysqlConnection) -> Result<BTreeSet<String>> {
    Ok(names(conn, LIST_TABLES_SQL)?
        .into_iter()
        .map(|t| t.to_lowercase())
        .collect())
}

/// A column as the schema holds it, in the form MariaDB reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// `int(11)` written `int`, as MySQL 8 does.
    pub column_type: String,
    pub nullable: bool,
    /// None for no default (and for MariaDB's textual `NULL`); strings quoted.
    pub default: Option<String>,
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    column_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
    #[diesel(sql_type = Nullable<Text>)]
    column_default: Option<String>,
}

impl Column {
    fn from_row(row: ColumnRow) -> Column {
        Column {
            column_type: normalise_type(&row.column_type),
            nullable: row.is_nullable.eq_ignore_ascii_case("YES"),
            default: normalise_default(row.column_default),
        }
    }
}

pub fn normalise_type(column_type: &str) -> String {
    column_type.to_lowercase().replace("int(11)", "int")
}

/// MariaDB reports `NULL` for "no default" on nullable columns and quotes
/// string defaults; MySQL 8 reports SQL NULL and bare strings. Only the empty
/// string is told apart here, the one string default the schema uses.
pub fn normalise_default(default: Option<String>) -> Option<String> {
    match default.as_deref() {
        None | Some("NULL") => None,
        Some("") => Some("''".to_string()),
        Some(_) => default,
    }
}

pub fn column(conn: &mut MysqlConnection, table: &str, column: &str) -> Result<Option<Column>> {
    let rows: Vec<ColumnRow> = sql_query(COLUMN_SQL)
        .bind::<Text, _>(table)
        .bind::<Text, _>(column)
        .load(conn)?;
    Ok(rows.into_iter().next().map(Column::from_row))
}

/// An index: whether it is unique, and its columns in order, comma-separated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub unique: bool,
    pub columns: String,
}

#[derive(QueryableByName)]
struct IndexRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    columns: String,
}

pub fn index(conn: &mut MysqlConnection, table: &str, name: &str) -> Result<Option<Index>> {
    let rows: Vec<IndexRow> = sql_query(INDEX_SQL)
        .bind::<Text, _>(table)
        .bind::<Text, _>(name)
        .load(conn)?;
    Ok(rows.into_iter().next().map(|row| Index {
        unique: row.kind == "unique",
        columns: row.columns,
    }))
}

/// The name of a foreign key from `table.column` to `referenced.referenced_column`, if any.
pub fn foreign_key(
    conn: &mut MysqlConnection,
    (table, column): (&str, &str),
    (referenced, referenced_column): (&str, &str),
) -> Result<Option<String>> {
    let rows: Vec<Name> = sql_query(FOREIGN_KEY_SQL)
        .bind::<Text, _>(table)
        .bind::<Text, _>(column)
        .bind::<Text, _>(referenced)
        .bind::<Text, _>(referenced_column)
        .load(conn)?;
    Ok(rows.into_iter().next().map(|r| r.name))
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = Integer)]
    found: i32,
}

pub fn has_rows(conn: &mut MysqlConnection, table: &str) -> Result<bool> {
    let row: Found = sql_query(has_rows_sql(table)).get_result(conn)?;
    Ok(row.found != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_read_the_same_on_mariadb_and_mysql_8() {
        assert_eq!(normalise_type("int(11)"), "int");
        assert_eq!(normalise_type("INT"), "int");
        assert_eq!(normalise_type("tinyint(1)"), "tinyint(1)");
        assert_eq!(normalise_type("varchar(64)"), "varchar(64)");
    }

    #[test]
    fn defaults_read_the_same_on_mariadb_and_mysql_8() {
        assert_eq!(normalise_default(None), None);
        assert_eq!(normalise_default(Some("NULL".into())), None);
        assert_eq!(normalise_default(Some("''".into())), Some("''".into()));
        assert_eq!(normalise_default(Some("".into())), Some("''".into()));
        assert_eq!(normalise_default(Some("0".into())), Some("0".into()));
    }

    #[test]
    fn the_row_probe_quotes_its_table() {
        assert_eq!(
            has_rows_sql("rank"),
            "SELECT EXISTS (SELECT 1 FROM `rank`) AS found"
        );
    }
}
