//! The repairs of `points_after_match` (stats.md §8 D1 and D2) through the
//! library against the real server: hand-computed plans, plans that change
//! nothing, applies that change exactly the plan, reruns that find nothing,
//! rows a collector changed meanwhile left alone, one statement per batch.

use crate::common::{scalar_string, strings};
use crate::stats_harness::{uuid, StatsDb};
use chrono::NaiveDateTime;
use diesel::MysqlConnection;
use mmstatus::stats::one_off::pam_repair::{self, PamChange, Range};

const MAP: &str = "MapUid_PamRepair_0000000000001";

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
}

/// 2026-01-02, the whole day.
fn day_two() -> Range {
    Range {
        start: at("2026-01-02 00:00:00"),
        end: at("2026-01-02 23:59:59"),
    }
}

fn opt(value: Option<i32>) -> String {
    value.map_or("NULL".to_string(), |v| v.to_string())
}

struct Repair {
    stats: StatsDb,
    conn: MysqlConnection,
}

impl Repair {
    fn new() -> Repair {
        let stats = StatsDb::new();
        stats.map(MAP, "Repairs");
        for n in 1..=9 {
            stats.player(n, None, None, None);
        }
        let conn = stats.conn();
        Repair { stats, conn }
    }

    fn game(&self, id: i32, time: &str, finished: bool) {
        self.stats.game(id, MAP, time, finished);
    }

    /// Playergame `id`: player `n` in `game`, with his score and his points
    /// after the match.
    fn row(&self, id: i32, game: i32, n: u32, score: Option<i32>, pam: Option<i32>) {
        self.stats.sql(&format!(
            "INSERT INTO playergame (id, game_id, player_id, is_win, is_mvp, points, points_after_match) \
             VALUES ({id}, {game}, '{}', 0, 0, {}, {})",
            uuid(n),
            opt(score),
            opt(pam)
        ));
    }

    /// A finished game `id` at `time` where player `n` alone played.
    fn solo(&self, id: i32, time: &str, n: u32, pam: Option<i32>) {
        self.game(id, time, true);
        self.row(id * 10 + 1, id, n, Some(0), pam);
    }

    /// A finished 2v2 game `id` at `time`: player `n` (playergame `id·10+1`)
    /// with `pam`, finishing at `position` by score, beside players 7, 8 and 9
    /// (`points_after_match` 1000).
    fn duo(&self, id: i32, time: &str, n: u32, position: i32, pam: Option<i32>) {
        self.duo_as(id * 10 + 1, id, time, n, position, pam);
    }

    /// [`Repair::duo`] with player `n`'s playergame id `pg`.
    fn duo_as(&self, pg: i32, id: i32, time: &str, n: u32, position: i32, pam: Option<i32>) {
        self.game(id, time, true);
        self.row(pg, id, n, Some(10), pam);
        for k in 1..4 {
            let score = if k < position { 20 } else { 0 };
            self.row(id * 10 + 1 + k, id, 6 + k as u32, Some(score), Some(1000));
        }
    }

    fn duo_with_scores(
        &self,
        id: i32,
        time: &str,
        n: u32,
        score: Option<i32>,
        pam: Option<i32>,
        others: &[Option<i32>],
    ) {
        self.game(id, time, true);
        self.row(id * 10 + 1, id, n, score, pam);
        for (k, other) in others.iter().enumerate() {
            let k = k as i32;
            self.row(id * 10 + 2 + k, id, 7 + k as u32, *other, Some(1000));
        }
    }

    /// Every playergame row as `id|points_after_match`, by id.
    fn pams(&mut self) -> Vec<String> {
        strings(
            &mut self.conn,
            "SELECT CONCAT_WS('|', id, IFNULL(points_after_match, 'NULL')) AS value \
             FROM playergame ORDER BY id",
        )
    }

    fn pam(&mut self, id: i32) -> String {
        scalar_string(
            &mut self.conn,
            &format!(
                "SELECT IFNULL(points_after_match, 'NULL') AS value FROM playergame WHERE id = {id}"
            ),
        )
        .expect("the row exists")
    }

    fn isolated(&mut self, range: &Range) -> Vec<PamChange> {
        pam_repair::plan_isolated(&mut self.conn, range, pam_repair::DEFAULT_BATCH_ISOLATED)
            .unwrap()
    }

    fn runs(&mut self, range: &Range) -> Vec<PamChange> {
        pam_repair::plan_runs(&mut self.conn, range, pam_repair::DEFAULT_BATCH_RUNS).unwrap()
    }

