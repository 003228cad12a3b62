//! `rankstatrollup` maintenance (stats.md §5) against the real server:
//! period bounds, P-overlap per tier, inclusive bounds, daylight-saving
//! days, incremental runs against one backfill, reruns, and the adoption of
//! a reference database holding duplicate rows.

use crate::common::{count, strings, TestDb};
use crate::reference_db;
use crate::reference_schema::assert_matches_reference;
use chrono::{Duration, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::MysqlConnection;
use mmstatus::stats::rollups::{self, PeriodKind};
use mmstatus::time::LocalZone;

const MAP: &str = "MapUid_Rollups_000000000000001";

fn paris() -> LocalZone {
    LocalZone::from_setting(Some("Europe/Paris")).unwrap()
}

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
}

/// A migrated database with one map.
fn migrated() -> (TestDb, MysqlConnection) {
    let db = TestDb::create();
    db.mmstatus(&["migrate"]).assert_ok();
    let mut conn = db.conn();
    conn.batch_execute(&format!(
        "INSERT INTO map (uid, name) VALUES ('{MAP}', 'Rollups')"
    ))
    .unwrap();
    (db, conn)
}

/// Inserts games: (id, time, min_elo, max_elo, trackmaster_limit).
fn games(conn: &mut MysqlConnection, games: &[(i32, &str, i32, i32, i32)]) {
    for (id, time, min, max, limit) in games {
        let average = if *min < 0 { -1 } else { (min + max) / 2 };
        conn.batch_execute(&format!(
            "INSERT INTO game (id, map_id, min_elo, average_elo, max_elo, time, is_finished, \
               trackmaster_limit, rounds) \
             VALUES ({id}, '{MAP}', {min}, {average}, {max}, '{time}', 0, {limit}, 0)"
        ))
        .unwrap();
    }
}

/// Every row but its id, as `period|rank|start|end|count|last`, in key order.
fn rollup_rows(conn: &mut MysqlConnection) -> Vec<String> {
    strings(
        conn,
        "SELECT CONCAT_WS('|', period, `rank`, start_time, end_time, count, \
           IFNULL(last_game_time, 'NULL')) AS value \
         FROM rankstatrollup ORDER BY period, start_time, `rank`",
    )
}

/// The rows of one period that counted a game, as `rank|count|last`.
fn counted(conn: &mut MysqlConnection, period: i32, start: &str) -> Vec<String> {
    strings(
        conn,
        &format!(
            "SELECT CONCAT_WS('|', `rank`, count, IFNULL(last_game_time, 'NULL')) AS value \
             FROM rankstatrollup WHERE period = {period} AND start_time = '{start}' \
               AND count > 0 ORDER BY `rank`"
        ),
    )
}

/// The periods written, as `period|start|end|rows|rows with a NULL last time`.
fn periods(conn: &mut MysqlConnection) -> Vec<String> {
    strings(
        conn,
        "SELECT CONCAT_WS('|', period, start_time, end_time, COUNT(*), \
           SUM(count = 0 AND last_game_time IS NULL)) AS value \
         FROM rankstatrollup GROUP BY period, start_time, end_time ORDER BY period, start_time",
    )
}

const WEDNESDAY: &str = "2025-07-09 12:22:00";

/// Games around the periods of Wednesday 2025-07-09 12:22.
fn games_around_wednesday(conn: &mut MysqlConnection) {
    games(
        conn,
        &[
            // The last complete hour, 11:00-11:59:59.
            (1, "2025-07-09 11:00:00", 2900, 3700, 4200), // g3, m1, m2, m3
            (2, "2025-07-09 11:59:59", -1, -1, 99999),    // elos not computed: none
            (3, "2025-07-09 11:30:00", 4100, 4500, 999999), // tm only
            (4, "2025-07-09 11:45:00", 4100, 4100, 1000000), // tm's X false: none
            (5, "2025-07-09 11:59:59", 0, 250, 99999),    // b1, at the last second
            (6, "2025-07-09 12:00:00", 1000, 1000, 99999), // the next hour
            (7, "2025-07-09 10:59:59", 1000, 1000, 99999), // the hour before
            // Yesterday, 2025-07-08.
            (8, "2025-07-08 00:00:00", 299, 300, 99999), // b1, b2
            (9, "2025-07-08 23:59:59", 300, 300, 99999), // b2
            // The week 2025-06-30 .. 2025-07-06.
            (10, "2025-07-06 23:59:59", 1600, 1999, 99999), // s3
            (11, "2025-06-30 00:00:00", 1999, 2000, 99999), // s3, g1 (and June)
            (12, "2025-07-07 00:00:00", 600, 600, 99999),   // the next week
            // June.
            (13, "2025-06-01 00:00:00", 3999, 4000, 4000), // m3 (4000 >= 3600), tm
            (14, "2025-05-31 23:59:59", 600, 600, 99999),  // May
        ],
    );
}

