//! S05 maps rank distribution and S06 country head-to-head against
//! hand-computed files.

use crate::stats_harness::{StatsDb, EUROPE, FRANCE, GERMANY};
use serde_json::{json, Value};

const SPAIN: i32 = 6;
const ITALY: i32 = 7;

/// Sets a game's elos and trackmaster limit.
fn elo(s: &StatsDb, game: i32, min: i32, avg: i32, max: i32, tl: i32) {
    s.sql(&format!(
        "UPDATE game SET min_elo = {min}, average_elo = {avg}, max_elo = {max}, \
         trackmaster_limit = {tl} WHERE id = {game}"
    ));
}

/// The 13 entries of a map file, counts given in RANKS order.
fn ranks(counts: [i64; 13]) -> Value {
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
    Value::Array(
        tiers
            .iter()
            .zip(counts)
            .map(|((rank, name), count)| json!({"rank": rank, "name": name, "count": count}))
            .collect(),
    )
}

#[test]
fn maps_rank_distribution_by_average_elo_band() {
    let s = StatsDb::new();
    s.season(1, "2026-01-01 00:00:00", "2026-02-01 00:00:00");
    // Stored uid A/b\c~d: its file is Abcd.txt.
    s.map("A/b\\\\c~d", "Slashy");
    s.map("B", "Bravo");
    s.map("C", "Charlie");
    let a = "A/b\\\\c~d";
    let games: &[(i32, &str, bool, i32, i32)] = &[
        // (id, time, finished, average elo, trackmaster limit)
        (1, "2026-01-02 00:00:00", true, 3999, 4000), // m3: below tl
        (2, "2026-01-02 00:00:00", true, 4000, 4000), // tm: avg >= tl
        (3, "2026-01-02 00:00:00", true, 4100, 99999), // m3: nobody is TM
        (4, "2026-01-02 00:00:00", true, 3599, 99999), // m2
        (5, "2026-01-02 00:00:00", true, 3600, 99999), // m3
        (6, "2026-01-02 00:00:00", true, 0, 99999),   // b1
        (7, "2026-01-02 00:00:00", true, 299, 99999), // b1
        (8, "2026-01-02 00:00:00", true, 300, 99999), // b2
        (9, "2026-01-02 00:00:00", true, 2999, 99999), // g3
        (10, "2026-01-02 00:00:00", false, 3000, 99999), // unfinished
        (11, "2026-01-02 00:00:00", true, -1, 99999), // no elo yet
        (12, "2026-02-01 00:00:01", true, 1000, 99999), // after the window
        (13, "2026-02-01 00:00:00", true, 1000, 99999), // the end is in: s1
        (14, "2026-01-01 00:00:00", true, 1299, 99999), // the start is in: s1
    ];
    for &(id, time, finished, avg, tl) in games {
        s.game(id, a, time, finished);
        elo(&s, id, avg, avg, avg, tl);
    }
    s.game(20, "B", "2026-01-03 00:00:00", false);
    elo(&s, 20, 3000, 3000, 3000, 99999);
    s.game(30, "C", "2026-01-03 00:00:00", true);
    elo(&s, 30, 3200, 3300, 3400, 99999);

    s.compute(1, "maps_rank_distribution");
    assert_eq!(
        s.document("get_maps_rank_distribution_0_1.txt"),
        json!({"results": [
            {"map_uid": "A/b\\c~d", "map_name": "Slashy"},
            {"map_uid": "C", "map_name": "Charlie"},
        ]})
    );
    assert_eq!(
        s.document("maps_rank_distribution/1/Abcd.txt"),
        json!({"map_uid": "A/b\\c~d", "map_name": "Slashy",
               "results": ranks([1, 3, 1, 0, 1, 0, 0, 0, 0, 2, 0, 1, 2])})
    );
    assert_eq!(
        s.document("maps_rank_distribution/1/C.txt"),
        json!({"map_uid": "C", "map_name": "Charlie",
               "results": ranks([0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])})
    );
    assert!(!s.exists("maps_rank_distribution/1/B.txt"));
    assert_eq!(
        std::fs::read_dir(s.cache().join("maps_rank_distribution/1"))
            .unwrap()
            .count(),
        2
    );
}