    fn session_counter(&mut self, name: &str) -> i64 {
        scalar_string(
            &mut self.conn,
            &format!(
                "SELECT VARIABLE_VALUE AS value FROM information_schema.SESSION_STATUS \
                 WHERE VARIABLE_NAME = '{name}'"
            ),
        )
        .expect("the counter exists")
        .parse()
        .unwrap()
    }
}

/// `(playergame id, old, new)` of each change, in plan order.
fn summary(changes: &[PamChange]) -> Vec<(i32, Option<i32>, i32)> {
    changes
        .iter()
        .map(|c| (c.playergame_id, c.old, c.new))
        .collect()
}

/// `before` with `changes` applied, in the shape of [`Repair::pams`].
fn expected_after(before: &[String], changes: &[PamChange]) -> Vec<String> {
    before
        .iter()
        .map(|line| {
            let (id, _) = line.split_once('|').unwrap();
            match changes.iter().find(|c| c.playergame_id.to_string() == id) {
                Some(c) => format!("{id}|{}", c.new),
                None => line.clone(),
            }
        })
        .collect()
}

// ------------------------------------------------------------------ D1

#[test]
fn d1_fills_an_isolated_value_with_the_average_rounded_half_away_from_zero() {
    let mut r = Repair::new();
    r.solo(1, "2026-01-02 10:00:00", 1, Some(1000));
    r.solo(2, "2026-01-02 11:00:00", 1, None);
    r.solo(3, "2026-01-02 12:00:00", 1, Some(1001));
    r.solo(4, "2026-01-02 13:00:00", 1, Some(0));
    r.solo(5, "2026-01-02 14:00:00", 1, Some(2000));
    let plan = r.isolated(&day_two());
    assert_eq!(
        plan,
        [
            PamChange {
                playergame_id: 21,
                player_id: uuid(1),
                game_id: 2,
                game_time: at("2026-01-02 11:00:00"),
                old: None,
                new: 1001, // 1000.5
            },
            PamChange {
                playergame_id: 41,
                player_id: uuid(1),
                game_id: 4,
                game_time: at("2026-01-02 13:00:00"),
                old: Some(0),
                new: 1501, // 1500.5
            },
        ]
    );
}

#[test]
fn d1_leaves_a_value_without_two_neighbours_above_300() {
    let mut r = Repair::new();
    // Player 1: a neighbour at 300.
    r.solo(1, "2026-01-02 01:00:00", 1, Some(300));
    r.solo(2, "2026-01-02 02:00:00", 1, Some(0));
    r.solo(3, "2026-01-02 03:00:00", 1, Some(1000));
    // Player 2: two bad values in a row, NULL then 0.
    r.solo(4, "2026-01-02 01:00:00", 2, Some(1000));
    r.solo(5, "2026-01-02 02:00:00", 2, None);
    r.solo(6, "2026-01-02 03:00:00", 2, Some(0));
    r.solo(7, "2026-01-02 04:00:00", 2, Some(1000));
    // Player 3: no game before; player 4: no game after.
    r.solo(8, "2026-01-02 01:00:00", 3, None);
    r.solo(9, "2026-01-02 02:00:00", 3, Some(1000));
    r.solo(10, "2026-01-02 01:00:00", 4, Some(1000));
    r.solo(11, "2026-01-02 02:00:00", 4, Some(0));
    // Player 5: a negative neighbour; player 6, the control, is fixed.
    r.solo(12, "2026-01-02 01:00:00", 5, Some(-1000));
    r.solo(13, "2026-01-02 02:00:00", 5, Some(0));
    r.solo(14, "2026-01-02 03:00:00", 5, Some(1000));
    r.solo(15, "2026-01-02 01:00:00", 6, Some(301));
    r.solo(16, "2026-01-02 02:00:00", 6, Some(0));
    r.solo(17, "2026-01-02 03:00:00", 6, Some(301));
    assert_eq!(summary(&r.isolated(&day_two())), [(161, Some(0), 301)]);
}

#[test]
fn d1_ignores_unfinished_games() {
    let mut r = Repair::new();
    r.solo(1, "2026-01-02 01:00:00", 1, Some(1000));
    r.game(2, "2026-01-02 02:00:00", false);
    r.row(21, 2, 1, Some(0), Some(5000));
    r.solo(3, "2026-01-02 03:00:00", 1, Some(0));
    r.game(4, "2026-01-02 04:00:00", false);
    r.row(41, 4, 1, Some(0), None);
    r.solo(5, "2026-01-02 05:00:00", 1, Some(1100));
    // The unfinished games are neither fixed nor neighbours.
    assert_eq!(summary(&r.isolated(&day_two())), [(31, Some(0), 1050)]);
}

