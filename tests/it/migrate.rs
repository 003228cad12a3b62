//! `mmstatus migrate`: fresh databases, adoption of reference databases,
//! refusals of unknown states, `--status`, and the schema lock.

use crate::common::{count, scalar_string, strings, table_names, TestDb};
use crate::reference_db::{self, HISTORY};
use crate::reference_schema::assert_matches_reference;
use diesel::connection::SimpleConnection;
use diesel::MysqlConnection;

const ALL_VERSIONS: [&str; 6] = [
    "20250712105000",
    "20260401000100",
    "20260404231400",
    "20260405000100",
    "20260405000200",
    "20260411172200",
];

fn diesel_versions(conn: &mut MysqlConnection) -> Vec<String> {
    strings(
        conn,
        "SELECT version AS value FROM __diesel_schema_migrations ORDER BY version",
    )
}

fn reference_history(conn: &mut MysqlConnection) -> Vec<String> {
    strings(
        conn,
        "SELECT CONCAT_WS('|', id, name, migrated) AS value FROM migratehistory ORDER BY id",
    )
}

/// Every row of the seeded tables, as text, to check nothing was lost.
fn seed_rows(conn: &mut MysqlConnection) -> Vec<String> {
    let mut rows = strings(
        conn,
        "SELECT CONCAT_WS('|', uuid, name, points, `rank`, last_points_update, last_match_id, \
           last_name_update, IFNULL(zone_id, '-'), IFNULL(country_id, '-'), IFNULL(club_tag, '-')) \
         AS value FROM player ORDER BY uuid",
    );
    for sql in [
        "SELECT CONCAT_WS('|', id, map_id, min_elo, average_elo, max_elo, time, is_finished, \
           trackmaster_limit, rounds) AS value FROM game",
        "SELECT CONCAT_WS('|', uid, name) AS value FROM map",
        "SELECT CONCAT_WS('|', id, game_id, player_id, is_mvp, is_win, position, points, \
           rank_after_match, points_after_match) AS value FROM playergame ORDER BY id",
        "SELECT CONCAT_WS('|', id, season_id, player_id, points, `rank`) AS value \
           FROM playerseason ORDER BY id",
        "SELECT CONCAT_WS('|', id, name, start_time, end_time, is_aggregated) AS value FROM season",
        "SELECT CONCAT_WS('|', id, uuid, name, IFNULL(parent_id, '-')) AS value FROM zone ORDER BY id",
        "SELECT CONCAT_WS('|', id, start_time, end_time, period, `rank`, count, last_game_time) \
           AS value FROM rankstatrollup",
    ] {
        rows.extend(strings(conn, sql));
    }
    rows
}

#[test]
fn runs_everything_on_an_empty_database() {
    let db = TestDb::create();
    let run = db.mmstatus(&["migrate"]);
    run.assert_ok().assert_stdout_contains("ran 6 migration(s)");
    for name in ["reference_baseline", "player_points_fetch_retries"] {
        run.assert_stdout_contains(name);
    }
    let mut conn = db.conn();
    assert_eq!(diesel_versions(&mut conn), ALL_VERSIONS);
    assert_matches_reference(&mut conn);
    db.mmstatus(&["migrate"])
        .assert_ok()
        .assert_stdout_contains("is up to date; no migration to run");
}

#[test]
fn status_lists_migrations_and_changes_nothing() {
    let db = TestDb::create();
    let run = db.mmstatus(&["migrate", "--status"]);
    run.assert_ok();
    assert_eq!(
        run.stdout
            .lines()
            .filter(|l| l.ends_with("pending"))
            .count(),
        6,
        "{}",
        run.stdout
    );
    assert!(
        table_names(&mut db.conn()).is_empty(),
        "status created nothing"
    );

    db.mmstatus(&["migrate"]).assert_ok();
    let run = db.mmstatus(&["migrate", "--status"]);
    assert_eq!(
        run.stdout
            .lines()
            .filter(|l| l.ends_with(" applied"))
            .count(),
        6,
        "{}",
        run.stdout
    );
}