fn country(name: &str, alpha3: &str) -> Value {
    json!({"name": name, "file_name": format!("{alpha3}.png"), "alpha3": alpha3})
}

fn versus(opponent: Value, wins: i64, draws: i64, losses: i64) -> Value {
    json!({"opponent": opponent, "wins": wins, "draws": draws, "losses": losses,
           "games": wins + draws + losses})
}

/// One finished game (or not) with its elos and teams of players.
fn h2h_game(
    s: &StatsDb,
    id: i32,
    time: &str,
    finished: bool,
    elos: (i32, i32, i32),
    teams: (&[u32], &[u32]),
) {
    s.game(id, "M", time, finished);
    elo(s, id, elos.0, elos.1, elos.2, 99999);
    for &n in teams.0 {
        s.played(id, n, true, false);
    }
    for &n in teams.1 {
        s.played(id, n, false, false);
    }
}

#[test]
fn country_head_to_head_per_game_with_draws_and_no_teammates() {
    let s = StatsDb::new();
    s.sql(
        "INSERT INTO zone (id, uuid, name, parent_id, country_alpha3, file_name) \
           VALUES (7, 'it', 'Italy', 5, 'ITA', 'ITA.png')",
    );
    s.season(1, "2026-01-01 00:00:00", "2026-02-01 00:00:00");
    s.map("M", "Map");
    for (n, zone) in [
        (1, Some(FRANCE)),
        (2, Some(FRANCE)),
        (3, Some(GERMANY)),
        (4, Some(GERMANY)),
        (5, Some(SPAIN)),
        (6, Some(SPAIN)),
        (7, Some(ITALY)),
        (9, None),
        (10, Some(EUROPE)),
    ] {
        s.player(n, zone, None, None);
    }
    let day = "2026-01-10 00:00:00";
    // 3v3, two countries a side: FRA+GER beat ESP+ITA (m1, m2, m3).
    h2h_game(
        &s,
        1,
        day,
        true,
        (3700, 3800, 3900),
        (&[1, 2, 3], &[5, 6, 7]),
    );
    // France on both teams: a draw for France against everyone; Spain
    // beats Germany; player 9 has no country (m1 only).
    h2h_game(
        &s,
        2,
        day,
        true,
        (3200, 3300, 3400),
        (&[1, 5, 9], &[2, 3, 4]),
    );
    // Only players without an alpha3 against France: no pair.
    h2h_game(&s, 3, day, true, (3500, 3600, 3700), (&[1, 2], &[9, 10]));
    // Not counted: min_elo below 3000, unfinished, no average elo, outside.
    h2h_game(&s, 4, day, true, (2999, 3500, 4000), (&[3], &[1]));
    h2h_game(&s, 5, day, false, (3500, 3600, 3700), (&[3], &[1]));
    h2h_game(&s, 6, day, true, (3500, -1, 3700), (&[3], &[1]));
    h2h_game(
        &s,
        7,
        "2026-02-01 00:00:01",
        true,
        (3500, 3600, 3700),
        (&[3], &[1]),
    );
    // A Trackmaster game (min_elo >= tl): in m1, m2 and tm, not m3.
    h2h_game(
        &s,
        8,
        "2026-02-01 00:00:00",
        true,
        (4100, 4200, 4300),
        (&[3], &[5]),
    );
    s.sql("UPDATE game SET trackmaster_limit = 4050 WHERE id = 8");

    s.compute(1, "country_h2h");
    let (fra, ger, esp, ita) = (
        country("France", "FRA"),
        country("Germany", "GER"),
        country("Spain", "ESP"),
        country("Italy", "ITA"),
    );
    assert_eq!(
        s.document("get_country_h2h_3000_1.txt"),
        json!({"countries": ["ESP", "FRA", "GER", "ITA"]})
    );
    assert_eq!(
        s.document("country_h2h_3000/1/FRA.txt"),
        json!({"results": [
            versus(esp.clone(), 1, 1, 0),
            versus(ger.clone(), 0, 1, 0),
            versus(ita.clone(), 1, 0, 0),
        ]})
    );
    assert_eq!(
        s.document("country_h2h_3000/1/GER.txt"),
        json!({"results": [
            versus(esp.clone(), 2, 0, 1),
            versus(fra.clone(), 0, 1, 0),
            versus(ita.clone(), 1, 0, 0),
        ]})
    );
    assert_eq!(
        s.document("country_h2h_3000/1/ESP.txt"),
        json!({"results": [
            versus(ger.clone(), 1, 0, 2),
            versus(fra.clone(), 0, 1, 1),
        ]})
    );
    assert_eq!(
        s.document("country_h2h_3000/1/ITA.txt"),
        json!({"results": [
            versus(fra.clone(), 0, 0, 1),
            versus(ger.clone(), 0, 0, 1),
        ]})
    );
    // m2: games 1 and 8.
    assert_eq!(
        s.document("country_h2h_3300/1/GER.txt"),
        json!({"results": [versus(esp.clone(), 2, 0, 0), versus(ita.clone(), 1, 0, 0)]})
    );
    // m3: game 1 only (game 8 reaches its trackmaster limit).
    assert_eq!(
        s.document("get_country_h2h_3600_1.txt"),
        json!({"countries": ["ESP", "FRA", "GER", "ITA"]})
    );
    assert_eq!(
        s.document("country_h2h_3600/1/ESP.txt"),
        json!({"results": [versus(fra.clone(), 0, 0, 1), versus(ger.clone(), 0, 0, 1)]})
    );
    // tm: game 8 only.
    assert_eq!(
        s.document("get_country_h2h_4000_1.txt"),
        json!({"countries": ["ESP", "GER"]})
    );
    assert_eq!(
        s.document("country_h2h_4000/1/GER.txt"),
        json!({"results": [versus(esp, 1, 0, 0)]})
    );
    assert_eq!(
        s.document("country_h2h_4000/1/ESP.txt"),
        json!({"results": [versus(ger, 0, 0, 1)]})
    );
    assert!(!s.exists("country_h2h_4000/1/FRA.txt"));
}

