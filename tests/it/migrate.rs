//! `mmstatus migrate`: fresh databases, adoption of reference databases,
//! refusals of unknown states, `--status`, and the schema lock.

use crate::common::{count, scalar_string, strings, table_names, TestDb};
use crate::reference_db::{self, HISTORY};
use crate::reference_schema::assert_matches_reference;
use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::connection::SimpleConnection;
use diesel::MysqlConnection;

pub const ALL_VERSIONS: [&str; 8] = [
    "20250712105000",
    "20260401000100",
    "20260404231400",
    "20260405000100",
    "20260405000200",
    "20260411172200",
    "20261129000100",
    "20261129153000",
];

pub const ALL_NAMES: [&str; 8] = [
    "2025-07-12-105000_reference_baseline",
    "2026-04-01-000100_player_name_varchar",
    "2026-04-04-231400_player_region",
    "2026-04-05-000100_playerseason_club_tag",
    "2026-04-05-000200_backfill_playerseason_club_tag",
    "2026-04-11-172200_player_points_fetch_retries",
    "2026-11-29-000100_collector_state",
    "2026-11-29-153000_rankstatrollup_unique",
];

/// The first six migrations stand for the reference's; the rest are
/// mmstatus's own, which no reference history records.
pub const REFERENCE_EQUIVALENTS: usize = 6;

/// The migrations that run after adopting a full reference history.
pub fn own_names() -> &'static [&'static str] {
    &ALL_NAMES[REFERENCE_EQUIVALENTS..]
}

/// The summary's count of migrations run.
pub fn ran(n: usize) -> String {
    format!("ran {n} migration(s)")
}

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

fn history_names(conn: &mut MysqlConnection) -> Vec<String> {
    strings(conn, "SELECT name AS value FROM migratehistory ORDER BY id")
}

fn utc_now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(0)
}

/// After a run between `start` and `end` (UTC): `migratehistory` holds the 38
/// reference names in order, its rows from `before` unchanged, and every new
/// row's `migrated` a UTC time within the run.
#[track_caller]
fn assert_history_completed(
    conn: &mut MysqlConnection,
    before: &[String],
    (start, end): (NaiveDateTime, NaiveDateTime),
) {
    assert_eq!(history_names(conn), HISTORY, "all 38 names, in order");
    let after = reference_history(conn);
    assert_eq!(&after[..before.len()], before, "existing rows untouched");
    for row in &after[before.len()..] {
        let migrated = row.rsplit('|').next().unwrap();
        let migrated = NaiveDateTime::parse_from_str(migrated, "%Y-%m-%d %H:%M:%S").unwrap();
        assert!(
            start <= migrated && migrated <= end,
            "{row}: migrated not in the run's UTC window {start}..{end}"
        );
    }
}

/// Runs `migrate` and returns the UTC window it ran in.
fn migrate_in_window(db: &TestDb) -> (NaiveDateTime, NaiveDateTime) {
    let start = utc_now();
    db.mmstatus(&["migrate"]).assert_ok();
    (start, utc_now())
}

