//! The `ranks` job (collection.md §2.4): the queue, retries, season rows,
//! points after the match, compare-and-set, API faults; and steps 3 and 4 of
//! the fixtures' scenario. Players and games are seeded with SQL.

pub use crate::collector::stored;
use crate::collector::Collector;
pub use crate::collector::FIXTURE_PLAYERS;
pub use crate::collector::SENTINEL;
use crate::common::{count, scalar_string, strings};
use crate::fake_nadeo::{Reply, PLAYERS};
use chrono::{Duration, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::{Connection, MysqlConnection};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub const RANKS_PATH: &str = "/meet/api/matchmaking/5/leaderboard/players";

/// Now in the tests' zone, to the second.
pub fn now() -> NaiveDateTime {
    use chrono::SubsecRound;
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .naive_local()
        .trunc_subsecs(0)
}

pub fn fmt(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `hours` before now, as SQL text.
pub fn hours_ago(hours: i64) -> String {
    fmt(now() - Duration::hours(hours))
}

pub fn minutes_ago(minutes: i64) -> String {
    fmt(now() - Duration::minutes(minutes))
}

/// Rows seeded the way the reference's writers leave them.
pub struct Seed<'a>(pub &'a mut MysqlConnection);

impl Seed<'_> {
    pub fn sql(&mut self, sql: &str) {
        self.0
            .batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    pub fn player(&mut self, dashed: &str, points: i32, rank: i32, lpu: &str, retries: i32) {
        self.sql(&format!(
            "INSERT INTO player (uuid, name, points, `rank`, last_points_update, \
             last_name_update, points_fetch_retries) \
             VALUES ('{}', '', {points}, {rank}, '{lpu}', '{SENTINEL}', {retries})",
            stored(dashed)
        ));
    }

    /// A game on map `M` (elo: min, average, max).
    pub fn game(&mut self, id: i32, time: &str, finished: bool, elo: (i32, i32, i32)) {
        self.sql(&format!(
            "INSERT IGNORE INTO map (uid, name) VALUES ('M', ''); \
             INSERT INTO game (id, map_id, min_elo, average_elo, max_elo, time, is_finished, \
             trackmaster_limit, rounds) VALUES ({id}, 'M', {}, {}, {}, '{time}', {}, 99999, {})",
            elo.0,
            elo.1,
            elo.2,
            i32::from(finished),
            if finished { "8" } else { "NULL" }
        ));
    }

    /// A playergame with its points and rank after the match.
    pub fn played(&mut self, game: i32, dashed: &str, after: Option<(i32, i32)>) {
        let (pam, ram) = after.map_or(("NULL".to_string(), "NULL".to_string()), |(p, r)| {
            (p.to_string(), r.to_string())
        });
        self.sql(&format!(
            "INSERT INTO playergame (game_id, player_id, is_win, is_mvp, points_after_match, \
             rank_after_match) VALUES ({game}, '{}', 0, 0, {pam}, {ram})",
            stored(dashed)
        ));
    }

    pub fn season(&mut self, id: i32, name: &str, start: &str, end: &str) {
        self.sql(&format!(
            "INSERT INTO season (id, name, start_time, end_time, is_aggregated) \
             VALUES ({id}, '{name}', '{start}', '{end}', 0)"
        ));
    }

    pub fn player_season(&mut self, season: i32, dashed: &str, points: i32, rank: i32) {
        self.sql(&format!(
            "INSERT INTO playerseason (season_id, player_id, points, `rank`, club_tag) \
             VALUES ({season}, '{}', {points}, {rank}, NULL)",
            stored(dashed)
        ));
    }

    /// A season covering now (id 1).
    pub fn current_season(&mut self) {
        self.current_season_with_id(1);
    }

    pub fn current_season_with_id(&mut self, id: i32) {
        self.season(id, "Winter 2026", &hours_ago(24 * 30), &hours_ago(-24 * 30));
    }
}

/// `points|rank|retries|last_points_update` of a player.
pub fn player_row(conn: &mut MysqlConnection, dashed: &str) -> String {
    scalar_string(
        conn,
        &format!(
            "SELECT CONCAT_WS('|', points, `rank`, points_fetch_retries, last_points_update) \
             AS value FROM player WHERE uuid = '{}'",
            stored(dashed)
        ),
    )
    .unwrap()
}

/// `points_after_match|rank_after_match` (NULL as NULL) of a player's game.
pub fn after_match(conn: &mut MysqlConnection, game: i32, dashed: &str) -> String {
    scalar_string(
        conn,
        &format!(
            "SELECT CONCAT(COALESCE(points_after_match, 'NULL'), '|', \
             COALESCE(rank_after_match, 'NULL')) AS value FROM playergame \
             WHERE game_id = {game} AND player_id = '{}'",
            stored(dashed)
        ),
    )
    .unwrap()
}

/// `season|points|rank|club_tag` of every playerseason row of a player.
pub fn season_rows(conn: &mut MysqlConnection, dashed: &str) -> Vec<String> {
    strings(
        conn,
        &format!(
            "SELECT CONCAT_WS('|', season_id, points, `rank`, COALESCE(club_tag, 'NULL')) \
             AS value FROM playerseason WHERE player_id = '{}' ORDER BY id",
            stored(dashed)
        ),
    )
}

/// Whether a player's `last_points_update` is at or after `t`.
fn updated_since(conn: &mut MysqlConnection, dashed: &str, t: NaiveDateTime) -> bool {
    count(
        conn,
        &format!(
            "SELECT COUNT(*) AS value FROM player WHERE uuid = '{}' \
             AND last_points_update >= '{}'",
            stored(dashed),
            fmt(t)
        ),
    ) == 1
}

fn set_ranks(c: &Collector, ranks: &[(&str, i64, i64)]) {
    let mut scenario = c.scenario.lock().unwrap();
    scenario.ranks.clear();
    for (player, score, rank) in ranks {
        scenario.ranks.insert(player.to_string(), (*score, *rank));
    }
}

/// The players each leaderboard call asked for, in order.
fn asked(c: &Collector) -> Vec<Vec<String>> {
    c.api
        .fake
        .requests_to(RANKS_PATH)
        .iter()
        .map(|r| r.query_values("players[]"))
        .collect()
}

fn ranks_errors(c: &Collector) -> String {
    scalar_string(
        &mut c.conn(),
        "SELECT CAST(error_count AS CHAR) AS value FROM collector_state WHERE job = 'ranks'",
    )
    .unwrap_or_default()
}

/// The fixtures' state after step 2: game 1 finished 5 minutes ago, its six
/// players waiting for their points; a season covering now.
fn scenario_after_step_2(conn: &mut MysqlConnection) {
    let mut seed = Seed(conn);
    seed.current_season();
    seed.game(1, &minutes_ago(5), true, (-1, -1, -1));
    for p in FIXTURE_PLAYERS {
        seed.player(p, 0, 99999, SENTINEL, 0);
        seed.played(1, p, None);
    }
    seed.sql("UPDATE player SET last_match_id = 1");
}

#[test]
fn fixture_scenario_steps_3_and_4_then_p6_unranked_at_its_20th_absence() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    scenario_after_step_2(&mut conn);
    let [p1, p2, p3, p4, p5, p6] = FIXTURE_PLAYERS;
    set_ranks(
        &c,
        &[
            (p1, 3120, 2214),
            (p2, 2987, 3390),
            (p3, 4411, 7),
            (p4, 1544, 98231),
            (p5, 0, 412876),
        ],
    );
    let before = now();
    c.fetch_once("ranks,match-elo").assert_ok();

    // Step 3: one call for the six, in queue order (equal times by uuid).
    let mut six = FIXTURE_PLAYERS.map(String::from).to_vec();
    six.sort();
    assert_eq!(asked(&c), [six]);
    let expected = [
        (p1, 3120, 2214),
        (p2, 2987, 3390),
        (p3, 4411, 7),
        (p4, 1544, 98231),
        (p5, 0, 412876),
    ];
    for (p, points, rank) in expected {
        let row = player_row(&mut conn, p);
        assert!(
            row.starts_with(&format!("{points}|{rank}|0|")),
            "{p}: {row}"
        );
        assert!(updated_since(&mut conn, p, before), "{p}: {row}");
        assert_eq!(after_match(&mut conn, 1, p), format!("{points}|{rank}"));
        let season = if points > 0 {
            vec![format!("1|{points}|{rank}|NULL")]
        } else {
            vec![]
        };
        assert_eq!(season_rows(&mut conn, p), season, "{p}");
    }
    assert_eq!(player_row(&mut conn, p6), format!("0|99999|1|{SENTINEL}"));
    assert_eq!(after_match(&mut conn, 1, p6), "NULL|NULL");
    assert!(season_rows(&mut conn, p6).is_empty());

    // Step 4: min 0, max 4411, average floor(12062 / 6).
    assert_eq!(
        scalar_string(
            &mut conn,
            "SELECT CONCAT_WS('|', min_elo, average_elo, max_elo) AS value FROM game WHERE id = 1"
        )
        .unwrap(),
        "0|2010|4411"
    );

    // The leaderboard keeps answering without p6: asked alone each time,
    // counted, and unranked at the 20th absence (19 after the first).
    set_ranks(&c, &[]);
    for _ in 0..18 {
        c.fetch_once("ranks").assert_ok();
    }
    assert_eq!(player_row(&mut conn, p6), format!("0|99999|19|{SENTINEL}"));
    assert_eq!(after_match(&mut conn, 1, p6), "NULL|NULL");
    let before = now();
    c.fetch_once("ranks").assert_ok();
    let row = player_row(&mut conn, p6);
    assert!(row.starts_with("0|0|0|"), "{row}");
    assert!(updated_since(&mut conn, p6, before), "{row}");
    assert_eq!(after_match(&mut conn, 1, p6), "0|0");
    assert!(season_rows(&mut conn, p6).is_empty());
    let calls = asked(&c);
    assert_eq!(calls.len(), 20);
    assert!(calls[1..].iter().all(|ids| ids == &[p6]), "{calls:?}");
    // Nothing else moved.
    assert_eq!(after_match(&mut conn, 1, p1), "3120|2214");
    assert_eq!(ranks_errors(&c), "0");
}

