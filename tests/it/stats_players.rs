//! S19 players statistics: every participation of the window's games,
//! unfinished ones counting as losses; 100 players per file, by the
//! file's measure, equal values by uuid.

use crate::stats_harness::{dashed, StatsDb, FRANCE};
use serde_json::{json, Value};

fn uuids(document: &Value) -> Vec<String> {
    document["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uuid"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn played_wins_losses_and_mvps_with_unfinished_games_as_losses() {
    let s = StatsDb::new();
    s.season(1, "2026-01-01 00:00:00", "2026-02-01 00:00:00");
    s.map("M", "Map");
    s.player(1, Some(FRANCE), None, Some("CLUB"));
    s.player(2, None, None, None);
    s.player(3, None, None, None);
    s.game(1, "M", "2026-01-01 00:00:00", true);
    s.game(2, "M", "2026-01-10 00:00:00", true);
    s.game(3, "M", "2026-02-01 00:00:00", false);
    s.game(4, "M", "2026-02-01 00:00:01", true);
    s.played(1, 1, true, true);
    s.played(1, 2, false, false);
    s.played(2, 1, true, false);
    s.played(2, 2, false, true);
    s.played(2, 3, true, true);
    // Unfinished: a loss for everyone.
    s.played(3, 1, false, false);
    s.played(3, 2, false, false);
    // Outside the window.
    s.played(4, 3, true, true);
    s.played(4, 2, true, true);

    s.compute(1, "players_matches");
    let one = json!({"name": "Player 1", "uuid": dashed(1), "club_tag": "CLUB",
        "country": {"name": "France", "file_name": "FRA.png", "alpha3": "FRA"},
        "played": 3, "wins": 2, "losses": 1, "mvps": 1});
    let two = json!({"name": "Player 2", "uuid": dashed(2), "club_tag": null, "country": null,
        "played": 3, "wins": 0, "losses": 3, "mvps": 1});
    let three = json!({"name": "Player 3", "uuid": dashed(3), "club_tag": null, "country": null,
        "played": 1, "wins": 1, "losses": 0, "mvps": 1});
    assert_eq!(
        s.document("get_players_matches_played_1.txt"),
        json!({"results": [one, two, three]})
    );
    assert_eq!(
        s.document("get_players_matches_wins_1.txt"),
        json!({"results": [one, three, two]})
    );
    assert_eq!(
        s.document("get_players_matches_losses_1.txt"),
        json!({"results": [two, one, three]})
    );
    assert_eq!(
        s.document("get_players_matches_mvps_1.txt"),
        json!({"results": [one, two, three]})
    );
}

#[test]
fn a_hundred_players_at_most() {
    let s = StatsDb::new();
    s.season(1, "2026-01-01 00:00:00", "2026-02-01 00:00:00");
    s.map("M", "Map");
    for n in 1..=101u32 {
        s.player(n, None, None, None);
        s.game(n as i32, "M", "2026-01-05 00:00:00", true);
        s.played(n as i32, n, false, false);
    }
    // Player 101 plays once more: first; then uuid order, so 100 drops out.
    s.game(500, "M", "2026-01-06 00:00:00", true);
    s.played(500, 101, true, false);

    s.compute(1, "players_matches_played");
    let played = uuids(&s.file("get_players_matches_played_1.txt"));
    assert_eq!(played.len(), 100);
    assert_eq!(played[0], dashed(101));
    assert_eq!(played[1], dashed(1));
    assert_eq!(played[99], dashed(99));
    assert!(!s.exists("get_players_matches_wins_1.txt"));
}