#[test]
fn no_games_no_country_files() {
    let s = StatsDb::new();
    s.season(1, "2026-01-01 00:00:00", "2026-02-01 00:00:00");
    s.compute(1, "country_h2h_4000");
    assert_eq!(
        s.document("get_country_h2h_4000_1.txt"),
        json!({"countries": []})
    );
    assert!(!s.exists("country_h2h_4000"));
}

const HISTORY: &str = "get_activity_per_rank_distribution_1.txt";

/// Player `n` with current points and rank whose last match is `game`.
fn active(s: &StatsDb, n: u32, points: i32, rank: i32, game: Option<i32>) {
    s.player(n, None, None, None);
    let last = game.map_or("NULL".to_string(), |g| g.to_string());
    s.sql(&format!(
        "UPDATE player SET points = {points}, `rank` = {rank}, last_match_id = {last} \
         WHERE uuid = '{}'",
        crate::stats_harness::uuid(n)
    ));
}

/// A sample's counts, b1 … tm, without its date (checked against now).
fn counts(sample: &Value) -> Value {
    let mut sample = sample.clone();
    let date = sample
        .as_object_mut()
        .unwrap()
        .remove("date")
        .expect("a date");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - 3600.0..=now + 1.0).contains(&date.as_f64().unwrap()));
    sample
}

fn tiers(b1: i64, b2: i64, s1: i64, m1: i64, m2: i64, m3: i64, tm: i64) -> Value {
    json!({"b1": b1, "b2": b2, "b3": 0, "s1": s1, "s2": 0, "s3": 0, "g1": 0, "g2": 0,
           "g3": 0, "m1": m1, "m2": m2, "m3": m3, "tm": tm})
}

