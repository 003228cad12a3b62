//! The database-only jobs around points: `match-elo` (collection.md §2.9),
//! `recompute-elo` (§2.10) and `top-positions` (§2.11). Step 4 of the
//! fixtures' scenario is in collect_ranks.rs, after step 3.

use crate::collect_ranks::{hours_ago, minutes_ago, stored, Seed, SENTINEL};
use crate::collector::Collector;
use crate::common::{count, scalar_string, strings};
use crate::fake_nadeo::PLAYERS;
use diesel::MysqlConnection;

/// `min|average|max` of a game.
fn elo(conn: &mut MysqlConnection, game: i32) -> String {
    scalar_string(
        conn,
        &format!(
            "SELECT CONCAT_WS('|', min_elo, average_elo, max_elo) AS value FROM game \
             WHERE id = {game}"
        ),
    )
    .unwrap()
}

/// Every column of a game but the elo ones.
fn game_rest(conn: &mut MysqlConnection, game: i32) -> String {
    scalar_string(
        conn,
        &format!(
            "SELECT CONCAT_WS('|', id, map_id, time, is_finished, trackmaster_limit, \
             COALESCE(rounds, 'NULL')) AS value FROM game WHERE id = {game}"
        ),
    )
    .unwrap()
}

fn account(n: usize) -> String {
    format!("00000000-0000-0000-0000-{n:012}")
}

/// A game whose players have these points (fetched unless `None`: then
/// sentinel, at 0 points).
fn game_with_points(seed: &mut Seed, id: i32, points: &[Option<i32>], first_player: usize) {
    seed.game(id, &minutes_ago(3), false, (-1, -1, -1));
    for (i, p) in points.iter().enumerate() {
        let player = account(first_player + i);
        match p {
            Some(points) => seed.player(&player, *points, 5000, &hours_ago(1), 0),
            None => seed.player(&player, 0, 99999, SENTINEL, 0),
        }
        seed.played(id, &player, None);
    }
}

#[test]
fn match_elo_from_current_points_once_a_player_is_fetched() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    {
        let mut seed = Seed(&mut conn);
        game_with_points(&mut seed, 1, &[None, None], 0);
        seed.game(2, &minutes_ago(3), false, (-1, -1, -1));
        game_with_points(&mut seed, 3, &[Some(1000), None, Some(500)], 10);
        game_with_points(&mut seed, 4, &[Some(1), Some(2)], 20);
        game_with_points(&mut seed, 5, &[Some(1000), Some(1001), Some(1001)], 30);
        game_with_points(&mut seed, 6, &[Some(3000), Some(3100)], 40);
        seed.sql("UPDATE game SET min_elo = 1, average_elo = 2, max_elo = 3 WHERE id = 6");
        seed.sql("UPDATE game SET is_finished = 1, rounds = 7 WHERE id = 3");
    }
    let rest: Vec<String> = (1..=6).map(|g| game_rest(&mut conn, g)).collect();
    c.fetch_once("match-elo").assert_ok();
    assert_eq!(elo(&mut conn, 1), "-1|-1|-1", "no fetched player yet");
    assert_eq!(elo(&mut conn, 2), "-1|-1|-1", "no players");
    assert_eq!(
        elo(&mut conn, 3),
        "0|500|1000",
        "sentinel players count, at 0"
    );
    assert_eq!(elo(&mut conn, 4), "1|1|2", "1.5 truncated");
    assert_eq!(elo(&mut conn, 5), "1000|1000|1001", "1000.67 truncated");
    assert_eq!(elo(&mut conn, 6), "1|2|3", "computed already");
    let after: Vec<String> = (1..=6).map(|g| game_rest(&mut conn, g)).collect();
    assert_eq!(after, rest, "only the elo columns are written");

    // Once a player of game 1 is fetched, it qualifies; computed ones stay.
    Seed(&mut conn).sql(&format!(
        "UPDATE player SET points = 2222, last_points_update = '{}' WHERE uuid = '{}'; \
         UPDATE player SET points = 9999 WHERE uuid = '{}'",
        hours_ago(0),
        stored(&account(0)),
        stored(&account(10))
    ));
    c.fetch_once("match-elo").assert_ok();
    assert_eq!(elo(&mut conn, 1), "0|1111|2222");
    assert_eq!(elo(&mut conn, 3), "0|500|1000");
}

