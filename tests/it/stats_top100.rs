//! S04 top 100 per country: season rows of each country's current players,
//! by season points (not rank), 100 at most, equal points by uuid; the
//! region object or null; an index of the countries with a file.

use crate::stats_harness::{dashed, StatsDb, EUROPE, FRANCE, GERMANY, IDF};
use serde_json::json;

#[test]
fn each_country_gets_its_best_hundred_by_points() {
    let s = StatsDb::new();
    s.season(1, "2026-01-01 00:00:00", "2026-04-01 00:00:00");
    s.season(2, "2026-01-01 00:00:00", "2026-04-01 00:00:00");
    // 101 French players: points 1000 + n, ranks the other way round;
    // player 1 (the fewest points) is the one left out.
    for n in 1..=101 {
        s.player(n, Some(FRANCE), Some(IDF), None);
        s.player_season(1, n, 1000 + n as i32, 200 - n as i32, Some("FR"));
    }
    // Germany: equal points, by uuid; no region; no season tag; rank 0 kept.
    s.player(300, Some(GERMANY), None, Some("NOW"));
    s.player_season(1, 300, 5000, 0, None);
    s.player(299, Some(GERMANY), None, None);
    s.player_season(1, 299, 5000, 7, Some("DE"));
    // No file: a player without country, one in a zone without alpha3, a
    // country (Spain) with rows only in another season.
    s.player(400, None, None, None);
    s.player_season(1, 400, 9000, 1, None);
    s.player(401, Some(EUROPE), None, None);
    s.player_season(1, 401, 9000, 1, None);
    s.player(402, Some(6), None, None);
    s.player_season(2, 402, 9000, 1, None);

    s.compute(1, "top_100");
    assert_eq!(
        s.document("get_top_100_per_country_0_1.txt"),
        json!({"results": [
            {"country_alpha3": "FRA", "name": "France"},
            {"country_alpha3": "GER", "name": "Germany"},
        ]})
    );
    assert_eq!(
        s.document("top_100_by_country/1/GER.txt"),
        json!({"results": [
            {"name": "Player 299", "uuid": dashed(299), "club_tag": "DE", "rank": 7,
             "points": 5000, "region": null},
            {"name": "Player 300", "uuid": dashed(300), "club_tag": null, "rank": 0,
             "points": 5000, "region": null},
        ]})
    );
    let france = s.document("top_100_by_country/1/FRA.txt");
    let rows = france["results"].as_array().unwrap();
    assert_eq!(rows.len(), 100);
    assert_eq!(
        rows[0],
        json!({"name": "Player 101", "uuid": dashed(101), "club_tag": "FR", "rank": 99,
               "points": 1101, "region": {"name": "Ile-de-France", "file_name": "FRA_IDF"}})
    );
    assert_eq!(rows[99]["uuid"], dashed(2));
    assert!(rows.iter().all(|r| r["uuid"] != dashed(1)));
    assert!(!s.exists("top_100_by_country/1/ESP.txt"));
    assert_eq!(
        std::fs::read_dir(s.cache().join("top_100_by_country/1"))
            .unwrap()
            .count(),
        2
    );
}
