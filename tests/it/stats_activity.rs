//! The activity family. S11–S13: games with a computed elo in the season
//! window (both ends), unfinished ones too, P-cum on min_elo, bucketed by the
//! stored local hour and day of the week (0 = Sunday). S08/S10: participations
//! of such games, P-cum on max_elo, per current country (null fields without
//! one), `wins` from is_win. S09: players whose last match started strictly
//! after the season start, P-player-cum on current points and rank.

use crate::stats_harness::{uuid, StatsDb, FRANCE, GERMANY};
use serde_json::{json, Map, Value};

const ELOS: [i32; 13] = [
    4000, 3600, 3300, 3000, 2600, 2300, 2000, 1600, 1300, 1000, 600, 300, 0,
];
const BASES: [&str; 6] = [
    "activity_per_country",
    "activity_per_players_per_country",
    "activity_per_country_and_hour",
    "activity_per_hour",
    "activity_heatmap",
    "activity_per_day_of_the_week",
];
const SPAIN: i32 = 6;
const EUROPE: i32 = 5;

/// Game `id` on map "M" with its elos and Trackmaster limit.
fn game(s: &StatsDb, id: i32, time: &str, elos: (i32, i32, i32), tl: i32, finished: bool) {
    s.game(id, "M", time, finished);
    let (min, avg, max) = elos;
    s.sql(&format!(
        "UPDATE game SET min_elo = {min}, average_elo = {avg}, max_elo = {max}, \
         trackmaster_limit = {tl} WHERE id = {id}"
    ));
}

fn season(s: &StatsDb) {
    s.season(1, "2026-01-01 00:00:00", "2026-02-01 00:00:00");
    s.map("M", "Map");
}

/// The 24 hour keys, 0 except the given hours.
fn hours(counts: &[(usize, i64)]) -> Map<String, Value> {
    (0..24)
        .map(|h| {
            let n = counts
                .iter()
                .find(|(at, _)| *at == h)
                .map_or(0, |(_, n)| *n);
            (format!("{h}-{}", h + 1), json!(n))
        })
        .collect()
}

/// The 7 day keys, 0 except the given days.
fn days(counts: &[(usize, i64)]) -> Value {
    let days: Map<String, Value> = (0..7)
        .map(|d| {
            let n = counts
                .iter()
                .find(|(at, _)| *at == d)
                .map_or(0, |(_, n)| *n);
            (d.to_string(), json!(n))
        })
        .collect();
    Value::Object(days)
}

fn cells(cells: &[(i64, i64, i64)]) -> Value {
    cells
        .iter()
        .map(|(day, hour, count)| json!({"day": day, "hour": hour, "count": count}))
        .collect()
}

/// A country group of S08/S10 with its zone fields.
fn zone(id: Option<i32>) -> Map<String, Value> {
    let (name, file, alpha3) = match id {
        None => (None, None, None),
        Some(2) => (Some("France"), Some("FRA.png"), Some("FRA")),
        Some(3) => (Some("Germany"), Some("GER.png"), Some("GER")),
        Some(5) => (Some("Europe"), Some("EUR.png"), None),
        Some(6) => (Some("Spain"), Some("ESP.png"), Some("ESP")),
        Some(other) => panic!("no zone {other} in the scenarios"),
    };
    let mut fields = Map::new();
    fields.insert("id".into(), json!(id));
    fields.insert("name".into(), json!(name));
    fields.insert("file_name".into(), json!(file));
    fields.insert("country_alpha3".into(), json!(alpha3));
    fields
}

fn country_total(id: Option<i32>, total: i64, wins: i64) -> Value {
    let mut fields = zone(id);
    fields.insert("total".into(), json!(total));
    fields.insert("wins".into(), json!(wins));
    Value::Object(fields)
}

fn country_hours(id: Option<i32>, counts: &[(usize, i64)]) -> Value {
    let mut fields = zone(id);
    fields.extend(hours(counts));
    Value::Object(fields)
}

fn players_total(id: Option<i32>, total: i64) -> Value {
    let mut fields = zone(id);
    fields.insert("total".into(), json!(total));
    Value::Object(fields)
}

fn results(s: &StatsDb, base: &str, elo: i32) -> Value {
    s.document(&format!("get_{base}_{elo}_1.txt"))["results"].clone()
}

