//! Connecting to the database: IPv6 hosts, one TCP connection per database
//! connection, and failures that end a run quickly with a clear message.

use crate::common::{mmstatus_with_env, scratch_dir, server_url, Run, TestDb, TEST_TZ};
use crate::relay::{silent_server, Relay};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The test server's user and password, for URLs through a relay.
fn credentials() -> (String, String) {
    let url = url::Url::parse(&server_url()).unwrap();
    (
        url.username().to_string(),
        url.password().unwrap_or("").to_string(),
    )
}

fn url_through(relay: &Relay, db: &TestDb) -> String {
    let (user, password) = credentials();
    format!(
        "mysql://{user}:{password}@{}/{}",
        relay.url_authority(),
        db.name
    )
}

#[test]
fn an_ipv6_database_url_works() {
    let relay = Relay::to_test_server("[::1]:0");
    let db = TestDb::unique();
    let url = url_through(&relay, &db);
    assert!(url.contains("@[::1]:"), "{url}");
    mmstatus_with_env(&["init-db"], &[("DATABASE_URL", &url)]).assert_ok();
    mmstatus_with_env(&["create-season", "--list"], &[("DATABASE_URL", &url)])
        .assert_ok()
        .assert_stdout_contains("no seasons yet");
    assert!(db.exists());
}

#[test]
fn an_ipv6_database_host_works() {
    let relay = Relay::to_test_server("[::1]:0");
    let db = TestDb::unique();
    let (user, password) = credentials();
    let port = relay.addr.port().to_string();
    let env = [
        ("DATABASE_HOST", "::1"),
        ("DATABASE_PORT", port.as_str()),
        ("DATABASE_USER", user.as_str()),
        ("DATABASE_PASSWORD", password.as_str()),
        ("DATABASE_NAME", db.name.as_str()),
    ];
    mmstatus_with_env(&["init-db"], &env).assert_ok();
    mmstatus_with_env(&["create-season", "--list"], &env)
        .assert_ok()
        .assert_stdout_contains("no seasons yet");
}

#[test]
fn one_database_connection_is_one_tcp_connection() {
    let db = TestDb::create();
    db.mmstatus(&["init-db"]).assert_ok();
    let relay = Relay::to_test_server("127.0.0.1:0");
    mmstatus_with_env(
        &["create-season", "--list"],
        &[("DATABASE_URL", &url_through(&relay, &db))],
    )
    .assert_ok();
    // The run's last connection did its handshake through the relay, so every
    // connection it opened before was accepted (and counted) already.
    assert_eq!(
        relay.accepted(),
        1,
        "create-season --list opens one connection"
    );
}

#[test]
fn an_unreachable_server_is_reported() {
    for url in [
        "mysql://root:pw@127.0.0.1:1/db",
        "mysql://root:pw@[::1]:1/db",
    ] {
        let run = mmstatus_with_env(&["create-season", "--list"], &[("DATABASE_URL", url)]);
        let target = url.split('@').nth(1).unwrap().trim_end_matches("/db");
        run.assert_code(3)
            .assert_error_line(&format!("cannot reach the database server at {target}"));
        assert!(!run.stderr.contains("pw"), "{run:?}");
    }
}

#[test]
fn a_server_that_never_answers_ends_the_run() {
    let addr = silent_server();
    let run = mmstatus_with_watchdog(
        &["create-season", "--list"],
        &format!("mysql://root:pw@{addr}/db"),
        Duration::from_secs(90),
    );
    run.assert_code(3).assert_error_line(&format!(
        "cannot reach the database server at {addr}: no answer within 10 s"
    ));
}

/// Runs the binary like `mmstatus_with_env`, killing it if it is still
/// running after `limit` (a hang must fail the test, not block the suite).
fn mmstatus_with_watchdog(args: &[&str], database_url: &str, limit: Duration) -> Run {
    let dir = scratch_dir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mmstatus"))
        .args(args)
        .env_clear()
        .env("MMSTATUS_TZ", TEST_TZ)
        .env("DATABASE_URL", database_url)
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("mmstatus {args:?} still ran after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