fn rank_distribution_season() -> StatsDb {
    let s = StatsDb::new();
    s.season(1, "2026-01-01 00:00:00", "2026-02-01 00:00:00");
    s.map("M", "Map");
    s.game(1, "M", "2026-01-01 00:00:00", true); // the start is in
    s.game(2, "M", "2025-12-31 23:59:59", true); // before the season
    s.game(3, "M", "2026-03-01 00:00:00", false); // after its end: no upper bound
    active(&s, 1, 4100, 5, Some(1)); // tm
    active(&s, 2, 4100, 11, Some(1)); // m3: not in the top 10
    active(&s, 3, 3700, 8, Some(3)); // m3: top 10 below 4000
    active(&s, 4, 3500, 3, Some(1)); // nowhere: top 10 below 3600
    active(&s, 5, 3500, 50, Some(1)); // m2
    active(&s, 6, 0, 99999, Some(1)); // b1
    active(&s, 7, 299, 0, Some(1)); // nowhere: rank 0 (not found)
    active(&s, 8, 300, 2000, Some(3)); // b2
    active(&s, 9, 2000, 100, Some(2)); // last match before the season
    active(&s, 10, 2000, 100, None); // never seen in a match
    active(&s, 11, 1000, 500, Some(3)); // s1
    s
}

#[test]
fn rank_distribution_appends_a_sample_every_twelve_hours() {
    let s = rank_distribution_season();
    s.compute(1, "per_rank_distribution");
    let first = s.document(HISTORY);
    let samples = first["results"].as_array().unwrap();
    assert_eq!(samples.len(), 1);
    assert_eq!(counts(&samples[0]), tiers(1, 1, 1, 0, 1, 2, 1));
    let written = s.file(HISTORY);
    assert_eq!(written["last_updated"], samples[0]["date"]);

    // Within 12 h: nothing changes, whatever the players do.
    s.sql("UPDATE player SET points = 3000 WHERE `rank` = 50");
    s.compute(1, "per_rank_distribution");
    assert_eq!(s.file(HISTORY), written);

    // 12 h and a second later: a second sample, the first kept as it was.
    let mut older = written.clone();
    let back = older["last_updated"].as_f64().unwrap() - 43_201.0;
    older["last_updated"] = json!(back);
    std::fs::write(s.cache().join(HISTORY), older.to_string()).unwrap();
    s.compute(1, "per_rank_distribution");
    let second = s.file(HISTORY);
    let samples = second["results"].as_array().unwrap();
    assert_eq!(samples.len(), 2);
    assert_eq!(samples[0], written["results"][0]);
    assert_eq!(counts(&samples[1]), tiers(1, 1, 1, 1, 0, 2, 1));
    assert_eq!(second["last_updated"], samples[1]["date"]);
    assert!(samples[1]["date"].as_f64().unwrap() > back + 43_200.0);
}

#[test]
fn rank_distribution_of_nobody_is_zeros() {
    let s = StatsDb::new();
    s.season(1, "2026-01-01 00:00:00", "2026-02-01 00:00:00");
    s.compute(1, "per_rank_distribution");
    let history = s.document(HISTORY);
    assert_eq!(counts(&history["results"][0]), tiers(0, 0, 0, 0, 0, 0, 0));
}

#[test]
fn an_unreadable_history_is_never_overwritten() {
    let s = rank_distribution_season();
    std::fs::create_dir_all(s.cache()).unwrap();
    for broken in [
        "{\"results\": [{\"b1\": 1}], \"last_upd",
        "",
        "{\"results\": 3, \"last_updated\": 0}",
    ] {
        std::fs::write(s.cache().join(HISTORY), broken).unwrap();
        let run = s.run(&[
            "compute-stats",
            "--season",
            "1",
            "--stats",
            "per_rank_distribution",
        ]);
        run.assert_code(8);
        assert!(
            run.stderr.contains("is not a rank distribution history"),
            "{}",
            run.stderr
        );
        assert_eq!(
            std::fs::read_to_string(s.cache().join(HISTORY)).unwrap(),
            broken
        );
    }
}