#[test]
fn d1_fixes_only_in_the_range_but_reads_neighbours_outside_it() {
    let mut r = Repair::new();
    // Player 1: a bad value before the range is not fixed, and still is the
    // original neighbour of the one in the range.
    r.solo(1, "2026-01-01 10:00:00", 1, Some(1000));
    r.solo(2, "2026-01-01 23:59:59", 1, Some(0));
    r.solo(3, "2026-01-02 00:00:00", 1, None);
    r.solo(4, "2026-01-02 10:00:00", 1, Some(1200));
    r.solo(5, "2026-01-02 11:00:00", 1, Some(0));
    r.solo(6, "2026-01-03 00:00:00", 1, Some(1400));
    // Player 2: good neighbours on either side of the range; both ends of
    // the range are in it.
    r.solo(7, "2026-01-01 10:00:00", 2, Some(1000));
    r.solo(8, "2026-01-02 00:00:00", 2, None);
    r.solo(9, "2026-01-02 12:00:00", 2, Some(1100));
    r.solo(10, "2026-01-02 23:59:59", 2, Some(0));
    r.solo(11, "2026-01-04 10:00:00", 2, Some(1300));
    r.solo(12, "2026-01-05 10:00:00", 2, Some(0));
    r.solo(13, "2026-01-06 10:00:00", 2, Some(1300));
    let mut expected = vec![(51, Some(0), 1300), (81, None, 1050), (101, Some(0), 1200)];
    let mut plan = summary(&r.isolated(&day_two()));
    plan.sort();
    expected.sort();
    assert_eq!(plan, expected);
}

#[test]
fn d1_orders_a_players_games_by_time_then_playergame_id() {
    let mut r = Repair::new();
    // Same time for rows 10, 20, 30 and 40, whose game ids are not in
    // their order; row 15 is an hour earlier. By (time, id): 15, 10, 20,
    // 30, 40, so row 20 lies between 1000 and 2000. By id alone it would
    // lie between 5000 and 2000, by game id between 200 and 2000.
    let t = "2026-01-02 12:00:00";
    for (game, time) in [(1, t), (2, t), (3, t), (4, t), (5, "2026-01-02 11:00:00")] {
        r.game(game, time, true);
    }
    r.row(10, 1, 1, Some(0), Some(1000));
    r.row(15, 5, 1, Some(0), Some(5000));
    r.row(20, 3, 1, Some(0), None);
    r.row(30, 4, 1, Some(0), Some(2000));
    r.row(40, 2, 1, Some(0), Some(200));
    assert_eq!(summary(&r.isolated(&day_two())), [(20, None, 1500)]);
}

// ------------------------------------------------------------------ D2

#[test]
fn d2_fills_a_run_along_the_positions_and_ends_on_the_value_after_it() {
    let mut r = Repair::new();
    // Player 1: 1st, 2nd, 1st between 1000 and 1060: weights 40, 20, 40
    // scaled to 60 over 100.
    r.duo(1, "2026-01-02 01:00:00", 1, 3, Some(1000));
    r.duo(2, "2026-01-02 02:00:00", 1, 1, None);
    r.duo(3, "2026-01-02 03:00:00", 1, 2, Some(0));
    r.duo(4, "2026-01-02 04:00:00", 1, 1, None);
    r.duo(5, "2026-01-02 05:00:00", 1, 4, Some(1060));
    // Player 2: four 2nd places between 1000 and 1006: 1.5, 3, 4.5, 6
    // over 1000, halves to even.
    r.duo(11, "2026-01-02 01:00:00", 2, 1, Some(1000));
    for g in 12..=15 {
        r.duo(g, &format!("2026-01-02 {:02}:00:00", g - 10), 2, 2, Some(0));
    }
    r.duo(16, "2026-01-02 06:00:00", 2, 1, Some(1006));
    // Player 3: 3rd then 4th between 1000 and 1030: −20, −40 scaled.
    r.duo(21, "2026-01-02 01:00:00", 3, 1, Some(1000));
    r.duo(22, "2026-01-02 02:00:00", 3, 3, None);
    r.duo(23, "2026-01-02 03:00:00", 3, 4, None);
    r.duo(24, "2026-01-02 04:00:00", 3, 1, Some(1030));
    assert_eq!(
        summary(&r.runs(&day_two())),
        [
            (21, None, 1024),
            (31, Some(0), 1036),
            (41, None, 1060),
            (121, Some(0), 1002),
            (131, Some(0), 1003),
            (141, Some(0), 1004),
            (151, Some(0), 1006),
            (221, None, 1010),
            (231, None, 1030),
        ]
    );
}