#[test]
fn games_per_hour_day_and_cell_follow_p_cum_on_min_elo_and_the_inclusive_window() {
    let s = StatsDb::new();
    season(&s);
    // Thursday 00:00, the window's first second: m3 (3600 < limit 4200) and below.
    game(&s, 1, "2026-01-01 00:00:00", (3600, 3700, 3800), 4200, true);
    // Sunday 00:00, its last second: exactly at the limit, tm (not m3).
    game(&s, 2, "2026-02-01 00:00:00", (4200, 4300, 4400), 4200, true);
    // Thursday 23:59:59, one under the limit: m3.
    game(&s, 3, "2026-01-15 23:59:59", (4199, 4200, 4300), 4200, true);
    // Saturday 12:00, no Trackmaster known: never tm, m3 however high.
    game(
        &s,
        4,
        "2026-01-10 12:00:00",
        (5000, 5100, 5200),
        99_999,
        true,
    );
    // Saturday 12:30, unfinished, one under 3600: m2 and below.
    game(
        &s,
        5,
        "2026-01-10 12:30:00",
        (3599, 3700, 3800),
        99_999,
        false,
    );
    // Monday 13:xx, Bronze I only (299 is under Bronze II's 300).
    game(&s, 6, "2026-01-05 13:00:00", (0, 100, 200), 999_999, true);
    game(&s, 7, "2026-01-05 13:10:00", (299, 400, 500), 999_999, true);
    // Not counted: elo not computed, one second outside either end.
    game(&s, 8, "2026-01-10 12:00:00", (5000, -1, 5000), 99_999, true);
    game(
        &s,
        9,
        "2025-12-31 23:59:59",
        (5000, 5000, 5000),
        99_999,
        true,
    );
    game(
        &s,
        10,
        "2026-02-01 00:00:01",
        (5000, 5000, 5000),
        99_999,
        true,
    );

    s.compute(
        1,
        "activity_per_hour,activity_heatmap,activity_per_day_of_the_week",
    );

    let expected = [
        (4000, vec![(0, 0, 1)]),
        (3600, vec![(4, 0, 1), (4, 23, 1), (6, 12, 1)]),
        (3300, vec![(0, 0, 1), (4, 0, 1), (4, 23, 1), (6, 12, 2)]),
        (300, vec![(0, 0, 1), (4, 0, 1), (4, 23, 1), (6, 12, 2)]),
        (
            0,
            vec![(0, 0, 1), (1, 13, 2), (4, 0, 1), (4, 23, 1), (6, 12, 2)],
        ),
    ];
    for (elo, heatmap) in expected {
        assert_eq!(
            results(&s, "activity_heatmap", elo),
            cells(&heatmap),
            "{elo}"
        );
        let mut per_hour = vec![];
        let mut per_day = vec![];
        for (day, hour, n) in &heatmap {
            per_hour.push((*hour as usize, *n));
            per_day.push((*day as usize, *n));
        }
        let sum = |pairs: Vec<(usize, i64)>| -> Vec<(usize, i64)> {
            let mut sums = [0i64; 24];
            for (at, n) in pairs {
                sums[at] += n;
            }
            sums.iter()
                .copied()
                .enumerate()
                .filter(|(_, n)| *n > 0)
                .collect()
        };
        assert_eq!(
            results(&s, "activity_per_hour", elo),
            Value::Object(hours(&sum(per_hour))),
            "{elo}"
        );
        assert_eq!(
            results(&s, "activity_per_day_of_the_week", elo),
            days(&sum(per_day)),
            "{elo}"
        );
    }
    // Written out once by hand for m3: hours 0, 12, 23; Thursday twice, Saturday once.
    assert_eq!(
        results(&s, "activity_per_hour", 3600),
        Value::Object(hours(&[(0, 1), (12, 1), (23, 1)]))
    );
    assert_eq!(
        results(&s, "activity_per_day_of_the_week", 3600),
        json!({"0": 0, "1": 0, "2": 0, "3": 0, "4": 2, "5": 0, "6": 1})
    );
    for elo in ELOS {
        for base in [
            "activity_per_hour",
            "activity_heatmap",
            "activity_per_day_of_the_week",
        ] {
            assert!(s.exists(&format!("get_{base}_{elo}_1.txt")), "{base} {elo}");
        }
    }
}

