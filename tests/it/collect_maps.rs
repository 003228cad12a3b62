//! The `maps` job: map names from E8, and the season a newly named map
//! opens (collection.md §2.3; fixtures scenario step 7).

use crate::collector::Collector;
use crate::common::{count, strings};
use crate::fake_nadeo::Reply;
use chrono::{Duration, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::MysqlConnection;
use serde_json::json;

const MAP_PATH: &str = "/live/api/token/map/";

fn now() -> NaiveDateTime {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .naive_local()
}

fn at(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn add_season(conn: &mut MysqlConnection, name: &str, start: NaiveDateTime, end: NaiveDateTime) {
    conn.batch_execute(&format!(
        "INSERT INTO season (name, start_time, end_time, is_aggregated) \
         VALUES ('{name}', '{}', '{}', 0)",
        at(start),
        at(end)
    ))
    .unwrap();
}

/// A season that holds now, a month either side.
fn add_current_season(conn: &mut MysqlConnection, name: &str) {
    add_season(
        conn,
        name,
        now() - Duration::days(30),
        now() + Duration::days(30),
    );
}

fn add_map(conn: &mut MysqlConnection, uid: &str, name: &str) {
    conn.batch_execute(&format!(
        "INSERT INTO map (uid, name) VALUES ('{uid}', '{name}')"
    ))
    .unwrap();
}

fn add_game(conn: &mut MysqlConnection, id: i32, uid: &str, time: NaiveDateTime) {
    conn.batch_execute(&format!(
        "INSERT INTO game (id, map_id, min_elo, average_elo, max_elo, time, is_finished, trackmaster_limit) \
         VALUES ({id}, '{uid}', -1, -1, -1, '{}', 0, 99999)",
        at(time)
    ))
    .unwrap();
}

/// Every season as "name|start|end|is_aggregated", by id.
fn seasons(conn: &mut MysqlConnection) -> Vec<String> {
    strings(
        conn,
        "SELECT CONCAT_WS('|', name, start_time, end_time, is_aggregated) AS value \
         FROM season ORDER BY id",
    )
}

fn map_name(conn: &mut MysqlConnection, uid: &str) -> String {
    strings(
        conn,
        &format!("SELECT name AS value FROM map WHERE uid = '{uid}'"),
    )
    .remove(0)
}

fn serve_map(c: &Collector, uid: &str, name: &str) {
    c.scenario
        .lock()
        .unwrap()
        .maps
        .insert(uid.to_string(), name.to_string());
}

#[test]
fn a_map_of_the_next_season_opens_it_at_its_earliest_game() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    let winter_start = now() - Duration::days(30);
    let winter_end = now() + Duration::days(30);
    add_season(&mut conn, "Winter 2026", winter_start, winter_end);
    add_map(&mut conn, "FAKE_UID", "");
    // The earliest game is not the one with the lowest id.
    let earliest = now() - Duration::hours(2);
    add_game(&mut conn, 1, "FAKE_UID", now() - Duration::minutes(5));
    add_game(&mut conn, 2, "FAKE_UID", earliest);
    serve_map(&c, "FAKE_UID", "Spring 2026 - 03");

    c.fetch_once("maps").assert_ok();
    assert_eq!(map_name(&mut conn, "FAKE_UID"), "Spring 2026 - 03");
    let expected = vec![
        format!("Winter 2026|{}|{}|0", at(winter_start), at(earliest)),
        format!(
            "Spring 2026|{}|{}|0",
            at(earliest),
            at(earliest + Duration::days(150))
        ),
    ];
    assert_eq!(seasons(&mut conn), expected);

    // Named maps are not asked for again, and nothing changes.
    c.fetch_once("maps").assert_ok();
    assert_eq!(c.api.fake.count(&format!("{MAP_PATH}FAKE_UID")), 1);
    assert_eq!(seasons(&mut conn), expected);
}

/// Each case: the current season's name, the map's name, whether the map
/// has a game. None of them opens a season.
#[test]
fn maps_that_do_not_announce_the_next_season_change_no_season() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    let cases = [
        (
            "map of the current season",
            Some("Spring 2026"),
            "Spring 2026 - 02",
            true,
        ),
        (
            "skipped season",
            Some("Spring 2026"),
            "Fall 2026 - 01",
            true,
        ),
        (
            "previous season",
            Some("Spring 2026"),
            "Winter 2026 - 01",
            true,
        ),
        ("wrong year", Some("Winter 2025"), "Spring 2026 - 01", true),
        (
            "no game on the map",
            Some("Winter 2026"),
            "Spring 2026 - 01",
            false,
        ),
        (
            "not a season map",
            Some("Winter 2026"),
            "Random Map Name",
            true,
        ),
        ("lower case", Some("Winter 2026"), "spring 2026 - 01", true),
        (
            "current season not named by the rule",
            Some("Preseason 2026"),
            "Spring 2026 - 01",
            true,
        ),
        ("no current season", None, "Spring 2026 - 01", true),
    ];
    for (case, current, name, with_game) in cases {
        conn.batch_execute("DELETE FROM game; DELETE FROM map; DELETE FROM season")
            .unwrap();
        match current {
            Some(season) => add_current_season(&mut conn, season),
            None => add_season(
                &mut conn,
                "Winter 2026",
                now() - Duration::days(60),
                now() - Duration::days(1),
            ),
        }
        add_map(&mut conn, "MAP", "");
        if with_game {
            add_game(&mut conn, 1, "MAP", now() - Duration::hours(1));
        }
        serve_map(&c, "MAP", name);
        let before = seasons(&mut conn);
        c.fetch_once("maps").assert_ok();
        assert_eq!(map_name(&mut conn, "MAP"), name, "{case}");
        assert_eq!(seasons(&mut conn), before, "{case}");
    }
}

