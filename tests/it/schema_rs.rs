//! src/db/schema.rs must describe the tables the migrations create, column
//! by column, as `diesel print-schema` would.

use crate::common::{strings, TestDb};

/// Reads `table! { name (pk) { col -> Type, ... } }` blocks into
/// "table|column|Type" lines, with `#[max_length = n]` folded into the type.
fn parse_schema_rs(source: &str) -> Vec<String> {
    let mut facts = Vec::new();
    let mut table: Option<String> = None;
    let mut max_length: Option<String> = None;
    for line in source.lines().map(str::trim) {
        if line.starts_with("diesel::table!") || line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("#[max_length = ") {
            max_length = Some(rest.trim_end_matches(']').to_string());
        } else if line.ends_with('{') && line.contains('(') {
            table = Some(line.split_whitespace().next().unwrap().to_string());
        } else if let (Some(t), Some((column, ty))) = (&table, line.split_once(" -> ")) {
            let ty = ty.trim_end_matches(',');
            let ty = match max_length.take() {
                Some(n) => format!("{ty}({n})"),
                None => ty.to_string(),
            };
            facts.push(format!("{t}|{column}|{ty}"));
        } else if line == "}" {
            table = None;
        }
    }
    facts.sort();
    facts
}

#[test]
fn schema_rs_matches_the_migrated_database() {
    let db = TestDb::create();
    db.mmstatus(&["migrate"]).assert_ok();
    let mut from_db = strings(
        &mut db.conn(),
        "SELECT CONCAT(table_name, '|', column_name, '|', \
           IF(is_nullable = 'YES', 'Nullable<', ''), \
           CASE WHEN data_type = 'int' THEN 'Integer' \
                WHEN data_type = 'bigint' THEN 'Bigint' \
                WHEN data_type = 'tinyint' THEN 'Bool' \
                WHEN data_type = 'datetime' THEN 'Datetime' \
                WHEN data_type = 'text' THEN 'Text' \
                WHEN data_type = 'varchar' THEN 'Varchar' ELSE data_type END, \
           IF(is_nullable = 'YES', '>', ''), \
           IF(data_type = 'varchar', CONCAT('(', character_maximum_length, ')'), '')) AS value \
         FROM information_schema.columns WHERE table_schema = DATABASE() \
           AND table_name <> '__diesel_schema_migrations'",
    );
    from_db.sort();
    let source =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/db/schema.rs")).unwrap();
    let from_source = parse_schema_rs(&source);
    assert_eq!(
        from_source.len(),
        66,
        "every column of the 9 tables is declared"
    );
    assert_eq!(from_source, from_db);
}