#[test]
fn maintenance_writes_every_tier_of_each_last_complete_period() {
    let (_db, mut conn) = migrated();
    games_around_wednesday(&mut conn);
    let report = rollups::maintain(&mut conn, &paris(), at(WEDNESDAY)).unwrap();
    assert_eq!(report.rows_inserted(), 4 * 13);
    let kinds: Vec<PeriodKind> = report.kinds.iter().map(|(k, _, _)| *k).collect();
    assert_eq!(kinds, PeriodKind::MAINTENANCE_ORDER);

    // period|start|end|rows|empty rows: hourly 0, weekly 1, monthly 2, daily 3.
    assert_eq!(
        periods(&mut conn),
        [
            "0|2025-07-09 11:00:00|2025-07-09 11:59:59|13|7",
            "1|2025-06-30 00:00:00|2025-07-06 23:59:59|13|11",
            "2|2025-06-01 00:00:00|2025-06-30 23:59:59|13|9",
            "3|2025-07-08 00:00:00|2025-07-08 23:59:59|13|11",
        ]
    );
    assert_eq!(
        counted(&mut conn, 0, "2025-07-09 11:00:00"),
        [
            "0|1|2025-07-09 11:59:59",
            "8|1|2025-07-09 11:00:00",
            "9|1|2025-07-09 11:00:00",
            "10|1|2025-07-09 11:00:00",
            "11|1|2025-07-09 11:00:00",
            "12|1|2025-07-09 11:30:00",
        ]
    );
    assert_eq!(
        counted(&mut conn, 3, "2025-07-08 00:00:00"),
        ["0|1|2025-07-08 00:00:00", "1|2|2025-07-08 23:59:59"]
    );
    assert_eq!(
        counted(&mut conn, 1, "2025-06-30 00:00:00"),
        ["5|2|2025-07-06 23:59:59", "6|1|2025-06-30 00:00:00"]
    );
    assert_eq!(
        counted(&mut conn, 2, "2025-06-01 00:00:00"),
        [
            "5|1|2025-06-30 00:00:00",
            "6|1|2025-06-30 00:00:00",
            "11|1|2025-06-01 00:00:00",
            "12|1|2025-06-01 00:00:00",
        ]
    );
    // Empty tiers: count 0 and no time.
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS value FROM rankstatrollup \
             WHERE count = 0 AND last_game_time IS NULL"
        ),
        7 + 11 + 9 + 11
    );
}

#[test]
fn the_sunday_of_a_week_still_gives_the_week_before() {
    let (_db, mut conn) = migrated();
    games_around_wednesday(&mut conn);
    rollups::maintain(&mut conn, &paris(), at("2025-07-13 23:59:59")).unwrap();
    assert_eq!(
        strings(
            &mut conn,
            "SELECT DISTINCT CONCAT_WS('|', start_time, end_time) AS value \
             FROM rankstatrollup WHERE period = 1"
        ),
        ["2025-06-30 00:00:00|2025-07-06 23:59:59"]
    );
}

#[test]
fn a_rerun_adds_nothing_and_never_updates_a_row() {
    let (_db, mut conn) = migrated();
    games_around_wednesday(&mut conn);
    rollups::maintain(&mut conn, &paris(), at(WEDNESDAY)).unwrap();
    let before = rollup_rows(&mut conn);
    // A game stored late, in the hour already rolled up, is not counted.
    games(&mut conn, &[(100, "2025-07-09 11:10:00", 0, 0, 99999)]);
    let again = rollups::maintain(&mut conn, &paris(), at("2025-07-09 12:59:59")).unwrap();
    assert_eq!(again.rows_inserted(), 0);
    assert_eq!(rollup_rows(&mut conn), before);
    let backfill = rollups::backfill(&mut conn, &paris(), at(WEDNESDAY)).unwrap();
    let before_backfill_rows = before.len();
    assert!(backfill.rows_inserted() > 0, "older periods are created");
    assert_eq!(
        &rollup_rows(&mut conn)
            .into_iter()
            .filter(|r| before.contains(r))
            .count(),
        &before_backfill_rows,
        "rows already there are kept as they were"
    );
    let total = rollup_rows(&mut conn);
    let rerun = rollups::backfill(&mut conn, &paris(), at(WEDNESDAY)).unwrap();
    assert_eq!(rerun.rows_inserted(), 0);
    assert_eq!(rollup_rows(&mut conn), total);
}

