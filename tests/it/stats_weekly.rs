//! S14 player retention, S17 new players per week, S18 cross-rank frequency
//! and the S15/S16 hot lists, against hand-computed files. Times are
//! Europe/Paris wall-clock times; epochs are worked out in the comments.

use crate::common::TEST_TZ;
use crate::stats_harness::{dashed, uuid, StatsDb, FRANCE};
use chrono::{Duration, NaiveDateTime, Utc};
use serde_json::{json, Value};

/// Game `id` at `time` with its elos and Trackmaster limit.
fn game(s: &StatsDb, id: i32, time: &str, elos: (i32, i32, i32), tl: i32) {
    s.game(id, "M", time, true);
    let (min, avg, max) = elos;
    s.sql(&format!(
        "UPDATE game SET min_elo = {min}, average_elo = {avg}, max_elo = {max}, \
         trackmaster_limit = {tl} WHERE id = {id}"
    ));
}

fn players(s: &StatsDb, game: i32, ns: &[u32]) {
    for &n in ns {
        s.played(game, n, false, false);
    }
}

/// Season 1 and map M.
fn season_with_map(s: &StatsDb, start: &str, end: &str) {
    s.season(1, start, end);
    s.map("M", "Map");
}

fn six_players(s: &StatsDb) {
    for n in 1..=6 {
        s.player(n, None, None, None);
    }
}

/// The 13 S18 entries with the given counts.
fn buckets(counts: [i64; 13]) -> Value {
    let t = [
        0, 300, 600, 1000, 1300, 1600, 2000, 2300, 2600, 3000, 3300, 3600, 4000,
    ];
    let results: Vec<Value> = (0..13)
        .map(|i| {
            let max = t.get(i + 1).map(|next| next - 1);
            json!({"spread_min": t[i], "spread_max": max, "count": counts[i]})
        })
        .collect();
    json!({ "results": results })
}

#[test]
fn cross_rank_frequency_buckets_spreads_at_their_lower_edges() {
    let s = StatsDb::new();
    season_with_map(&s, "2024-01-01 00:00:00", "2024-02-01 00:00:00");
    // Spreads 299, 300, 4000 and 5000; min_elo 3100, 3700 (m3 under tl 3900),
    // 3950 (tm: >= tl) and 3000.
    game(&s, 1, "2024-01-02 10:00:00", (3100, 3200, 3399), 3900);
    game(&s, 2, "2024-01-03 10:00:00", (3700, 3800, 4000), 3900);
    game(&s, 3, "2024-01-04 10:00:00", (3950, 5000, 7950), 3900);
    game(&s, 4, "2024-02-01 00:00:00", (3000, 4000, 8000), 3900);
    // Not counted: elos not computed, after the window.
    game(&s, 5, "2024-01-05 10:00:00", (-1, -1, 5000), 3900);
    game(&s, 6, "2024-02-01 00:00:01", (0, 100, 200), 3900);
    s.game(7, "M", "2024-01-06 10:00:00", false);

    s.compute(1, "cross_rank_frequency");
    let mut all = [0; 13];
    all[0] = 1; // 299
    all[1] = 1; // 300
    all[12] = 2; // 4000 and 5000
    assert_eq!(s.document("get_cross_rank_frequency_0_1.txt"), buckets(all));
    assert_eq!(
        s.document("get_cross_rank_frequency_3000_1.txt"),
        buckets(all)
    );
    // min_elo >= 3300: games 2 and 3 (P-cum is cumulative below m3).
    let mut m2 = [0; 13];
    m2[1] = 1;
    m2[12] = 1;
    assert_eq!(
        s.document("get_cross_rank_frequency_3300_1.txt"),
        buckets(m2)
    );
    // m3: 3600 <= min_elo < tl, game 2 only; tm: min_elo >= tl, game 3 only.
    let mut m3 = [0; 13];
    m3[1] = 1;
    assert_eq!(
        s.document("get_cross_rank_frequency_3600_1.txt"),
        buckets(m3)
    );
    let mut tm = [0; 13];
    tm[12] = 1;
    assert_eq!(
        s.document("get_cross_rank_frequency_4000_1.txt"),
        buckets(tm)
    );
}

