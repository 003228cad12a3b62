//! What the end-to-end collector tests share: every table of a database as
//! comparable text, runs spawned and killed, waiting for the server to let
//! go of a killed run, and runs repeated until they change nothing.

use crate::collector::Collector;
pub use crate::collector::SENTINEL;
use crate::common::{count, strings, Run};
use diesel::MysqlConnection;
use std::collections::BTreeSet;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Zones of the shipped tree, dashed as the API gives them: Ain (7, in
/// France, region Auvergne-Rhône-Alpes), France (185), Europe (176: its
/// country is World), Aachen (1, in Germany, region Nordrhein-Westfalen).
pub const AIN: &str = "301f64f2-7e13-11e8-8060-e284abfd2bc4";
pub const FRANCE: &str = "301f6188-7e13-11e8-8060-e284abfd2bc4";
pub const EUROPE: &str = "301e2106-7e13-11e8-8060-e284abfd2bc4";
pub const AACHEN: &str = "30200df4-7e13-11e8-8060-e284abfd2bc4";
/// A zone no table has.
pub const NOWHERE: &str = "ffffffff-ffff-4fff-bfff-ffffffffffff";

/// `last_points_update` / `last_name_update` as comparable text: the time
/// of a refresh depends on when it ran, so only "never" (the sentinel) or
/// "set" is compared.
fn when(column: &str) -> String {
    format!("IF({column} = '{SENTINEL}', 'never', 'set')")
}

/// Every row of every table the collector writes or reads, without
/// auto-increment ids (a rolled-back insert spends one) and with times that
/// depend on "now" reduced to set / never. `collector_state` keeps each
/// job's cursor: the match walker's next id; whether the zones walk has a
/// place (which player it is depends on when players appeared); the
/// club-tags walk's place. The walker's count of failed polls counts polls
/// 30 s apart, so it depends on timing too, and is left out.
pub fn dump(conn: &mut MysqlConnection) -> Vec<(&'static str, Vec<String>)> {
    let tables: [(&'static str, String); 9] = [
        (
            "map",
            "SELECT CONCAT_WS('|', uid, name) AS value FROM map ORDER BY uid".into(),
        ),
        (
            "game",
            "SELECT CONCAT_WS('|', id, map_id, min_elo, average_elo, max_elo, time, is_finished, \
             trackmaster_limit, IFNULL(rounds, 'NULL')) AS value FROM game ORDER BY id"
                .into(),
        ),
        (
            "player",
            format!(
                "SELECT CONCAT_WS('|', uuid, name, points, `rank`, {}, {}, \
                 IFNULL(last_match_id, 'NULL'), IFNULL(zone_id, 'NULL'), \
                 IFNULL(country_id, 'NULL'), IFNULL(region_id, 'NULL'), \
                 IFNULL(club_tag, 'NULL'), points_fetch_retries) AS value \
                 FROM player ORDER BY uuid",
                when("last_points_update"),
                when("last_name_update")
            ),
        ),
        (
            "playergame",
            "SELECT CONCAT_WS('|', game_id, player_id, is_win, is_mvp, \
             IFNULL(position, 'NULL'), IFNULL(points, 'NULL'), \
             IFNULL(rank_after_match, 'NULL'), IFNULL(points_after_match, 'NULL')) AS value \
             FROM playergame ORDER BY game_id, id"
                .into(),
        ),
        (
            "season",
            "SELECT CONCAT_WS('|', name, start_time, end_time, is_aggregated) AS value \
             FROM season ORDER BY start_time, name"
                .into(),
        ),
        (
            "playerseason",
            "SELECT CONCAT_WS('|', s.name, ps.player_id, ps.points, ps.`rank`, \
             IFNULL(ps.club_tag, 'NULL')) AS value \
             FROM playerseason ps JOIN season s ON s.id = ps.season_id \
             ORDER BY s.start_time, s.name, ps.player_id, ps.id"
                .into(),
        ),
        (
            "zone",
            "SELECT CONCAT_WS('|', id, uuid, name, IFNULL(parent_id, 'NULL'), \
             IFNULL(country_alpha3, 'NULL'), file_name) AS value FROM zone ORDER BY id"
                .into(),
        ),
        (
            "rankstatrollup",
            "SELECT CAST(COUNT(*) AS CHAR) AS value FROM rankstatrollup".into(),
        ),
        (
            "collector_state",
            "SELECT CONCAT_WS('|', job, IFNULL(cursor_int, 'NULL'), \
             CASE WHEN cursor_text IS NULL THEN 'NULL' \
                  WHEN job = 'zones' THEN 'set' ELSE cursor_text END) AS value \
             FROM collector_state ORDER BY job"
                .into(),
        ),
    ];
    tables
        .into_iter()
        .map(|(name, sql)| (name, strings(conn, &sql)))
        .collect()
}

/// The first table where two dumps differ, with both versions (a whole
/// dump is too long to read in a failure message).
#[track_caller]
pub fn assert_same_tables(
    actual: &[(&'static str, Vec<String>)],
    expected: &[(&'static str, Vec<String>)],
) {
    for ((name, rows), (_, wanted)) in actual.iter().zip(expected) {
        if rows != wanted {
            let missing: Vec<&String> = wanted.iter().filter(|r| !rows.contains(r)).collect();
            let extra: Vec<&String> = rows.iter().filter(|r| !wanted.contains(r)).collect();
            panic!(
                "table {name} differs ({} rows, {} expected):\n  missing: {missing:#?}\n  \
                 unexpected: {extra:#?}",
                rows.len(),
                wanted.len()
            );
        }
    }
    assert_eq!(actual.len(), expected.len());
}

pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The server's connections to the collector's database (ids), this one's
/// excepted.
pub fn connections(conn: &mut MysqlConnection, database: &str) -> BTreeSet<String> {
    strings(
        conn,
        &format!(
            "SELECT CAST(id AS CHAR) AS value FROM information_schema.processlist \
             WHERE db = '{database}' AND id <> CONNECTION_ID()"
        ),
    )
    .into_iter()
    .collect()
}

/// Whether a connection to the database has been running one statement for
/// half a second: in these tests, one waiting for rows the test locked.
/// (`information_schema.innodb_trx` would say so directly, but its copy is
/// refreshed only after 100 ms without a reader, so polling it can read the
/// same stale copy for ever.)
pub fn waiting_for_a_lock(conn: &mut MysqlConnection, database: &str) -> bool {
    count(
        conn,
        &format!(
            "SELECT COUNT(*) AS value FROM information_schema.processlist \
             WHERE db = '{database}' AND id <> CONNECTION_ID() AND command <> 'Sleep' \
             AND info IS NOT NULL AND time_ms > 500"
        ),
    ) > 0
}

/// A run of `mmstatus <args>` in the collector's folder, its output kept.
pub fn spawn(c: &Collector, args: &[&str], extra: &[(&str, &str)]) -> Child {
    c.command(args, extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mmstatus starts")
}

pub fn finished(child: Child) -> Run {
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// SIGKILLs a run.
pub fn kill(mut child: Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Waits until the server has closed every connection to the collector's
/// database but `conn` and `keep` (those of a killed run, or of a run whose
/// database went away): their unfinished transactions are rolled back and
/// their locks given back. A connection waiting for a row lock is only
/// closed once it gets the lock, so release such locks first.
pub fn wait_until_runs_are_gone(
    c: &Collector,
    conn: &mut MysqlConnection,
    keep: &BTreeSet<String>,
) {
    wait_for("the server to close the run's connections", || {
        connections(conn, &c.db.name).is_subset(keep)
    });
}

/// This connection's id on the server.
pub fn connection_id(conn: &mut MysqlConnection) -> String {
    strings(conn, "SELECT CAST(CONNECTION_ID() AS CHAR) AS value").remove(0)
}

/// Runs `mmstatus <args>` to its end, again when it found the lock of a run
/// before it still held (the server may not have noticed that run's end).
pub fn run_to_end(c: &Collector, args: &[&str], extra: &[(&str, &str)]) -> Run {
    loop {
        let run = c.run(args, extra);
        if !run.stderr.contains("previous run still active") {
            return run;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs `fetch --once` (every job) until a run changes nothing that
/// [`dump`] shows; each must succeed.
pub fn fetch_until_settled(c: &Collector, extra: &[(&str, &str)]) {
    let mut conn = c.conn();
    let mut before = dump(&mut conn);
    for _ in 0..10 {
        run_to_end(c, &["fetch", "--once"], extra).assert_ok();
        let after = dump(&mut conn);
        if after == before {
            return;
        }
        before = after;
    }
    panic!("fetch --once runs kept changing the database");
}
