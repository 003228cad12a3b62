//! S03 maps statistics: every game of the window (both ends included,
//! unfinished ones and ones without elo too), per map, most played first,
//! equal counts by map uid.

use crate::stats_harness::StatsDb;
use serde_json::json;

#[test]
fn games_per_map_in_the_inclusive_window() {
    let s = StatsDb::new();
    s.season(1, "2026-01-01 00:00:00", "2026-02-01 00:00:00");
    s.map("A", "Alpha");
    s.map("D", "Delta");
    s.map("B", "Bravo");
    s.map("C", "");
    s.game(1, "A", "2026-01-01 00:00:00", true);
    s.game(2, "A", "2026-02-01 00:00:00", true);
    s.game(3, "A", "2026-01-15 12:00:00", false);
    s.game(4, "A", "2026-01-15 13:00:00", true);
    s.game(5, "D", "2026-01-02 00:00:00", true);
    s.game(6, "D", "2026-01-03 00:00:00", true);
    s.game(7, "B", "2026-01-04 00:00:00", true);
    s.game(8, "B", "2026-01-05 00:00:00", false);
    s.game(9, "B", "2025-12-31 23:59:59", true);
    s.game(10, "B", "2026-02-01 00:00:01", true);
    s.game(11, "C", "2026-03-01 00:00:00", true);

    s.compute(1, "maps_statistics");
    assert_eq!(
        s.document("get_maps_statistics_1.txt"),
        json!({"results": [
            {"map_uid": "A", "map_name": "Alpha", "total_played": 4},
            {"map_uid": "B", "map_name": "Bravo", "total_played": 2},
            {"map_uid": "D", "map_name": "Delta", "total_played": 2},
        ]})
    );
}

#[test]
fn an_empty_season_has_no_maps() {
    let s = StatsDb::new();
    s.season(1, "2026-01-01 00:00:00", "2026-02-01 00:00:00");
    s.compute(1, "maps_statistics");
    assert_eq!(
        s.document("get_maps_statistics_1.txt"),
        json!({"results": []})
    );
}
