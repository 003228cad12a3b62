//! The behaviours the reference's own statistics tests check, as scenarios
//! on mmstatus's files where the other stats_* tests do not already cover
//! them: band and bucket edges, every day of the week, week numbering,
//! retention per week pair, the 20-player limit and negative deltas of the
//! hot lists, draws in head-to-head, and the seasons a run picks. Expected
//! documents are worked out by hand from stats.md.

use crate::common::TEST_TZ;
use crate::stats_harness::{dashed, uuid, StatsDb, FRANCE, GERMANY};
use chrono::{Duration, NaiveDateTime, Utc};
use serde_json::{json, Value};

/// Game `id` on map `map` at `time`, finished, with its elos and limit.
fn game_on(s: &StatsDb, id: i32, map: &str, time: &str, elos: (i32, i32, i32), tl: i32) {
    s.game(id, map, time, true);
    let (min, avg, max) = elos;
    s.sql(&format!(
        "UPDATE game SET min_elo = {min}, average_elo = {avg}, max_elo = {max}, \
         trackmaster_limit = {tl} WHERE id = {id}"
    ));
}

fn game(s: &StatsDb, id: i32, time: &str, elos: (i32, i32, i32)) {
    game_on(s, id, "M", time, elos, 99_999);
}

/// Local wall-clock time `offset` from now, as stored.
fn from_now(offset: Duration) -> String {
    let zone: chrono_tz::Tz = TEST_TZ.parse().unwrap();
    let local: NaiveDateTime = (Utc::now() + offset).with_timezone(&zone).naive_local();
    local.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `days` days after `start` (a `%Y-%m-%d %H:%M:%S` time).
fn days_after(start: &str, days: i64) -> String {
    let start = NaiveDateTime::parse_from_str(start, "%Y-%m-%d %H:%M:%S").unwrap();
    (start + Duration::days(days))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A document's results; its `last_updated` must be written as a float.
fn results(s: &StatsDb, file: &str) -> Value {
    assert!(s.file(file)["last_updated"].is_f64(), "{file}");
    s.document(file)["results"].clone()
}

fn cache_files(s: &StatsDb) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(s.cache()) else {
        return vec![];
    };
    let mut names: Vec<String> = entries
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_run_picks_seasons_ended_less_than_a_day_ago_to_the_minute() {
    let s = StatsDb::new();
    // No season at all: nothing to compute, nothing written.
    s.run(&["compute-stats", "--stats", "maps_statistics"])
        .assert_ok();
    assert!(cache_files(&s).is_empty(), "{:?}", cache_files(&s));

    let month_ago = from_now(-Duration::days(30));
    let minutes = Duration::minutes;
    s.season(1, &month_ago, &from_now(-Duration::hours(23) - minutes(59)));
    s.season(2, &month_ago, &from_now(-Duration::hours(24) - minutes(1)));
    s.season(3, &month_ago, &from_now(-Duration::days(10)));
    s.season(4, &month_ago, &from_now(Duration::days(30)));
    s.run(&["compute-stats", "--stats", "maps_statistics"])
        .assert_ok();
    assert_eq!(
        cache_files(&s),
        ["get_maps_statistics_1.txt", "get_maps_statistics_4.txt"]
    );
}

const HISTORY_1: &str = "get_activity_per_rank_distribution_1.txt";
const HISTORY_2: &str = "get_activity_per_rank_distribution_2.txt";

#[test]
fn each_season_keeps_its_own_rank_distribution_history() {
    let s = StatsDb::new();
    // Season 1 is current, season 2 ended 6 hours ago.
    s.season(
        1,
        &from_now(-Duration::hours(6)),
        &from_now(Duration::days(30)),
    );
    s.season(
        2,
        &from_now(-Duration::days(60)),
        &from_now(-Duration::hours(6)),
    );
    s.map("M", "Map");
    s.game(1, "M", &from_now(-Duration::days(10)), true);
    s.player(1, None, None, None);
    s.sql(&format!(
        "UPDATE player SET points = 1000, `rank` = 500, last_match_id = 1 WHERE uuid = '{}'",
        uuid(1)
    ));
    // Season 1's history got a sample a minute ago: within 12 hours.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let recent = json!({"results": [{"b1": 7, "date": now - 60.0}], "last_updated": now - 60.0});
    std::fs::create_dir_all(s.cache()).unwrap();
    std::fs::write(s.cache().join(HISTORY_1), recent.to_string()).unwrap();

    s.run(&[
        "compute-stats",
        "--season",
        "2",
        "--season",
        "1",
        "--stats",
        "per_rank_distribution",
    ])
    .assert_ok();
    assert_eq!(s.file(HISTORY_1), recent);
    let history = s.file(HISTORY_2);
    let samples = history["results"].as_array().unwrap();
    assert_eq!(samples.len(), 1);
    assert_eq!(samples[0]["s1"], json!(1));
    assert_eq!(history["last_updated"], samples[0]["date"]);
}

#[test]
fn every_day_of_the_week_from_sunday_zero_to_saturday_six() {
    let s = StatsDb::new();
    // Sunday 2024-01-07 to Sunday 2024-01-14, both whole days.
    s.season(1, "2024-01-07 00:00:00", "2024-01-14 23:59:59");
    s.map("M", "Map");
    let tier = (1000, 1100, 1200);
    game(&s, 1, "2024-01-07 12:00:00", tier); // Sunday
    game(&s, 2, "2024-01-14 12:00:00", tier); // Sunday a week later
    game(&s, 3, "2024-01-08 12:00:00", tier); // Monday
    game(&s, 4, "2024-01-09 12:00:00", (999, 1100, 1200)); // Tuesday, under 1000
    for id in 5..=7 {
        game(&s, id, "2024-01-10 12:00:00", tier); // Wednesday, three times
    }
    game(&s, 8, "2024-01-11 12:00:00", tier); // Thursday
    game(&s, 9, "2024-01-12 12:00:00", tier); // Friday
    game(&s, 10, "2024-01-13 15:00:00", tier); // Saturday
                                               // Not counted: no average elo yet; a second before and after the window.
    game(&s, 11, "2024-01-09 12:00:00", (1000, -1, 1200));
    game(&s, 12, "2024-01-06 23:59:59", tier);
    game(&s, 13, "2024-01-15 00:00:00", tier);

    s.compute(
        1,
        "activity_per_day_of_the_week,activity_heatmap,activity_per_hour",
    );
    assert_eq!(
        results(&s, "get_activity_per_day_of_the_week_0_1.txt"),
        json!({"0": 2, "1": 1, "2": 1, "3": 3, "4": 1, "5": 1, "6": 1})
    );
    assert_eq!(
        results(&s, "get_activity_per_day_of_the_week_1000_1.txt"),
        json!({"0": 2, "1": 1, "2": 0, "3": 3, "4": 1, "5": 1, "6": 1})
    );
    assert_eq!(
        results(&s, "get_activity_per_day_of_the_week_1300_1.txt"),
        json!({"0": 0, "1": 0, "2": 0, "3": 0, "4": 0, "5": 0, "6": 0})
    );
    let cell = |day: i64, hour: i64, count: i64| json!({"day": day, "hour": hour, "count": count});
    assert_eq!(
        results(&s, "get_activity_heatmap_1000_1.txt"),
        json!([
            cell(0, 12, 2),
            cell(1, 12, 1),
            cell(3, 12, 3),
            cell(4, 12, 1),
            cell(5, 12, 1),
            cell(6, 15, 1)
        ])
    );
    assert_eq!(results(&s, "get_activity_heatmap_1300_1.txt"), json!([]));
    let per_hour = results(&s, "get_activity_per_hour_1000_1.txt");
    assert_eq!(per_hour["12-13"], json!(8));
    assert_eq!(per_hour["15-16"], json!(1));
    let total: i64 = per_hour
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .sum();
    assert_eq!(total, 9);
}

#[test]
fn retention_per_pair_of_weeks_with_players_counted_once_a_week() {
    let s = StatsDb::new();
    // Players: A = 1, B = 2, C = 3, D = 4, E = 5, F = 6.
    let start = "2024-01-01 12:00:00";
    s.season(1, start, "2024-12-31 00:00:00");
    s.map("M", "Map");
    for n in 1..=6 {
        s.player(n, None, None, None);
    }
    let day = |d: i64| days_after(start, d);
    let at = |id: i32, d: i64, min: i32, avg: i32, ns: &[u32]| {
        game(&s, id, &day(d), (min, avg, min + 200));
        for &n in ns {
            s.played(id, n, false, false);
        }
    };
    // Week 0 (days 0-6): A five times; B; D under 1000 only; E under 1000,
    // then at 1000 on day 6; F only in a game without average elo.
    for (id, d) in (1..=5).zip(0..5) {
        at(id, d, 1000, 1100, &[1]);
    }
    at(6, 0, 1000, 1100, &[2]);
    at(7, 0, 500, 600, &[4, 5]);
    at(8, 6, 1000, 1100, &[5]);
    at(9, 1, 1000, -1, &[6]);
    // A at 1300, in week 0 only.
    at(10, 3, 1300, 1400, &[1]);
    // Week 1 (days 7-13): A, D at 1000; C on day 13.
    at(11, 7, 1000, 1100, &[1, 4]);
    at(12, 13, 1000, 1100, &[3]);
    // Week 2: B and C; nothing after, so week 2 has no row.
    at(13, 14, 1000, 1100, &[2, 3]);

    s.compute(1, "player_retention");
    // 2024-01-01 12:00 CET = 1704106800; week 1 starts 604800 s later.
    let row = |week: i64, total: i64, retained: i64, rate: f64| {
        json!({"week": week, "week_start": 1_704_106_800.0 + week as f64 * 604_800.0,
               "total_players": total, "retained_players": retained, "retention_rate": rate})
    };
    // All tiers: week 0 {A, B, D, E} → week 1 {A, C, D}: A and D stay.
    // Week 1 {A, C, D} → week 2 {B, C}: C stays.
    assert_eq!(
        results(&s, "get_player_retention_0_1.txt"),
        json!([row(0, 4, 2, 50.0), row(1, 3, 1, 33.33)])
    );
    // 1000: D's week 0 game is under it, E counts by the day-6 game.
    // Week 0 {A, B, E} → week 1 {A, C, D}: A stays.
    assert_eq!(
        results(&s, "get_player_retention_1000_1.txt"),
        json!([row(0, 3, 1, 33.33), row(1, 3, 1, 33.33)])
    );
    // 1300: A in week 0 and no week 1: no row.
    assert_eq!(results(&s, "get_player_retention_1300_1.txt"), json!([]));
}

#[test]
fn new_players_by_week_of_their_first_game_of_the_tier() {
    let s = StatsDb::new();
    let start = "2024-01-01 00:00:00";
    // 2024 is a leap year: the end is 365 days after the start, week 52.
    s.season(1, start, "2024-12-31 00:00:00");
    s.map("M", "Map");
    for n in 1..=13 {
        s.player(n, None, None, None);
    }
    let day = |d: i64| days_after(start, d);
    let mut id = 0;
    let mut at = |time: &str, elos: (i32, i32, i32), ns: &[u32]| {
        id += 1;
        game(&s, id, time, elos);
        for &n in ns {
            s.played(id, n, false, false);
        }
    };
    let normal = (1000, 1100, 1200);
    at(&day(0), normal, &[1]); // the start itself: week 0
    at(&day(6), normal, &[2]); // week 0
    at(&day(7), normal, &[3]); // week 1 …
    at(&day(14), normal, &[3]); // … and only there
    at(&day(13), normal, &[4]); // week 1
    at(&day(14), normal, &[5]); // week 2
    at(&day(70), normal, &[6]); // week 10
    at("2023-12-31 00:00:00", normal, &[7]); // before the season: not looked at
    at(&day(21), normal, &[7]); // week 3
    at(&day(0), (500, 600, 700), &[8]); // under 1000 …
    at(&day(28), (3000, 3100, 3200), &[8]); // … first at 1000 in week 4
    at("2024-12-31 00:00:00", normal, &[9, 10]); // the end itself, week 52
    at(&day(5), (1000, -1, 1200), &[11]); // no average elo
    at("2024-12-31 00:00:01", normal, &[12]); // after the end
    at(&day(2), (5000, 1000, 5000), &[13]); // min 5000, average 1000

    s.compute(1, "new_players_per_week");
    // 2024-01-01 00:00 CET = 1704063600; week n starts n * 604800 s later.
    let row = |week: i64, new: i64| {
        json!({"week": week, "week_start": 1_704_063_600.0 + week as f64 * 604_800.0,
               "new_players": new})
    };
    assert_eq!(
        results(&s, "get_new_players_per_week_0_1.txt"),
        json!([
            row(0, 4),
            row(1, 2),
            row(2, 1),
            row(3, 1),
            row(10, 1),
            row(52, 2)
        ])
    );
    assert_eq!(
        results(&s, "get_new_players_per_week_1000_1.txt"),
        json!([
            row(0, 3),
            row(1, 2),
            row(2, 1),
            row(3, 1),
            row(4, 1),
            row(10, 1),
            row(52, 2)
        ])
    );
    // 3000 by min_elo: player 13 (5000) in week 0, player 8 in week 4.
    assert_eq!(
        results(&s, "get_new_players_per_week_3000_1.txt"),
        json!([row(0, 1), row(4, 1)])
    );
    // m3 looks at the average elo: nobody reaches 3600.
    assert_eq!(
        results(&s, "get_new_players_per_week_3600_1.txt"),
        json!([])
    );
}

fn hot_row(n: u32, points: i64, measure: &str, value: i64, played: i64) -> Value {
    json!({"name": format!("Player {n}"), "uuid": dashed(n), "club_tag": null,
           "country": null, "current_points": points, measure: value, "played": played})
}

#[test]
fn hot_lists_keep_twenty_players_and_negative_deltas() {
    let s = StatsDb::new();
    s.season(1, "2020-01-01 00:00:00", "2020-02-01 00:00:00");
    s.map("M", "Map");
    let elos = (1000, 1500, 2000);
    let result = |game: i32, n: u32, win: bool, pam: i32| {
        s.played(game, n, win, false);
        s.sql(&format!(
            "UPDATE playergame SET points_after_match = {pam} \
             WHERE game_id = {game} AND player_id = '{}'",
            uuid(n)
        ));
    };
    let standing = |n: u32, points: i32, rank: i32| {
        s.player(n, None, None, None);
        s.sql(&format!(
            "UPDATE player SET points = {points}, `rank` = {rank} WHERE uuid = '{}'",
            uuid(n)
        ));
    };
    // Players 1 to 25: 3000 + n points, one win a day ago after which they
    // had 3000: delta n.
    for n in 1..=25u32 {
        standing(n, 3000 + n as i32, 100 + n as i32);
        game(&s, n as i32, &from_now(-Duration::days(1)), elos);
        result(n as i32, n, true, 3000);
    }
    // Player 30 (rank 1) lost twice and is 200 under his first game's 4200;
    // player 31 (rank 2) won once and has not moved since: delta 0.
    standing(30, 4000, 1);
    game(&s, 40, &from_now(-Duration::days(3)), elos);
    result(40, 30, false, 4200);
    game(&s, 41, &from_now(-Duration::days(1)), elos);
    result(41, 30, false, 4050);
    standing(31, 4100, 2);
    game(&s, 42, &from_now(-Duration::days(1)), elos);
    result(42, 31, true, 4100);

    s.compute(1, "hot_this_week");
    // 3000 by wins: 26 players with one win, by uuid: 1 to 20.
    let wins: Vec<Value> = (1..=20)
        .map(|n| hot_row(n, 3000 + i64::from(n), "wins", 1, 1))
        .collect();
    assert_eq!(
        results(&s, "get_hot_this_week_3000_1.txt"),
        Value::Array(wins)
    );
    assert_eq!(
        results(&s, "get_hot_this_week_4000_1.txt"),
        json!([
            hot_row(31, 4100, "wins", 1, 1),
            hot_row(30, 4000, "wins", 0, 2)
        ])
    );
    // 3000 by delta: 25 down to 6 (0 and -200 are beyond the 20).
    let deltas: Vec<Value> = (6..=25)
        .rev()
        .map(|n| hot_row(n, 3000 + i64::from(n), "delta", i64::from(n), 1))
        .collect();
    assert_eq!(
        results(&s, "get_hot_this_week_by_points_delta_3000_1.txt"),
        Value::Array(deltas)
    );
    assert_eq!(
        results(&s, "get_hot_this_week_by_points_delta_4000_1.txt"),
        json!([
            hot_row(31, 4100, "delta", 0, 1),
            hot_row(30, 4000, "delta", -200, 2)
        ])
    );
}

#[test]
fn head_to_head_draws_when_both_countries_are_split_and_teammates_alone_make_no_file() {
    let s = StatsDb::new();
    s.season(1, "2026-01-01 00:00:00", "2026-02-01 00:00:00");
    s.map("M", "Map");
    for (n, zone) in [(1, FRANCE), (2, FRANCE), (3, GERMANY), (4, GERMANY)] {
        s.player(n, Some(zone), None, None);
    }
    // Game 1 (3000 only): a French and a German player on each team.
    game(&s, 1, "2026-01-10 00:00:00", (3000, 3100, 3200));
    for (n, win) in [(1, true), (2, false), (3, true), (4, false)] {
        s.played(1, n, win, false);
    }
    // Game 2 (3000 and 3300): France and Germany on the winning team, no
    // one with a country against them.
    game(&s, 2, "2026-01-11 00:00:00", (3300, 3400, 3500));
    s.played(2, 1, true, false);
    s.played(2, 3, true, false);

    s.compute(1, "country_h2h_3");
    let versus = |name: &str, alpha3: &str| {
        json!([{"opponent": {"name": name, "file_name": format!("{alpha3}.png"), "alpha3": alpha3},
                "wins": 0, "draws": 1, "losses": 0, "games": 1}])
    };
    assert_eq!(
        results(&s, "country_h2h_3000/1/FRA.txt"),
        versus("Germany", "GER")
    );
    assert_eq!(
        results(&s, "country_h2h_3000/1/GER.txt"),
        versus("France", "FRA")
    );
    assert_eq!(
        s.document("get_country_h2h_3300_1.txt"),
        json!({"countries": []})
    );
    assert!(!s.exists("country_h2h_3300"));
}

#[test]
fn cross_rank_spreads_on_both_sides_of_every_bucket_edge() {
    let s = StatsDb::new();
    s.season(1, "2024-03-01 00:00:00", "2024-04-01 00:00:00");
    s.map("M", "Map");
    let edges = [
        300, 600, 1000, 1300, 1600, 2000, 2300, 2600, 3000, 3300, 3600, 4000,
    ];
    let mut spreads = vec![0, 4500];
    for edge in edges {
        spreads.push(edge - 1);
        spreads.push(edge);
    }
    for (id, spread) in (1..).zip(&spreads) {
        game(&s, id, "2024-03-06 00:00:00", (0, spread / 2, *spread));
    }
    // The window's first second is in.
    game(&s, 100, "2024-03-01 00:00:00", (0, 50, 100));

    s.compute(1, "cross_rank_frequency_0");
    let t = [
        0, 300, 600, 1000, 1300, 1600, 2000, 2300, 2600, 3000, 3300, 3600, 4000,
    ];
    // Every bucket gets its lower edge and the next edge minus one; the
    // first also spread 0 and 100, the last 4000 and 4500.
    let expected: Vec<Value> = (0..13)
        .map(|i| {
            let count = if i == 0 { 3 } else { 2 };
            json!({"spread_min": t[i], "spread_max": t.get(i + 1).map(|n| n - 1), "count": count})
        })
        .collect();
    assert_eq!(
        results(&s, "get_cross_rank_frequency_0_1.txt"),
        Value::Array(expected)
    );
}

#[test]
fn maps_rank_distribution_puts_each_average_elo_in_one_band() {
    let s = StatsDb::new();
    s.season(1, "2026-01-01 00:00:00", "2026-02-01 00:00:00");
    // (average elo, trackmaster limit, index in RANKS order tm … b1)
    let cases: &[(i32, i32, usize)] = &[
        (0, 99_999, 12),
        (150, 99_999, 12),
        (299, 99_999, 12),
        (300, 99_999, 11),
        (599, 99_999, 11),
        (600, 99_999, 10),
        (999, 99_999, 10),
        (1000, 99_999, 9),
        (1299, 99_999, 9),
        (1300, 99_999, 8),
        (1599, 99_999, 8),
        (1600, 99_999, 7),
        (1999, 99_999, 7),
        (2000, 99_999, 6),
        (2299, 99_999, 6),
        (2300, 99_999, 5),
        (2599, 99_999, 5),
        (2600, 99_999, 4),
        (2999, 99_999, 4),
        (3000, 99_999, 3),
        (3299, 99_999, 3),
        (3300, 99_999, 2),
        (3599, 99_999, 2),
        (3600, 99_999, 1),
        (3800, 99_999, 1),
        (3999, 4000, 1),
        (4000, 4000, 0),
        (4200, 4000, 0),
    ];
    for (id, &(avg, tl, _)) in (1..).zip(cases) {
        let uid = format!("V{avg}");
        s.map(&uid, &format!("Map {avg}"));
        game_on(
            &s,
            id,
            &uid,
            "2026-01-02 00:00:00",
            (avg - 25, avg, avg + 25),
            tl,
        );
    }
    s.compute(1, "maps_rank_distribution");
    let tiers = [
        ("tm", "Trackmaster"),
        ("m3", "Master III"),
        ("m2", "Master II"),
        ("m1", "Master I"),
        ("g3", "Gold III"),
        ("g2", "Gold II"),
        ("g1", "Gold I"),
        ("s3", "Silver III"),
        ("s2", "Silver II"),
        ("s1", "Silver I"),
        ("b3", "Bronze III"),
        ("b2", "Bronze II"),
        ("b1", "Bronze I"),
    ];
    for &(avg, _, band) in cases {
        let ranks: Vec<Value> = tiers
            .iter()
            .enumerate()
            .map(|(i, (rank, name))| {
                json!({"rank": rank, "name": name, "count": i64::from(i == band)})
            })
            .collect();
        assert_eq!(
            s.document(&format!("maps_rank_distribution/1/V{avg}.txt")),
            json!({"map_uid": format!("V{avg}"), "map_name": format!("Map {avg}"),
                   "results": ranks}),
            "average elo {avg}"
        );
    }
}

/// The keys of an object, in the file's order.
fn keys(value: &Value) -> Vec<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

#[test]
fn keys_come_in_the_reference_s_order() {
    let s = StatsDb::new();
    s.season(1, "2026-01-05 00:00:00", "2026-02-01 00:00:00");
    s.map("M", "Map");
    s.player(1, Some(FRANCE), None, None);
    s.player_season(1, 1, 3000, 1, Some("CLUB"));
    game(&s, 1, "2026-01-06 10:00:00", (1000, 1000, 1000));
    game(&s, 2, "2026-01-13 10:00:00", (1000, 1000, 1000));
    s.played(1, 1, true, false);
    s.played(2, 1, false, true);
    s.sql(&format!(
        "UPDATE player SET last_match_id = 2, points = 1000 WHERE uuid = '{}'",
        uuid(1)
    ));
    s.compute(
        1,
        "maps_statistics,activity_per_country_0,activity_per_players_per_country_0,\
         activity_per_country_and_hour_0,player_retention_0,new_players_per_week_0",
    );
    let zone = ["id", "name", "file_name", "country_alpha3"];
    let hours: Vec<String> = (0..24).map(|h| format!("{h}-{}", h + 1)).collect();
    let hours: Vec<&str> = hours.iter().map(String::as_str).collect();
    let cases: [(&str, &[&str], Vec<&str>); 6] = [
        (
            "get_maps_statistics_1.txt",
            &["last_updated", "results"],
            vec!["total_played", "map_uid", "map_name"],
        ),
        (
            "get_activity_per_country_0_1.txt",
            &["results", "last_updated"],
            [&["total", "wins"][..], &zone].concat(),
        ),
        (
            "get_activity_per_players_per_country_0_1.txt",
            &["results", "last_updated"],
            [&["total"][..], &zone].concat(),
        ),
        (
            "get_activity_per_country_and_hour_0_1.txt",
            &["results", "last_updated"],
            [&hours[..], &zone].concat(),
        ),
        (
            "get_player_retention_0_1.txt",
            &["results", "last_updated"],
            vec![
                "week",
                "week_start",
                "total_players",
                "retained_players",
                "retention_rate",
            ],
        ),
        (
            "get_new_players_per_week_0_1.txt",
            &["last_updated", "results"],
            vec!["week", "week_start", "new_players"],
        ),
    ];
    for (file, top, row) in cases {
        let document = s.file(file);
        assert_eq!(keys(&document), top, "{file}");
        assert_eq!(keys(&document["results"][0]), row, "{file}");
    }
}
