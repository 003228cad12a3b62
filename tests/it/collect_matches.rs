//! The `matches` and `update-matches` jobs (collection.md §2.1 and §2.2):
//! the reference's [TEST] cases, the fixtures scenario's steps 1 and 2 and
//! its bugged-match variant, faults of every kind, reruns and a killed run.

use crate::collector::stored;
use crate::collector::Collector;
use crate::collector::FIXTURE_PLAYERS;
use crate::collector::SENTINEL;
use crate::common::{count, scalar_string, strings};
use crate::fake_nadeo::Reply;
use diesel::connection::{Connection, InstrumentationEvent, SimpleConnection};
use diesel::MysqlConnection;
use mmstatus::db::{collector_state, game, lock_retry};
use serde_json::{json, Value};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The fixtures' six accounts (fixtures/README.md), p1 to p6.
const P: [&str; 6] = FIXTURE_PLAYERS;
/// Two more accounts, for matches with other players.
const Q: [&str; 4] = [
    "0a000000-0000-4000-8000-000000000001",
    "0a000000-0000-4000-8000-000000000002",
    "0a000000-0000-4000-8000-000000000003",
    "0a000000-0000-4000-8000-000000000004",
];
/// The fixtures' startDate: 2026-01-01T10:00:00Z, 11:00 in Paris.
const FIXTURE_START: i64 = 1_767_261_600;
const MATCHES: &str = "/meet/api/matches/";

/// E4 in the fixtures' shape.
fn match_body(id: i64, name: &str, start: Value, status: &str, map: &str) -> Value {
    json!({
        "id": id, "liveId": "LID-MTCH-1fxvjhm2miuzyoy", "name": name,
        "startDate": start, "endDate": FIXTURE_START + 600, "status": status,
        "participantType": "team", "joinLink": null, "serverStatus": "DELETED",
        "manialink": null,
        "publicConfig": {"script": "TrackMania/TM_Teams_Matchmaking_Online.Script.txt", "maps": [map]},
        "mediaUrl": ""
    })
}

fn official(id: i64, status: &str) -> Value {
    match_body(
        id,
        "Official 3v3 - match",
        json!(FIXTURE_START),
        status,
        "FAKE_UID",
    )
}

/// E5 while the match runs: no rank nor score (the mvp flag is already there
/// in the fixture).
fn participants_running(players: &[&str]) -> Value {
    let half = players.len() / 2;
    Value::Array(
        players
            .iter()
            .enumerate()
            .map(|(i, p)| {
                json!({"participant": p, "position": i, "teamPosition": usize::from(i >= half),
                       "rank": null, "score": null, "mvp": i == 2, "leaver": null, "eliminated": false})
            })
            .collect(),
    )
}

/// E5 of the fixtures' completed match: p3 the mvp, scores 20, 19, 21, 18,
/// 17, 16.
fn participants_completed(players: &[&str]) -> Value {
    let scores = [20, 19, 21, 18, 17, 16];
    let ranks = [2, 3, 1, 4, 5, 6];
    let half = players.len() / 2;
    Value::Array(
        players
            .iter()
            .enumerate()
            .map(|(i, p)| {
                json!({"participant": p, "position": i, "teamPosition": usize::from(i >= half),
                       "rank": ranks[i], "score": scores[i], "mvp": i == 2, "leaver": null,
                       "eliminated": false})
            })
            .collect(),
    )
}

fn teams_completed() -> Value {
    json!([{"position": 0, "score": 5, "rank": 1}, {"position": 1, "score": 3, "rank": 2}])
}

fn teams_bugged() -> Value {
    json!([{"position": 0, "score": 0, "rank": 1}, {"position": 1, "score": 0, "rank": 1}])
}

fn add(c: &Collector, id: i64, body: Value, participants: Value, teams: Value) {
    c.scenario
        .lock()
        .unwrap()
        .add_match(id, body, participants, teams, Instant::now());
}

/// The fixtures' match at `id` with `players`, running, served as the
/// fixtures serve it to the walker.
fn add_fixture_match(c: &Collector, id: i64, status: &str, players: &[&str]) {
    add(
        c,
        id,
        official(id, status),
        participants_running(players),
        teams_completed(),
    );
}

/// Changes what the fake serves for a match.
fn edit(c: &Collector, id: i64, change: impl FnOnce(&mut crate::fake_nadeo::ScenarioMatch)) {
    change(c.scenario.lock().unwrap().matches.get_mut(&id).unwrap());
}

/// The match completed: E4 says so, E5 has the results, E6 `teams`.
fn complete(c: &Collector, id: i64, players: &[&str], teams: Value) {
    edit(c, id, |m| {
        m.body["status"] = json!("COMPLETED");
        m.participants = participants_completed(players);
        m.teams = teams;
    });
}

fn games(conn: &mut MysqlConnection) -> Vec<String> {
    strings(
        conn,
        "SELECT CONCAT_WS('|', id, map_id, min_elo, average_elo, max_elo, time, is_finished, \
         trackmaster_limit, IFNULL(rounds, 'NULL')) AS value FROM game ORDER BY id",
    )
}

fn players(conn: &mut MysqlConnection) -> Vec<String> {
    strings(
        conn,
        "SELECT CONCAT_WS('|', uuid, name, points, `rank`, last_points_update, last_name_update, \
         IFNULL(last_match_id, 'NULL'), IFNULL(zone_id, 'NULL'), IFNULL(country_id, 'NULL'), \
         IFNULL(region_id, 'NULL'), IFNULL(club_tag, 'NULL'), points_fetch_retries) AS value \
         FROM player ORDER BY uuid",
    )
}

/// Participations in insertion order, without their auto-increment ids.
fn playergames(conn: &mut MysqlConnection) -> Vec<String> {
    strings(
        conn,
        "SELECT CONCAT_WS('|', game_id, player_id, is_win, is_mvp, IFNULL(position, 'NULL'), \
         IFNULL(points, 'NULL'), IFNULL(rank_after_match, 'NULL'), \
         IFNULL(points_after_match, 'NULL')) AS value FROM playergame ORDER BY id",
    )
}

fn maps(conn: &mut MysqlConnection) -> Vec<String> {
    strings(
        conn,
        "SELECT CONCAT_WS('|', uid, name) AS value FROM map ORDER BY uid",
    )
}

/// Every row the two jobs write.
fn dump(conn: &mut MysqlConnection) -> Vec<Vec<String>> {
    vec![maps(conn), games(conn), players(conn), playergames(conn)]
}

/// `cursor|counter` of the walker.
fn walker_state(conn: &mut MysqlConnection) -> String {
    scalar_string(
        conn,
        "SELECT CONCAT_WS('|', IFNULL(cursor_int, 'NULL'), counter) AS value \
         FROM collector_state WHERE job = 'matches'",
    )
    .unwrap_or_default()
}

fn errors_of(conn: &mut MysqlConnection, job: &str) -> i64 {
    count(
        conn,
        &format!("SELECT error_count AS value FROM collector_state WHERE job = '{job}'"),
    )
}