#[test]
fn absences_count_retries_then_unrank_and_an_answer_clears_them() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    let [a, b, p, ..] = PLAYERS;
    let stale = hours_ago(13);
    {
        let mut seed = Seed(&mut conn);
        seed.current_season();
        seed.player(a, 1500, 100, &stale, 3);
        seed.player(b, 1400, 120, SENTINEL, 19);
        seed.player(p, 1300, 130, &stale, 5);
        seed.player_season(1, b, 1400, 120);
        seed.game(1, &minutes_ago(10), true, (1300, 1400, 1500));
        for x in [a, b, p] {
            seed.played(1, x, None);
        }
    }
    set_ranks(&c, &[(p, 2000, 50)]);
    let before = now();
    c.fetch_once("ranks").assert_ok();

    // Absent, 3 → 4: nothing else changes, the game waits.
    assert_eq!(player_row(&mut conn, a), format!("1500|100|4|{stale}"));
    assert_eq!(after_match(&mut conn, 1, a), "NULL|NULL");
    // Absent at 19 → unranked: points 0, rank 0, retries 0, fetched now; the
    // game gets 0; the season row keeps its last positive values.
    let row = player_row(&mut conn, b);
    assert!(row.starts_with("0|0|0|"), "{row}");
    assert!(updated_since(&mut conn, b, before));
    assert_eq!(after_match(&mut conn, 1, b), "0|0");
    assert_eq!(season_rows(&mut conn, b), ["1|1400|120|NULL"]);
    // Present at 5 → 0, with the new points.
    let row = player_row(&mut conn, p);
    assert!(row.starts_with("2000|50|0|"), "{row}");
    assert!(updated_since(&mut conn, p, before));
    assert_eq!(after_match(&mut conn, 1, p), "2000|50");
    assert_eq!(season_rows(&mut conn, p), ["1|2000|50|NULL"]);

    // The absent player is still first in line, and asked again.
    c.fetch_once("ranks").assert_ok();
    assert_eq!(asked(&c).last().unwrap(), &[a]);
    assert_eq!(player_row(&mut conn, a), format!("1500|100|5|{stale}"));
}

