//! `mmstatus fetch` as a whole: switches, the lock, run modes, the state
//! table, the health file and the exit codes. Each job has tests of its own.

use crate::collector::Collector;
use crate::common::{count, scalar_string, TestDb};
use diesel::connection::SimpleConnection;

const REFRESH: &str = "/core/v2/authentication/token/refresh";

fn state_rows(c: &Collector) -> Vec<String> {
    crate::common::strings(
        &mut c.conn(),
        "SELECT CONCAT_WS('|', job, error_count, last_success IS NOT NULL) AS value \
         FROM collector_state ORDER BY job",
    )
}

#[test]
fn a_run_records_its_jobs_and_writes_the_health_file() {
    let c = Collector::new(false);
    let run = c.fetch_once("token,watchdog");
    run.assert_ok().assert_stdout_contains("fetch: done in");
    assert_eq!(state_rows(&c), ["token|0|1", "watchdog|0|1"]);
    // The forced Core refresh happened once, and is not due again.
    assert_eq!(c.api.fake.count(REFRESH), 1);
    c.fetch_once("token").assert_ok();
    assert_eq!(c.api.fake.count(REFRESH), 1);

    let health = c.health();
    for thread in ["UpdateMainNadeoTokenThread", "WatchdogThread"] {
        let entry = &health[thread];
        assert_eq!(entry["is_alive"], true, "{health}");
        assert_eq!(entry["error_count"], 0);
        assert!(entry["last_error_time"].is_null());
        assert!(entry["start_time"].as_str().unwrap().contains('T'));
    }
    assert_eq!(health.as_object().unwrap().len(), 2);
}

#[test]
fn the_health_file_keeps_entries_it_does_not_own() {
    let c = Collector::new(false);
    std::fs::create_dir_all(c.cache_dir()).unwrap();
    std::fs::write(
        c.cache_dir().join("thread_health.json"),
        r#"{"UpdateBigQueriesThread": {"is_alive": true, "error_count": 3}}"#,
    )
    .unwrap();
    c.fetch_once("watchdog").assert_ok();
    let health = c.health();
    assert_eq!(health["UpdateBigQueriesThread"]["error_count"], 3);
    assert_eq!(health["WatchdogThread"]["is_alive"], true);
}

#[test]
fn enable_threads_other_than_true_does_nothing() {
    let c = Collector::new(false);
    for value in ["False", "true", ""] {
        let run = c.run(&["fetch", "--once"], &[("ENABLE_THREADS", value)]);
        run.assert_ok();
        assert!(
            run.stderr.contains("ENABLE_THREADS is not True"),
            "{run:#?}"
        );
    }
    assert!(state_rows(&c).is_empty());
    assert!(!c.cache_dir().exists());
    assert!(c.api.fake.requests().is_empty());
}

#[test]
fn a_second_run_leaves_the_work_to_the_first() {
    let c = Collector::new(false);
    let mut holder = c.conn();
    let lock = format!(
        "SELECT CAST(GET_LOCK('mmstatus:{}:fetch', 0) AS CHAR) AS value",
        c.db.name
    );
    assert_eq!(scalar_string(&mut holder, &lock).as_deref(), Some("1"));
    let run = c.fetch_once("token");
    run.assert_ok();
    assert!(run.stderr.contains("previous run still active"), "{run:#?}");
    c.run(&["fetch", "--once", "--strict", "--jobs", "token"], &[])
        .assert_code(5)
        .assert_error_line("another mmstatus run is already collecting");
    assert!(state_rows(&c).is_empty());
    assert_eq!(c.api.fake.count(REFRESH), 0);
    drop(holder);
    c.fetch_once("token").assert_ok();
    assert_eq!(state_rows(&c), ["token|0|1"]);
}

#[test]
fn bad_flags_are_usage_errors() {
    let c = Collector::new(false);
    let run = c.run(&["fetch", "--jobs", "matches,nope"], &[]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("nope") && run.stderr.contains("update-matches"),
        "lists the valid jobs: {run:#?}"
    );
    c.run(&["fetch", "--jobs", "names"], &[]).assert_code(2);
    c.run(&["fetch", "--loop-for", "60", "--deadline", "58"], &[])
        .assert_code(2)
        .assert_error_line("--loop-for (60 s) must not exceed --deadline (58 s)");
    c.run(&["fetch", "--deadline", "0"], &[]).assert_code(2);
    c.run(&["fetch", "--once"], &[("START_ID", "-1")])
        .assert_code(2)
        .assert_error_line("START_ID");
    assert!(state_rows(&c).is_empty());
}