#[test]
fn several_maps_of_the_next_season_open_it_once() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    add_current_season(&mut conn, "Winter 2026");
    // Maps are named in uid order: A opens the season, at its first game.
    add_map(&mut conn, "A_MAP", "");
    add_map(&mut conn, "B_MAP", "");
    let a_first = now() - Duration::hours(3);
    add_game(&mut conn, 1, "A_MAP", a_first);
    add_game(&mut conn, 2, "B_MAP", now() - Duration::hours(4));
    serve_map(&c, "A_MAP", "Spring 2026 - 01");
    serve_map(&c, "B_MAP", "Spring 2026 - 02");

    c.fetch_once("maps").assert_ok();
    let all = seasons(&mut conn);
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(all[0].starts_with("Winter 2026|") && all[0].contains(&format!("|{}|", at(a_first))));
    assert!(
        all[1].starts_with(&format!("Spring 2026|{}|", at(a_first))),
        "{all:?}"
    );
    assert_eq!(map_name(&mut conn, "B_MAP"), "Spring 2026 - 02");
}

#[test]
fn a_season_that_exists_is_not_opened_again() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    add_current_season(&mut conn, "Winter 2026");
    // Created by hand for later, under another case.
    add_season(
        &mut conn,
        "spring 2026",
        now() + Duration::days(31),
        now() + Duration::days(120),
    );
    add_map(&mut conn, "MAP", "");
    add_game(&mut conn, 1, "MAP", now() - Duration::hours(1));
    serve_map(&c, "MAP", "Spring 2026 - 01");
    let before = seasons(&mut conn);
    c.fetch_once("maps").assert_ok();
    assert_eq!(map_name(&mut conn, "MAP"), "Spring 2026 - 01");
    assert_eq!(seasons(&mut conn), before);
}