/// The SQL a refusal proposes as its repair.
fn proposed_repair(stderr: &str) -> String {
    let (_, sql) = stderr
        .split_once("then `mmstatus migrate` again: ")
        .unwrap_or_else(|| panic!("no repair in {stderr:?}"));
    sql.trim().to_string()
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
    run.assert_ok()
        .assert_stdout_contains(&ran(ALL_VERSIONS.len()));
    for name in ALL_NAMES {
        run.assert_stdout_contains(&format!("applied {name}"));
    }
    assert!(!run.stdout.contains("migratehistory"), "{}", run.stdout);
    let mut conn = db.conn();
    assert_eq!(diesel_versions(&mut conn), ALL_VERSIONS);
    assert_matches_reference(&mut conn);
    let tables = table_names(&mut conn);
    assert_eq!(tables.len(), 10, "{tables:?}");
    assert!(
        !tables.contains(&"migratehistory".to_string()),
        "no migratehistory in a database mmstatus created"
    );
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
        ALL_VERSIONS.len(),
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
        ALL_VERSIONS.len(),
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
        REFERENCE_EQUIVALENTS,
        "{}",
        status.stdout
    );
    for name in own_names() {
        status.assert_stdout_contains(&format!("{name:<50} pending"));
    }
    assert!(!table_names(&mut conn).contains(&"__diesel_schema_migrations".to_string()));

    let run = db.mmstatus(&["migrate"]);
    run.assert_ok()
        .assert_stdout_contains(&format!(
            "history up to 0038_migration_202604111722 recorded as {REFERENCE_EQUIVALENTS} \
             applied migration(s)"
        ))
        .assert_stdout_contains(&ran(own_names().len()));
    for name in own_names() {
        run.assert_stdout_contains(&format!("applied {name}"));
    }
    assert!(!run.stdout.contains("migratehistory"), "{}", run.stdout);
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
    let history_before = reference_history(&mut conn);
    let start = utc_now();
    let run = db.mmstatus(&["migrate"]);
    let window = (start, utc_now());
    run.assert_ok()
        .assert_stdout_contains("recorded as 1 applied migration(s)")
        .assert_stdout_contains(&ran(ALL_VERSIONS.len() - 1))
        .assert_stdout_contains(
            "migratehistory: appended 0032_migration_202603280001, 0033_migration_202603281041",
        )
        .assert_stdout_contains("migratehistory: appended 0038_migration_202604111722");
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
    assert_history_completed(&mut conn, &history_before, window);
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
        .assert_stdout_contains(&ran(ALL_VERSIONS.len() - 1));
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

    // The history stops at 0035 but a club_tag column that is not 0036's is there.
    let db = TestDb::create();
    let mut conn = reference_db::build(&db, 35);
    conn.batch_execute("ALTER TABLE playerseason ADD COLUMN club_tag VARCHAR(32) NULL")
        .unwrap();
    assert_refused(
        &db,
        "column playerseason.club_tag is varchar(32) NULL; to repair, run this \
         SQL, then `mmstatus migrate` again: \
         ALTER TABLE `playerseason` MODIFY `club_tag` varchar(64) DEFAULT NULL;",
    );
}

#[test]
fn a_reference_table_gone_is_refused_without_proposing_to_drop_the_rest() {
    let db = TestDb::create();
    let mut conn = reference_db::build(&db, 38);
    conn.batch_execute(
        "SET FOREIGN_KEY_CHECKS = 0;
         DELETE FROM playerseason; DELETE FROM season; DELETE FROM playergame;
         DELETE FROM player; DELETE FROM game; DELETE FROM map; DELETE FROM zone;
         DELETE FROM rankstatrollup; DROP TABLE rankstatrollup;
         SET FOREIGN_KEY_CHECKS = 1;",
    )
    .unwrap();
    assert_refused(
        &db,
        "migratehistory records the reference up to 0038_migration_202604111722 but only part \
         of its change is there: table map, table zone, table game, table player, table \
         playergame, table season, table playerseason there, table rankstatrollup missing",
    );
    assert!(!db.mmstatus(&["migrate"]).stderr.contains("DROP TABLE"));
}

#[test]
fn adopts_a_history_whose_next_change_is_already_there() {
    // The reference's migrator killed after 0036's DDL, before its history row.
    let db = TestDb::create();
    let mut conn = reference_db::build(&db, 35);
    conn.batch_execute(reference_db::LATER_MIGRATIONS[36 - 32])
        .unwrap();
    let history_before = reference_history(&mut conn);
    let start = utc_now();
    let run = db.mmstatus(&["migrate"]);
    let window = (start, utc_now());
    run.assert_ok()
        .assert_stdout_contains(
            "recorded 2026-04-05-000100_playerseason_club_tag without running it",
        )
        // Adopted: the baseline, 0034 and 0035; recorded: 0036; run: the rest.
        .assert_stdout_contains(&format!(
            "{}, recorded 1 already in the schema",
            ran(ALL_VERSIONS.len() - 4)
        ));
    assert_eq!(diesel_versions(&mut conn), ALL_VERSIONS);
    assert_matches_reference(&mut conn);
    assert_history_completed(&mut conn, &history_before, window);
}

/// What a first run killed while creating the baseline's tables leaves.
const INTERRUPTED_FIRST_RUN: &str =
    "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, \
       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
     CREATE TABLE map (uid varchar(64) NOT NULL PRIMARY KEY, name varchar(128) NOT NULL)
       ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
     CREATE TABLE zone (id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY)
       ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;";

