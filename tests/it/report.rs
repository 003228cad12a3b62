//! `mmstatus report`: a seeded database and cache give the hand-computed
//! numbers, as text and as an HTML page; an empty database, missing cache
//! files and bad input are said plainly.

use crate::common::{mmstatus_with_env, TestDb, TEST_TZ};
use crate::stats_harness::{uuid, StatsDb, FRANCE, GERMANY};
use chrono::{Duration, NaiveDateTime, Timelike};

const SEASON: i32 = 7;

fn stamp(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Now in the tests' zone, away from the end of an hour: the report's
/// "last 24 hours" are counted in whole hours, and a run crossing into the
/// next hour between seeding and reporting would shift them.
fn now_within_the_hour() -> NaiveDateTime {
    let zone: chrono_tz::Tz = TEST_TZ.parse().unwrap();
    loop {
        let now = chrono::Utc::now().with_timezone(&zone).naive_local();
        if now.minute() < 59 || now.second() < 30 {
            return now.with_nanosecond(0).unwrap();
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

/// Whitespace runs made single spaces, so table rows compare as words.
fn words(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

#[track_caller]
fn assert_line(text: &str, expected: &str) {
    assert!(
        words(text).iter().any(|l| l == expected),
        "no line {expected:?} in:\n{text}"
    );
}

/// Games: in the current hour 1 finished; the previous hour 2 finished and
/// 1 not; 23 hours before the current one 1 finished; one just before the
/// 24 hours; one 3 days ago: 6 games, 4 of them in the last 24 hours.
/// Players (last match): 1 tm (4200 points, rank 5, current hour), 2 m3
/// (4200, rank 50, 3 days ago: the week only), 3 s1 (1250, previous hour),
/// 4 m3 (3650, a match 8 days ago: neither), 5 without a match; 4 and 5
/// have no name, 1 and 2 a zone.
fn seeded(now: NaiveDateTime) -> StatsDb {
    let db = StatsDb::new();
    let hour = now.with_minute(0).unwrap().with_second(0).unwrap();
    db.season(
        SEASON,
        &stamp(now - Duration::days(10)),
        &stamp(now + Duration::days(10)),
    );
    db.map("map1", "Map one");
    let games = [
        (1, hour, true),
        (2, hour - Duration::minutes(50), true),
        (3, hour - Duration::minutes(10), true),
        (4, hour - Duration::minutes(30), false),
        (5, hour - Duration::hours(23), true),
        (6, hour - Duration::hours(23) - Duration::seconds(1), true),
        (7, now - Duration::days(3), true),
        (8, now - Duration::days(8), false),
    ];
    for (id, time, finished) in games {
        db.game(id, "map1", &stamp(time), finished);
    }
    let players = [
        (1, 4200, 5, Some(1)),
        (2, 4200, 50, Some(7)),
        (3, 1250, 900, Some(3)),
        (4, 3650, 200, Some(8)),
        (5, 0, 99999, None),
    ];
    for (n, points, rank, last_match) in players {
        db.player(n, Some(FRANCE), None, None);
        db.sql(&format!(
            "UPDATE player SET points = {points}, `rank` = {rank}, last_match_id = {} \
             WHERE uuid = '{}'",
            last_match.map_or("NULL".to_string(), |m: i32| m.to_string()),
            uuid(n)
        ));
    }
    db.sql(&format!(
        "UPDATE player SET name = '' WHERE uuid = '{}'; \
         UPDATE player SET name = 'Name unknown' WHERE uuid = '{}'; \
         UPDATE player SET zone_id = {GERMANY} WHERE uuid IN ('{}', '{}')",
        uuid(4),
        uuid(5),
        uuid(1),
        uuid(2)
    ));
    db.sql(&format!(
        "INSERT INTO collector_state (job, counter, created_at, last_success, last_error_at, \
         error_count) VALUES ('matches', 0, '{c}', '{ok}', NULL, 0), \
         ('ranks', 0, '{c}', '{old}', '{err}', 3), ('names', 0, '{c}', NULL, NULL, 0)",
        c = stamp(now - Duration::days(1)),
        ok = stamp(now - Duration::minutes(1)),
        old = stamp(now - Duration::hours(2)),
        err = stamp(now - Duration::minutes(5)),
    ));
    db
}

fn epoch_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// S01 with 6 clubs, S11, a broken S03; no S02.
fn seed_cache(db: &StatsDb) {
    let cache = db.cache();
    std::fs::create_dir_all(&cache).unwrap();
    let clubs: Vec<serde_json::Value> = (1..=6)
        .map(|i| serde_json::json!({"name": format!("CLUB{i}"), "points": 10000 - i * 100, "count": i}))
        .collect();
    let write = |name: &str, value: serde_json::Value| {
        std::fs::write(
            cache.join(format!("{name}_{SEASON}.txt")),
            value.to_string(),
        )
        .unwrap()
    };
    write(
        "get_clubs_leaderboard",
        serde_json::json!({"last_updated": epoch_now() - 300.0, "compute_method": "top_10", "results": clubs}),
    );
    write(
        "get_activity_per_hour_0",
        serde_json::json!({"results": {"0-1": 4, "21-22": 17}, "last_updated": epoch_now() - 7200.0}),
    );
    std::fs::write(
        cache.join(format!("get_maps_statistics_{SEASON}.txt")),
        "{not json",
    )
    .unwrap();
}

#[test]
fn text_report_shows_the_hand_computed_numbers() {
    let now = now_within_the_hour();
    let db = seeded(now);
    seed_cache(&db);
    let run = db.run(&["report"]);
    run.assert_ok();
    let out = &run.stdout;
    let hour = now.with_minute(0).unwrap().with_second(0).unwrap();
    let row = |t: NaiveDateTime| t.format("%Y-%m-%d %H:00").to_string();

    assert_line(
        out,
        &format!(
            "Season: {SEASON} \"Season {SEASON}\", {} to {}",
            stamp(now - Duration::days(10)),
            stamp(now + Duration::days(10))
        ),
    );
    assert_line(out, "Totals: 8 games, 5 players (3 named, 2 with a zone)");
    assert_line(
        out,
        "Games in the last 24 hours: 5 (4 finished, 1 not finished)",
    );
    assert_line(out, &format!("{} 1 0", row(hour)));
    assert_line(out, &format!("{} 2 1", row(hour - Duration::hours(1))));
    assert_line(out, &format!("{} 1 0", row(hour - Duration::hours(23))));
    assert_line(out, &format!("{} 0 0", row(hour - Duration::hours(2))));
    assert!(!out.contains(&row(hour - Duration::hours(24))), "{out}");

    assert_line(out, "Trackmaster 1 1");
    assert_line(out, "Master III 0 1");
    assert_line(out, "Silver I 1 1");
    assert_line(out, "Bronze I 0 0");
    assert_line(out, "all 2 3");

    let health = words(out);
    let job = |name: &str| {
        health
            .iter()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} row in:\n{out}"))
            .clone()
    };
    let matches = job("matches");
    assert!(
        matches.starts_with(&format!("matches {} ", stamp(now - Duration::minutes(1))))
            && matches.ends_with(" s never 0 ok"),
        "{matches}"
    );
    assert_eq!(
        job("ranks"),
        format!(
            "ranks {} 2 h {} 3 STALE",
            stamp(now - Duration::hours(2)),
            stamp(now - Duration::minutes(5))
        )
    );
    assert_eq!(job("names"), "names never - never 0 STALE");

    assert_line(out, "Statistics files (cache/, season 7)");
    assert!(
        words(out)
            .iter()
            .any(|l| l.starts_with("S01 1/1 5 min 5 min")),
        "{out}"
    );
    assert!(
        words(out)
            .iter()
            .any(|l| l.starts_with("S02 0/1 not computed yet")),
        "{out}"
    );
    assert!(
        words(out)
            .iter()
            .any(|l| l.starts_with("S03 1/1 - - 1 unreadable")),
        "{out}"
    );
    assert!(
        words(out).iter().any(|l| l.starts_with("S11 1/13 2 h 2 h")),
        "{out}"
    );
    assert_line(out, "Clubs leaderboard (S01), top 5, updated 5 min ago");
    assert_line(out, "1. CLUB1 9900 points 1 players");
    assert_line(out, "5. CLUB5 9500 points 5 players");
    assert!(!out.contains("CLUB6"), "{out}");
    assert_line(out, "Countries leaderboard (S02), top 5: not computed yet");
    assert_line(
        out,
        "Games per hour of the day this season (S11, every tier), updated 2 h ago",
    );
    assert!(
        out.contains("00h 4, 01h 0,") && out.contains("21h 17,"),
        "{out}"
    );
    // The charts: Braille cells with their y scale's maximum.
    assert!(out.contains('⡇'), "{out}");
    assert!(out.lines().any(|l| l.ends_with(" 17")), "{out}");
    assert!(run.stderr.is_empty(), "{run:#?}");
}

#[test]
fn html_report_is_one_page_with_an_svg_per_chart_and_the_same_numbers() {
    let now = now_within_the_hour();
    let db = seeded(now);
    seed_cache(&db);
    let page = db.dir.join("out").join("report.html");
    std::fs::create_dir_all(page.parent().unwrap()).unwrap();
    let run = db.run(&["report", "--html", page.to_str().unwrap()]);
    run.assert_ok();
    assert_eq!(run.stdout.trim(), page.to_str().unwrap());
    let html = std::fs::read_to_string(&page).unwrap();

    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.trim_end().ends_with("</html>"), "{html}");
    for tag in ["html", "head", "body", "table", "svg", "tr", "h2"] {
        assert_eq!(
            html.matches(&format!("<{tag}")).count(),
            html.matches(&format!("</{tag}>")).count(),
            "<{tag}> not closed as often as opened"
        );
    }
    // Games per hour, players per tier, S11.
    assert_eq!(html.matches("<svg").count(), 3, "{html}");
    assert!(!html.contains("<script"), "self-contained and static");
    assert!(!html.contains("src=\"http"), "self-contained");
    assert!(html.contains("Totals: 8 games, 5 players (3 named, 2 with a zone)"));
    assert!(html.contains("Games in the last 24 hours: 5 (4 finished, 1 not finished)"));
    assert!(
        html.contains("<td>Trackmaster</td><td>1</td><td>1</td>"),
        "{html}"
    );
    assert!(
        html.contains("<td>Silver I</td><td>1</td><td>1</td>"),
        "{html}"
    );
    assert!(html.contains("<td>names</td><td>never</td><td>-</td><td>never</td><td>0</td><td><span class=\"stale\">STALE</span></td>"), "{html}");
    assert!(
        html.contains("<td>CLUB5</td><td>9500</td><td>5</td>"),
        "{html}"
    );
    assert!(!html.contains("CLUB6"));
    assert!(
        html.contains("<td>S02</td><td>0/1</td><td>not computed yet</td>"),
        "{html}"
    );
}

#[test]
fn an_empty_database_gives_a_report_that_says_so() {
    let db = StatsDb::new();
    let run = db.run(&["report"]);
    run.assert_ok();
    assert_line(
        &run.stdout,
        "Totals: 0 games, 0 players (0 named, 0 with a zone)",
    );
    assert!(run
        .stdout
        .contains("The database holds no games and no players yet"));
    assert!(run.stdout.contains("Season: none current"));
    assert_line(&run.stdout, "no collector job has run yet");
    assert_line(
        &run.stdout,
        "Statistics files (cache/): no current season, none looked at",
    );
    assert!(!db.cache().exists(), "the report writes nothing");

    let page = db.dir.join("empty.html");
    db.run(&["report", "--html", page.to_str().unwrap()])
        .assert_ok();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("The database holds no games and no players yet"));
    assert_eq!(html.matches("<svg").count(), 0);
}

#[test]
fn a_season_without_cache_files_says_not_computed_yet() {
    let now = now_within_the_hour();
    let db = seeded(now);
    let run = db.run(&["report"]);
    run.assert_ok();
    for code in ["S01 0/1", "S08 0/13", "S19 0/4"] {
        assert!(
            words(&run.stdout)
                .iter()
                .any(|l| l.starts_with(&format!("{code} not computed yet"))),
            "{run:#?}"
        );
    }
    assert_line(
        &run.stdout,
        "Clubs leaderboard (S01), top 5: not computed yet",
    );
    assert_line(
        &run.stdout,
        "Games per hour of the day this season (S11, every tier): not computed yet",
    );
}

#[test]
fn bad_input_is_one_error_line_and_writes_nothing() {
    mmstatus_with_env(&["report", "--bogus"], &[]).assert_code(2);
    mmstatus_with_env(&["report", "--html"], &[]).assert_code(2);
    mmstatus_with_env(
        &["report"],
        &[("DATABASE_URL", "mysql://root:sekrit@127.0.0.1:1/db")],
    )
    .assert_code(3)
    .assert_error_line("cannot reach the database server at 127.0.0.1:1");

    let unmigrated = TestDb::create();
    unmigrated
        .mmstatus(&["report"])
        .assert_code(4)
        .assert_error_line("mmstatus migrate");

    let db = StatsDb::new();
    let page = db.dir.join("missing-folder").join("report.html");
    let run = db.run(&["report", "--html", page.to_str().unwrap()]);
    run.assert_code(1).assert_error_line("cannot write");
    assert!(!page.parent().unwrap().exists());
    assert!(run.stdout.is_empty(), "{run:#?}");
}