#[test]
fn hours_and_days_are_the_stored_local_times_across_midnight_and_daylight_saving() {
    let s = StatsDb::new();
    s.season(1, "2026-03-01 00:00:00", "2026-11-01 00:00:00");
    s.map("M", "Map");
    let elos = (1000, 1100, 1200);
    // Europe/Paris springs forward on Sunday 2026-03-29 at 02:00: 02:30
    // never happens on the clock, but a stored 02:30 is hour 2.
    game(&s, 1, "2026-03-29 02:30:00", elos, 99_999, true);
    game(&s, 2, "2026-03-29 03:00:00", elos, 99_999, true);
    // It falls back on Sunday 2026-10-25: 02:30 happens twice, stored the same.
    game(&s, 3, "2026-10-25 01:59:59", elos, 99_999, true);
    game(&s, 4, "2026-10-25 02:30:00", elos, 99_999, true);
    game(&s, 5, "2026-10-25 02:30:00", elos, 99_999, false);
    // Midnight: Sunday 23:59:59, then Monday 00:00:00.
    game(&s, 6, "2026-05-31 23:59:59", elos, 99_999, true);
    game(&s, 7, "2026-06-01 00:00:00", elos, 99_999, true);

    s.compute(
        1,
        "activity_per_hour_1000,activity_heatmap_1000,activity_per_day_of_the_week_1000",
    );
    assert_eq!(
        results(&s, "activity_heatmap", 1000),
        cells(&[(0, 1, 1), (0, 2, 3), (0, 3, 1), (0, 23, 1), (1, 0, 1)])
    );
    assert_eq!(
        results(&s, "activity_per_hour", 1000),
        Value::Object(hours(&[(0, 1), (1, 1), (2, 3), (3, 1), (23, 1)]))
    );
    assert_eq!(
        results(&s, "activity_per_day_of_the_week", 1000),
        days(&[(0, 6), (1, 1)])
    );
}

/// Players 1, 2 French, 3 German, 4 and 6 without a country, 5 in Europe
/// (a zone without alpha3).
fn country_scenario() -> StatsDb {
    let s = StatsDb::new();
    season(&s);
    s.player(1, Some(FRANCE), None, None);
    s.player(2, Some(FRANCE), None, None);
    s.player(3, Some(GERMANY), None, None);
    s.player(4, None, None, None);
    s.player(5, Some(EUROPE), None, None);
    s.player(6, None, None, None);
    // Window start, max exactly at the limit: tm, not m3.
    game(&s, 1, "2026-01-01 00:00:00", (3000, 3500, 4000), 4000, true);
    for (n, win) in [(1, true), (2, false), (3, true), (4, false)] {
        s.played(1, n, win, false);
    }
    // Window end, unfinished, one under the limit: m3.
    game(
        &s,
        2,
        "2026-02-01 00:00:00",
        (3600, 3800, 3999),
        4000,
        false,
    );
    for n in [1, 3, 4] {
        s.played(2, n, false, false);
    }
    // Max 3599: m2 and below.
    game(
        &s,
        3,
        "2026-01-10 13:45:00",
        (1000, 2000, 3599),
        99_999,
        true,
    );
    for (n, win) in [(2, true), (5, true), (6, false)] {
        s.played(3, n, win, false);
    }
    // No Trackmaster known: m3.
    game(
        &s,
        4,
        "2026-01-20 23:00:00",
        (4000, 4500, 5000),
        99_999,
        true,
    );
    s.played(4, 1, true, false);
    // Not counted: elo not computed, after the window.
    game(&s, 5, "2026-01-10 14:00:00", (5000, -1, 5000), 99_999, true);
    s.played(5, 1, true, false);
    game(
        &s,
        6,
        "2026-02-01 00:00:01",
        (5000, 5000, 5000),
        99_999,
        true,
    );
    s.played(6, 1, true, false);
    s
}

#[test]
fn participations_and_wins_per_country_follow_p_cum_on_max_elo() {
    let s = country_scenario();
    s.compute(1, "activity_per_country");

    assert_eq!(
        results(&s, "activity_per_country", 4000),
        json!([
            country_total(None, 1, 0),
            country_total(Some(FRANCE), 2, 1),
            country_total(Some(GERMANY), 1, 1),
        ])
    );
    assert_eq!(
        results(&s, "activity_per_country", 3600),
        json!([
            country_total(None, 1, 0),
            country_total(Some(FRANCE), 2, 1),
            country_total(Some(GERMANY), 1, 0),
        ])
    );
    let everything = json!([
        country_total(None, 3, 0),
        country_total(Some(FRANCE), 5, 3),
        country_total(Some(GERMANY), 2, 1),
        country_total(Some(EUROPE), 1, 1),
    ]);
    assert_eq!(results(&s, "activity_per_country", 3300), everything);
    assert_eq!(results(&s, "activity_per_country", 0), everything);
    // "activity_per_country" also selects the per-hour statistic, as in the reference.
    assert!(s.exists("get_activity_per_country_and_hour_0_1.txt"));
}

