//! compute-stats as a run: which seasons, which statistics, the lock, the
//! exit code of a failing statistic, atomic files.

use crate::stats_harness::StatsDb;
use chrono::{Duration, NaiveDateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::{sql_query, RunQueryDsl};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn paris_now() -> NaiveDateTime {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .naive_local()
}

fn text(time: NaiveDateTime) -> String {
    time.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Season 1 with one map and one club, for runs of every statistic.
fn small_season() -> StatsDb {
    let s = StatsDb::new();
    s.season(1, "2026-01-01 00:00:00", "2026-02-01 00:00:00");
    s.map("M", "Map");
    s.game(1, "M", "2026-01-10 00:00:00", true);
    s.player(1, Some(crate::stats_harness::FRANCE), None, None);
    s.player_season(1, 1, 3000, 1, Some("CLUB"));
    s.played(1, 1, true, false);
    s
}

#[test]
fn seasons_ended_within_a_day_are_computed_latest_end_first() {
    let s = StatsDb::new();
    let now = paris_now();
    s.season(
        1,
        &text(now - Duration::days(90)),
        &text(now - Duration::hours(23)),
    );
    s.season(
        2,
        &text(now - Duration::days(90)),
        &text(now - Duration::hours(25)),
    );
    s.season(
        3,
        &text(now + Duration::days(1)),
        &text(now + Duration::days(100)),
    );
    s.season(
        4,
        &text(now - Duration::hours(23)),
        &text(now + Duration::days(1)),
    );
    let run = s.run(&["compute-stats", "--stats", "maps_statistics", "-v"]);
    run.assert_ok();
    for (season, computed) in [(1, true), (2, false), (3, true), (4, true)] {
        assert_eq!(
            s.exists(&format!("get_maps_statistics_{season}.txt")),
            computed,
            "season {season}: {run:#?}"
        );
    }
    let order: Vec<usize> = ["season 3:", "season 4:", "season 1:"]
        .iter()
        .map(|m| run.stderr.find(m).unwrap_or_else(|| panic!("{m} {run:#?}")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{run:#?}");
}

#[test]
fn an_unknown_season_is_a_usage_error_and_writes_nothing() {
    let s = small_season();
    s.run(&["compute-stats", "--season", "1", "--season", "42"])
        .assert_code(2)
        .assert_error_line("--season 42: no such season");
    assert!(!s.cache().exists());
}

#[test]
fn stats_selects_jobs_by_substring_and_refuses_unknown_names() {
    let s = small_season();
    s.run(&[
        "compute-stats",
        "--season",
        "1",
        "--stats",
        "clubs,maps_stat",
    ])
    .assert_ok();
    let mut files: Vec<String> = std::fs::read_dir(s.cache())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["get_clubs_leaderboard_1.txt", "get_maps_statistics_1.txt"]
    );

    for unknown in ["clubs,nope", "positions"] {
        let run = s.run(&["compute-stats", "--season", "1", "--stats", unknown]);
        run.assert_code(2)
            .assert_error_line("matches no statistic mmstatus computes")
            .assert_error_line("get_players_matches_mvps");
    }
}

#[test]
fn every_computed_statistic_is_written_and_listed() {
    let s = small_season();
    let run = s.run(&["compute-stats", "--season", "1", "--timings"]);
    run.assert_ok()
        .assert_stdout_contains("get_top_100_per_country_0");
    for file in [
        "get_clubs_leaderboard_1.txt",
        "get_countries_leaderboard_1.txt",
        "get_maps_statistics_1.txt",
        "get_top_100_per_country_0_1.txt",
        "top_100_by_country/1/FRA.txt",
        "get_maps_rank_distribution_0_1.txt",
        "get_country_h2h_3000_1.txt",
        "get_country_h2h_4000_1.txt",
        "get_activity_per_rank_distribution_1.txt",
        "get_players_matches_played_1.txt",
        "get_players_matches_wins_1.txt",
        "get_players_matches_losses_1.txt",
        "get_players_matches_mvps_1.txt",
        "get_player_retention_0_1.txt",
        "get_hot_this_week_4000_1.txt",
        "get_hot_this_week_by_points_delta_3000_1.txt",
        "get_new_players_per_week_4000_1.txt",
        "get_cross_rank_frequency_0_1.txt",
    ] {
        assert!(s.exists(file), "{file}");
    }
    // The activity family (S08–S13): 13 files each.
    for base in [
        "activity_per_country",
        "activity_per_players_per_country",
        "activity_per_country_and_hour",
        "activity_per_hour",
        "activity_heatmap",
        "activity_per_day_of_the_week",
    ] {
        for elo in [
            4000, 3600, 3300, 3000, 2600, 2300, 2000, 1600, 1300, 1000, 600, 300, 0,
        ] {
            let file = format!("get_{base}_{elo}_1.txt");
            assert!(s.exists(&file), "{file}");
        }
    }
    // 15 files of S01–S07 and S19, 47 of S14–S18 (13 + 4 + 4 + 13 + 13),
    // 78 of S08–S13 (6 × 13).
    assert_eq!(
        std::fs::read_dir(s.cache()).unwrap().count(),
        15 + 47 + 6 * 13
    );

    // No database configuration needed for the listing.
    let list = crate::common::mmstatus_with_env(&["compute-stats", "--list-stats"], &[]);
    list.assert_ok()
        .assert_stdout_contains("S01  get_clubs_leaderboard:")
        .assert_stdout_contains("S12  get_activity_heatmap");
    assert_eq!(list.stdout.lines().count(), 19, "{}", list.stdout);
}

#[test]
fn a_failing_statistic_keeps_its_file_and_gives_exit_code_8() {
    let s = small_season();
    s.compute(1, "clubs,maps_stat");
    let maps_before = s.file("get_maps_statistics_1.txt");
    let clubs_before = s.file("get_clubs_leaderboard_1.txt");
    s.game(2, "M", "2026-01-11 00:00:00", true);
    s.sql("ALTER TABLE map DROP COLUMN name");

    std::thread::sleep(std::time::Duration::from_millis(20));
    let run = s.run(&[
        "compute-stats",
        "--season",
        "1",
        "--stats",
        "clubs,maps_stat",
    ]);
    run.assert_code(8);
    assert!(
        run.stderr.contains("get_maps_statistics failed"),
        "{run:#?}"
    );
    assert!(
        run.stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("mmstatus: error: 1 of 2 statistics job(s) failed"),
        "{run:#?}"
    );
    assert_eq!(s.file("get_maps_statistics_1.txt"), maps_before);
    let clubs_after = s.file("get_clubs_leaderboard_1.txt");
    assert_ne!(clubs_after["last_updated"], clubs_before["last_updated"]);

    s.sql("ALTER TABLE map ADD COLUMN name varchar(128) NOT NULL DEFAULT 'Map'");
    s.compute(1, "maps_stat");
    assert_eq!(
        s.file("get_maps_statistics_1.txt")["results"][0]["total_played"],
        2
    );
}

#[test]
fn a_reader_never_sees_a_partial_file() {
    let s = small_season();
    for n in 2..=100 {
        s.player(
            n,
            Some(crate::stats_harness::FRANCE),
            Some(4),
            Some("LONG-CLUB-TAG"),
        );
        s.player_season(1, n, 3000 + n as i32, n as i32, Some("LONG-CLUB-TAG"));
    }
    s.compute(1, "top_100");
    let path = s.cache().join("top_100_by_country/1/FRA.txt");
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut reads = 0u32;
            while !done.load(Ordering::Relaxed) {
                let text = std::fs::read_to_string(&path).expect("the file is always there");
                let value: serde_json::Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("invalid JSON after {reads} reads: {e}"));
                assert_eq!(value["results"].as_array().unwrap().len(), 100);
                reads += 1;
            }
            reads
        })
    };
    for _ in 0..8 {
        s.compute(1, "top_100");
    }
    done.store(true, Ordering::Relaxed);
    let reads = reader.join().expect("the reader saw only whole files");
    assert!(reads > 0);
}