#[test]
fn d2_falls_back_to_a_line_when_the_weights_cancel() {
    let mut r = Repair::new();
    // 1st then 4th: 40 − 40 = 0, so 1000 → 1101 in two equal steps
    // (1050.5 to even: 1050).
    r.duo(1, "2026-01-02 01:00:00", 1, 1, Some(1000));
    r.duo(2, "2026-01-02 02:00:00", 1, 1, None);
    r.duo(3, "2026-01-02 03:00:00", 1, 4, Some(0));
    r.duo(4, "2026-01-02 04:00:00", 1, 1, Some(1101));
    assert_eq!(
        summary(&r.runs(&day_two())),
        [(21, None, 1050), (31, Some(0), 1101)]
    );
}

#[test]
fn d2_counts_a_null_score_as_never_higher() {
    let mut r = Repair::new();
    r.duo(1, "2026-01-02 01:00:00", 1, 1, Some(1000));
    // Player 1 without a score: nobody is higher, 1st (40).
    r.duo_with_scores(
        2,
        "2026-01-02 02:00:00",
        1,
        None,
        None,
        &[Some(20), Some(20), Some(0)],
    );
    // Two others without a score and one higher: 2nd (20).
    r.duo_with_scores(
        3,
        "2026-01-02 03:00:00",
        1,
        Some(10),
        None,
        &[None, None, Some(20)],
    );
    r.duo(4, "2026-01-02 04:00:00", 1, 1, Some(1060));
    assert_eq!(
        summary(&r.runs(&day_two())),
        [(21, None, 1040), (31, None, 1060)]
    );
}

#[test]
fn d2_skips_runs_at_either_end_of_the_history_and_takes_runs_partly_in_range() {
    let mut r = Repair::new();
    // Player 1: a run first in his history, player 2 a run last.
    r.duo(1, "2026-01-02 01:00:00", 1, 1, None);
    r.duo(2, "2026-01-02 02:00:00", 1, 1, Some(1000));
    r.duo(3, "2026-01-02 01:00:00", 2, 1, Some(1000));
    r.duo(4, "2026-01-02 02:00:00", 2, 1, Some(0));
    // Player 3: a run from the day before to the day after, all of it
    // fixed (three 1st places: 40 each over 120).
    r.duo(11, "2026-01-01 22:00:00", 3, 1, Some(1000));
    r.duo(12, "2026-01-01 23:00:00", 3, 1, None);
    r.duo(13, "2026-01-02 01:00:00", 3, 1, Some(0));
    r.duo(14, "2026-01-03 01:00:00", 3, 1, None);
    r.duo(15, "2026-01-03 02:00:00", 3, 1, Some(1120));
    // Player 4: a run wholly before the range.
    r.duo(21, "2026-01-01 01:00:00", 4, 1, Some(1000));
    r.duo(22, "2026-01-01 02:00:00", 4, 1, None);
    r.duo(23, "2026-01-02 03:00:00", 4, 1, Some(1100));
    // Player 5: a run beside a value of 300.
    r.duo(31, "2026-01-02 01:00:00", 5, 1, Some(300));
    r.duo(32, "2026-01-02 02:00:00", 5, 1, None);
    r.duo(33, "2026-01-02 03:00:00", 5, 1, Some(1100));
    assert_eq!(
        summary(&r.runs(&day_two())),
        [(121, None, 1040), (131, Some(0), 1080), (141, None, 1120)]
    );
}

#[test]
fn d2_reads_only_finished_games_of_four_players() {
    let mut r = Repair::new();
    r.duo(1, "2026-01-02 01:00:00", 1, 1, Some(1000));
    // A 3v3 game: not fixed, and not a neighbour.
    r.game(2, "2026-01-02 02:00:00", true);
    r.row(21, 2, 1, Some(10), None);
    for k in 0..5 {
        r.row(22 + k, 2, 2 + k as u32, Some(0), Some(1000));
    }
    r.duo(3, "2026-01-02 03:00:00", 1, 1, None);
    r.game(4, "2026-01-02 04:00:00", true);
    r.row(41, 4, 1, Some(10), Some(5000));
    for k in 0..5 {
        r.row(42 + k, 4, 2 + k as u32, Some(0), Some(1000));
    }
    // An unfinished 2v2 game, not a neighbour either.
    r.game(5, "2026-01-02 05:00:00", false);
    r.row(51, 5, 1, Some(10), Some(7000));
    for k in 0..3 {
        r.row(52 + k, 5, 7 + k as u32, Some(0), Some(1000));
    }
    r.duo(6, "2026-01-02 06:00:00", 1, 1, Some(1100));
    assert_eq!(summary(&r.runs(&day_two())), [(31, None, 1100)]);
}