#[test]
fn adopts_a_fully_migrated_reference_database() {
    let db = TestDb::create();
    let mut conn = reference_db::build(&db, 38);
    let rows_before = seed_rows(&mut conn);
    let history_before = reference_history(&mut conn);
    assert_eq!(history_before.len(), 38);
    // The test's reference database is itself the reference schema.
    assert_matches_reference(&mut conn);

    let status = db.mmstatus(&["migrate", "--status"]);
    status.assert_ok();
    assert_eq!(
        status.stdout.matches("applied by the reference").count(),
        6,
        "{}",
        status.stdout
    );
    assert!(!table_names(&mut conn).contains(&"__diesel_schema_migrations".to_string()));

    db.mmstatus(&["migrate"])
        .assert_ok()
        .assert_stdout_contains(
            "history up to 0038_migration_202604111722 recorded as 6 applied migration(s)",
        )
        .assert_stdout_contains("no migration to run");
    assert_eq!(diesel_versions(&mut conn), ALL_VERSIONS);
    assert_eq!(
        reference_history(&mut conn),
        history_before,
        "migratehistory untouched"
    );
    assert_eq!(seed_rows(&mut conn), rows_before, "reference rows survive");
    assert_matches_reference(&mut conn);

    let again = db.mmstatus(&["migrate"]);
    again
        .assert_ok()
        .assert_stdout_contains("no migration to run");
    assert!(!again.stdout.contains("adopted"));
    assert_eq!(diesel_versions(&mut conn), ALL_VERSIONS);
}

#[test]
fn adopts_a_database_at_0031_and_runs_the_rest() {
    let db = TestDb::create();
    let mut conn = reference_db::build(&db, 31);
    let rows_before = seed_rows(&mut conn);
    let run = db.mmstatus(&["migrate"]);
    run.assert_ok()
        .assert_stdout_contains("recorded as 1 applied migration(s)")
        .assert_stdout_contains("ran 5 migration(s)");
    assert!(!run
        .stdout
        .contains("applied 2025-07-12-105000_reference_baseline"));
    assert_eq!(diesel_versions(&mut conn), ALL_VERSIONS);
    assert_matches_reference(&mut conn);
    assert_eq!(seed_rows(&mut conn), rows_before);
    // 0037's back-fill ran: a season row takes the player's club tag.
    let tags = strings(
        &mut conn,
        "SELECT CONCAT(player_id, '=', IFNULL(club_tag, '-')) AS value FROM playerseason ORDER BY id",
    );
    assert_eq!(
        tags,
        [
            "0123456789abcdef0123456789abcdef=ABC",
            "fedcba9876543210fedcba9876543210=-"
        ]
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT CAST(SUM(points_fetch_retries) AS SIGNED) AS value FROM player"
        ),
        0
    );
    assert_eq!(
        reference_history(&mut conn).len(),
        31,
        "migratehistory untouched"
    );
}

#[test]
fn adopts_a_database_stopped_at_0032_and_restores_its_unique_index() {
    let db = TestDb::create();
    let mut conn = reference_db::build(&db, 32);
    let has_index = |conn: &mut MysqlConnection| {
        scalar_string(
            conn,
            "SELECT index_name AS value FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND table_name = 'game' AND index_name = 'game_id'",
        )
        .is_some()
    };
    assert!(!has_index(&mut conn));
    db.mmstatus(&["migrate"])
        .assert_ok()
        .assert_stdout_contains("ran 5 migration(s)");
    assert!(has_index(&mut conn));
    assert_matches_reference(&mut conn);
}

#[test]
fn adopts_every_intermediate_history() {
    for applied in [33, 34, 35, 36, 37] {
        let db = TestDb::create();
        let mut conn = reference_db::build(&db, applied);
        let run = db.mmstatus(&["migrate"]);
        run.assert_ok();
        assert_eq!(
            diesel_versions(&mut conn),
            ALL_VERSIONS,
            "history at {applied}"
        );
        assert_matches_reference(&mut conn);
    }
}

/// Each refused state: exit 4, a message naming what was found, nothing changed.
fn assert_refused(db: &TestDb, expected: &str) {
    let mut conn = db.conn();
    let tables_before = table_names(&mut conn);
    let history_before = if tables_before.contains(&"migratehistory".to_string()) {
        reference_history(&mut conn)
    } else {
        Vec::new()
    };
    for args in [
        &["migrate"][..],
        &["migrate", "--status"][..],
        &["init-db"][..],
    ] {
        db.mmstatus(args).assert_code(4).assert_error_line(expected);
    }
    assert_eq!(
        table_names(&mut conn),
        tables_before,
        "no table created or dropped"
    );
    if !history_before.is_empty() {
        assert_eq!(reference_history(&mut conn), history_before);
    }
}