/// A walker state row as a previous run would have left it, its last poll
/// long ago.
fn set_walker_state(conn: &mut MysqlConnection, cursor: i64, counter: i32) {
    conn.batch_execute(&format!(
        "INSERT INTO collector_state (job, cursor_int, counter, last_poll_at, created_at)
           VALUES ('matches', {cursor}, {counter}, '2000-01-01 00:00:00', '2000-01-01 00:00:00')
         ON DUPLICATE KEY UPDATE cursor_int = {cursor}, counter = {counter},
           last_poll_at = '2000-01-01 00:00:00'"
    ))
    .unwrap();
}

fn last_poll_long_ago(conn: &mut MysqlConnection) {
    conn.batch_execute(
        "UPDATE collector_state SET last_poll_at = '2000-01-01 00:00:00' WHERE job = 'matches'",
    )
    .unwrap();
}

fn e4_requests(c: &Collector, id: i64) -> usize {
    c.api.fake.count(&format!("{MATCHES}{id}"))
}

fn expected_new_player(dashed: &str, last_match: i64) -> String {
    format!(
        "{}||0|99999|{SENTINEL}|{SENTINEL}|{last_match}|NULL|NULL|NULL|NULL|0",
        stored(dashed)
    )
}

// --- §2.1, the walker ------------------------------------------------------

#[test]
fn fixture_step_1_records_the_match_unfinished_with_new_players() {
    let c = Collector::new(false);
    add_fixture_match(&c, 1, "COMPLETED", &P);
    c.fetch_once("matches").assert_ok();

    let mut conn = c.conn();
    assert_eq!(maps(&mut conn), ["FAKE_UID|"]);
    // Unfinished although the API says COMPLETED (commit 98719da); startDate
    // 1767261600 is 11:00 in Paris; no trackmaster yet.
    assert_eq!(
        games(&mut conn),
        ["1|FAKE_UID|-1|-1|-1|2026-01-01 11:00:00|0|99999|NULL"]
    );
    let mut expected: Vec<String> = P.iter().map(|p| expected_new_player(p, 1)).collect();
    expected.sort();
    assert_eq!(players(&mut conn), expected);
    let expected: Vec<String> = P
        .iter()
        .map(|p| format!("1|{}|0|0|NULL|NULL|NULL|NULL", stored(p)))
        .collect();
    assert_eq!(playergames(&mut conn), expected, "in the API's order");
    // The walk stopped on id 2 (404), its first failed poll.
    assert_eq!(walker_state(&mut conn), "2|1");
    assert_eq!(e4_requests(&c, 2), 1);
    assert_eq!(errors_of(&mut conn, "matches"), 0);
}

#[test]
fn start_id_itself_is_never_fetched_and_a_new_run_goes_on_after_the_newest_game() {
    let c = Collector::new(false);
    for id in [1234, 1235] {
        add_fixture_match(&c, id, "ONGOING", &P);
    }
    c.run(
        &["fetch", "--once", "--jobs", "matches"],
        &[("START_ID", "1234")],
    )
    .assert_ok();
    let mut conn = c.conn();
    assert_eq!(
        count(&mut conn, "SELECT MIN(id) AS value FROM game"),
        1235,
        "an empty database starts at START_ID + 1"
    );
    assert_eq!(e4_requests(&c, 1234), 0);

    add_fixture_match(&c, 1236, "ONGOING", &P);
    // A fresh start (no state row) goes on after the newest game.
    conn.batch_execute("DELETE FROM collector_state").unwrap();
    c.run(
        &["fetch", "--once", "--jobs", "matches"],
        &[("START_ID", "1234")],
    )
    .assert_ok();
    assert_eq!(
        strings(
            &mut conn,
            "SELECT CAST(id AS CHAR) AS value FROM game ORDER BY id"
        ),
        ["1235", "1236"]
    );
    assert_eq!(e4_requests(&c, 1235), 1, "not walked again");
}

#[test]
fn a_newest_game_below_start_id_starts_the_walk_at_start_id() {
    let c = Collector::new(false);
    add_fixture_match(&c, 5, "ONGOING", &P);
    add_fixture_match(&c, 100, "ONGOING", &P);
    c.run(
        &["fetch", "--once", "--jobs", "matches", "--start-id", "4"],
        &[],
    )
    .assert_ok();
    assert_eq!(games(&mut c.conn()).len(), 1);
    // With game 5 recorded and START_ID = 100: id 100 itself, not 101.
    c.run(
        &["fetch", "--once", "--jobs", "matches"],
        &[("START_ID", "100")],
    )
    .assert_ok();
    let mut conn = c.conn();
    assert_eq!(
        strings(
            &mut conn,
            "SELECT CAST(id AS CHAR) AS value FROM game ORDER BY id"
        ),
        ["5", "100"]
    );
    assert_eq!(walker_state(&mut conn), "101|1");
}

#[test]
fn the_cursor_moves_past_games_another_writer_recorded() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    set_walker_state(&mut conn, 3, 4);
    conn.batch_execute(
        "INSERT INTO map (uid, name) VALUES ('M', 'Named');
         INSERT INTO game (id, map_id, min_elo, average_elo, max_elo, time, is_finished, trackmaster_limit)
           VALUES (10, 'M', -1, -1, -1, '2026-01-01 10:00:00', 0, 99999)",
    )
    .unwrap();
    c.fetch_once("matches").assert_ok();
    assert_eq!(e4_requests(&c, 3), 0);
    assert_eq!(
        walker_state(&mut conn),
        "11|1",
        "the failed polls of id 3 are not those of id 11"
    );
    add_fixture_match(&c, 11, "ONGOING", &P);
    last_poll_long_ago(&mut conn);
    c.fetch_once("matches").assert_ok();
    assert_eq!(games(&mut conn).len(), 2);
    assert_eq!(walker_state(&mut conn), "12|1");
    assert_eq!(maps(&mut conn), ["FAKE_UID|", "M|Named"]);
}

#[test]
fn two_matches_on_one_map_make_one_map_row_and_each_its_players() {
    let c = Collector::new(false);
    add_fixture_match(&c, 1, "ONGOING", &P);
    let two_v_two = match_body(
        2,
        "Official 2v2 - match",
        json!(FIXTURE_START + 60),
        "ONGOING",
        "FAKE_UID",
    );
    let four = [P[0], P[1], Q[0], Q[1]];
    add(
        &c,
        2,
        two_v_two,
        participants_running(&four),
        teams_completed(),
    );
    c.fetch_once("matches").assert_ok();

    let mut conn = c.conn();
    assert_eq!(maps(&mut conn), ["FAKE_UID|"]);
    assert_eq!(games(&mut conn).len(), 2);
    assert_eq!(count(&mut conn, "SELECT COUNT(*) AS value FROM player"), 8);
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS value FROM playergame WHERE game_id = 1"
        ),
        6
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS value FROM playergame WHERE game_id = 2"
        ),
        4
    );
    // p1 and p2 played both: their last match is the second.
    assert_eq!(
        strings(
            &mut conn,
            "SELECT CONCAT_WS('|', uuid, last_match_id) AS value FROM player \
             WHERE last_match_id = 1 ORDER BY uuid"
        )
        .len(),
        4
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS value FROM player WHERE last_match_id = 2"
        ),
        4
    );
}