#[test]
fn the_queue_takes_the_oldest_stale_players_first_a_batch_at_a_time() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    let id = |n: usize| format!("00000000-0000-0000-0000-{n:012}");
    let mut expected = Vec::new();
    let mut values = Vec::new();
    // 150 stale players: 20 at the sentinel, then 130 from 500 h ago on.
    for n in 0..150usize {
        let lpu = if n < 20 {
            SENTINEL.to_string()
        } else {
            hours_ago(520 - n as i64)
        };
        values.push(format!(
            "('{}', '', 1000, 5000, '{lpu}', '{SENTINEL}', 0)",
            stored(&id(n))
        ));
        expected.push(id(n));
    }
    // Recently fetched, and fetched at 0 points: never in the queue.
    values.push(format!(
        "('{}', '', 1000, 5000, '{}', '{SENTINEL}', 0)",
        stored(&id(900)),
        hours_ago(11)
    ));
    values.push(format!(
        "('{}', '', 0, 5000, '{}', '{SENTINEL}', 0)",
        stored(&id(901)),
        hours_ago(100)
    ));
    Seed(&mut conn).sql(&format!(
        "INSERT INTO player (uuid, name, points, `rank`, last_points_update, last_name_update, \
         points_fetch_retries) VALUES {}",
        values.join(", ")
    ));

    // Loop mode's one batch per iteration, as --once with one batch.
    c.run(
        &["fetch", "--once", "--jobs", "ranks", "--ranks-batches", "1"],
        &[],
    )
    .assert_ok();
    assert_eq!(asked(&c), [expected[..100].to_vec()]);
    // Nobody answered: the same 100 are first again.
    c.run(
        &["fetch", "--once", "--jobs", "ranks", "--ranks-batches", "1"],
        &[],
    )
    .assert_ok();
    assert_eq!(asked(&c)[1], expected[..100].to_vec());

    // --once works through several batches, each player asked once per run.
    c.fetch_once("ranks").assert_ok();
    let calls = asked(&c);
    assert_eq!(calls.len(), 4, "100 + 50, then nothing left");
    assert_eq!(calls[2], expected[..100].to_vec());
    assert_eq!(calls[3], expected[100..].to_vec());
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS value FROM player WHERE points_fetch_retries = 3"
        ),
        100
    );
    // Smaller batches.
    c.run(
        &[
            "fetch",
            "--once",
            "--jobs",
            "ranks",
            "--ranks-batch",
            "40",
            "--ranks-batches",
            "2",
        ],
        &[],
    )
    .assert_ok();
    let calls = asked(&c);
    assert_eq!(calls[4], expected[..40].to_vec());
    assert_eq!(calls[5], expected[40..80].to_vec());
    assert_eq!(calls.len(), 6);
}

