//! The shared season rows (src/stats/season_rows.rs): the window's games and
//! their participations, whatever order they were stored in and however
//! the participations are sliced.

use crate::stats_harness::{uuid, StatsDb};
use chrono::NaiveDateTime;
use mmstatus::db::models::Season;
use mmstatus::stats::season_rows::{read, SeasonRows, PART_CHUNK};

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
}

/// (game id, map uid, [(player uuid, country, win, mvp)]) per game, in order.
type Flat = Vec<(i32, String, Vec<(String, Option<i32>, bool, bool)>)>;

fn flat(rows: &SeasonRows) -> Flat {
    rows.parts_by_game()
        .map(|(game, parts)| {
            let players = parts
                .iter()
                .map(|p| {
                    let player = rows.player(p);
                    (player.uuid.clone(), player.country, p.is_win, p.is_mvp)
                })
                .collect();
            (game.id, rows.maps[game.map as usize].uid.clone(), players)
        })
        .collect()
}

#[test]
fn the_window_s_games_and_participations_whatever_their_storage_order() {
    let db = StatsDb::new();
    db.season(1, "2026-01-01 00:00:00", "2026-01-31 23:59:59");
    db.map("mapB", "B");
    db.map("mapa", "A");
    db.player(1, Some(2), None, None);
    db.player(2, Some(3), None, None);
    db.player(3, None, None, None);
    // Stored out of id order, other windows' games between them, both
    // window ends exactly.
    for (id, map, time) in [
        (20, "mapB", "2026-02-01 00:00:00"),
        (11, "mapB", "2026-01-31 23:59:59"),
        (10, "mapa", "2026-01-01 00:00:00"),
        (15, "mapa", "2025-12-31 23:59:59"),
        (12, "mapB", "2026-01-15 12:00:00"),
    ] {
        db.game(id, map, time, true);
    }
    for (game, n, win, mvp) in [
        (20, 1, true, false),
        (11, 2, true, true),
        (10, 1, false, false),
        (15, 3, true, true),
        (11, 3, false, false),
        (10, 2, true, true),
        (12, 3, true, false),
    ] {
        db.played(game, n, win, mvp);
    }
    let season = Season {
        id: 1,
        name: "Season 1".into(),
        start_time: at("2026-01-01 00:00:00"),
        end_time: at("2026-01-31 23:59:59"),
        is_aggregated: false,
    };
    let mut conn = db.conn();
    let whole = read(&mut conn, &season, PART_CHUNK).unwrap();
    let p = |n: u32, country: Option<i32>, win: bool, mvp: bool| (uuid(n), country, win, mvp);
    let expected: Flat = vec![
        (
            10,
            "mapa".into(),
            vec![p(1, Some(2), false, false), p(2, Some(3), true, true)],
        ),
        (
            11,
            "mapB".into(),
            vec![p(2, Some(3), true, true), p(3, None, false, false)],
        ),
        (12, "mapB".into(), vec![p(3, None, true, false)]),
    ];
    assert_eq!(flat(&whole), expected);
    assert_eq!(whole.players.len(), 3);
    // Maps in the database's (case-insensitive) order of uids.
    let uids: Vec<&str> = whole.maps.iter().map(|m| m.uid.as_str()).collect();
    assert_eq!(uids, ["mapa", "mapB"]);
    for slice in [1, 2, 3] {
        assert_eq!(flat(&read(&mut conn, &season, slice).unwrap()), expected);
    }
}

#[test]
fn an_empty_window_reads_nothing() {
    let db = StatsDb::new();
    db.map("m", "M");
    db.player(1, None, None, None);
    db.game(1, "m", "2026-03-01 00:00:00", true);
    db.played(1, 1, true, false);
    let season = Season {
        id: 1,
        name: "S".into(),
        start_time: at("2026-01-01 00:00:00"),
        end_time: at("2026-01-31 23:59:59"),
        is_aggregated: false,
    };
    let rows = read(&mut db.conn(), &season, PART_CHUNK).unwrap();
    assert!(rows.games.is_empty() && rows.parts.is_empty() && rows.players.is_empty());
}