#[test]
fn existing_players_only_get_their_last_match() {
    let c = Collector::new(true);
    let mut conn = c.conn();
    let p1 = stored(P[0]);
    conn.batch_execute(&format!(
        "INSERT INTO player (uuid, name, points, `rank`, last_points_update, last_name_update,
           zone_id, country_id, region_id, club_tag, points_fetch_retries)
         VALUES ('{p1}', 'Known', 3120, 2214, '2026-11-01 10:00:00', '2026-11-02 10:00:00',
           7, 185, 47, 'TAG', 3)"
    ))
    .unwrap();
    add_fixture_match(&c, 1, "ONGOING", &P);
    c.fetch_once("matches").assert_ok();
    assert_eq!(
        players(&mut conn)
            .into_iter()
            .find(|r| r.starts_with(&p1))
            .unwrap(),
        format!("{p1}|Known|3120|2214|2026-11-01 10:00:00|2026-11-02 10:00:00|1|7|185|47|TAG|3")
    );
    assert_eq!(count(&mut conn, "SELECT COUNT(*) AS value FROM player"), 6);
}

#[test]
fn the_trackmaster_limit_is_the_lowest_placed_trackmasters_points() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    let insert = |conn: &mut MysqlConnection, uuid: &str, points: i32, rank: i32| {
        conn.batch_execute(&format!(
            "INSERT INTO player (uuid, name, points, `rank`, last_points_update, last_name_update,
               points_fetch_retries)
             VALUES ('{uuid}', '', {points}, {rank}, '{SENTINEL}', '{SENTINEL}', 0)"
        ))
        .unwrap();
    };
    insert(&mut conn, "00000000000000000000000000000001", 5000, 3);
    insert(&mut conn, "00000000000000000000000000000002", 4100, 9);
    insert(&mut conn, "00000000000000000000000000000003", 3900, 10);
    insert(&mut conn, "00000000000000000000000000000004", 4500, 11);
    add_fixture_match(&c, 1, "ONGOING", &P);
    c.fetch_once("matches").assert_ok();
    assert_eq!(
        count(&mut conn, "SELECT trackmaster_limit AS value FROM game"),
        4100
    );
}

#[test]
fn other_kinds_of_matches_are_passed_without_writes() {
    let c = Collector::new(false);
    for (id, name) in [
        (1, "Royal - match"),
        (2, "Ranked 2v2 fun cup"),
        (3, "official 3v3 - match"),
        (4, "Club Official 2V2"),
    ] {
        add(
            &c,
            id,
            match_body(id, name, json!(FIXTURE_START), "ONGOING", "OTHER"),
            participants_running(&P),
            teams_completed(),
        );
    }
    add(
        &c,
        5,
        match_body(
            5,
            "Super Official 2v2 - match",
            json!(FIXTURE_START),
            "ONGOING",
            "FAKE_UID",
        ),
        participants_running(&Q),
        teams_completed(),
    );
    c.fetch_once("matches").assert_ok();
    let mut conn = c.conn();
    assert_eq!(maps(&mut conn), ["FAKE_UID|"]);
    assert_eq!(
        strings(&mut conn, "SELECT CAST(id AS CHAR) AS value FROM game"),
        ["5"],
        "the name filter matches anywhere in the name"
    );
    assert_eq!(walker_state(&mut conn), "6|1");
    for id in 1..=4 {
        assert_eq!(
            c.api.fake.count(&format!("{MATCHES}{id}/participants")),
            0,
            "no participants asked for {id}"
        );
    }
}

#[test]
fn float_start_dates_are_cut_to_the_second() {
    let c = Collector::new(false);
    let body = match_body(
        1,
        "Official 3v3 - match",
        json!(1_767_261_600.987_654),
        "ONGOING",
        "FAKE_UID",
    );
    add(&c, 1, body, participants_running(&P), teams_completed());
    c.fetch_once("matches").assert_ok();
    assert_eq!(
        scalar_string(
            &mut c.conn(),
            "SELECT CAST(time AS CHAR) AS value FROM game"
        )
        .as_deref(),
        Some("2026-01-01 11:00:00")
    );
}

#[test]
fn a_match_without_participants_is_recorded_alone() {
    let c = Collector::new(false);
    add(&c, 1, official(1, "ONGOING"), json!([]), teams_completed());
    c.fetch_once("matches").assert_ok();
    let mut conn = c.conn();
    assert_eq!(games(&mut conn).len(), 1);
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) AS value FROM playergame"),
        0
    );
}

#[test]
fn an_id_is_skipped_only_when_more_than_five_polls_missed_it() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    set_walker_state(&mut conn, 10, 5);
    // tries == 5: no skip; the poll misses once more.
    c.fetch_once("matches").assert_ok();
    assert_eq!(walker_state(&mut conn), "10|6");
    assert_eq!((e4_requests(&c, 10), e4_requests(&c, 11)), (1, 0));
    assert_eq!(errors_of(&mut conn, "matches"), 0);

    // tries == 6: the id is skipped (one error, as the reference records),
    // the counter starts again on the next id.
    last_poll_long_ago(&mut conn);
    add_fixture_match(&c, 11, "ONGOING", &P);
    c.fetch_once("matches")
        .assert_code(6)
        .assert_stdout_contains("errors in matches (1)");
    assert_eq!((e4_requests(&c, 10), e4_requests(&c, 11)), (1, 1));
    assert_eq!(walker_state(&mut conn), "12|1");
    assert_eq!(errors_of(&mut conn, "matches"), 1);
    assert_eq!(games(&mut conn).len(), 1);

    // --matches-max-misses moves the boundary.
    set_walker_state(&mut conn, 20, 2);
    add_fixture_match(&c, 21, "ONGOING", &P);
    c.run(
        &[
            "fetch",
            "--once",
            "--jobs",
            "matches",
            "--matches-max-misses",
            "1",
        ],
        &[],
    )
    .assert_code(6);
    assert_eq!(e4_requests(&c, 20), 0);
    assert_eq!(walker_state(&mut conn), "22|1");
}

#[test]
fn a_poll_moves_the_cursor_over_what_it_found_and_counts_its_last_miss() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    // [miss]: the cursor stays, one more failed poll.
    set_walker_state(&mut conn, 10, 2);
    c.fetch_once("matches").assert_ok();
    assert_eq!(walker_state(&mut conn), "10|3");
    // [found, miss]: cursor + 1, the new head's first failed poll.
    add_fixture_match(&c, 10, "ONGOING", &P);
    last_poll_long_ago(&mut conn);
    c.fetch_once("matches").assert_ok();
    assert_eq!(walker_state(&mut conn), "11|1");
    // [found, found, found, miss]: cursor + 3.
    for id in 11..=13 {
        add_fixture_match(&c, id, "ONGOING", &P);
    }
    last_poll_long_ago(&mut conn);
    c.fetch_once("matches").assert_ok();
    assert_eq!(walker_state(&mut conn), "14|1");
    assert_eq!(games(&mut conn).len(), 4);
}

#[test]
fn a_run_within_the_poll_interval_records_new_matches_but_counts_no_miss() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    set_walker_state(&mut conn, 10, 5);
    c.fetch_once("matches").assert_ok();
    assert_eq!(walker_state(&mut conn), "10|6");
    // Right after: the head id is asked again, the miss is not counted, and
    // no skip happens although the counter is over the limit.
    c.fetch_once("matches").assert_ok();
    assert_eq!(e4_requests(&c, 10), 2);
    assert_eq!(walker_state(&mut conn), "10|6");
    // A match that appeared meanwhile is recorded at once.
    add_fixture_match(&c, 10, "ONGOING", &P);
    c.fetch_once("matches").assert_ok();
    assert_eq!(games(&mut conn).len(), 1);
    assert_eq!(walker_state(&mut conn), "11|1");
}