#[test]
fn refuses_reference_tables_without_any_history() {
    let db = TestDb::create();
    let mut conn = reference_db::build(&db, 38);
    conn.batch_execute("DROP TABLE migratehistory").unwrap();
    assert_refused(&db, "but no migration history");
}

#[test]
fn refuses_an_unknown_history_entry() {
    let db = TestDb::create();
    let mut conn = reference_db::build(&db, 38);
    conn.batch_execute(
        "INSERT INTO migratehistory (name, migrated) VALUES ('0039_migration_202701010000', '2027-01-01')",
    )
    .unwrap();
    assert_refused(&db, "0039_migration_202701010000");
}

#[test]
fn refuses_a_history_with_a_gap() {
    let db = TestDb::create();
    let mut conn = reference_db::build(&db, 38);
    conn.batch_execute(&format!(
        "DELETE FROM migratehistory WHERE name = '{}'",
        HISTORY[34]
    ))
    .unwrap();
    assert_refused(&db, &format!("{} is missing", HISTORY[34]));
}

#[test]
fn refuses_a_history_older_than_0031() {
    let db = TestDb::create();
    let mut conn = reference_db::build(&db, 31);
    conn.batch_execute(&format!(
        "DELETE FROM migratehistory WHERE name = '{}'",
        HISTORY[30]
    ))
    .unwrap();
    assert_refused(&db, &format!("migratehistory stops at {}", HISTORY[29]));
}

#[test]
fn refuses_a_history_the_schema_contradicts() {
    let db = TestDb::create();
    let mut conn = reference_db::build(&db, 38);
    conn.batch_execute("ALTER TABLE player DROP COLUMN points_fetch_retries")
        .unwrap();
    assert_refused(&db, "column player.points_fetch_retries is missing");

    let db = TestDb::create();
    let mut conn = reference_db::build(&db, 35);
    conn.batch_execute("ALTER TABLE playerseason ADD COLUMN club_tag VARCHAR(64) NULL")
        .unwrap();
    assert_refused(&db, "column playerseason.club_tag is already there");
}

#[test]
fn refuses_an_interrupted_first_run() {
    let db = TestDb::create();
    let mut conn = db.conn();
    conn.batch_execute(
        "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, \
           run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
         CREATE TABLE map (uid varchar(64) NOT NULL PRIMARY KEY, name varchar(128) NOT NULL);",
    )
    .unwrap();
    assert_refused(&db, "an earlier init-db was probably interrupted");
}

#[test]
fn a_second_concurrent_run_is_turned_away() {
    let db = TestDb::create();
    let mut holder = db.conn();
    let lock = format!(
        "SELECT CAST(GET_LOCK('mmstatus:{}:schema', 0) AS CHAR) AS value",
        db.name
    );
    assert_eq!(scalar_string(&mut holder, &lock).as_deref(), Some("1"));
    db.mmstatus(&["migrate"])
        .assert_code(5)
        .assert_error_line("already changing this database's schema");
    assert!(table_names(&mut db.conn()).is_empty());
    drop(holder);
    db.mmstatus(&["migrate"]).assert_ok();
}

#[test]
fn every_migration_reverts_cleanly_and_applies_again() {
    use diesel_migrations::MigrationHarness;
    use mmstatus::db::migrations::MIGRATIONS;
    let db = TestDb::create();
    db.mmstatus(&["migrate"]).assert_ok();
    let mut conn = db.conn();
    conn.revert_all_migrations(MIGRATIONS).unwrap();
    assert_eq!(table_names(&mut conn), ["__diesel_schema_migrations"]);
    db.mmstatus(&["migrate"])
        .assert_ok()
        .assert_stdout_contains("ran 6 migration(s)");
    assert_matches_reference(&mut conn);
}

#[test]
fn an_adoption_interrupted_before_recording_is_resumed() {
    let db = TestDb::create();
    let mut conn = reference_db::build(&db, 38);
    // What a run killed right after creating Diesel's table leaves behind.
    conn.batch_execute(
        "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, \
           run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    )
    .unwrap();
    db.mmstatus(&["migrate"])
        .assert_ok()
        .assert_stdout_contains("adopted a reference database");
    assert_eq!(diesel_versions(&mut conn), ALL_VERSIONS);
}