#[test]
fn players_at_0_points_wait_for_their_next_match() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    let [a, b, ..] = PLAYERS;
    Seed(&mut conn).player(a, 0, 0, &hours_ago(30), 0);
    Seed(&mut conn).player(b, 0, 99999, SENTINEL, 0);
    set_ranks(&c, &[(a, 900, 9000), (b, 0, 412000)]);
    c.fetch_once("ranks").assert_ok();
    assert_eq!(asked(&c), [vec![b.to_string()]]);
    // Fetched at 0 points: out of the queue, even once stale.
    Seed(&mut conn).sql(&format!(
        "UPDATE player SET last_points_update = '{}' WHERE uuid = '{}'",
        hours_ago(13),
        stored(b)
    ));
    c.fetch_once("ranks").assert_ok();
    assert_eq!(asked(&c).len(), 1);
    assert!(
        season_rows(&mut conn, b).is_empty(),
        "no season row at 0 points"
    );
    // A match finished: back to the sentinel, back in the queue.
    Seed(&mut conn).sql(&format!(
        "UPDATE player SET last_points_update = '{SENTINEL}' WHERE uuid = '{}'",
        stored(a)
    ));
    c.fetch_once("ranks").assert_ok();
    assert_eq!(asked(&c)[1], [a]);
    assert!(player_row(&mut conn, a).starts_with("900|9000|0|"));
}