#[test]
fn a_run_tries_at_most_max_ids_ids() {
    let c = Collector::new(false);
    for id in 1..=3 {
        add_fixture_match(&c, id, "ONGOING", &P);
    }
    c.run(
        &[
            "fetch",
            "--once",
            "--jobs",
            "matches",
            "--matches-max-ids",
            "2",
        ],
        &[],
    )
    .assert_ok();
    let mut conn = c.conn();
    assert_eq!(games(&mut conn).len(), 2);
    assert_eq!(
        walker_state(&mut conn),
        "3|0",
        "a poll cut short counts no miss"
    );
    assert_eq!(e4_requests(&c, 3), 0);
    c.fetch_once("matches").assert_ok();
    assert_eq!(games(&mut conn).len(), 3);
}

#[test]
fn a_walk_stops_at_the_deadline_without_counting_a_miss() {
    let c = Collector::new(false);
    for id in 1..=3 {
        add_fixture_match(&c, id, "ONGOING", &P);
        let participants = participants_running(&P);
        c.api.fake.on(
            "GET",
            &format!("{MATCHES}{id}/participants"),
            vec![Reply::ok(&participants).delayed(Duration::from_millis(700))],
        );
    }
    c.run(
        &["fetch", "--once", "--jobs", "matches", "--deadline", "1"],
        &[],
    )
    .assert_ok();
    let mut conn = c.conn();
    let recorded = games(&mut conn).len();
    assert!(recorded < 3, "the third match starts after the deadline");
    assert_eq!(walker_state(&mut conn), format!("{}|0", recorded + 1));
    assert_eq!(e4_requests(&c, 4), 0);
    c.fetch_once("matches").assert_ok();
    assert_eq!(games(&mut conn).len(), 3);
}

#[test]
fn both_jobs_run_in_loop_mode() {
    let c = Collector::new(false);
    add(
        &c,
        1,
        official(1, "COMPLETED"),
        participants_completed(&P),
        teams_completed(),
    );
    c.run(
        &[
            "fetch",
            "--jobs",
            "matches,update-matches",
            "--loop-for",
            "1",
            "--deadline",
            "30",
        ],
        &[],
    )
    .assert_ok();
    let mut conn = c.conn();
    // Each job ran once on its own connection; whether the updater came
    // before or after the walker, the game is recorded and unfinished or
    // finished, never anything else.
    let rows = games(&mut conn);
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0] == "1|FAKE_UID|-1|-1|-1|2026-01-01 11:00:00|0|99999|NULL"
            || rows[0] == "1|FAKE_UID|-1|-1|-1|2026-01-01 11:00:00|1|99999|8",
        "{rows:?}"
    );
    assert_eq!(walker_state(&mut conn), "2|1");
}

// --- walker faults: nothing written, nothing skipped, retried ---------------

/// Serves `fault` at `path` for `polls` polls (each consuming `per_poll`
/// replies), then `ok`; each failing poll writes nothing and advances
/// neither the cursor nor the miss counter, and the poll after records the
/// match.
fn walker_fault_is_retried(
    path: &str,
    fault: Reply,
    per_poll: usize,
    polls: usize,
    ok: Reply,
    extra: &[(&str, &str)],
) {
    let c = Collector::new(false);
    add_fixture_match(&c, 1, "ONGOING", &P);
    let mut replies = vec![fault; polls * per_poll];
    replies.push(ok);
    c.api.fake.on("GET", path, replies);
    let mut conn = c.conn();
    let args = [
        "fetch",
        "--once",
        "--jobs",
        "matches",
        "--matches-poll-interval",
        "0",
    ];
    for poll in 1..=polls {
        c.run(&args, extra).assert_code(6);
        assert_eq!(
            dump(&mut conn),
            vec![Vec::<String>::new(); 4],
            "poll {poll}: nothing written"
        );
        assert_eq!(walker_state(&mut conn), "1|0", "poll {poll}");
        assert_eq!(errors_of(&mut conn, "matches"), poll as i64);
    }
    assert_eq!(e4_requests(&c, 2), 0, "never skipped");
    c.run(&args, extra).assert_ok();
    assert_eq!(games(&mut conn).len(), 1);
    assert_eq!(playergames(&mut conn).len(), 6);
    assert_eq!(walker_state(&mut conn), "2|1");
}

fn ok_match() -> Reply {
    Reply::ok(&official(1, "ONGOING"))
}

#[test]
fn walker_server_errors_are_retried_and_never_skip_the_match() {
    // More failing polls than --matches-max-misses allows misses.
    walker_fault_is_retried(
        "/meet/api/matches/1",
        Reply::json(503, &json!({"error": "unavailable"})),
        1,
        7,
        ok_match(),
        &[],
    );
}

#[test]
fn walker_timeouts_are_retried() {
    walker_fault_is_retried(
        "/meet/api/matches/1",
        ok_match().delayed(Duration::from_secs(3)),
        1,
        1,
        ok_match(),
        &[("MMSTATUS_HTTP_TIMEOUT", "0.5")],
    );
}

#[test]
fn walker_malformed_answers_are_retried() {
    walker_fault_is_retried(
        "/meet/api/matches/1",
        Reply::new(200, r#"{"id": 1, "name": "Official 3v3 - mat"#),
        1,
        1,
        ok_match(),
        &[],
    );
    walker_fault_is_retried(
        "/meet/api/matches/1",
        Reply::ok(&json!({"message": "Unauthorized"})),
        1,
        1,
        ok_match(),
        &[],
    );
}

#[test]
fn walker_refused_tokens_are_retried() {
    // A 401 after a fresh token too: two replies per poll.
    walker_fault_is_retried(
        "/meet/api/matches/1",
        Reply::json(401, &json!({"message": "Unauthorized"})),
        2,
        2,
        ok_match(),
        &[],
    );
}

#[test]
fn walker_participants_failing_after_the_match_leave_no_half_match() {
    walker_fault_is_retried(
        "/meet/api/matches/1/participants",
        Reply::json(500, &json!({"error": "boom"})),
        1,
        2,
        Reply::ok(&participants_running(&P)),
        &[],
    );
}

#[test]
fn a_database_failure_inside_the_insert_rolls_the_whole_match_back() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    conn.batch_execute(
        "CREATE TRIGGER fail_playergame BEFORE INSERT ON playergame FOR EACH ROW
           SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'",
    )
    .unwrap();
    add_fixture_match(&c, 1, "ONGOING", &P);
    let run = c.fetch_once("matches");
    run.assert_code(6);
    assert!(run.stderr.contains("injected failure"), "{run:#?}");
    assert_eq!(dump(&mut conn), vec![Vec::<String>::new(); 4]);
    assert_eq!(walker_state(&mut conn), "1|0");

    conn.batch_execute("DROP TRIGGER fail_playergame").unwrap();
    last_poll_long_ago(&mut conn);
    c.fetch_once("matches").assert_ok();
    assert_eq!(games(&mut conn).len(), 1);
    assert_eq!(playergames(&mut conn).len(), 6);
}