/// A season starting at noon: a game the next week at 09:00 is 7 calendar
/// days away (week 1 for S14) but only 6 full days (week 0 for S17).
fn noon_season() -> StatsDb {
    let s = StatsDb::new();
    season_with_map(&s, "2024-01-01 12:00:00", "2024-03-01 00:00:00");
    six_players(&s);
    let elos = (1000, 1500, 2000);
    game(&s, 1, "2024-01-01 13:00:00", elos, 99999); // S14 week 0
    game(&s, 2, "2024-01-08 09:00:00", elos, 99999); // S14 week 1
    game(&s, 3, "2024-01-22 10:00:00", elos, 99999); // S14 week 3 (week 2 empty)
    game(&s, 4, "2024-01-29 10:00:00", elos, 99999); // S14 week 4
    players(&s, 1, &[1, 2, 3]);
    players(&s, 2, &[1, 2, 5]);
    players(&s, 3, &[1]);
    players(&s, 4, &[4]);
    // Not counted: elos not computed; before the window; min_elo below 1300
    // for the 1300 files.
    s.game(5, "M", "2024-01-15 10:00:00", false);
    players(&s, 5, &[1, 2]);
    game(&s, 6, "2024-01-01 11:59:59", elos, 99999);
    players(&s, 6, &[6]);
    s
}

#[test]
fn retention_weeks_count_calendar_days_and_need_the_next_week() {
    let s = noon_season();
    s.compute(1, "player_retention");
    // Week 0 {1,2,3} → week 1 {1,2,5}: 2 of 3. Week 1 has no row (week 2 is
    // empty, the unfinished game has no elos). Week 3 {1} → week 4 {4}: 0 of 1.
    // week_start: 2024-01-01 12:00 CET = 1704106800; + 3 weeks = 1705921200.
    let expected = json!({"results": [
        {"week": 0, "week_start": 1_704_106_800.0, "total_players": 3,
         "retained_players": 2, "retention_rate": 66.67},
        {"week": 3, "week_start": 1_705_921_200.0, "total_players": 1,
         "retained_players": 0, "retention_rate": 0.0},
    ]});
    assert_eq!(s.document("get_player_retention_0_1.txt"), expected);
    assert_eq!(s.document("get_player_retention_1000_1.txt"), expected);
    assert_eq!(
        s.document("get_player_retention_1300_1.txt"),
        json!({"results": []})
    );
}

#[test]
fn new_player_weeks_count_full_days() {
    let s = noon_season();
    s.compute(1, "new_players_per_week");
    // Firsts: 1, 2, 3 at 01-01 13:00 and 5 at 01-08 09:00 (6 full days):
    // week 0. Player 4 at 01-29 10:00: 27 full days, week 3.
    // week_start = 1704106800 + week * 604800.
    let expected = json!({"results": [
        {"week": 0, "week_start": 1_704_106_800.0, "new_players": 4},
        {"week": 3, "week_start": 1_705_921_200.0, "new_players": 1},
    ]});
    assert_eq!(s.document("get_new_players_per_week_0_1.txt"), expected);
    assert_eq!(
        s.document("get_new_players_per_week_2000_1.txt"),
        json!({"results": []})
    );
}

#[test]
fn week_starts_across_a_daylight_saving_change() {
    let s = StatsDb::new();
    // 2024-03-18 12:00 CET = 1710759600; clocks go forward on 03-31.
    season_with_map(&s, "2024-03-18 12:00:00", "2024-05-01 00:00:00");
    six_players(&s);
    let elos = (1000, 1500, 2000);
    for (id, day) in [(1, 18), (2, 25)] {
        game(&s, id, &format!("2024-03-{day} 12:00:00"), elos, 99999);
        players(&s, id, &[1]);
    }
    for (id, day) in [(3, 1), (4, 8)] {
        game(&s, id, &format!("2024-04-0{day} 12:00:00"), elos, 99999);
        players(&s, id, &[1]);
    }
    // Player 2's first game in week 2.
    players(&s, 3, &[2]);
    s.compute(1, "player_retention_0");
    s.compute(1, "new_players_per_week_0");
    // S14 reads the wall clock: 03-25 12:00 CET = 1711364400, 04-01 12:00
    // CEST = 1711965600 (3600 s less than 1710759600 + 2 * 604800).
    let row = |week: i64, start: f64| {
        json!({"week": week, "week_start": start, "total_players": 1,
               "retained_players": 1, "retention_rate": 100.0})
    };
    // Week 2 has players 1 and 2, week 3 player 1 only: 1 of 2.
    let week2 = json!({"week": 2, "week_start": 1_711_965_600.0, "total_players": 2,
                       "retained_players": 1, "retention_rate": 50.0});
    assert_eq!(
        s.document("get_player_retention_0_1.txt"),
        json!({"results": [row(0, 1_710_759_600.0), row(1, 1_711_364_400.0), week2]})
    );
    // S17 adds whole weeks of seconds: 1710759600 + 2 * 604800 = 1711969200.
    assert_eq!(
        s.document("get_new_players_per_week_0_1.txt"),
        json!({"results": [
            {"week": 0, "week_start": 1_710_759_600.0, "new_players": 1},
            {"week": 2, "week_start": 1_711_969_200.0, "new_players": 1},
        ]})
    );
}