#[test]
fn without_a_current_season_points_are_set_and_games_filled() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    let [a, b, ..] = PLAYERS;
    {
        let mut seed = Seed(&mut conn);
        // A season that ended 30 h ago, with a's row; none covers now.
        seed.season(1, "Fall 2025", &hours_ago(24 * 60), &hours_ago(30));
        seed.player(a, 800, 300, SENTINEL, 0);
        seed.player(b, 700, 500, SENTINEL, 0);
        seed.player_season(1, a, 800, 300);
        seed.game(1, &hours_ago(40), true, (1, 1, 1));
        seed.game(2, &minutes_ago(10), true, (1, 1, 1));
        for g in [1, 2] {
            seed.played(g, a, None);
            seed.played(g, b, None);
        }
    }
    set_ranks(&c, &[(a, 1000, 200), (b, 1100, 150)]);
    c.fetch_once("ranks").assert_ok();
    assert!(player_row(&mut conn, a).starts_with("1000|200|0|"));
    assert!(player_row(&mut conn, b).starts_with("1100|150|0|"));
    // No season row is created without a current season.
    assert_eq!(season_rows(&mut conn, a), ["1|800|300|NULL"]);
    assert!(season_rows(&mut conn, b).is_empty());
    // The game of the old season takes a's row of it; b has none.
    assert_eq!(after_match(&mut conn, 1, a), "800|300");
    assert_eq!(after_match(&mut conn, 1, b), "1100|150");
    assert_eq!(after_match(&mut conn, 2, a), "1000|200");
    assert_eq!(after_match(&mut conn, 2, b), "1100|150");
    assert_eq!(ranks_errors(&c), "0");
}

#[test]
fn previous_season_games_take_that_seasons_row() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    let [x, y, z, ..] = PLAYERS;
    {
        let mut seed = Seed(&mut conn);
        seed.season(1, "Fall 2025", &hours_ago(24 * 60), &hours_ago(24));
        seed.season(
            2,
            "Winter 2026",
            &fmt(now() - Duration::hours(24) + Duration::seconds(1)),
            &hours_ago(-24 * 60),
        );
        seed.game(1, &hours_ago(30), true, (1, 1, 1));
        seed.game(2, &minutes_ago(10), true, (1, 1, 1));
        for p in [x, y, z] {
            seed.player(p, 900, 250, SENTINEL, 0);
            seed.played(1, p, None);
            seed.played(2, p, None);
        }
        seed.player_season(1, x, 800, 300);
        seed.player_season(1, z, 700, 500);
    }
    set_ranks(&c, &[(x, 1000, 200), (y, 1100, 150), (z, 1200, 100)]);
    c.fetch_once("ranks").assert_ok();
    assert_eq!(after_match(&mut conn, 1, x), "800|300");
    assert_eq!(after_match(&mut conn, 1, z), "700|500");
    assert_eq!(
        after_match(&mut conn, 1, y),
        "1100|150",
        "no old row: API values"
    );
    assert_eq!(after_match(&mut conn, 2, x), "1000|200");
    assert_eq!(after_match(&mut conn, 2, z), "1200|100");
    // The old rows are untouched; the current season's are new.
    assert_eq!(
        season_rows(&mut conn, x),
        ["1|800|300|NULL", "2|1000|200|NULL"]
    );
    assert_eq!(
        season_rows(&mut conn, z),
        ["1|700|500|NULL", "2|1200|100|NULL"]
    );
    assert_eq!(season_rows(&mut conn, y), ["2|1100|150|NULL"]);
}

#[test]
fn which_games_get_points_after_the_match() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    let [a, other, quiet, ..] = PLAYERS;
    {
        let mut seed = Seed(&mut conn);
        seed.current_season();
        seed.player(a, 900, 250, SENTINEL, 0);
        seed.player(other, 900, 250, &hours_ago(1), 0);
        seed.player(quiet, 900, 250, SENTINEL, 0);
        seed.player_season(1, a, 850, 260);
        // 49 h and 47 h ago, already filled, unfinished (a's last match).
        seed.game(1, &hours_ago(49), true, (1, 1, 1));
        seed.game(2, &hours_ago(47), true, (1, 1, 1));
        seed.game(3, &minutes_ago(30), true, (1, 1, 1));
        seed.game(4, &minutes_ago(1), false, (1, 1, 1));
        seed.played(1, a, None);
        seed.played(2, a, None);
        seed.played(3, a, Some((777, 77)));
        seed.played(4, a, None);
        seed.played(2, other, None);
        // quiet has only an unfinished game.
        seed.played(4, quiet, None);
        seed.sql(&format!(
            "UPDATE player SET last_match_id = 4 WHERE uuid IN ('{}', '{}')",
            stored(a),
            stored(quiet)
        ));
    }
    set_ranks(&c, &[(a, 1000, 200), (quiet, 1500, 90)]);
    c.fetch_once("ranks").assert_ok();
    assert_eq!(after_match(&mut conn, 1, a), "NULL|NULL", "49 h: outside");
    assert_eq!(after_match(&mut conn, 2, a), "1000|200", "47 h: inside");
    assert_eq!(after_match(&mut conn, 3, a), "777|77", "never overwritten");
    assert_eq!(after_match(&mut conn, 4, a), "NULL|NULL", "unfinished");
    assert_eq!(
        after_match(&mut conn, 2, other),
        "NULL|NULL",
        "not selected"
    );
    assert_eq!(after_match(&mut conn, 4, quiet), "NULL|NULL");
    assert!(player_row(&mut conn, quiet).starts_with("1500|90|0|"));
    // The existing season row is updated, not duplicated.
    assert_eq!(season_rows(&mut conn, a), ["1|1000|200|NULL"]);
    assert_eq!(ranks_errors(&c), "0");
}