#[test]
fn an_unmigrated_database_is_refused() {
    let db = TestDb::create();
    db.mmstatus(&["fetch", "--once"])
        .assert_code(4)
        .assert_error_line("run `mmstatus init-db`");
}

#[test]
fn a_stale_newest_game_ends_the_run_with_the_watchdog_code() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    // A collector that has run for an hour, whose newest game is 11 minutes old.
    let now = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .naive_local();
    let at = |minutes: i64| (now - chrono::Duration::minutes(minutes)).format("%Y-%m-%d %H:%M:%S");
    conn.batch_execute(&format!(
        "INSERT INTO collector_state (job, created_at) VALUES ('matches', '{}');
         INSERT INTO map (uid, name) VALUES ('m', '');
         INSERT INTO game (id, map_id, min_elo, average_elo, max_elo, time, is_finished, trackmaster_limit)
           VALUES (1, 'm', -1, -1, -1, '{}', 0, 99999)",
        at(60),
        at(11)
    ))
    .unwrap();
    c.fetch_once("watchdog")
        .assert_code(7)
        .assert_error_line("watchdog: the newest game started at");
    assert_eq!(c.health()["WatchdogThread"]["error_count"], 1);

    // A newest game within the limit is not stale.
    conn.batch_execute(&format!("UPDATE game SET time = '{}'", at(9)))
        .unwrap();
    c.fetch_once("watchdog").assert_ok();
    // A young collector is given time to catch up.
    conn.batch_execute(&format!(
        "UPDATE game SET time = '{}'; UPDATE collector_state SET created_at = '{}'",
        at(30),
        at(5)
    ))
    .unwrap();
    c.fetch_once("watchdog").assert_ok();
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) AS value FROM game"),
        1,
        "the watchdog writes nothing but its state"
    );
}

#[test]
fn a_failing_job_gives_exit_code_6_and_is_counted() {
    let c = Collector::new(false);
    // Core refresh refused with no fallback: the token job fails.
    c.api.write_credentials(&serde_json::json!({}));
    let run = c.fetch_once("token,watchdog");
    run.assert_code(6)
        .assert_stdout_contains("errors in token (1)");
    assert!(run.stderr.contains("token:"), "{run:#?}");
    assert!(
        run.stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("mmstatus: error: some jobs recorded errors: token (1)"),
        "{run:#?}"
    );
    assert_eq!(state_rows(&c), ["token|1|0", "watchdog|0|1"]);
    let health = c.health();
    assert_eq!(health["UpdateMainNadeoTokenThread"]["error_count"], 1);
    assert_eq!(health["UpdateMainNadeoTokenThread"]["is_alive"], false);
    assert!(health["UpdateMainNadeoTokenThread"]["last_error_time"].is_string());
}

mod modes {
    use crate::collect_ranks::{hours_ago, minutes_ago, Seed, SENTINEL};
    use crate::collector::Collector;
    use crate::common::scalar_string;
    use crate::fake_nadeo::{Reply, PLAYERS};
    use std::time::{Duration, Instant};

    const RANKS: &str = "/meet/api/matchmaking/5/leaderboard/players";

    fn elo_of(c: &Collector, game: i32) -> String {
        scalar_string(
            &mut c.conn(),
            &format!("SELECT CONCAT_WS('|', min_elo, average_elo, max_elo) AS value FROM game WHERE id = {game}"),
        )
        .unwrap()
    }

    /// A game of two fetched players, its elo not computed yet.
    fn game_needing_elo(c: &Collector, id: i32, players: [usize; 2]) {
        let mut conn = c.conn();
        let mut seed = Seed(&mut conn);
        seed.game(id, &minutes_ago(3), false, (-1, -1, -1));
        for (i, p) in players.into_iter().enumerate() {
            seed.player(PLAYERS[p], 1000 * (i as i32 + 1), 5000, &hours_ago(1), 0);
            seed.played(id, PLAYERS[p], None);
        }
    }