#[test]
fn participations_per_country_and_hour_have_all_24_hours() {
    let s = country_scenario();
    s.compute(1, "activity_per_country_and_hour");

    assert_eq!(
        results(&s, "activity_per_country_and_hour", 4000),
        json!([
            country_hours(None, &[(0, 1)]),
            country_hours(Some(FRANCE), &[(0, 2)]),
            country_hours(Some(GERMANY), &[(0, 1)]),
        ])
    );
    assert_eq!(
        results(&s, "activity_per_country_and_hour", 3600),
        json!([
            country_hours(None, &[(0, 1)]),
            country_hours(Some(FRANCE), &[(0, 1), (23, 1)]),
            country_hours(Some(GERMANY), &[(0, 1)]),
        ])
    );
    assert_eq!(
        results(&s, "activity_per_country_and_hour", 3300),
        json!([
            country_hours(None, &[(0, 2), (13, 1)]),
            country_hours(Some(FRANCE), &[(0, 3), (13, 1), (23, 1)]),
            country_hours(Some(GERMANY), &[(0, 2)]),
            country_hours(Some(EUROPE), &[(13, 1)]),
        ])
    );
    assert!(!s.exists("get_activity_per_country_0_1.txt"));
}

/// Player `n`'s current points, rank and last match.
fn standing(s: &StatsDb, n: u32, points: i32, rank: i32, last_match: Option<i32>) {
    let last = last_match.map_or("NULL".to_string(), |g| g.to_string());
    s.sql(&format!(
        "UPDATE player SET points = {points}, `rank` = {rank}, last_match_id = {last} \
         WHERE uuid = '{}'",
        uuid(n)
    ));
}

#[test]
fn players_per_country_by_last_match_strictly_after_the_start_and_current_points() {
    let s = StatsDb::new();
    season(&s);
    game(&s, 1, "2026-01-05 00:00:00", (0, 0, 0), 99_999, true);
    game(&s, 2, "2026-01-01 00:00:00", (0, 0, 0), 99_999, true);
    game(&s, 3, "2026-01-01 00:00:01", (0, 0, 0), 99_999, true);
    game(&s, 4, "2026-03-01 00:00:00", (0, 0, 0), 99_999, true);
    for (n, country) in [
        (1, Some(FRANCE)),
        (2, Some(FRANCE)),
        (3, Some(GERMANY)),
        (4, None),
        (5, None),
        (6, Some(FRANCE)),
        (7, Some(FRANCE)),
        (8, Some(SPAIN)),
    ] {
        s.player(n, country, None, None);
    }
    // Trackmaster: 4000 points and rank 10 at worst.
    standing(&s, 1, 4000, 10, Some(1));
    standing(&s, 2, 4000, 11, Some(1));
    standing(&s, 3, 3999, 1, Some(1));
    // Last match exactly at the start: not active; one second later: active.
    standing(&s, 4, 3600, 500, Some(2));
    standing(&s, 5, 3600, 500, Some(3));
    // No upper bound on the last match; no last match at all: not active.
    standing(&s, 6, 5000, 3, Some(4));
    standing(&s, 7, 5000, 1, None);
    standing(&s, 8, 299, 99_999, Some(1));

    s.compute(1, "activity_per_players_per_country");
    assert_eq!(
        results(&s, "activity_per_players_per_country", 4000),
        json!([players_total(Some(FRANCE), 2)])
    );
    let masters = json!([
        players_total(None, 1),
        players_total(Some(FRANCE), 3),
        players_total(Some(GERMANY), 1),
    ]);
    assert_eq!(
        results(&s, "activity_per_players_per_country", 3600),
        masters
    );
    assert_eq!(
        results(&s, "activity_per_players_per_country", 300),
        masters
    );
    assert_eq!(
        results(&s, "activity_per_players_per_country", 0),
        json!([
            players_total(None, 1),
            players_total(Some(FRANCE), 3),
            players_total(Some(GERMANY), 1),
            players_total(Some(SPAIN), 1),
        ])
    );
}

#[test]
fn an_empty_season_writes_zeros_and_empty_lists() {
    let s = StatsDb::new();
    season(&s);
    s.compute(1, "activity");
    for elo in ELOS {
        for base in BASES {
            let expected = match base {
                "activity_per_hour" => Value::Object(hours(&[])),
                "activity_per_day_of_the_week" => days(&[]),
                _ => json!([]),
            };
            assert_eq!(results(&s, base, elo), expected, "{base} {elo}");
        }
    }
    // `activity` also selects S07, get_activity_per_rank_distribution.
    assert!(s.exists("get_activity_per_rank_distribution_1.txt"));
    assert_eq!(
        std::fs::read_dir(s.cache()).unwrap().count(),
        ELOS.len() * BASES.len() + 1
    );
}