#[test]
fn a_player_reset_by_a_finished_match_meanwhile_is_left_for_the_next_batch() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    let [a, b, ..] = PLAYERS;
    let stale = hours_ago(13);
    {
        let mut seed = Seed(&mut conn);
        seed.current_season();
        seed.player(a, 1500, 100, &stale, 0);
        seed.player(b, 1400, 120, &stale, 0);
        seed.game(1, &minutes_ago(5), true, (1, 1, 1));
        seed.played(1, a, None);
        seed.played(1, b, None);
    }
    // While the leaderboard answers, a's match finishes: the match updater
    // puts a back to the sentinel.
    let url = c.db.url();
    let first = Arc::new(AtomicBool::new(true));
    let a_stored = stored(a);
    c.api.fake.on_fn("GET", RANKS_PATH, move |_| {
        if first.swap(false, Ordering::SeqCst) {
            let mut conn = MysqlConnection::establish(&url).unwrap();
            conn.batch_execute(&format!(
                "UPDATE player SET last_points_update = '{SENTINEL}' WHERE uuid = '{a_stored}'"
            ))
            .unwrap();
        }
        Reply::ok(&json!({"results": [
            {"player": a, "score": 1600, "rank": 95},
            {"player": b, "score": 1450, "rank": 110},
        ]}))
    });
    c.fetch_once("ranks").assert_ok();
    assert_eq!(player_row(&mut conn, a), format!("1500|100|0|{SENTINEL}"));
    assert_eq!(after_match(&mut conn, 1, a), "NULL|NULL");
    assert!(season_rows(&mut conn, a).is_empty());
    assert!(player_row(&mut conn, b).starts_with("1450|110|0|"));
    assert_eq!(after_match(&mut conn, 1, b), "1450|110");
    // Next run: asked again, written.
    c.fetch_once("ranks").assert_ok();
    assert!(player_row(&mut conn, a).starts_with("1600|95|0|"));
    assert_eq!(after_match(&mut conn, 1, a), "1600|95");
    assert_eq!(season_rows(&mut conn, a), ["1|1600|95|NULL"]);
}

/// Seeds two waiting players and a finished game; checks nothing moved.
fn seed_waiting_pair(conn: &mut MysqlConnection) {
    let mut seed = Seed(conn);
    seed.current_season();
    seed.game(1, &minutes_ago(5), true, (-1, -1, -1));
    for p in &PLAYERS[..2] {
        seed.player(p, 0, 99999, SENTINEL, 0);
        seed.played(1, p, None);
    }
}

fn assert_untouched(conn: &mut MysqlConnection) {
    for p in &PLAYERS[..2] {
        assert_eq!(player_row(conn, p), format!("0|99999|0|{SENTINEL}"));
        assert_eq!(after_match(conn, 1, p), "NULL|NULL");
    }
    assert_eq!(count(conn, "SELECT COUNT(*) AS value FROM playerseason"), 0);
}