#[test]
fn match_elo_takes_a_limited_number_of_games_per_iteration() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    {
        let mut seed = Seed(&mut conn);
        for g in 1..=3 {
            game_with_points(&mut seed, g, &[Some(100 * g)], g as usize);
        }
    }
    let args = [
        "fetch",
        "--once",
        "--jobs",
        "match-elo",
        "--match-elo-limit",
        "2",
    ];
    let run = c.run(&args, &[]);
    run.assert_ok();
    assert!(run.stderr.contains("elo computed for 2 games"), "{run:#?}");
    assert_eq!(elo(&mut conn, 1), "100|100|100");
    assert_eq!(elo(&mut conn, 2), "200|200|200");
    assert_eq!(elo(&mut conn, 3), "-1|-1|-1");
    c.run(&args, &[]).assert_ok();
    assert_eq!(elo(&mut conn, 3), "300|300|300");
    c.run(
        &["fetch", "--jobs", "match-elo", "--match-elo-limit", "0"],
        &[],
    )
    .assert_code(2);
}

/// A game with stored elo and its players' points after the match.
fn stored_game(
    seed: &mut Seed,
    id: i32,
    time: &str,
    finished: bool,
    elo: (i32, i32, i32),
    after: &[Option<i32>],
) {
    seed.game(id, time, finished, elo);
    for (i, pam) in after.iter().enumerate() {
        let player = account(id as usize * 10 + i);
        seed.player(&player, 0, 99999, SENTINEL, 0);
        seed.played(id, &player, pam.map(|p| (p, 1)));
    }
}

#[test]
fn recompute_elo_repairs_games_stored_too_high() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    let recent = minutes_ago(10);
    {
        let s = &mut Seed(&mut conn);
        stored_game(
            s,
            1,
            &recent,
            true,
            (2000, 2500, 3000),
            &[Some(800), Some(1200)],
        );
        stored_game(
            s,
            2,
            &recent,
            true,
            (1400, 1200, 1001),
            &[Some(1000), Some(1001), Some(1001)],
        );
        stored_game(
            s,
            3,
            &recent,
            true,
            (500, 900, 1100),
            &[Some(500), Some(700)],
        );
        stored_game(
            s,
            4,
            &recent,
            true,
            (600, 650, 800),
            &[Some(500), Some(700)],
        );
        stored_game(s, 5, &recent, true, (2000, 2000, 2000), &[Some(800), None]);
        stored_game(
            s,
            6,
            &recent,
            false,
            (2000, 2000, 2000),
            &[Some(800), Some(900)],
        );
        stored_game(
            s,
            7,
            &recent,
            true,
            (-1, 2000, 3000),
            &[Some(800), Some(900)],
        );
        stored_game(
            s,
            8,
            &hours_ago(2),
            true,
            (2000, 2000, 2000),
            &[Some(800), Some(900)],
        );
        stored_game(
            s,
            9,
            &recent,
            true,
            (2000, 2000, 2000),
            &[Some(1000), Some(1001)],
        );
        stored_game(
            s,
            10,
            &recent,
            true,
            (2000, 2000, 2000),
            &[Some(1001), Some(1002)],
        );
        stored_game(
            s,
            11,
            &recent,
            true,
            (1100, 1100, 800),
            &[Some(800), Some(800)],
        );
        s.sql("INSERT INTO map (uid, name) VALUES ('N', ''); UPDATE game SET map_id = 'N' WHERE id = 1");
    }
    let rest: Vec<String> = (1..=11).map(|g| game_rest(&mut conn, g)).collect();
    let run = c.fetch_once("recompute-elo");
    run.assert_ok();
    assert!(run.stderr.contains("elo repaired for 5 games"), "{run:#?}");
    assert_eq!(elo(&mut conn, 1), "800|1000|1200", "min and max diverge");
    assert_eq!(
        elo(&mut conn, 2),
        "1000|1001|1001",
        "min diverges; 1000.67 rounds up"
    );
    assert_eq!(elo(&mut conn, 3), "500|600|700", "max diverges");
    assert_eq!(elo(&mut conn, 4), "600|650|800", "within the threshold");
    assert_eq!(
        elo(&mut conn, 5),
        "2000|2000|2000",
        "a NULL point after the match"
    );
    assert_eq!(elo(&mut conn, 6), "2000|2000|2000", "unfinished");
    assert_eq!(elo(&mut conn, 7), "-1|2000|3000", "elo not computed");
    assert_eq!(elo(&mut conn, 8), "2000|2000|2000", "outside the window");
    assert_eq!(elo(&mut conn, 9), "1000|1000|1001", "1000.5: half to even");
    assert_eq!(elo(&mut conn, 10), "1001|1002|1002", "1001.5: half to even");
    assert_eq!(
        elo(&mut conn, 11),
        "1100|1100|800",
        "300 is not more than 300"
    );
    let after: Vec<String> = (1..=11).map(|g| game_rest(&mut conn, g)).collect();
    assert_eq!(after, rest, "only the elo columns are written");

    // Nothing left to repair.
    let run = c.fetch_once("recompute-elo");
    run.assert_ok();
    assert!(!run.stderr.contains("repaired"), "{run:#?}");

    // A wider window and a lower threshold.
    c.run(
        &[
            "fetch",
            "--once",
            "--jobs",
            "recompute-elo",
            "--recompute-window",
            "10800",
            "--recompute-threshold",
            "50",
        ],
        &[],
    )
    .assert_ok();
    assert_eq!(elo(&mut conn, 8), "800|850|900");
    assert_eq!(elo(&mut conn, 4), "500|600|700");
    for bad in [["--recompute-window", "0"], ["--recompute-threshold", "-5"]] {
        let mut args = vec!["fetch", "--once", "--jobs", "recompute-elo"];
        args.extend(bad);
        c.run(&args, &[]).assert_code(2);
    }
}

