//! Locks across runs and jobs: a run gives its run lock back before it exits,
//! and a job whose transaction loses a row-lock conflict to another writer
//! (collection.md §1.5) tries it again instead of failing the unit.

use crate::collect_ranks::{
    after_match, hours_ago, minutes_ago, player_row, season_rows, stored, Seed, SENTINEL,
};
use crate::collector::Collector;
use crate::common::{count, strings, Run};
use crate::fake_nadeo::PLAYERS;
use crate::relay::Relay;
use diesel::connection::SimpleConnection;
use diesel::MysqlConnection;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A run that went through and did its work (not one that found the lock
/// still taken and did nothing).
#[track_caller]
fn assert_worked(run: &Run) {
    run.assert_ok();
    assert!(
        !run.stderr.contains("previous run still active"),
        "the lock of the run before was still held: {run:#?}"
    );
}

#[test]
fn a_run_gives_its_lock_back_before_it_exits() {
    let c = Collector::new(false);
    let oauth = c.api.oauth_env();
    // A server that notices closed sessions late: the lock of a run that
    // only closed its connection would outlive the run by seconds.
    let relay = Relay::to_test_server("127.0.0.1:0");
    relay.delay_quits(Duration::from_secs(5));
    let via = c.url_via(&relay);
    for args in [
        &["fetch", "--once", "--jobs", "watchdog"][..],
        &["resolve-names"][..],
    ] {
        let mut env = oauth.to_vec();
        env.push(("DATABASE_URL", via.as_str()));
        assert_worked(&c.run(args, &env));
        // At once, straight to the server.
        assert_worked(&c.run(args, &oauth));
    }
}

// --- lock conflicts with other writers ----------------------------------------

/// The connection of the database `name` whose statement starts with
/// `prefix` (the processlist shows a statement waiting for a lock).
fn connection_running(conn: &mut MysqlConnection, name: &str, prefix: &str) -> bool {
    count(
        conn,
        &format!(
            "SELECT COUNT(*) AS value FROM information_schema.processlist \
             WHERE db = '{name}' AND info LIKE '{prefix}%' AND id <> CONNECTION_ID()"
        ),
    ) > 0
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Another writer that deadlocks once with the run `child`: its transaction,
/// heavier than any unit of a job (so the server rolls the run's back),
/// locks `first`; once the run waits for that lock at a statement starting
/// with `waiting_at`, it asks for `second`, which the run's transaction
/// holds; then it gives everything back, well within a second.
fn deadlock_once(c: &Collector, child: &mut Child, first: &str, waiting_at: &str, second: &str) {
    let mut writer = c.conn();
    let heavy: Vec<String> = (0..300).map(|i| format!("('heavy-{i}', '')")).collect();
    writer
        .batch_execute(&format!(
            "START TRANSACTION; INSERT INTO map (uid, name) VALUES {}; {first}",
            heavy.join(", ")
        ))
        .unwrap();
    let mut watcher = c.conn();
    wait_for(&format!("the run to wait at {waiting_at}"), || {
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        connection_running(&mut watcher, &c.db.name, waiting_at)
    });
    writer
        .batch_execute(second)
        .expect("the server rolls the lighter transaction back: the run's, not this one");
    writer.batch_execute("ROLLBACK").unwrap();
}

fn finished(child: Child) -> Run {
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The run lost a deadlock, tried its unit again and went through.
#[track_caller]
fn assert_retried(run: &Run) {
    run.assert_ok();
    assert!(
        run.stderr.contains("database lock conflict") && run.stderr.contains("retrying"),
        "{run:#?}"
    );
}

fn spawn(c: &Collector, args: &[&str], extra: &[(&str, &str)]) -> Child {
    c.command(args, extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mmstatus starts")
}

#[test]
fn a_names_batch_that_loses_a_deadlock_is_written_on_its_retry() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    let mut seed = Seed(&mut conn);
    seed.current_season();
    for (i, p) in PLAYERS.iter().enumerate() {
        seed.player(p, 1000 + i as i32, 500, &hours_ago(1), 0);
        seed.player_season(1, p, 1000 + i as i32, 500);
    }
    {
        let mut scenario = c.scenario.lock().unwrap();
        for (i, p) in PLAYERS.iter().enumerate() {
            scenario.names.insert(p.to_string(), format!("name {i}"));
            scenario.club_tags.insert(p.to_string(), format!("T{i}"));
        }
    }
    let first = stored(PLAYERS[0]);
    let mut child = spawn(&c, &["resolve-names"], &c.api.oauth_env());
    deadlock_once(
        &c,
        &mut child,
        &format!("SELECT id FROM playerseason WHERE player_id = '{first}' FOR UPDATE"),
        "UPDATE playerseason SET club_tag",
        &format!("SELECT uuid FROM player WHERE uuid = '{first}' FOR UPDATE"),
    );
    assert_retried(&finished(child));
    assert_eq!(
        strings(
            &mut conn,
            "SELECT CONCAT_WS('|', p.name, p.club_tag, ps.club_tag) AS value \
             FROM player p JOIN playerseason ps ON ps.player_id = p.uuid ORDER BY p.uuid"
        ),
        (0..6)
            .map(|i| format!("name {i}|T{i}|T{i}"))
            .collect::<Vec<_>>()
    );
    assert_eq!(count(&mut conn, "SELECT COUNT(*) AS value FROM map"), 0);
}

#[test]
fn a_ranks_batch_that_loses_a_deadlock_is_written_on_its_retry() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    let mut seed = Seed(&mut conn);
    seed.current_season();
    seed.game(1, &minutes_ago(10), true, (-1, -1, -1));
    for (i, p) in PLAYERS[..3].iter().enumerate() {
        seed.player(p, 1000, 500, SENTINEL, 0);
        seed.player_season(1, p, 1000, 500);
        seed.played(1, p, None);
        c.scenario
            .lock()
            .unwrap()
            .ranks
            .insert(p.to_string(), (2000 + i as i64, 40 + i as i64));
    }
    let first = stored(PLAYERS[0]);
    let mut child = spawn(&c, &["fetch", "--once", "--jobs", "ranks"], &[]);
    deadlock_once(
        &c,
        &mut child,
        &format!("SELECT id FROM playerseason WHERE player_id = '{first}' FOR UPDATE"),
        "UPDATE playerseason SET points",
        &format!("SELECT uuid FROM player WHERE uuid = '{first}' FOR UPDATE"),
    );
    assert_retried(&finished(child));
    for (i, p) in PLAYERS[..3].iter().enumerate() {
        let (points, rank) = (2000 + i, 40 + i);
        assert!(
            player_row(&mut conn, p).starts_with(&format!("{points}|{rank}|0|")),
            "{}",
            player_row(&mut conn, p)
        );
        assert_eq!(
            season_rows(&mut conn, p),
            [format!("1|{points}|{rank}|NULL")]
        );
        assert_eq!(after_match(&mut conn, 1, p), format!("{points}|{rank}"));
    }
}