#[test]
fn only_unnamed_maps_are_fetched_at_most_50_a_pass() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    add_map(&mut conn, "NAMED", "Summer 2025 - 01");
    for i in 0..55 {
        let uid = format!("MAP{i:02}");
        add_map(&mut conn, &uid, "");
        serve_map(&c, &uid, &format!("Map {i}"));
    }
    let map_calls = |c: &Collector| {
        c.api
            .fake
            .requests()
            .iter()
            .filter(|r| r.path.starts_with(MAP_PATH))
            .count()
    };
    c.fetch_once("maps").assert_ok();
    assert_eq!(map_calls(&c), 50);
    let unnamed = "SELECT COUNT(*) AS value FROM map WHERE name = ''";
    assert_eq!(count(&mut conn, unnamed), 5);
    c.fetch_once("maps").assert_ok();
    assert_eq!(map_calls(&c), 55);
    assert_eq!(count(&mut conn, unnamed), 0);
    assert_eq!(c.api.fake.count(&format!("{MAP_PATH}NAMED")), 0);
    assert_eq!(map_name(&mut conn, "NAMED"), "Summer 2025 - 01");
    assert_eq!(map_name(&mut conn, "MAP54"), "Map 54");
}

#[test]
fn names_longer_than_the_column_are_cut_by_characters() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    add_map(&mut conn, "LONG", "");
    let long = format!("Spring 2026 - {}", "é🏁".repeat(100));
    serve_map(&c, "LONG", &long);
    c.fetch_once("maps").assert_ok();
    let expected: String = long.chars().take(128).collect();
    assert_eq!(map_name(&mut conn, "LONG"), expected);
}

/// A fault on one map's E8 call: counted, the map stays unnamed (and opens
/// no season), the other maps are named; the next run names it.
#[test]
fn a_map_the_api_fails_on_stays_unnamed_and_is_retried() {
    let ok = Reply::ok(&json!({"uid": "FAULTY", "name": "Spring 2026 - 01"}));
    let faults = [
        (
            "HTTP 500 without a name",
            Reply::json(
                500,
                &json!({"error": "NotFoundHttpException", "message": "map not found"}),
            ),
        ),
        (
            "timeout",
            ok.clone().delayed(std::time::Duration::from_secs(3)),
        ),
        ("no name", Reply::ok(&json!({"uid": "FAULTY"}))),
        (
            "null name",
            Reply::ok(&json!({"uid": "FAULTY", "name": null})),
        ),
        (
            "truncated body",
            Reply::new(200, r#"{"uid": "FAULTY", "name": "Spr"#),
        ),
    ];
    for (fault, reply) in faults {
        let c = Collector::new(false);
        let mut conn = c.conn();
        add_current_season(&mut conn, "Winter 2026");
        add_map(&mut conn, "FAULTY", "");
        add_map(&mut conn, "GOOD", "");
        add_game(&mut conn, 1, "FAULTY", now() - Duration::hours(1));
        serve_map(&c, "GOOD", "Training - 01");
        c.api
            .fake
            .on("GET", &format!("{MAP_PATH}FAULTY"), vec![reply, ok.clone()]);
        let seasons_before = seasons(&mut conn);

        let run = c.run(
            &["fetch", "--once", "--jobs", "maps"],
            &[("MMSTATUS_HTTP_TIMEOUT", "1")],
        );
        run.assert_code(6)
            .assert_stdout_contains("errors in maps (1)");
        assert!(run.stderr.contains("map FAULTY"), "{fault}: {run:#?}");
        assert_eq!(map_name(&mut conn, "FAULTY"), "", "{fault}");
        assert_eq!(map_name(&mut conn, "GOOD"), "Training - 01", "{fault}");
        assert_eq!(seasons(&mut conn), seasons_before, "{fault}");

        c.fetch_once("maps").assert_ok();
        assert_eq!(map_name(&mut conn, "FAULTY"), "Spring 2026 - 01", "{fault}");
        let after = seasons(&mut conn);
        assert_eq!(after.len(), 2, "{fault}: the retry opens the season");
        assert_eq!(c.api.fake.count(&format!("{MAP_PATH}GOOD")), 1, "{fault}");
    }
}
