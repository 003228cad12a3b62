//! `mmstatus create-season`: creation, every refusal, idempotence, --list.

use crate::common::{count, scalar_string, strings, TestDb};

fn migrated_db() -> TestDb {
    let db = TestDb::create();
    db.mmstatus(&["migrate"]).assert_ok();
    db
}

fn seasons(db: &TestDb) -> Vec<String> {
    strings(
        &mut db.conn(),
        "SELECT CONCAT_WS('|', id, name, start_time, end_time, is_aggregated) AS value \
         FROM season ORDER BY id",
    )
}

fn create(db: &TestDb, name: &str, start: &str, end: &str) -> crate::common::Run {
    db.mmstatus(&[
        "create-season",
        "--name",
        name,
        "--start",
        start,
        "--end",
        end,
    ])
}

#[test]
fn creates_a_season_and_prints_it() {
    let db = migrated_db();
    let run = create(
        &db,
        "Winter 2027",
        "2027-01-01 00:00:00",
        "2027-03-31 23:59:59",
    );
    run.assert_ok()
        .assert_stdout_contains("created season 1 \"Winter 2027\": 2027-01-01 00:00:00 to 2027-03-31 23:59:59 (Europe/Paris)");
    assert_eq!(
        seasons(&db),
        ["1|Winter 2027|2027-01-01 00:00:00|2027-03-31 23:59:59|0"]
    );
}

#[test]
fn rfc3339_times_are_stored_in_local_time() {
    let db = migrated_db();
    // 10:00 UTC is 12:00 in Paris in summer, 11:00 in winter.
    create(
        &db,
        "Summer",
        "2027-07-01T10:00:00Z",
        "2027-12-01T10:00:00+00:00",
    )
    .assert_ok();
    assert_eq!(
        seasons(&db),
        ["1|Summer|2027-07-01 12:00:00|2027-12-01 11:00:00|0"]
    );
}

#[test]
fn the_same_season_twice_is_a_no_op() {
    let db = migrated_db();
    create(&db, "S", "2027-01-01 00:00:00", "2027-02-01 00:00:00").assert_ok();
    create(&db, "S", "2027-01-01 00:00:00", "2027-02-01 00:00:00")
        .assert_ok()
        .assert_stdout_contains("season 1 \"S\" already exists with this window; nothing to do");
    assert_eq!(seasons(&db).len(), 1);
}

#[test]
fn every_refusal_changes_nothing() {
    let db = migrated_db();
    create(
        &db,
        "Existing",
        "2027-01-01 00:00:00",
        "2027-01-31 23:59:59",
    )
    .assert_ok();
    let before = seasons(&db);
    let long = "n".repeat(33);
    let cases: [(&str, &str, &str, &str); 9] = [
        (
            "S",
            "2027-03-01 00:00:00",
            "2027-02-01 00:00:00",
            "before or when it starts",
        ),
        (
            "S",
            "2027-03-01 00:00:00",
            "2027-03-01 00:00:00",
            "before or when it starts",
        ),
        (
            "",
            "2027-03-01 00:00:00",
            "2027-04-01 00:00:00",
            "name is empty",
        ),
        (
            &long,
            "2027-03-01 00:00:00",
            "2027-04-01 00:00:00",
            "at most 32",
        ),
        (
            "S",
            "March 1st",
            "2027-04-01 00:00:00",
            "--start: cannot read \"March 1st\"",
        ),
        (
            "S",
            "2027-03-01 00:00:00",
            "2027-04-31 00:00:00",
            "--end: cannot read",
        ),
        (
            "S",
            "2027-03-28 02:30:00",
            "2027-04-01 00:00:00",
            "does not exist in Europe/Paris",
        ),
        // Touching the existing window's last second counts: both ends are inclusive.
        (
            "S",
            "2027-01-31 23:59:59",
            "2027-02-28 00:00:00",
            "overlaps season 1 \"Existing\"",
        ),
        (
            "S",
            "2026-12-01 00:00:00",
            "2027-06-01 00:00:00",
            "pass --allow-overlap",
        ),
    ];
    for (name, start, end, message) in cases {
        create(&db, name, start, end)
            .assert_code(2)
            .assert_error_line(message);
        assert_eq!(seasons(&db), before, "{name} {start} {end}");
    }
}

#[test]
fn allow_overlap_accepts_an_overlapping_window() {
    let db = migrated_db();
    create(&db, "A", "2027-01-01 00:00:00", "2027-01-31 23:59:59").assert_ok();
    db.mmstatus(&[
        "create-season",
        "--name",
        "B",
        "--start",
        "2027-01-15 00:00:00",
        "--end",
        "2027-02-15 00:00:00",
        "--allow-overlap",
    ])
    .assert_ok()
    .assert_stdout_contains("created season 2 \"B\"");
    assert_eq!(seasons(&db).len(), 2);
}

#[test]
fn list_marks_the_current_season() {
    let db = migrated_db();
    db.mmstatus(&["create-season", "--list"])
        .assert_ok()
        .assert_stdout_contains("no seasons yet");
    let today = chrono::Utc::now();
    let fmt = |d: chrono::DateTime<chrono::Utc>| d.to_rfc3339();
    create(
        &db,
        "Past",
        &fmt(today - chrono::Duration::days(60)),
        &fmt(today - chrono::Duration::days(30)),
    )
    .assert_ok();
    create(
        &db,
        "Now",
        &fmt(today - chrono::Duration::days(7)),
        &fmt(today + chrono::Duration::days(7)),
    )
    .assert_ok();
    let run = db.mmstatus(&["create-season", "--list"]);
    run.assert_ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(
        lines[1].contains("Past") && !lines[1].contains("current"),
        "{}",
        run.stdout
    );
    assert!(
        lines[2].contains("Now") && lines[2].ends_with("<- current"),
        "{}",
        run.stdout
    );
}

#[test]
fn list_says_when_no_season_is_current() {
    let db = migrated_db();
    create(&db, "Old", "2020-01-01 00:00:00", "2020-02-01 00:00:00").assert_ok();
    db.mmstatus(&["create-season", "--list"])
        .assert_ok()
        .assert_stdout_contains("no season contains now");
}

#[test]
fn needs_a_migrated_database() {
    let db = TestDb::create();
    create(&db, "S", "2027-01-01 00:00:00", "2027-02-01 00:00:00")
        .assert_code(4)
        .assert_error_line("run `mmstatus init-db`");
    let mut conn = db.conn();
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) AS value FROM information_schema.tables WHERE table_schema = DATABASE()"),
        0
    );
}

#[test]
fn a_concurrent_creation_is_turned_away() {
    let db = migrated_db();
    let mut holder = db.conn();
    let lock = format!(
        "SELECT CAST(GET_LOCK('mmstatus:{}:season', 0) AS CHAR) AS value",
        db.name
    );
    assert_eq!(scalar_string(&mut holder, &lock).as_deref(), Some("1"));
    create(&db, "S", "2027-01-01 00:00:00", "2027-02-01 00:00:00")
        .assert_code(5)
        .assert_error_line("already creating a season");
    assert!(seasons(&db).is_empty());
}
