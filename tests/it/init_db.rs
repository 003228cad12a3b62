//! `mmstatus init-db`: database creation, migrations, zone loading.

use crate::common::{count, mmstatus_with_env, scalar_string, scratch_dir, strings, TestDb};
use crate::migrate::{own_names, ran, ALL_VERSIONS};
use crate::reference_schema::assert_matches_reference;

fn applied_versions(db: &TestDb) -> Vec<String> {
    strings(
        &mut db.conn(),
        "SELECT CONCAT(version, ' ', run_on) AS value FROM __diesel_schema_migrations ORDER BY version",
    )
}

#[test]
fn creates_a_missing_database_with_the_reference_schema() {
    let db = TestDb::unique();
    assert!(!db.exists());
    let run = db.mmstatus(&["init-db"]);
    run.assert_ok()
        .assert_stdout_contains(&format!("created database `{}`", db.name))
        .assert_stdout_contains(&ran(ALL_VERSIONS.len()));

    let mut conn = db.conn();
    let collation = scalar_string(
        &mut conn,
        &format!(
            "SELECT CONCAT(default_character_set_name, ' ', default_collation_name) AS value \
             FROM information_schema.schemata WHERE schema_name = '{}'",
            db.name
        ),
    );
    assert_eq!(collation.as_deref(), Some("utf8mb4 utf8mb4_general_ci"));
    assert_matches_reference(&mut conn);
    assert_eq!(applied_versions(&db).len(), ALL_VERSIONS.len());
}

#[test]
fn second_run_is_a_no_op_that_says_so() {
    let db = TestDb::unique();
    db.mmstatus(&["init-db"]).assert_ok();
    let before = applied_versions(&db);
    let run = db.mmstatus(&["init-db"]);
    run.assert_ok()
        .assert_stdout_contains(&format!("database `{}` exists", db.name))
        .assert_stdout_contains("is up to date; no migration to run");
    assert!(!run.stdout.contains("applied "), "{}", run.stdout);
    assert_eq!(applied_versions(&db), before);
}

#[test]
fn url_without_a_database_is_refused() {
    let run = crate::common::mmstatus_with_env(
        &["init-db"],
        &[("DATABASE_URL", &format!("{}/", crate::common::server_url()))],
    );
    run.assert_code(2).assert_error_line("names no database");
}

const ZONES: &str = r#"[
  {"id": 12, "uuid": "c0ffee00-0000-4000-8000-00000000000c", "name": "Bretagne", "parent_id": 11,
   "country_alpha3": null, "file_name": "Bretagne.png"},
  {"id": 10, "uuid": "c0ffee00-0000-4000-8000-00000000000a", "name": "World", "parent_id": null,
   "country_alpha3": null, "file_name": "World.jpg"},
  {"id": 11, "uuid": "c0ffee0000004000800000000000000B", "name": "France", "parent_id": 10,
   "country_alpha3": "FRA", "file_name": "FRA.jpg"},
  {"id": 13, "uuid": "c0ffee00-0000-4000-8000-00000000000d", "name": "東京都", "parent_id": 10,
   "country_alpha3": null, "file_name": "%E6%9D%B1%E4%BA%AC.png"}
]"#;

fn zone_rows(db: &TestDb) -> Vec<String> {
    strings(
        &mut db.conn(),
        "SELECT CONCAT_WS('|', id, uuid, name, IFNULL(parent_id, '-'), IFNULL(country_alpha3, '-'), file_name) \
         AS value FROM zone ORDER BY id",
    )
}