#[test]
fn unusable_match_answers_are_errors_not_misses() {
    let c = Collector::new(false);
    let mut no_map = official(1, "ONGOING");
    no_map["publicConfig"]["maps"] = json!([]);
    add(&c, 1, no_map, participants_running(&P), teams_completed());
    c.fetch_once("matches").assert_code(6);
    let mut conn = c.conn();
    assert_eq!(walker_state(&mut conn), "1|0");
    assert_eq!(c.api.fake.count("/meet/api/matches/1/participants"), 0);

    edit(&c, 1, |m| {
        m.body["publicConfig"]["maps"] = json!(["x".repeat(65)]);
    });
    c.fetch_once("matches").assert_code(6);
    edit(&c, 1, |m| {
        m.body["publicConfig"]["maps"] = json!(["FAKE_UID"]);
        m.body["startDate"] = json!(1e300);
    });
    c.fetch_once("matches").assert_code(6);
    edit(&c, 1, |m| {
        m.body["startDate"] = json!(FIXTURE_START);
        m.body["id"] = json!(2);
    });
    c.fetch_once("matches").assert_code(6);
    assert_eq!(dump(&mut conn), vec![Vec::<String>::new(); 4]);
    assert_eq!(walker_state(&mut conn), "1|0");
}

// --- §2.2, the updater -----------------------------------------------------

/// Step 1 of the fixtures scenario, then the ranks job's mark on the
/// players (so that the updater's sentinel shows).
fn after_step_1(players: &[&str]) -> Collector {
    let c = Collector::new(false);
    add_fixture_match(&c, 1, "COMPLETED", players);
    c.fetch_once("matches").assert_ok();
    c.conn()
        .batch_execute("UPDATE player SET last_points_update = '2026-11-01 10:00:00'")
        .unwrap();
    c
}

#[test]
fn fixture_step_2_finishes_the_match() {
    let c = after_step_1(&P);
    complete(&c, 1, &P, teams_completed());
    c.fetch_once("update-matches").assert_ok();

    let mut conn = c.conn();
    assert_eq!(
        games(&mut conn),
        ["1|FAKE_UID|-1|-1|-1|2026-01-01 11:00:00|1|99999|8"]
    );
    // (position, points, is_mvp, is_win) p1 (1, 20, 0, 1) … p6 (6, 16, 0, 0).
    let expected: Vec<String> = [
        (1, 20, 0, 1),
        (2, 19, 0, 1),
        (3, 21, 1, 1),
        (4, 18, 0, 0),
        (5, 17, 0, 0),
        (6, 16, 0, 0),
    ]
    .iter()
    .zip(P)
    .map(|((position, points, mvp, win), p)| {
        format!("1|{}|{win}|{mvp}|{position}|{points}|NULL|NULL", stored(p))
    })
    .collect();
    assert_eq!(playergames(&mut conn), expected);
    assert_eq!(
        count(
            &mut conn,
            &format!(
                "SELECT COUNT(*) AS value FROM player WHERE last_points_update = '{SENTINEL}'"
            )
        ),
        6
    );
    // E4, E6 and E5 once each.
    assert_eq!(e4_requests(&c, 1), 2);
    assert_eq!(c.api.fake.count("/meet/api/matches/1/teams"), 1);

    // Running again changes nothing and asks nothing.
    let before = dump(&mut conn);
    c.fetch_once("update-matches").assert_ok();
    assert_eq!(dump(&mut conn), before);
    assert_eq!(e4_requests(&c, 1), 2);
}

#[test]
fn a_participant_missing_from_the_results_gets_no_mvp_and_the_first_teams_result() {
    let c = after_step_1(&P);
    complete(
        &c,
        1,
        &P,
        json!([{"position": 0, "score": 2, "rank": 2},
                                {"position": 1, "score": 3, "rank": 1}]),
    );
    // p3 (the mvp) left the results.
    edit(&c, 1, |m| {
        m.participants.as_array_mut().unwrap().remove(2);
    });
    c.fetch_once("update-matches").assert_ok();
    let mut conn = c.conn();
    assert_eq!(
        playergames(&mut conn)[2],
        format!("1|{}|0|0|NULL|NULL|NULL|NULL", stored(P[2]))
    );
    assert_eq!(
        playergames(&mut conn)[3],
        format!("1|{}|1|0|4|18|NULL|NULL", stored(P[3]))
    );
}

#[test]
fn a_running_or_young_match_is_left_alone() {
    let c = Collector::new(false);
    add_fixture_match(&c, 1, "ONGOING", &P);
    let young = match_body(
        2,
        "Official 2v2 - match",
        json!(crate::fake_nadeo::unix_now() - 60),
        "COMPLETED",
        "FAKE_UID",
    );
    add(&c, 2, young, participants_running(&Q), teams_completed());
    c.fetch_once("matches").assert_ok();
    let mut conn = c.conn();
    let before = dump(&mut conn);

    c.fetch_once("update-matches").assert_ok();
    assert_eq!(dump(&mut conn), before);
    assert_eq!(c.api.fake.count("/meet/api/matches/1/teams"), 0);
    assert_eq!(
        e4_requests(&c, 2),
        1,
        "only the walker asked about the young one"
    );

    // Once it is older than --update-matches-min-age, it is asked about.
    c.run(
        &[
            "fetch",
            "--once",
            "--jobs",
            "update-matches",
            "--update-matches-min-age",
            "10",
        ],
        &[],
    )
    .assert_ok();
    assert_eq!(
        strings(
            &mut conn,
            "SELECT CAST(id AS CHAR) AS value FROM game WHERE is_finished = 1"
        ),
        ["2"]
    );
    assert_eq!(errors_of(&mut conn, "update-matches"), 0);
}

#[test]
fn games_that_never_finish_do_not_hold_back_recent_ones() {
    let c = Collector::new(false);
    let now = crate::fake_nadeo::unix_now();
    // Three games of three days ago that the API still calls running, and a
    // recent one that completed.
    for id in 1..=3 {
        let body = match_body(
            id,
            "Official 3v3 - match",
            json!(now - 3 * 86_400),
            "ONGOING",
            "FAKE_UID",
        );
        add(&c, id, body, participants_running(&P), teams_completed());
    }
    let recent = match_body(
        4,
        "Official 3v3 - match",
        json!(now - 600),
        "COMPLETED",
        "FAKE_UID",
    );
    add(&c, 4, recent, participants_completed(&P), teams_completed());
    c.fetch_once("matches").assert_ok();
    c.run(
        &[
            "fetch",
            "--once",
            "--jobs",
            "update-matches",
            "--update-matches-limit",
            "2",
        ],
        &[],
    )
    .assert_ok();
    let mut conn = c.conn();
    assert_eq!(
        strings(
            &mut conn,
            "SELECT CONCAT_WS('|', id, is_finished) AS value FROM game ORDER BY id"
        ),
        ["1|0", "2|0", "3|0", "4|1"]
    );
    // The budget left goes to the older ones, oldest first.
    assert_eq!(
        (e4_requests(&c, 1), e4_requests(&c, 2), e4_requests(&c, 3)),
        (2, 1, 1)
    );
}