#[test]
fn refuses_an_interrupted_first_run() {
    let db = TestDb::create();
    let mut conn = db.conn();
    conn.batch_execute(INTERRUPTED_FIRST_RUN).unwrap();
    assert_refused(
        &db,
        "migration 2025-07-12-105000_reference_baseline is only partly in the schema (an \
         earlier run was probably interrupted): table map, table zone there, table game, \
         table player, table playergame, table season, table playerseason, table \
         rankstatrollup missing; to repair, run this SQL, then `mmstatus migrate` again: \
         DROP TABLE `zone`, `map`;",
    );
    let refused = db.mmstatus(&["migrate"]);
    conn.batch_execute(&proposed_repair(&refused.stderr))
        .unwrap();
    db.mmstatus(&["migrate"])
        .assert_ok()
        .assert_stdout_contains(&ran(ALL_VERSIONS.len()));
    assert_matches_reference(&mut conn);
}

#[test]
fn an_interrupted_first_run_with_rows_gets_no_drop_proposed() {
    let db = TestDb::create();
    let mut conn = db.conn();
    conn.batch_execute(INTERRUPTED_FIRST_RUN).unwrap();
    conn.batch_execute("INSERT INTO map VALUES ('uid', 'A map')")
        .unwrap();
    assert_refused(
        &db,
        "table(s) map hold rows, so mmstatus proposes no repair",
    );
    assert!(!db.mmstatus(&["migrate"]).stderr.contains("DROP TABLE"));
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
        .assert_stdout_contains(&ran(ALL_VERSIONS.len()));
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

/// A run killed between a migration's DDL and its version row, simulated by
/// deleting that row: the other commands point at `migrate`, and `migrate`
/// records the migration (or, for the data-only back-fill, runs it again).
#[test]
fn a_migration_killed_after_its_change_is_recorded_by_the_next_run() {
    for (version, name) in ALL_VERSIONS.iter().zip(ALL_NAMES) {
        let db = TestDb::create();
        db.mmstatus(&["migrate"]).assert_ok();
        let mut conn = db.conn();
        conn.batch_execute(&format!(
            "DELETE FROM __diesel_schema_migrations WHERE version = '{version}'"
        ))
        .unwrap();
        db.mmstatus(&["create-season", "--list"])
            .assert_code(4)
            .assert_error_line("run `mmstatus migrate`");

        let status = db.mmstatus(&["migrate", "--status"]);
        status.assert_ok();
        let run = db.mmstatus(&["migrate"]);
        run.assert_ok();
        if name.contains("backfill") {
            status.assert_stdout_contains(&format!("{name:<50} pending"));
            run.assert_stdout_contains(&format!("applied {name}"))
                .assert_stdout_contains("ran 1 migration(s)");
        } else {
            status.assert_stdout_contains(&format!("{name:<50} in the schema but not recorded"));
            run.assert_stdout_contains(&format!("recorded {name} without running it"))
                .assert_stdout_contains("no migration to run, recorded 1 already in the schema");
        }
        assert_eq!(diesel_versions(&mut conn), ALL_VERSIONS, "{name}");
        assert_matches_reference(&mut conn);
        db.mmstatus(&["create-season", "--list"]).assert_ok();
    }
}

#[test]
fn a_half_applied_migration_is_refused_with_its_repair() {
    let db = TestDb::create();
    db.mmstatus(&["migrate"]).assert_ok();
    let mut conn = db.conn();
    conn.batch_execute(
        "DELETE FROM __diesel_schema_migrations WHERE version = '20260404231400';
         ALTER TABLE player DROP FOREIGN KEY player_ibfk_4;
         ALTER TABLE player DROP KEY player_region_id;",
    )
    .unwrap();
    let versions_before = diesel_versions(&mut conn);
    let repair = "ALTER TABLE `player` ADD KEY `player_region_id` (`region_id`), \
                  ADD CONSTRAINT `player_ibfk_4` FOREIGN KEY (`region_id`) REFERENCES `zone` (`id`);";
    assert_refused(
        &db,
        &format!(
            "migration 2026-04-04-231400_player_region is only partly in the schema (an earlier \
             run was probably interrupted): column player.region_id there, index \
             player_region_id on player, a foreign key from player.region_id to zone.id \
             missing; to repair, run this SQL, then `mmstatus migrate` again: {repair}"
        ),
    );
    assert_eq!(
        diesel_versions(&mut conn),
        versions_before,
        "nothing recorded"
    );

    let refused = db.mmstatus(&["migrate"]);
    assert_eq!(proposed_repair(&refused.stderr), repair);
    conn.batch_execute(repair).unwrap();
    db.mmstatus(&["migrate"])
        .assert_ok()
        .assert_stdout_contains("recorded 2026-04-04-231400_player_region without running it");
    assert_eq!(diesel_versions(&mut conn), ALL_VERSIONS);
    assert_matches_reference(&mut conn);
}

/// The reference's own migrator killed inside one of its multi-statement
/// migrations, before its history row: adoption refuses with the repair.
#[test]
fn a_reference_migration_left_halfway_is_refused_with_its_repair() {
    let cases = [
        (
            34,
            "ALTER TABLE `player` ADD COLUMN `region_id` INT NULL",
            "ALTER TABLE `player` ADD KEY `player_region_id` (`region_id`), ADD CONSTRAINT \
             `player_ibfk_4` FOREIGN KEY (`region_id`) REFERENCES `zone` (`id`);",
        ),
        (
            37,
            "ALTER TABLE `player` ADD COLUMN `points_fetch_retries` INT NULL",
            "UPDATE `player` SET `points_fetch_retries` = 0 WHERE `points_fetch_retries` IS NULL; \
             ALTER TABLE `player` MODIFY `points_fetch_retries` int(11) NOT NULL;",
        ),
        (
            33,
            "ALTER TABLE `player` MODIFY `name` VARCHAR(64) NOT NULL DEFAULT ''",
            "ALTER TABLE `player` ADD KEY `player_name` (`name`);",
        ),
    ];
    for (applied, first_statement, repair) in cases {
        let db = TestDb::create();
        let mut conn = reference_db::build(&db, applied);
        conn.batch_execute(first_statement).unwrap();
        let history_before = reference_history(&mut conn);
        assert_refused(&db, repair);
        assert!(!table_names(&mut conn).contains(&"__diesel_schema_migrations".to_string()));

        let refused = db.mmstatus(&["migrate"]);
        conn.batch_execute(&proposed_repair(&refused.stderr))
            .unwrap();
        let window = migrate_in_window(&db);
        assert_eq!(
            diesel_versions(&mut conn),
            ALL_VERSIONS,
            "history at {applied}"
        );
        assert_matches_reference(&mut conn);
        assert_history_completed(&mut conn, &history_before, window);
    }
}

#[test]
fn adoption_brings_migratehistory_to_the_end_too() {
    for applied in [31, 32, 35, 36] {
        let db = TestDb::create();
        let mut conn = reference_db::build(&db, applied);
        let history_before = reference_history(&mut conn);
        let window = migrate_in_window(&db);
        assert_history_completed(&mut conn, &history_before, window);
        assert_eq!(diesel_versions(&mut conn), ALL_VERSIONS);
        assert_matches_reference(&mut conn);

        let complete = reference_history(&mut conn);
        let again = db.mmstatus(&["migrate"]);
        again.assert_ok();
        assert!(!again.stdout.contains("migratehistory"), "{}", again.stdout);
        assert_eq!(
            reference_history(&mut conn),
            complete,
            "nothing added twice"
        );
    }
}

#[test]
fn an_adoption_at_0032_records_0033_with_the_index_it_restores() {
    let db = TestDb::create();
    let conn = &mut reference_db::build(&db, 32);
    // Appended on its own, right after the adoption, before 0034 runs.
    db.mmstatus(&["migrate"])
        .assert_ok()
        .assert_stdout_contains("migratehistory: appended 0033_migration_202603281041 so");
    assert_eq!(history_names(conn), HISTORY);
}

#[test]
fn migratehistory_catches_up_after_a_run_killed_before_appending() {
    let db = TestDb::create();
    let mut conn = reference_db::build(&db, 31);
    db.mmstatus(&["migrate"]).assert_ok();
    // A run killed after recording 0036-0038 but before appending them.
    conn.batch_execute("DELETE FROM migratehistory WHERE name >= '0036_migration_202604050001'")
        .unwrap();
    let history_before = reference_history(&mut conn);
    let start = utc_now();
    db.mmstatus(&["migrate"])
        .assert_ok()
        .assert_stdout_contains(
            "migratehistory: appended 0036_migration_202604050001, \
             0037_migration_202604050002, 0038_migration_202604111722",
        )
        .assert_stdout_contains("no migration to run");
    assert_history_completed(&mut conn, &history_before, (start, utc_now()));
}