/// A deterministic spread of games over 2025-10-20 .. 2025-11-04 (two month
/// ends, three week ends, the autumn daylight-saving change).
fn spread_games(conn: &mut MysqlConnection) {
    let start = at("2025-10-20 00:17:00");
    let mut state: u32 = 12345;
    let mut next = move |modulo: u32| {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
        (state >> 8) % modulo
    };
    let mut rows = vec![(1000, start.to_string(), 1000, 1000, 99999)];
    for id in 1..=600 {
        let time = start + Duration::seconds(i64::from(id) * 2311 + i64::from(next(600)));
        let (min, max) = match next(10) {
            0 => (-1, -1),
            _ => {
                let min = next(4300) as i32;
                (min, min + next(900) as i32)
            }
        };
        let limit = [4000, 4300, 99999, 999999][next(4) as usize];
        rows.push((id, time.to_string(), min, max, limit));
    }
    let rows: Vec<(i32, &str, i32, i32, i32)> = rows
        .iter()
        .map(|(id, t, a, b, l)| (*id, t.as_str(), *a, *b, *l))
        .collect();
    games(conn, &rows);
}

#[test]
fn incremental_runs_equal_one_backfill() {
    let now = at("2025-11-06 09:05:00");
    let (_one, mut backfilled) = migrated();
    spread_games(&mut backfilled);
    let report = rollups::backfill(&mut backfilled, &paris(), now).unwrap();
    let kinds: Vec<PeriodKind> = report.kinds.iter().map(|(k, _, _)| *k).collect();
    assert_eq!(kinds, PeriodKind::BACKFILL_ORDER);

    let (_two, mut incremental) = migrated();
    spread_games(&mut incremental);
    let mut t = at("2025-10-20 00:17:00"); // the oldest game's time
    while t <= now {
        rollups::maintain(&mut incremental, &paris(), t).unwrap();
        t += Duration::hours(1);
    }
    rollups::maintain(&mut incremental, &paris(), now).unwrap();

    let rows = rollup_rows(&mut backfilled);
    let other = rollup_rows(&mut incremental);
    let first_difference = rows.iter().zip(&other).find(|(a, b)| a != b);
    assert_eq!(first_difference, None, "backfill | incremental");
    assert_eq!(rows.len(), other.len());
    let after_incremental = rollups::backfill(&mut incremental, &paris(), now).unwrap();
    assert_eq!(
        after_incremental.rows_inserted(),
        0,
        "nothing left to backfill"
    );
    // From the hour, day, week and month before the oldest game to the last
    // complete ones: 2025-10-19 23:00 .. 2025-11-06 08:00, 10-19 .. 11-05,
    // the weeks of 10-13 .. 10-27, September and October.
    let hours = 17 * 24 + 10;
    let expected_periods = hours + 18 + 3 + 2;
    assert_eq!(rows.len(), expected_periods * 13);
    assert_eq!(report.rows_inserted(), rows.len());
    let total: i64 = count(
        &mut backfilled,
        "SELECT CAST(SUM(count) AS SIGNED) AS value FROM rankstatrollup WHERE period = 0",
    );
    assert!(total > 600, "games spanning several tiers count in each");
}