#[test]
fn one_run_at_a_time_per_database() {
    let s = small_season();
    let mut holder = s.conn();
    #[derive(diesel::QueryableByName)]
    struct Taken {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        taken: i32,
    }
    let taken: Taken = sql_query("SELECT GET_LOCK(?, 0) AS taken")
        .bind::<Text, _>(format!("mmstatus:{}:stats", s.db.name))
        .get_result(&mut holder)
        .unwrap();
    assert_eq!(taken.taken, 1);
    s.run(&["compute-stats", "--season", "1"]).assert_ok();
    assert!(!s.cache().exists());
    s.run(&["compute-stats", "--season", "1", "--strict"])
        .assert_code(5)
        .assert_error_line("computing statistics");
    holder.batch_execute("DO RELEASE_LOCK('x')").unwrap();
    drop(holder);
    s.run(&["compute-stats", "--season", "1", "--strict"])
        .assert_ok();
    assert!(s.exists("get_maps_statistics_1.txt"));
}

#[test]
fn an_empty_season_writes_empty_results() {
    let s = StatsDb::new();
    s.season(1, "2026-01-01 00:00:00", "2026-02-01 00:00:00");
    s.run(&["compute-stats", "--season", "1"]).assert_ok();
    for file in [
        "get_clubs_leaderboard_1.txt",
        "get_countries_leaderboard_1.txt",
        "get_maps_statistics_1.txt",
        "get_top_100_per_country_0_1.txt",
        "get_players_matches_played_1.txt",
        "get_players_matches_wins_1.txt",
        "get_players_matches_losses_1.txt",
        "get_players_matches_mvps_1.txt",
    ] {
        let mut document = s.document(file);
        document.as_object_mut().unwrap().remove("compute_method");
        assert_eq!(document, serde_json::json!({"results": []}), "{file}");
    }
    assert!(!s.exists("top_100_by_country"));
}

#[test]
fn without_a_terminal_stderr_holds_only_log_lines() {
    let s = small_season();
    let run = s.run(&["compute-stats", "--season", "1", "--timings"]);
    run.assert_ok();
    assert!(s.exists("get_maps_statistics_1.txt"), "{run:#?}");
    assert!(run.stderr.contains("statistics job(s) run"), "{run:#?}");
    for line in run.stderr.lines() {
        assert!(
            line.starts_with('[') && line.contains(" mmstatus"),
            "a log line, not a progress bar: {line:?}"
        );
    }
    for control in ['\r', '\u{1b}'] {
        assert!(!run.stderr.contains(control), "{run:#?}");
    }
    assert!(run.stdout.contains("total"), "the timings table: {run:#?}");
}

#[test]
fn a_deadline_reached_starts_no_more_jobs_and_keeps_the_files() {
    let s = small_season();
    let run = s.run(&["compute-stats", "--season", "1", "--deadline", "0"]);
    run.assert_ok();
    assert!(run.stderr.contains("--deadline reached"), "{run:#?}");
    assert!(run.stderr.contains("0 statistics job(s) run"), "{run:#?}");
    assert!(!s.exists("get_maps_statistics_1.txt"), "{run:#?}");
    let run = s.run(&["compute-stats", "--season", "1", "--deadline", "3600"]);
    run.assert_ok();
    assert!(!run.stderr.contains("--deadline reached"), "{run:#?}");
    assert!(s.exists("get_maps_statistics_1.txt"), "{run:#?}");
}