#[test]
fn an_already_completed_match_is_recorded_unfinished_then_finished() {
    let c = Collector::new(false);
    add(
        &c,
        1,
        official(1, "COMPLETED"),
        participants_completed(&P),
        teams_completed(),
    );
    c.fetch_once("matches,update-matches").assert_ok();
    let mut conn = c.conn();
    assert_eq!(
        games(&mut conn),
        ["1|FAKE_UID|-1|-1|-1|2026-01-01 11:00:00|1|99999|8"],
        "the updater finished what the walker recorded unfinished in the same run"
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS value FROM playergame WHERE position IS NOT NULL"
        ),
        6
    );
}

#[test]
fn fixture_bugged_variant_deletes_the_match() {
    let c = after_step_1(&P);
    complete(&c, 1, &P, teams_bugged());
    c.fetch_once("update-matches").assert_ok();
    let mut conn = c.conn();
    assert!(games(&mut conn).is_empty());
    assert!(playergames(&mut conn).is_empty());
    assert_eq!(maps(&mut conn), ["FAKE_UID|"], "the map stays");
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS value FROM player WHERE last_match_id IS NULL"
        ),
        6
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS value FROM player WHERE last_points_update = '2026-11-01 10:00:00'"
        ),
        6,
        "nothing else of the players changes"
    );
}

#[test]
fn a_bugged_match_gives_its_players_back_their_newest_other_game() {
    let c = Collector::new(false);
    // 1: an older 2v2 of p1, p2, q1, q2; 2: the bugged 3v3 of p1…p6;
    // 3: a newer 2v2 of p2, p3, q3, q4.
    let older = [P[0], P[1], Q[0], Q[1]];
    let newer = [P[1], P[2], Q[2], Q[3]];
    add_fixture_match(&c, 1, "COMPLETED", &older);
    add_fixture_match(&c, 2, "COMPLETED", &P);
    add_fixture_match(&c, 3, "ONGOING", &newer);
    c.fetch_once("matches").assert_ok();
    complete(&c, 1, &older, teams_completed());
    complete(&c, 2, &P, teams_bugged());
    c.fetch_once("update-matches").assert_ok();

    let mut conn = c.conn();
    assert_eq!(
        strings(
            &mut conn,
            "SELECT CAST(id AS CHAR) AS value FROM game ORDER BY id"
        ),
        ["1", "3"]
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS value FROM playergame WHERE game_id = 2"
        ),
        0
    );
    let last = |conn: &mut MysqlConnection, p: &str| {
        scalar_string(
            conn,
            &format!(
                "SELECT IFNULL(CAST(last_match_id AS CHAR), 'NULL') AS value FROM player \
                 WHERE uuid = '{}'",
                stored(p)
            ),
        )
        .unwrap()
    };
    assert_eq!(last(&mut conn, P[0]), "1", "an older game comes back");
    assert_eq!(last(&mut conn, P[1]), "3", "a newer game stays");
    assert_eq!(last(&mut conn, P[2]), "3");
    for p in &P[3..] {
        assert_eq!(last(&mut conn, p), "NULL", "no other game");
    }
    assert_eq!(last(&mut conn, Q[0]), "1");
    assert_eq!(last(&mut conn, Q[3]), "3");
    // Game 1 finished normally, game 3 is still running.
    assert_eq!(
        strings(
            &mut conn,
            "SELECT CONCAT_WS('|', id, is_finished) AS value FROM game ORDER BY id"
        ),
        ["1|1", "3|0"]
    );
}

/// Step 1 done and the match completed, with `fault` served at `path` once:
/// the update fails, the game stays unfinished with its rows untouched, and
/// the next run finishes it.
fn updater_fault_is_retried(path: &str, fault: Reply, ok: Reply) {
    let c = after_step_1(&P);
    complete(&c, 1, &P, teams_completed());
    c.api.fake.on("GET", path, vec![fault, ok]);
    let mut conn = c.conn();
    let before = dump(&mut conn);
    c.fetch_once("update-matches").assert_code(6);
    assert_eq!(dump(&mut conn), before);
    assert_eq!(errors_of(&mut conn, "update-matches"), 1);
    c.fetch_once("update-matches").assert_ok();
    assert_eq!(
        games(&mut conn),
        ["1|FAKE_UID|-1|-1|-1|2026-01-01 11:00:00|1|99999|8"]
    );
}

#[test]
fn updater_match_errors_are_retried() {
    updater_fault_is_retried(
        "/meet/api/matches/1",
        Reply::json(500, &json!({"error": "boom"})),
        Reply::ok(&official(1, "COMPLETED")),
    );
}

#[test]
fn updater_teams_errors_are_retried() {
    updater_fault_is_retried(
        "/meet/api/matches/1/teams",
        Reply::new(200, "[{\"position\": 0, \"score\""),
        Reply::ok(&teams_completed()),
    );
}

#[test]
fn updater_participants_errors_are_retried() {
    updater_fault_is_retried(
        "/meet/api/matches/1/participants",
        Reply::json(502, &json!({"error": "bad gateway"})),
        Reply::ok(&participants_completed(&P)),
    );
}

#[test]
fn updater_impossible_team_scores_neither_finish_nor_delete() {
    updater_fault_is_retried(
        "/meet/api/matches/1/teams",
        Reply::ok(&json!([{"position": 0, "score": -5, "rank": 1},
                          {"position": 1, "score": 3, "rank": 2}])),
        Reply::ok(&teams_completed()),
    );
}

#[test]
fn a_database_failure_while_finishing_or_deleting_changes_nothing() {
    let c = after_step_1(&P);
    complete(&c, 1, &P, teams_completed());
    let mut conn = c.conn();
    let before = dump(&mut conn);
    // The last statement of the finish fails.
    conn.batch_execute(
        "CREATE TRIGGER fail_player BEFORE UPDATE ON player FOR EACH ROW
           SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'",
    )
    .unwrap();
    c.fetch_once("update-matches").assert_code(6);
    assert_eq!(dump(&mut conn), before);

    // The bugged path: the playergame delete fails after the players' repair.
    conn.batch_execute(
        "DROP TRIGGER fail_player;
         CREATE TRIGGER fail_playergame BEFORE DELETE ON playergame FOR EACH ROW
           SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'",
    )
    .unwrap();
    edit(&c, 1, |m| m.teams = teams_bugged());
    c.fetch_once("update-matches").assert_code(6);
    assert_eq!(dump(&mut conn), before);

    conn.batch_execute("DROP TRIGGER fail_playergame").unwrap();
    c.fetch_once("update-matches").assert_ok();
    assert!(games(&mut conn).is_empty());
}

#[test]
fn an_unknown_match_stays_unfinished() {
    let c = after_step_1(&P);
    c.scenario.lock().unwrap().matches.clear();
    let mut conn = c.conn();
    let before = dump(&mut conn);
    c.fetch_once("update-matches").assert_ok();
    assert_eq!(dump(&mut conn), before);
}

#[test]
fn running_both_jobs_twice_gives_the_same_rows() {
    let c = Collector::new(false);
    add_fixture_match(&c, 1, "COMPLETED", &P);
    add(
        &c,
        2,
        official(2, "COMPLETED"),
        participants_completed(&P),
        teams_bugged(),
    );
    add_fixture_match(&c, 3, "ONGOING", &P);
    c.fetch_once("matches,update-matches").assert_ok();
    let mut conn = c.conn();
    let first = dump(&mut conn);
    assert_eq!(games(&mut conn).len(), 2, "the bugged one is gone");
    last_poll_long_ago(&mut conn);
    c.fetch_once("matches,update-matches").assert_ok();
    assert_eq!(dump(&mut conn), first);
}