#[test]
fn daylight_saving_hours_are_naive_local_periods() {
    let (_db, mut conn) = migrated();
    games(
        &mut conn,
        &[
            // 2025-10-26: 02:00-02:59 happens twice; both games read 02:30.
            (1, "2025-10-26 01:59:59", 1000, 1000, 99999),
            (2, "2025-10-26 02:30:00", 1000, 1000, 99999),
            (3, "2025-10-26 02:30:00", 1000, 1000, 99999),
            (4, "2025-10-26 03:00:00", 1000, 1000, 99999),
        ],
    );
    // During the second 02:xx, the last complete hour is 01:00.
    rollups::maintain(&mut conn, &paris(), at("2025-10-26 02:40:00")).unwrap();
    assert_eq!(
        counted(&mut conn, 0, "2025-10-26 01:00:00"),
        ["3|1|2025-10-26 01:59:59"]
    );
    // From 03:00, the repeated hour holds the games of both real hours.
    rollups::maintain(&mut conn, &paris(), at("2025-10-26 03:00:00")).unwrap();
    assert_eq!(
        counted(&mut conn, 0, "2025-10-26 02:00:00"),
        ["3|2|2025-10-26 02:30:00"]
    );
    rollups::maintain(&mut conn, &paris(), at("2025-10-27 00:00:00")).unwrap();
    assert_eq!(
        counted(&mut conn, 3, "2025-10-26 00:00:00"),
        ["3|4|2025-10-26 03:00:00"]
    );

    // 2025-03-30: 02:00-02:59 does not exist; its rows are there, all 0.
    rollups::maintain(&mut conn, &paris(), at("2025-03-30 03:10:00")).unwrap();
    assert_eq!(
        strings(
            &mut conn,
            "SELECT CONCAT_WS('|', COUNT(*), SUM(count), MAX(end_time)) AS value \
             FROM rankstatrollup WHERE period = 0 AND start_time = '2025-03-30 02:00:00'"
        ),
        ["13|0|2025-03-30 02:59:59"]
    );
}

#[test]
fn no_game_no_backfill() {
    let (_db, mut conn) = migrated();
    let report = rollups::backfill(&mut conn, &paris(), at(WEDNESDAY)).unwrap();
    assert_eq!(report.rows_inserted(), 0);
    assert!(rollup_rows(&mut conn).is_empty());
}

#[test]
fn the_unique_key_refuses_a_second_row_per_period_and_tier() {
    let (_db, mut conn) = migrated();
    let insert = "INSERT INTO rankstatrollup (start_time, end_time, period, `rank`, count) \
                  VALUES ('2025-07-09 11:00:00', '2025-07-09 11:59:59', 0, 3, 1)";
    conn.batch_execute(insert).unwrap();
    let err = conn.batch_execute(insert).unwrap_err().to_string();
    assert!(
        err.contains("rankstatrollup_period_rank_start_end"),
        "{err}"
    );
}

/// Duplicates the reference's writers left: the key of seed row 1 three
/// times (one copy with another count), another key twice.
const DUPLICATES: &str = "
INSERT INTO rankstatrollup VALUES
  (2, '2026-03-01 20:00:00', '2026-03-01 20:59:59', 0, 9, 1, '2026-03-01 20:15:00'),
  (3, '2026-03-01 20:00:00', '2026-03-01 20:59:59', 0, 9, 2, '2026-03-01 20:15:00'),
  (4, '2026-03-01 00:00:00', '2026-03-01 23:59:59', 3, 9, 1, '2026-03-01 20:15:00'),
  (5, '2026-03-01 00:00:00', '2026-03-01 23:59:59', 3, 9, 1, '2026-03-01 20:15:00'),
  (6, '2026-03-01 00:00:00', '2026-03-01 23:59:59', 3, 8, 0, NULL);";

fn rollup_ids(conn: &mut MysqlConnection) -> Vec<String> {
    strings(
        conn,
        "SELECT CONCAT_WS('|', id, count) AS value FROM rankstatrollup ORDER BY id",
    )
}

#[test]
fn adoption_keeps_one_row_per_key_and_says_so() {
    let db = TestDb::create();
    let mut conn = reference_db::build(&db, 38);
    conn.batch_execute(DUPLICATES).unwrap();
    db.mmstatus(&["migrate"])
        .assert_ok()
        .assert_stdout_contains(
            "rankstatrollup: deleted 3 duplicate row(s) of 2 (period, rank, start_time, end_time) \
         key(s), keeping the row of lowest id of each; the copies of 1 key(s) differed in \
         count or last_game_time",
        );
    assert_eq!(rollup_ids(&mut conn), ["1|1", "4|1", "6|0"]);
    assert_matches_reference(&mut conn);
    let again = db.mmstatus(&["migrate"]);
    again.assert_ok();
    assert!(!again.stdout.contains("duplicate"), "{}", again.stdout);
}

#[test]
fn adoption_without_duplicates_reports_none() {
    let db = TestDb::create();
    let mut conn = reference_db::build(&db, 38);
    let run = db.mmstatus(&["migrate"]);
    run.assert_ok()
        .assert_stdout_contains("applied 2026-11-29-153000_rankstatrollup_unique");
    assert!(!run.stdout.contains("duplicate"), "{}", run.stdout);
    assert_eq!(rollup_ids(&mut conn), ["1|1"]);
}