#[test]
fn a_failed_leaderboard_call_writes_nothing_and_is_retried() {
    let ok = json!({"matchmakingId": 5, "cardinal": 10, "results": [
        {"player": PLAYERS[0], "score": 3000, "rank": 40},
    ]});
    let faults = [
        ("500", Reply::json(500, &json!({"error": "boom"}))),
        (
            "timeout",
            Reply::ok(&ok).delayed(std::time::Duration::from_secs(3)),
        ),
        ("malformed", Reply::new(200, r#"{"results": [{"player": "#)),
        ("no results", Reply::ok(&json!({"matchmakingId": 5}))),
        (
            "bad id",
            Reply::ok(&json!({"results": [{"player": "nope", "score": 1, "rank": 1}]})),
        ),
    ];
    for (what, fault) in faults {
        let c = Collector::new(false);
        let mut conn = c.conn();
        seed_waiting_pair(&mut conn);
        c.api
            .fake
            .on("GET", RANKS_PATH, vec![fault, Reply::ok(&ok)]);
        let run = c.run(
            &["fetch", "--once", "--jobs", "ranks"],
            &[("MMSTATUS_HTTP_TIMEOUT", "1")],
        );
        run.assert_code(6);
        assert!(
            run.stderr.contains("ranks: leaderboard of 2 players"),
            "{what}: {run:#?}"
        );
        assert_untouched(&mut conn);
        assert_eq!(ranks_errors(&c), "1", "{what}");

        c.fetch_once("ranks").assert_ok();
        assert!(
            player_row(&mut conn, PLAYERS[0]).starts_with("3000|40|0|"),
            "{what}"
        );
        assert_eq!(after_match(&mut conn, 1, PLAYERS[0]), "3000|40");
        assert_eq!(
            player_row(&mut conn, PLAYERS[1]),
            format!("0|99999|1|{SENTINEL}"),
            "{what}"
        );
    }
}

#[test]
fn a_number_too_big_for_the_columns_skips_that_player_only() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    seed_waiting_pair(&mut conn);
    let [a, b, ..] = PLAYERS;
    c.api.fake.on(
        "GET",
        RANKS_PATH,
        vec![Reply::ok(&json!({"results": [
            {"player": a, "score": 1e12, "rank": 3},
            {"player": b, "score": 2000, "rank": 60},
        ]}))],
    );
    let run = c.fetch_once("ranks");
    run.assert_code(6);
    assert!(run.stderr.contains("out of range"), "{run:#?}");
    assert_eq!(player_row(&mut conn, a), format!("0|99999|0|{SENTINEL}"));
    assert!(player_row(&mut conn, b).starts_with("2000|60|0|"));
}

#[test]
fn ranks_flags_are_checked() {
    let c = Collector::new(false);
    for args in [
        ["--ranks-batch", "0"],
        ["--ranks-batch", "101"],
        ["--ranks-batches", "0"],
        ["--ranks-max-retries", "0"],
        ["--ranks-stale-after", "-1"],
        ["--pam-window", "x"],
    ] {
        let mut all = vec!["fetch", "--once", "--jobs", "ranks"];
        all.extend(args);
        c.run(&all, &[]).assert_code(2);
    }
    assert!(asked(&c).is_empty());
    let help = c.run(&["fetch", "--help"], &[]);
    for flag in [
        "--ranks-batch <N>",
        "--ranks-batches <N>",
        "--ranks-stale-after <SECS>",
        "--ranks-max-retries <N>",
        "--pam-window <SECS>",
    ] {
        help.assert_stdout_contains(flag);
    }
    help.assert_stdout_contains("[default: 43200]");
}

#[test]
fn smaller_retry_limit_and_windows_from_flags() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    let [a, b, ..] = PLAYERS;
    {
        let mut seed = Seed(&mut conn);
        seed.player(a, 1500, 100, &hours_ago(3), 1);
        seed.player(b, 1500, 100, SENTINEL, 0);
        seed.game(1, &hours_ago(5), true, (1, 1, 1));
        seed.played(1, a, None);
        seed.played(1, b, None);
    }
    set_ranks(&c, &[(b, 1700, 80)]);
    c.run(
        &[
            "fetch",
            "--once",
            "--jobs",
            "ranks",
            "--ranks-stale-after",
            "7200",
            "--ranks-max-retries",
            "2",
            "--pam-window",
            "14400",
        ],
        &[],
    )
    .assert_ok();
    assert!(
        player_row(&mut conn, a).starts_with("0|0|0|"),
        "3 h is stale after 2 h"
    );
    assert_eq!(
        after_match(&mut conn, 1, a),
        "NULL|NULL",
        "5 h is outside 4 h"
    );
    assert_eq!(after_match(&mut conn, 1, b), "NULL|NULL");
}