    #[test]
    fn loop_mode_repeats_jobs_at_their_interval_until_the_loop_ends() {
        let c = Collector::new(false);
        game_needing_elo(&c, 1, [0, 1]);
        let started = Instant::now();
        let mut child = c
            .command(
                &[
                    "fetch",
                    "--jobs",
                    "match-elo",
                    "--loop-for",
                    "7",
                    "--deadline",
                    "12",
                ],
                &[],
            )
            .spawn()
            .unwrap();
        // The first iteration computes game 1; game 2 appears after it and is
        // computed by the next iteration, 5 s later.
        while elo_of(&c, 1) == "-1|-1|-1" {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "first iteration"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        game_needing_elo(&c, 2, [2, 3]);
        let status = child.wait().unwrap();
        assert!(status.success());
        assert_eq!(elo_of(&c, 1), "1000|1500|2000");
        assert_eq!(elo_of(&c, 2), "1000|1500|2000", "a second iteration ran");
        assert!(
            started.elapsed() < Duration::from_secs(12),
            "no iteration starts after --loop-for; the run ends before its deadline"
        );
    }

    #[test]
    fn the_deadline_stops_a_run_in_the_middle_of_a_call_and_nothing_is_half_written() {
        let c = Collector::new(false);
        {
            let mut conn = c.conn();
            Seed(&mut conn).player(PLAYERS[0], 0, 99999, SENTINEL, 0);
        }
        c.api.fake.interject(
            "GET",
            RANKS,
            vec![Reply::ok(&serde_json::json!({"results": [
                {"player": PLAYERS[0], "score": 3000, "rank": 10}]}))
            .delayed(Duration::from_secs(4))],
        );
        c.scenario
            .lock()
            .unwrap()
            .ranks
            .insert(PLAYERS[0].to_string(), (3000, 10));
        let started = Instant::now();
        let run = c.run(
            &[
                "fetch",
                "--jobs",
                "ranks",
                "--loop-for",
                "1",
                "--deadline",
                "2",
            ],
            &[],
        );
        let took = started.elapsed();
        run.assert_ok();
        assert!(run.stderr.contains("deadline"), "{run:#?}");
        assert!(
            took < Duration::from_secs(4),
            "stopped at the deadline: {took:?}"
        );
        let points = scalar_string(
            &mut c.conn(),
            "SELECT CONCAT(points, '|', last_points_update) AS value FROM player",
        );
        assert_eq!(points.as_deref(), Some("0|1970-01-01 01:00:00"));
        // The next run does the work.
        c.fetch_once("ranks").assert_ok();
        let points = scalar_string(
            &mut c.conn(),
            "SELECT CAST(points AS CHAR) AS value FROM player",
        );
        assert_eq!(points.as_deref(), Some("3000"));
    }

    #[test]
    fn a_run_started_while_another_works_exits_at_once_and_duplicates_nothing() {
        let c = Collector::new(false);
        game_needing_elo(&c, 1, [0, 1]);
        let mut first = c
            .command(
                // Iterations at 0 s and 5 s: the run lasts about 5 s.
                &[
                    "fetch",
                    "--jobs",
                    "match-elo",
                    "--loop-for",
                    "7",
                    "--deadline",
                    "9",
                ],
                &[],
            )
            .spawn()
            .unwrap();
        let started = Instant::now();
        while elo_of(&c, 1) == "-1|-1|-1" {
            assert!(started.elapsed() < Duration::from_secs(5));
            std::thread::sleep(Duration::from_millis(50));
        }
        let second = c.run(&["fetch", "--once", "--jobs", "match-elo"], &[]);
        second.assert_ok();
        assert!(
            second.stderr.contains("previous run still active"),
            "{second:#?}"
        );
        assert!(
            first.try_wait().unwrap().is_none(),
            "the second run ended while the first still worked"
        );
        assert!(first.wait().unwrap().success());
        assert_eq!(
            crate::common::count(
                &mut c.conn(),
                "SELECT COUNT(*) AS value FROM collector_state"
            ),
            1
        );
    }
}

#[test]
fn the_matchmaking_id_flag_picks_the_leaderboard() {
    let c = Collector::new(false);
    {
        let mut conn = c.conn();
        crate::collect_ranks::Seed(&mut conn).player(
            crate::fake_nadeo::PLAYERS[0],
            0,
            99999,
            crate::collect_ranks::SENTINEL,
            0,
        );
    }
    c.run(
        &[
            "fetch",
            "--once",
            "--jobs",
            "ranks",
            "--matchmaking-id",
            "2",
        ],
        &[("MMSTATUS_MATCHMAKING_ID", "7")],
    )
    .assert_ok();
    assert_eq!(
        c.api
            .fake
            .count("/meet/api/matchmaking/2/leaderboard/players"),
        1
    );
    c.run(
        &["fetch", "--once", "--jobs", "ranks"],
        &[("MMSTATUS_MATCHMAKING_ID", "7")],
    )
    .assert_ok();
    assert_eq!(
        c.api
            .fake
            .count("/meet/api/matchmaking/7/leaderboard/players"),
        1
    );
    c.run(&["fetch", "--matchmaking-id", "0"], &[])
        .assert_code(2);
}