// --- interrupted runs --------------------------------------------------------

/// Official matches and other ones between them, the same for every
/// collector that plays it.
fn walk_scenario(c: &Collector) {
    for id in 1..=12 {
        let players: [&str; 4] = if id % 2 == 0 {
            [P[0], P[1], Q[0], Q[1]]
        } else {
            [P[2], P[3], Q[2], Q[3]]
        };
        let name = if id % 3 == 0 {
            "Royal - match"
        } else {
            "Official 2v2 - match"
        };
        let body = match_body(
            id,
            name,
            json!(FIXTURE_START + id * 60),
            "ONGOING",
            if id < 6 { "MAP_A" } else { "MAP_B" },
        );
        add(
            c,
            id,
            body,
            participants_running(&players),
            teams_completed(),
        );
    }
}

/// Answers `path` with `reply` once `hold` is released (at most 60 s).
fn held_route(c: &Collector, path: &str, reply: Reply) -> Arc<AtomicBool> {
    let hold = Arc::new(AtomicBool::new(true));
    let held = hold.clone();
    c.api.fake.on_fn("GET", path, move |_| {
        let until = Instant::now() + Duration::from_secs(60);
        while held.load(Ordering::SeqCst) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        reply.clone()
    });
    hold
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The connection of the database `name` running `UPDATE collector_state`
/// (the processlist, unlike innodb_trx, is never a cached copy).
fn connection_updating_state(conn: &mut MysqlConnection, name: &str) -> Option<String> {
    scalar_string(
        conn,
        &format!(
            "SELECT CAST(id AS CHAR) AS value FROM information_schema.processlist \
             WHERE db = '{name}' AND info LIKE 'UPDATE collector_state SET cursor_int%' \
             AND id <> CONNECTION_ID()"
        ),
    )
}

fn connection_exists(conn: &mut MysqlConnection, id: &str) -> bool {
    count(
        conn,
        &format!("SELECT COUNT(*) AS value FROM information_schema.processlist WHERE id = {id}"),
    ) > 0
}

#[test]
fn a_killed_walk_is_completed_by_the_next_run_exactly() {
    let reference = Collector::new(false);
    walk_scenario(&reference);
    reference.fetch_once("matches").assert_ok();
    let expected = dump(&mut reference.conn());
    assert_eq!(expected[1].len(), 8, "8 official matches");

    let c = Collector::new(false);
    walk_scenario(&c);
    let mut conn = c.conn();
    let spawn = || {
        c.command(&["fetch", "--once", "--jobs", "matches"], &[])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mmstatus starts")
    };

    // Killed between two matches, waiting for the participants of match 5.
    let participants_5 = c.scenario.lock().unwrap().matches[&5].participants.clone();
    let hold = held_route(
        &c,
        "/meet/api/matches/5/participants",
        Reply::ok(&participants_5),
    );
    let mut child = spawn();
    wait_for("E5 of match 5", || {
        c.api.fake.count("/meet/api/matches/5/participants") > 0
    });
    child.kill().unwrap();
    child.wait().unwrap();
    hold.store(false, Ordering::SeqCst);
    assert_eq!(
        strings(
            &mut conn,
            "SELECT CAST(id AS CHAR) AS value FROM game ORDER BY id"
        ),
        ["1", "2", "4"]
    );

    // Killed inside the transaction of match 8: the test holds the walker's
    // state row, so the insert waits at its last statement.
    let body_8 = c.scenario.lock().unwrap().matches[&8].body.clone();
    let hold = held_route(&c, "/meet/api/matches/8", Reply::ok(&body_8));
    let mut child = spawn();
    wait_for("E4 of match 8", || {
        c.api.fake.count("/meet/api/matches/8") > 0
    });
    let mut holder = c.conn();
    holder
        .batch_execute(
            "START TRANSACTION; SELECT * FROM collector_state WHERE job = 'matches' FOR UPDATE",
        )
        .unwrap();
    hold.store(false, Ordering::SeqCst);
    let mut waiting = None;
    wait_for("the insert of match 8 to wait for the lock", || {
        waiting = connection_updating_state(&mut conn, &c.db.name);
        waiting.is_some()
    });
    let waiting = waiting.unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    holder.batch_execute("ROLLBACK").unwrap();
    wait_for(
        "the killed connection to end (its transaction rolled back)",
        || !connection_exists(&mut conn, &waiting),
    );
    assert_eq!(
        strings(
            &mut conn,
            "SELECT CAST(id AS CHAR) AS value FROM game ORDER BY id"
        ),
        ["1", "2", "4", "5", "7"]
    );

    c.fetch_once("matches").assert_ok();
    assert_eq!(dump(&mut conn), expected);
    assert_eq!(walker_state(&mut conn), walker_state(&mut reference.conn()));
}

// --- the SQL itself ----------------------------------------------------------

/// What a connection sends, recorded: each statement, and each statement
/// it prepares to keep (Diesel's statement cache).
#[derive(Default)]
struct Sent {
    statements: Vec<String>,
    prepared: Vec<String>,
}

fn record_statements(conn: &mut MysqlConnection) -> Arc<Mutex<Sent>> {
    let seen = Arc::new(Mutex::new(Sent::default()));
    let sink = seen.clone();
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| match event {
        InstrumentationEvent::StartQuery { query, .. } => {
            sink.lock().unwrap().statements.push(query.to_string())
        }
        InstrumentationEvent::CacheQuery { sql, .. } => {
            sink.lock().unwrap().prepared.push(sql.to_string())
        }
        _ => {}
    });
    seen
}

fn take(seen: &Mutex<Sent>) -> Sent {
    std::mem::take(&mut *seen.lock().unwrap())
}

fn record(conn: &mut MysqlConnection, id: i32, players: &[&str], map_known: bool) {
    let sentinel = chrono::NaiveDateTime::parse_from_str(SENTINEL, "%Y-%m-%d %H:%M:%S").unwrap();
    let new = game::NewMatch {
        id,
        map_uid: "FAKE_UID",
        map_known,
        time: sentinel,
        players,
        sentinel,
    };
    lock_retry::transaction(conn, |conn| {
        game::record_new_match(conn, &new)?;
        collector_state::set_cursor(conn, "matches", i64::from(id) + 1, 0)
    })
    .unwrap();
}

fn finish(conn: &mut MysqlConnection, id: i32, players: &[&str], absent_wins: bool) {
    let sentinel = chrono::NaiveDateTime::parse_from_str(SENTINEL, "%Y-%m-%d %H:%M:%S").unwrap();
    let listed: Vec<(&str, game::PlayerResult)> = players
        .iter()
        .map(|p| {
            let result = game::PlayerResult {
                is_mvp: false,
                is_win: true,
                position: Some(1),
                points: Some(3),
            };
            (*p, result)
        })
        .collect();
    let absent = game::PlayerResult {
        is_mvp: false,
        is_win: absent_wins,
        position: None,
        points: None,
    };
    lock_retry::statement(conn, |conn| {
        game::finish(conn, id, 8, &listed, absent, sentinel)
    })
    .unwrap();
}