#[test]
fn d2_orders_a_players_games_by_time_then_playergame_id() {
    let mut r = Repair::new();
    // By (time, playergame id): 21, 31 (2nd), 95 (1st), 41: weights 20, 40
    // over 60. By game id, 95 would come before 31; by playergame id alone,
    // 95 would be last.
    r.duo_as(21, 2, "2026-01-02 01:00:00", 1, 1, Some(1000));
    r.duo_as(95, 1, "2026-01-02 02:00:00", 1, 1, None);
    r.duo_as(31, 3, "2026-01-02 02:00:00", 1, 2, None);
    r.duo_as(41, 4, "2026-01-02 03:00:00", 1, 1, Some(1060));
    assert_eq!(
        summary(&r.runs(&day_two())),
        [(31, None, 1020), (95, None, 1060)]
    );
}

// ------------------------------------------------------------- plan, apply

/// Bad values for both repairs, for three players.
fn mixed(r: &Repair) {
    for n in 1..=3 {
        let base = n as i32 * 100;
        r.duo(base + 1, "2026-01-02 01:00:00", n, 1, Some(1000));
        r.duo(base + 2, "2026-01-02 02:00:00", n, 2, None);
        r.duo(base + 3, "2026-01-02 03:00:00", n, 1, Some(1100));
        r.duo(base + 4, "2026-01-02 04:00:00", n, 1, Some(0));
        r.duo(base + 5, "2026-01-02 05:00:00", n, 3, None);
        r.duo(base + 6, "2026-01-02 06:00:00", n, 1, Some(1200));
    }
}

#[test]
fn planning_changes_nothing_and_gives_the_same_plan_for_any_batch() {
    let mut r = Repair::new();
    mixed(&r);
    let before = r.pams();
    let isolated = r.isolated(&day_two());
    let runs = r.runs(&day_two());
    assert_eq!(isolated.len(), 3);
    assert_eq!(runs.len(), 9);
    assert_eq!(r.pams(), before);
    assert_eq!(
        pam_repair::plan_isolated(&mut r.conn, &day_two(), 1).unwrap(),
        isolated
    );
    assert_eq!(
        pam_repair::plan_runs(&mut r.conn, &day_two(), 2).unwrap(),
        runs
    );
    assert_eq!(r.pams(), before);
}

#[test]
fn apply_changes_exactly_the_plan_and_a_rerun_finds_nothing() {
    for d2 in [false, true] {
        let mut r = Repair::new();
        mixed(&r);
        let before = r.pams();
        let plan = if d2 {
            r.runs(&day_two())
        } else {
            r.isolated(&day_two())
        };
        assert!(!plan.is_empty());
        let changed = pam_repair::apply(&mut r.conn, &plan, 2).unwrap();
        assert_eq!(changed, plan.len(), "d2: {d2}");
        assert_eq!(r.pams(), expected_after(&before, &plan), "d2: {d2}");
        let again = if d2 {
            r.runs(&day_two())
        } else {
            r.isolated(&day_two())
        };
        assert_eq!(again, [], "d2: {d2}");
        let after = r.pams();
        assert_eq!(pam_repair::apply(&mut r.conn, &plan, 2).unwrap(), 0);
        assert_eq!(r.pams(), after);
    }
}

#[test]
fn apply_leaves_a_row_changed_since_the_plan() {
    let mut r = Repair::new();
    mixed(&r);
    let plan = r.isolated(&day_two());
    assert_eq!(
        summary(&plan),
        [(1021, None, 1050), (2021, None, 1050), (3021, None, 1050)]
    );
    // The collector fills one, and another becomes 0 (planned from NULL).
    r.stats
        .sql("UPDATE playergame SET points_after_match = 1234 WHERE id = 1021");
    r.stats
        .sql("UPDATE playergame SET points_after_match = 0 WHERE id = 2021");
    assert_eq!(pam_repair::apply(&mut r.conn, &plan, 1000).unwrap(), 1);
    assert_eq!(r.pam(1021), "1234");
    assert_eq!(r.pam(2021), "0");
    assert_eq!(r.pam(3021), "1050");
}