#[test]
fn new_players_of_tm_and_m3_follow_the_average_elo() {
    let s = StatsDb::new();
    season_with_map(&s, "2024-01-01 00:00:00", "2024-02-01 00:00:00");
    // min 3700 (m3 by min_elo), average 3900 >= tl 3800 (tm by average).
    six_players(&s);
    game(&s, 1, "2024-01-02 00:00:00", (3700, 3900, 4100), 3800);
    players(&s, 1, &[1]);
    s.compute(1, "_3600");
    s.compute(1, "_4000");
    let one = json!({"results": [
        {"week": 0, "week_start": 1_704_063_600.0, "new_players": 1}]});
    let none = json!({"results": []});
    assert_eq!(s.document("get_new_players_per_week_4000_1.txt"), one);
    assert_eq!(s.document("get_new_players_per_week_3600_1.txt"), none);
    // S14 uses P-cum on min_elo: m3, not tm.
    assert_eq!(s.document("get_player_retention_4000_1.txt"), none);
    assert_eq!(s.document("get_player_retention_3600_1.txt"), none);
}

#[test]
fn an_empty_season_writes_empty_documents() {
    let s = StatsDb::new();
    season_with_map(&s, "2024-01-01 00:00:00", "2024-02-01 00:00:00");
    for stats in [
        "player_retention",
        "new_players_per_week",
        "cross_rank_frequency",
        "hot_this_week",
    ] {
        s.compute(1, stats);
    }
    let none = json!({"results": []});
    for elo in [
        4000, 3600, 3300, 3000, 2600, 2300, 2000, 1600, 1300, 1000, 600, 300, 0,
    ] {
        assert_eq!(
            s.document(&format!("get_player_retention_{elo}_1.txt")),
            none
        );
        assert_eq!(
            s.document(&format!("get_new_players_per_week_{elo}_1.txt")),
            none
        );
        assert_eq!(
            s.document(&format!("get_cross_rank_frequency_{elo}_1.txt")),
            buckets([0; 13])
        );
    }
    for elo in [4000, 3600, 3300, 3000] {
        assert_eq!(s.document(&format!("get_hot_this_week_{elo}_1.txt")), none);
        assert_eq!(
            s.document(&format!("get_hot_this_week_by_points_delta_{elo}_1.txt")),
            none
        );
    }
    assert!(!s.exists("get_hot_this_week_2600_1.txt"));
}