#[test]
fn recording_and_finishing_a_match_take_eight_statements_prepared_once() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    conn.batch_execute(
        "INSERT INTO collector_state (job, created_at) VALUES ('matches', '2026-01-01 00:00:00')",
    )
    .unwrap();
    let uuids: Vec<String> = P.iter().map(|p| stored(p)).collect();
    let players: Vec<&str> = uuids.iter().map(String::as_str).collect();
    let mut check = c.conn();
    let seen = record_statements(&mut conn);

    record(&mut conn, 1, &players, false);
    let sent = take(&seen);
    // BEGIN, map, trackmaster limit, game, players, playergames, cursor, COMMIT.
    assert_eq!(sent.statements.len(), 8, "{:#?}", sent.statements);
    assert_eq!(sent.prepared.len(), 6, "{:#?}", sent.prepared);
    assert_eq!(games(&mut check).len(), 1);
    assert_eq!(playergames(&mut check).len(), 6);

    // The next match on a map known to exist: no map statement, nothing
    // prepared again.
    record(&mut conn, 2, &players, true);
    let sent = take(&seen);
    assert_eq!(sent.statements.len(), 7, "{:#?}", sent.statements);
    assert!(sent.prepared.is_empty(), "{:#?}", sent.prepared);
    assert_eq!(games(&mut check).len(), 2);
    assert_eq!(playergames(&mut check).len(), 12);

    // Finishing is one statement: game, participations and players.
    finish(&mut conn, 1, &players, false);
    let sent = take(&seen);
    assert_eq!(sent.statements.len(), 1, "{:#?}", sent.statements);
    assert_eq!(
        count(&mut check, "SELECT COUNT(*) AS value FROM playergame WHERE game_id = 1 AND position = 1 AND points = 3 AND is_win = 1"),
        6
    );
    assert_eq!(
        count(
            &mut check,
            "SELECT COUNT(*) AS value FROM playergame WHERE game_id = 2 AND position IS NULL"
        ),
        6
    );
    finish(&mut conn, 2, &players, false);
    let sent = take(&seen);
    assert_eq!(sent.statements.len(), 1, "{:#?}", sent.statements);
    assert!(sent.prepared.is_empty(), "{:#?}", sent.prepared);
}

#[test]
fn finishing_gives_players_the_api_does_not_list_the_absent_result() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    conn.batch_execute(
        "INSERT INTO collector_state (job, created_at) VALUES ('matches', '2026-01-01 00:00:00')",
    )
    .unwrap();
    let uuids: Vec<String> = P.iter().map(|p| stored(p)).collect();
    let players: Vec<&str> = uuids.iter().map(String::as_str).collect();
    record(&mut conn, 1, &players, false);
    record(&mut conn, 2, &[], true);
    c.conn()
        .batch_execute(
            "UPDATE player SET last_points_update = '2026-01-01 00:00:00';
             UPDATE playergame SET is_mvp = 1",
        )
        .unwrap();

    // Two listed players; the other four get the absent result.
    finish(&mut conn, 1, &players[..2], true);
    assert_eq!(
        strings(
            &mut conn,
            "SELECT CONCAT_WS('|', player_id, is_mvp, is_win, IFNULL(position, 'NULL'),              IFNULL(points, 'NULL')) AS value FROM playergame ORDER BY id"
        ),
        players
            .iter()
            .enumerate()
            .map(|(i, p)| if i < 2 {
                format!("{p}|0|1|1|3")
            } else {
                format!("{p}|0|1|NULL|NULL")
            })
            .collect::<Vec<_>>()
    );
    assert_eq!(
        count(
            &mut conn,
            &format!(
                "SELECT COUNT(*) AS value FROM player WHERE last_points_update = '{SENTINEL}'"
            )
        ),
        6
    );
    // A game without participations: only the game changes.
    finish(&mut conn, 2, &[], false);
    assert_eq!(
        strings(
            &mut conn,
            "SELECT CONCAT_WS('|', id, is_finished, rounds) AS value FROM game ORDER BY id"
        ),
        ["1|1|8", "2|1|8"]
    );
}

#[test]
fn a_statement_that_loses_a_lock_is_retried() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    conn.batch_execute(
        "INSERT INTO collector_state (job, created_at) VALUES ('matches', '2026-01-01 00:00:00');
         SET SESSION innodb_lock_wait_timeout = 1",
    )
    .unwrap();
    let mut holder = c.conn();
    holder
        .batch_execute(
            "START TRANSACTION; SELECT * FROM collector_state WHERE job = 'matches' FOR UPDATE",
        )
        .unwrap();
    let attempts = Arc::new(AtomicUsize::new(0));
    let releaser = {
        let attempts = attempts.clone();
        std::thread::spawn(move || {
            wait_for("a second attempt", || attempts.load(Ordering::SeqCst) >= 2);
            holder.batch_execute("ROLLBACK").unwrap();
        })
    };
    let counted = attempts.clone();
    lock_retry::statement(&mut conn, |conn| {
        counted.fetch_add(1, Ordering::SeqCst);
        collector_state::set_cursor(conn, "matches", 5, 1)
    })
    .unwrap();
    releaser.join().unwrap();
    assert!(attempts.load(Ordering::SeqCst) >= 2);
    assert_eq!(walker_state(&mut conn), "5|1");
}

#[test]
fn a_transaction_that_loses_a_lock_is_retried_at_most_three_times() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    conn.batch_execute(
        "INSERT INTO collector_state (job, created_at) VALUES ('matches', '2026-01-01 00:00:00');
         SET SESSION innodb_lock_wait_timeout = 1",
    )
    .unwrap();
    let mut holder = c.conn();
    let lock = "START TRANSACTION; SELECT * FROM collector_state WHERE job = 'matches' FOR UPDATE";

    // Released once the first attempt has failed: the retry succeeds.
    holder.batch_execute(lock).unwrap();
    let attempts = Arc::new(AtomicUsize::new(0));
    let releaser = {
        let attempts = attempts.clone();
        std::thread::spawn(move || {
            wait_for("a second attempt", || attempts.load(Ordering::SeqCst) >= 2);
            holder.batch_execute("ROLLBACK").unwrap();
            holder
        })
    };
    let counted = attempts.clone();
    lock_retry::transaction(&mut conn, |conn| {
        counted.fetch_add(1, Ordering::SeqCst);
        collector_state::set_cursor(conn, "matches", 7, 0)
    })
    .unwrap();
    let mut holder = releaser.join().unwrap();
    assert!(attempts.load(Ordering::SeqCst) >= 2);
    assert_eq!(walker_state(&mut conn), "7|0");

    // Never released: four attempts, then the lock error.
    holder.batch_execute(lock).unwrap();
    let attempts = AtomicUsize::new(0);
    let error = lock_retry::transaction(&mut conn, |conn| {
        attempts.fetch_add(1, Ordering::SeqCst);
        collector_state::set_cursor(conn, "matches", 9, 0)
    })
    .unwrap_err();
    assert!(lock_retry::is_lock_conflict(&error), "{error}");
    assert_eq!(attempts.load(Ordering::SeqCst), 4);
    holder.batch_execute("ROLLBACK").unwrap();
    assert_eq!(walker_state(&mut conn), "7|0");
}
