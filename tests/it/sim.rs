//! The simulator program (mmstatus-sim, a child process) against the real
//! collector: `mmstatus fetch --once` with nothing but the settings line the
//! simulator prints records its matches and players.

use crate::common::{count, scratch_dir, TestDb, TEST_TZ};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The simulator beside the mmstatus binary (`cargo test` at the top builds
/// both: `sim` is a default member of the workspace).
fn sim_binary() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_BIN_EXE_mmstatus")).with_file_name("mmstatus-sim");
    assert!(
        path.exists(),
        "{} is missing: run cargo test at the top, or cargo build -p mmstatus-sim",
        path.display()
    );
    path
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the simulator; returns it and its settings line's assignments.
fn start_sim(args: &[&str]) -> (Running, Vec<(String, String)>) {
    let mut child = Command::new(sim_binary())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("mmstatus-sim starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let settings = mmstatus_sim::parse_settings_line(&line);
    (Running(child), settings)
}

#[test]
fn fetch_once_against_the_simulator_records_its_matches_and_players() {
    let db = TestDb::unique();
    db.mmstatus(&["init-db", "--zones"]).assert_ok();
    let (_sim, settings) = start_sim(&["--seed", "3", "--players", "400"]);
    let dir = scratch_dir();
    let output = Command::new(env!("CARGO_BIN_EXE_mmstatus"))
        .args(["fetch", "--once"])
        .env_clear()
        .envs(settings.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("DATABASE_URL", db.url())
        .env("MMSTATUS_TZ", TEST_TZ)
        .env("MMSTATUS_MAX_RPS", "1000")
        .env("MMSTATUS_OAUTH_MAX_RPS", "1000")
        .current_dir(&dir)
        .output()
        .expect("mmstatus runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");

    let mut conn = db.conn();
    let games = count(&mut conn, "SELECT COUNT(*) AS value FROM game");
    assert!(games > 50, "{games} games recorded\n{stderr}");
    let finished = count(
        &mut conn,
        "SELECT COUNT(*) AS value FROM game WHERE is_finished AND rounds > 0",
    );
    assert!(finished > 10, "{finished} games finished\n{stderr}");
    let players = count(&mut conn, "SELECT COUNT(*) AS value FROM player");
    assert!(players > 100, "{players} players\n{stderr}");
    let ranked = count(
        &mut conn,
        "SELECT COUNT(*) AS value FROM player WHERE points > 0",
    );
    assert!(ranked > 0, "no player got points\n{stderr}");
    let zoned = count(
        &mut conn,
        "SELECT COUNT(*) AS value FROM player WHERE zone_id IS NOT NULL",
    );
    assert!(zoned > 0, "no player got a zone\n{stderr}");
    let named = count(
        &mut conn,
        "SELECT COUNT(*) AS value FROM map WHERE name LIKE '% - %'",
    );
    assert!(named > 0, "no map named\n{stderr}");

    let credentials = std::fs::read_to_string(dir.join("nadeo_credentials.json")).unwrap();
    assert!(credentials.contains("NadeoCore"), "{credentials}");
    assert!(
        !credentials.contains("sim-bootstrap-core"),
        "the bootstrap token was rotated"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