fn write_file(name: &str, content: &str) -> std::path::PathBuf {
    let path = scratch_dir().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn loads_a_zone_tree_children_before_parents() {
    let db = TestDb::unique();
    let file = write_file("zones.json", ZONES);
    db.mmstatus(&["init-db", "--zones-file", file.to_str().unwrap()])
        .assert_ok()
        .assert_stdout_contains("zones: 4 in the tree; 4 inserted, 0 updated, 0 unchanged");
    assert_eq!(
        zone_rows(&db),
        vec![
            "10|c0ffee0000004000800000000000000a|World|-|-|World.jpg".to_string(),
            "11|c0ffee0000004000800000000000000b|France|10|FRA|FRA.jpg".to_string(),
            "12|c0ffee0000004000800000000000000c|Bretagne|11|-|Bretagne.png".to_string(),
            "13|c0ffee0000004000800000000000000d|東京都|10|-|%E6%9D%B1%E4%BA%AC.png".to_string(),
        ]
    );

    // Again: nothing changes. With a renamed zone: one update, ids kept.
    db.mmstatus(&["init-db", "--zones-file", file.to_str().unwrap()])
        .assert_ok()
        .assert_stdout_contains("0 inserted, 0 updated, 4 unchanged");
    let renamed = write_file("zones.json", &ZONES.replace("Bretagne\"", "Breizh\""));
    db.mmstatus(&["init-db", "--zones-file", renamed.to_str().unwrap()])
        .assert_ok()
        .assert_stdout_contains("0 inserted, 1 updated, 3 unchanged");
    assert!(zone_rows(&db)[2].starts_with("12|c0ffee0000004000800000000000000c|Breizh|11|"));
}

#[test]
fn loads_the_shipped_zone_tree() {
    let db = TestDb::unique();
    db.mmstatus(&["init-db", "--zones"])
        .assert_ok()
        .assert_stdout_contains("zones: 1199 in the tree; 1199 inserted, 0 updated, 0 unchanged");
    let rows = zone_rows(&db);
    assert_eq!(rows.len(), 1199);
    let shipped: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/zones.json")).unwrap(),
    )
    .unwrap();
    let expected: Vec<String> = shipped
        .iter()
        .map(|z| {
            let text = |v: &serde_json::Value| v.as_str().map_or("-".to_string(), str::to_string);
            let parent = z["parent_id"]
                .as_i64()
                .map_or("-".to_string(), |p| p.to_string());
            format!(
                "{}|{}|{}|{parent}|{}|{}",
                z["id"],
                text(&z["uuid"]),
                text(&z["name"]),
                text(&z["country_alpha3"]),
                text(&z["file_name"])
            )
        })
        .collect();
    assert_eq!(rows, expected, "every zone as data/zones.json has it");
    assert!(rows.contains(&"639|301e1b697e1311e88060e284abfd2bc4|World|-|-|WOR.png".to_string()));

    db.mmstatus(&["init-db", "--zones"])
        .assert_ok()
        .assert_stdout_contains("0 inserted, 0 updated, 1199 unchanged");
    mmstatus_with_env(
        &["init-db", "--zones", "--zones-file", "x.json"],
        &[("DATABASE_URL", &db.url())],
    )
    .assert_code(2);
}

#[test]
fn a_conflicting_zone_tree_changes_nothing() {
    let db = TestDb::unique();
    let file = write_file("zones.json", ZONES);
    db.mmstatus(&["init-db", "--zones-file", file.to_str().unwrap()])
        .assert_ok();
    let before = zone_rows(&db);

    // Same uuid under another id, alongside a harmless rename.
    let moved = ZONES
        .replace("\"id\": 13,", "\"id\": 14,")
        .replace("\"World\"", "\"Monde\"");
    let moved = write_file("moved.json", &moved);
    db.mmstatus(&["init-db", "--zones-file", moved.to_str().unwrap()])
        .assert_code(2)
        .assert_error_line("is id 13 in the database but id 14 in the file");
    // A parent that exists nowhere.
    let orphan = write_file(
        "orphan.json",
        r#"[{"id": 20, "uuid": "c0ffee00000040008000000000000020", "name": "Lost", "parent_id": 99,
             "country_alpha3": null, "file_name": "x"}]"#,
    );
    db.mmstatus(&["init-db", "--zones-file", orphan.to_str().unwrap()])
        .assert_code(2)
        .assert_error_line("parent_id 99");
    assert_eq!(zone_rows(&db), before);
}

#[test]
fn a_bad_zones_file_stops_before_anything_is_created() {
    let db = TestDb::unique();
    let bad = write_file("bad.json", "[{\"id\": 1, \"uuid\": \"not-a-uuid\"}]");
    db.mmstatus(&["init-db", "--zones-file", bad.to_str().unwrap()])
        .assert_code(2)
        .assert_error_line("bad.json");
    assert!(!db.exists(), "no database was created");

    let missing = scratch_dir().join("missing.json");
    db.mmstatus(&["init-db", "--zones-file", missing.to_str().unwrap()])
        .assert_code(1)
        .assert_error_line("missing.json");
    assert!(!db.exists());
}

#[test]
fn init_db_adopts_a_reference_database_like_migrate() {
    let db = TestDb::create();
    crate::reference_db::build(&db, 38);
    db.mmstatus(&["init-db"])
        .assert_ok()
        .assert_stdout_contains("adopted a reference database")
        .assert_stdout_contains(&ran(own_names().len()));
    assert_eq!(
        count(
            &mut db.conn(),
            "SELECT COUNT(*) AS value FROM __diesel_schema_migrations"
        ),
        ALL_VERSIONS.len() as i64
    );
}

#[test]
fn ensure_database_creates_once_then_reports_the_collation() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    use mmstatus::db::database::{ensure_database, Database};
    let mut server = diesel::MysqlConnection::establish(&crate::common::server_url()).unwrap();

    let db = TestDb::unique();
    assert_eq!(
        ensure_database(&mut server, &db.name).unwrap(),
        Database::Created
    );
    assert!(db.exists());
    assert_eq!(
        ensure_database(&mut server, &db.name).unwrap(),
        Database::Existed {
            collation: "utf8mb4_general_ci".to_string()
        }
    );

    let other = TestDb::unique();
    server
        .batch_execute(&format!(
            "CREATE DATABASE `{}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
            other.name
        ))
        .unwrap();
    assert_eq!(
        ensure_database(&mut server, &other.name).unwrap(),
        Database::Existed {
            collation: "utf8mb4_unicode_ci".to_string()
        }
    );
}