fn ranks(conn: &mut MysqlConnection) -> Vec<String> {
    strings(
        conn,
        "SELECT CONCAT(uuid, '=', `rank`) AS value FROM player ORDER BY points DESC, uuid",
    )
}

#[test]
fn top_positions_rank_a_single_player_first() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    Seed(&mut conn).player(PLAYERS[0], 1200, 4321, &hours_ago(1), 0);
    c.fetch_once("top-positions").assert_ok();
    assert_eq!(ranks(&mut conn), [format!("{}=1", stored(PLAYERS[0]))]);
}

#[test]
fn top_positions_rank_the_best_by_points_and_their_current_season_rows() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    let [a, b, t, d, e, f] = PLAYERS;
    {
        let mut seed = Seed(&mut conn);
        seed.season(1, "Fall 2025", &hours_ago(24 * 90), &hours_ago(24 * 31));
        seed.current_season_with_id(2);
        seed.player(a, 3000, 50, &hours_ago(1), 0);
        seed.player(b, 2500, 70, &hours_ago(1), 0);
        seed.player(t, 2500, 71, &hours_ago(1), 0);
        seed.player(d, 2000, 90, &hours_ago(1), 0);
        seed.player(e, 100, 99999, &hours_ago(1), 0);
        seed.player(f, 50, 123456, &hours_ago(1), 0);
        seed.player_season(1, a, 2800, 60);
        seed.player_season(2, a, 3000, 50);
        seed.player_season(2, t, 2500, 71);
        seed.player_season(2, e, 100, 99999);
    }
    c.run(
        &["fetch", "--once", "--jobs", "top-positions", "--top-n", "4"],
        &[],
    )
    .assert_ok();
    // Ties (b, t: 2500) in uuid order; e and f are not in the top 4.
    assert_eq!(
        ranks(&mut conn),
        [
            format!("{}=1", stored(a)),
            format!("{}=2", stored(b)),
            format!("{}=3", stored(t)),
            format!("{}=4", stored(d)),
            format!("{}=99999", stored(e)),
            format!("{}=123456", stored(f)),
        ]
    );
    let season_rows = |conn: &mut MysqlConnection| {
        strings(
            conn,
            "SELECT CONCAT_WS('|', season_id, player_id, points, `rank`) AS value \
             FROM playerseason ORDER BY id",
        )
    };
    assert_eq!(
        season_rows(&mut conn),
        [
            format!("1|{}|2800|60", stored(a)),
            format!("2|{}|3000|1", stored(a)),
            format!("2|{}|2500|3", stored(t)),
            format!("2|{}|100|99999", stored(e)),
        ],
        "the current season's rows of the top; none created; the past season untouched"
    );

    // Without a current season, season rows stay as they are.
    Seed(&mut conn).sql(&format!(
        "UPDATE season SET end_time = '{}' WHERE id = 2; \
         UPDATE player SET points = 5000 WHERE uuid = '{}'",
        hours_ago(1),
        stored(f)
    ));
    let before = season_rows(&mut conn);
    c.run(
        &["fetch", "--once", "--jobs", "top-positions", "--top-n", "4"],
        &[],
    )
    .assert_ok();
    assert_eq!(season_rows(&mut conn), before);
    assert_eq!(ranks(&mut conn)[0], format!("{}=1", stored(f)));
    c.run(&["fetch", "--jobs", "top-positions", "--top-n", "0"], &[])
        .assert_code(2);
}

#[test]
fn top_positions_rank_200_players_by_default() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    let values: Vec<String> = (0..201)
        .map(|n| {
            format!(
                "('{}', '', {}, 777777, '{}', '{SENTINEL}', 0)",
                stored(&account(n)),
                10_000 - n,
                hours_ago(1)
            )
        })
        .collect();
    Seed(&mut conn).sql(&format!(
        "INSERT INTO player (uuid, name, points, `rank`, last_points_update, last_name_update, \
         points_fetch_retries) VALUES {}",
        values.join(", ")
    ));
    c.fetch_once("top-positions").assert_ok();
    let expected: Vec<String> = (0..201)
        .map(|n| {
            let rank = if n < 200 { n + 1 } else { 777777 };
            format!("{}={rank}", stored(&account(n)))
        })
        .collect();
    assert_eq!(ranks(&mut conn), expected);
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) AS value FROM playerseason"),
        0
    );
}
