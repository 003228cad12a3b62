//! S01 clubs leaderboard and S02 countries leaderboard, hand-computed.
//! Position points: pts(1) = 10000, pts(2) = 8997, pts(3) = 8410,
//! pts(10) = 6667, pts(50) = 4337, pts(500) = 1003, ranks over 1000 score 0.

use crate::stats_harness::{StatsDb, EUROPE, FRANCE, GERMANY};
use serde_json::json;

const START: &str = "2026-01-01 00:00:00";
const END: &str = "2026-04-01 00:00:00";

#[test]
fn clubs_count_their_ten_best_ranked_members_with_the_season_tag() {
    let s = StatsDb::new();
    s.season(1, START, END);
    s.season(2, START, END);
    // BIG: rank 1 and ten members at rank 500: only nine of those count.
    s.player(1, None, None, None);
    s.player_season(1, 1, 5000, 1, Some("BIG"));
    for n in 100..110 {
        s.player(n, None, None, None);
        s.player_season(1, n, 2000, 500, Some("BIG"));
    }
    // Tags are grouped case-sensitively.
    s.player(2, None, None, None);
    s.player_season(1, 2, 4000, 2, Some("TINY"));
    s.player(3, None, None, None);
    s.player_season(1, 3, 3000, 10, Some("tiny"));
    // The season's tag counts, not the current one.
    s.player(4, None, None, Some("NOW"));
    s.player_season(1, 4, 2500, 50, Some("THEN"));
    // Beyond rank 1000: counted, no points.
    s.player(5, None, None, None);
    s.player_season(1, 5, 100, 5000, Some("FAR"));
    // Excluded: rank 0, no season tag, another season.
    s.player(6, None, None, None);
    s.player_season(1, 6, 9000, 0, Some("ZERO"));
    s.player(7, None, None, Some("NOW"));
    s.player_season(1, 7, 4500, 3, None);
    s.player_season(2, 7, 4500, 1, Some("OTHER"));

    s.compute(1, "clubs_leaderboard");
    assert_eq!(
        s.document("get_clubs_leaderboard_1.txt"),
        json!({"compute_method": "top_10", "results": [
            {"name": "BIG", "points": 10000 + 9 * 1003, "count": 10},
            {"name": "TINY", "points": 8997, "count": 1},
            {"name": "tiny", "points": 6667, "count": 1},
            {"name": "THEN", "points": 4337, "count": 1},
            {"name": "FAR", "points": 0, "count": 1},
        ]})
    );
    assert!(!s.exists("get_countries_leaderboard_1.txt"));
}

#[test]
fn countries_drop_players_without_country_before_the_limit() {
    let s = StatsDb::new();
    s.season(1, START, END);
    s.player(1, Some(FRANCE), None, None);
    s.player_season(1, 1, 5000, 1, None);
    s.player(2, Some(GERMANY), None, None);
    s.player_season(1, 2, 4900, 2, None);
    s.player(3, Some(FRANCE), None, None);
    s.player_season(1, 3, 4800, 3, None);
    s.player(4, Some(FRANCE), None, None);
    s.player_season(1, 4, 9000, 0, None);
    // A thousand players without country at ranks 4 to 1003 …
    s.sql(&format!(
        "INSERT INTO player (uuid, name, points, `rank`, last_points_update, last_name_update, \
         points_fetch_retries) \
         WITH RECURSIVE seq(n) AS (SELECT 4 UNION ALL SELECT n + 1 FROM seq WHERE n < 1003) \
         SELECT LPAD(HEX(100000 + n), 32, '0'), 'nobody', 0, 0, '{START}', '{START}', 0 FROM seq; \
         INSERT INTO playerseason (season_id, player_id, points, `rank`) \
         SELECT 1, uuid, 1000, CONV(uuid, 16, 10) - 100000 FROM player WHERE name = 'nobody'"
    ));
    // … so that a French player at rank 1004 is still among the first 1000.
    s.player(5, Some(FRANCE), None, None);
    s.player_season(1, 5, 10, 1004, None);
    // A country zone without alpha3 is still a group (the reference's join).
    s.player(6, Some(EUROPE), None, None);
    s.player_season(1, 6, 10, 999, None);

    s.compute(1, "countries_leaderboard");
    assert_eq!(
        s.document("get_countries_leaderboard_1.txt"),
        json!({"compute_method": "top_10", "results": [
            {"name": "France", "file_name": "FRA.png", "country_alpha3": "FRA",
             "points": 10000 + 8410, "count": 3},
            {"name": "Germany", "file_name": "GER.png", "country_alpha3": "GER",
             "points": 8997, "count": 1},
            {"name": "Europe", "file_name": "EUR.png", "country_alpha3": null,
             "points": 1, "count": 1},
        ]})
    );
}