/// A same-named key of another shape (made by hand) over duplicate rows:
/// refused, and the repair deletes the duplicates before adding the key.
#[test]
fn a_wrong_key_over_duplicates_is_refused_with_a_repair_that_works() {
    let db = TestDb::create();
    let mut conn = reference_db::build(&db, 38);
    conn.batch_execute(DUPLICATES).unwrap();
    conn.batch_execute(
        "CREATE INDEX rankstatrollup_period_rank_start_end ON rankstatrollup (period, `rank`)",
    )
    .unwrap();
    let refused = db.mmstatus(&["migrate"]);
    refused.assert_code(4).assert_error_line(
        "index rankstatrollup_period_rank_start_end on rankstatrollup is non-unique on period,rank",
    );
    assert_eq!(rollup_ids(&mut conn).len(), 6, "nothing deleted");
    let (_, repair) = refused
        .stderr
        .split_once("then `mmstatus migrate` again: ")
        .unwrap();
    assert!(
        repair.starts_with("DELETE `dup` FROM `rankstatrollup`"),
        "{repair}"
    );
    conn.batch_execute(repair.trim()).unwrap();
    db.mmstatus(&["migrate"])
        .assert_ok()
        .assert_stdout_contains(
            "recorded 2026-11-29-153000_rankstatrollup_unique without running it",
        );
    assert_eq!(rollup_ids(&mut conn), ["1|1", "4|1", "6|0"]);
    assert_matches_reference(&mut conn);
}

mod through_compute_stats {
    use crate::common::count;
    use crate::stats_harness::StatsDb;

    fn paris_now_minus(hours: i64) -> String {
        (chrono::Utc::now()
            .with_timezone(&chrono_tz::Europe::Paris)
            .naive_local()
            - chrono::Duration::hours(hours))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
    }

    fn rows(s: &StatsDb) -> i64 {
        count(
            &mut s.conn(),
            "SELECT COUNT(*) AS value FROM rankstatrollup",
        )
    }

    #[test]
    fn only_rollups_maintains_the_last_periods_and_backfill_the_history() {
        let s = StatsDb::new();
        s.map("m", "Map");
        s.sql(&format!(
            "INSERT INTO game (id, map_id, min_elo, average_elo, max_elo, time, is_finished, trackmaster_limit) \
             VALUES (1, 'm', 1000, 1200, 1400, '{}', 1, 99999), (2, 'm', 1000, 1200, 1400, '{}', 1, 99999)",
            paris_now_minus(24 * 45),
            paris_now_minus(1)
        ));
        let run = s.run(&["compute-stats", "--only", "rollups"]);
        run.assert_ok()
            .assert_stdout_contains("rollups: hourly 1 period(s) (13 rows)");
        assert_eq!(
            rows(&s),
            4 * 13,
            "the last hour, day, week and month, every tier"
        );
        assert!(!s.cache().exists(), "no statistics file");
        s.run(&["compute-stats", "--only", "rollups"])
            .assert_ok()
            .assert_stdout_contains("hourly 0 period(s) (0 rows)");
        assert_eq!(rows(&s), 52, "a rerun adds nothing");

        s.run(&["compute-stats", "--only", "rollups", "--backfill"])
            .assert_ok();
        let after = rows(&s);
        assert!(
            after > 45 * 24 * 13,
            "every hour since the oldest game: {after}"
        );
        s.run(&["compute-stats", "--only", "rollups", "--backfill"])
            .assert_ok();
        assert_eq!(rows(&s), after, "a second backfill adds nothing");

        s.run(&["compute-stats", "--only", "statistics", "--backfill"])
            .assert_code(2)
            .assert_error_line("--backfill concerns the rollups");
        s.run(&["compute-stats", "--only", "nothing"])
            .assert_code(2);
    }

    #[test]
    fn only_statistics_leaves_the_rollups_alone() {
        let s = StatsDb::new();
        s.map("m", "Map");
        s.game(1, "m", &paris_now_minus(1), true);
        s.run(&["compute-stats", "--only", "statistics"])
            .assert_ok();
        assert_eq!(rows(&s), 0);
        s.run(&["compute-stats"]).assert_ok();
        assert_eq!(rows(&s), 52, "without --only: rollups, then statistics");
    }
}