/// Local wall-clock time `offset` from now, as stored.
fn from_now(offset: Duration) -> String {
    let zone: chrono_tz::Tz = TEST_TZ.parse().unwrap();
    let local: NaiveDateTime = (Utc::now() + offset).with_timezone(&zone).naive_local();
    local.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn set_points(s: &StatsDb, n: u32, points: i32, rank: i32) {
    s.sql(&format!(
        "UPDATE player SET points = {points}, `rank` = {rank} WHERE uuid = '{}'",
        uuid(n)
    ));
}

fn result(s: &StatsDb, game: i32, n: u32, win: bool, pam: Option<i32>) {
    s.played(game, n, win, false);
    if let Some(pam) = pam {
        s.sql(&format!(
            "UPDATE playergame SET points_after_match = {pam} \
             WHERE game_id = {game} AND player_id = '{}'",
            uuid(n)
        ));
    }
}

/// Players: 1 (4100, rank 5, France), 2 (4200, rank 11), 3 (3650), 4
/// (3000), 5 (2900), 6 (3700, no points after any match). Games, ids not in
/// time order: 103 just inside the 7 days, 102 an hour ago, 104 unfinished
/// 30 min ago, 105 tomorrow; 101 just outside; 106 without elos.
fn hot_week() -> StatsDb {
    let s = StatsDb::new();
    // An old season: the hot lists ignore its window.
    season_with_map(&s, "2020-01-01 00:00:00", "2020-02-01 00:00:00");
    s.player(1, Some(FRANCE), None, Some("CLUB"));
    for n in 2..=6 {
        s.player(n, None, None, None);
    }
    for (n, points, rank) in [
        (1, 4100, 5),
        (2, 4200, 11),
        (3, 3650, 50),
        (4, 3000, 100),
        (5, 2900, 200),
        (6, 3700, 60),
    ] {
        set_points(&s, n, points, rank);
    }
    let elos = (1000, 1500, 2000);
    let minutes = Duration::minutes;
    game(
        &s,
        101,
        &from_now(-Duration::days(7) - minutes(2)),
        elos,
        99999,
    );
    game(&s, 102, &from_now(-minutes(60)), elos, 99999);
    game(
        &s,
        103,
        &from_now(-Duration::days(7) + minutes(2)),
        elos,
        99999,
    );
    s.game(104, "M", &from_now(-minutes(30)), false);
    s.sql("UPDATE game SET min_elo = 1000, average_elo = 1500, max_elo = 2000 WHERE id = 104");
    game(&s, 105, &from_now(Duration::days(1)), elos, 99999);
    s.game(106, "M", &from_now(-minutes(10)), true);

    result(&s, 101, 2, true, Some(100));
    result(&s, 101, 3, true, Some(100));
    result(&s, 103, 1, true, Some(4050));
    result(&s, 103, 2, false, None);
    result(&s, 103, 3, true, Some(3500));
    result(&s, 103, 4, true, Some(3000));
    result(&s, 103, 5, true, Some(2800));
    result(&s, 102, 1, false, None);
    result(&s, 102, 2, true, Some(4000));
    result(&s, 102, 3, true, Some(3600));
    result(&s, 102, 4, false, Some(2980));
    result(&s, 104, 1, false, None);
    result(&s, 104, 2, false, None);
    result(&s, 105, 6, false, None);
    result(&s, 106, 4, true, Some(0));
    s
}

fn hot(n: u32, points: i64, measure: &str, value: i64, played: i64) -> Value {
    let country = if n == 1 {
        json!({"name": "France", "file_name": "FRA.png", "alpha3": "FRA"})
    } else {
        Value::Null
    };
    let club = if n == 1 { json!("CLUB") } else { Value::Null };
    json!({"name": format!("Player {n}"), "uuid": dashed(n), "club_tag": club,
           "country": country, "current_points": points, measure: value, "played": played})
}

#[test]
fn hot_this_week_counts_wins_of_the_last_seven_days() {
    let s = hot_week();
    s.compute(1, "hot_this_week_");
    // Wins: 1 → 1 of 3 (103 won, 102 lost, 104 unfinished), 2 → 1 of 3 (101
    // is outside), 3 → 2 of 2, 4 → 1 of 2 (106 has no elos), 6 → 0 of 1.
    // Equal wins: uuid ascending.
    let w = |n, points, wins, played| hot(n, points, "wins", wins, played);
    // 4000: rank <= 10 as well, so not player 2.
    assert_eq!(
        s.document("get_hot_this_week_4000_1.txt"),
        json!({"results": [w(1, 4100, 1, 3)]})
    );
    assert_eq!(
        s.document("get_hot_this_week_3600_1.txt"),
        json!({"results": [w(3, 3650, 2, 2), w(1, 4100, 1, 3), w(2, 4200, 1, 3),
                           w(6, 3700, 0, 1)]})
    );
    assert_eq!(
        s.document("get_hot_this_week_3000_1.txt"),
        json!({"results": [w(3, 3650, 2, 2), w(1, 4100, 1, 3), w(2, 4200, 1, 3),
                           w(4, 3000, 1, 2), w(6, 3700, 0, 1)]})
    );
}

#[test]
fn hot_by_points_delta_starts_from_the_smallest_game_id() {
    let s = hot_week();
    s.compute(1, "hot_this_week_by_points_delta");
    // First known points by game id: 1 → 103 (4050), 2 → 102 (4000; 101 is
    // outside), 3 → 102 (3600, though 103 is earlier), 4 → 102 (2980).
    // Player 6 has none: not listed. Played counts rows without points.
    let d = |n, points, delta, played| hot(n, points, "delta", delta, played);
    assert_eq!(
        s.document("get_hot_this_week_by_points_delta_4000_1.txt"),
        json!({"results": [d(1, 4100, 50, 3)]})
    );
    assert_eq!(
        s.document("get_hot_this_week_by_points_delta_3600_1.txt"),
        json!({"results": [d(2, 4200, 200, 3), d(1, 4100, 50, 3), d(3, 3650, 50, 2)]})
    );
    assert_eq!(
        s.document("get_hot_this_week_by_points_delta_3000_1.txt"),
        json!({"results": [d(2, 4200, 200, 3), d(1, 4100, 50, 3), d(3, 3650, 50, 2),
                           d(4, 3000, 20, 2)]})
    );
}