#[test]
fn apply_writes_one_statement_and_one_transaction_per_batch_of_players() {
    let mut r = Repair::new();
    mixed(&r);
    let plan = r.runs(&day_two());
    let counters = ["COM_UPDATE", "COM_UPDATE_MULTI", "COM_COMMIT"];
    let before: Vec<i64> = counters.iter().map(|c| r.session_counter(c)).collect();
    // Three players, two per batch: two units.
    assert_eq!(pam_repair::apply(&mut r.conn, &plan, 2).unwrap(), 9);
    let delta: Vec<i64> = counters
        .iter()
        .zip(before)
        .map(|(c, b)| r.session_counter(c) - b)
        .collect();
    assert_eq!(delta, [0, 2, 2]);
}

#[test]
fn bad_batches_and_backward_ranges_are_refused_before_reading() {
    let mut r = Repair::new();
    mixed(&r);
    let backwards = Range {
        start: day_two().end,
        end: day_two().start,
    };
    let error = pam_repair::plan_isolated(&mut r.conn, &backwards, 10).unwrap_err();
    assert!(format!("{error:#}").contains("after it ends"), "{error:#}");
    let error = pam_repair::plan_runs(&mut r.conn, &day_two(), 0).unwrap_err();
    assert!(format!("{error:#}").contains("batch size"), "{error:#}");
    assert!(pam_repair::apply(&mut r.conn, &[], 0).is_err());
    assert_eq!(pam_repair::apply(&mut r.conn, &[], 1).unwrap(), 0);
}

#[test]
fn a_failed_batch_is_rolled_back_and_the_batches_before_it_stay() {
    let mut r = Repair::new();
    mixed(&r);
    let before = r.pams();
    let plan = r.runs(&day_two());
    // The server refuses any change to a row of the third player.
    r.stats.sql(
        "CREATE TRIGGER refuse_player_3 BEFORE UPDATE ON playergame FOR EACH ROW \
         BEGIN IF NEW.id = 3041 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused'; \
         END IF; END",
    );
    let error = pam_repair::apply(&mut r.conn, &plan, 2).unwrap_err();
    let message = format!("{error:#}");
    assert!(
        message.contains("batch 2 of 2 failed")
            && message.contains("the 6 rows of the batches before it stay changed")
            && message.contains("refused"),
        "{message}"
    );
    let first_unit: Vec<PamChange> = plan
        .iter()
        .filter(|c| c.player_id != uuid(3))
        .cloned()
        .collect();
    assert_eq!(first_unit.len(), 6);
    assert_eq!(r.pams(), expected_after(&before, &first_unit));
}

#[test]
fn both_repairs_run_from_the_command_line_as_listed() {
    for (kind, d2) in [("points-after-match", false), ("cumulative-points", true)] {
        let mut r = Repair::new();
        mixed(&r);
        let before = r.pams();
        let plan = if d2 {
            r.runs(&day_two())
        } else {
            r.isolated(&day_two())
        };
        let args = [
            "compute-stats",
            "--repair",
            kind,
            "--start",
            "2026-01-02",
            "--end",
            "2026-01-02 23:59:59",
            "--batch",
            "2",
        ];
        let dry = r.stats.run(&[&args[..], &["--dry-run"]].concat());
        dry.assert_ok();
        for change in &plan {
            dry.assert_stdout_contains(&change.to_string());
        }
        dry.assert_stdout_contains(&format!(
            "dry run: {} change(s) listed; nothing was changed",
            plan.len()
        ));
        assert_eq!(r.pams(), before, "{kind}");

        r.stats
            .run(&args)
            .assert_code(2)
            .assert_error_line("add --yes");
        assert_eq!(r.pams(), before, "{kind}");

        let real = r.stats.run(&[&args[..], &["--yes"]].concat());
        real.assert_ok()
            .assert_stdout_contains("batch 1 of 2: ")
            .assert_stdout_contains("batch 2 of 2: ")
            .assert_stdout_contains(&format!("done: {} change(s) written", plan.len()));
        assert_eq!(r.pams(), expected_after(&before, &plan), "{kind}");

        let after = r.pams();
        r.stats
            .run(&[&args[..], &["--yes"]].concat())
            .assert_ok()
            .assert_stdout_contains("nothing to repair");
        assert_eq!(r.pams(), after, "{kind}");
    }
}
