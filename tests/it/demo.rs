//! `scripts/demo` end to end: a short demo (one real minute, 90 simulated
//! ones) on a database of its own must collect games, players, their points
//! and names, and write every statistic, consistently with the rows.

use crate::common::{count, scratch_dir, server_url, TestDb};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_one_minute_demo_collects_the_matchmaking_and_writes_every_statistic() {
    let project = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_mmstatus")).parent().unwrap();
    assert!(
        bin_dir.join("mmstatus-sim").exists(),
        "no mmstatus-sim beside mmstatus: run cargo test at the top (sim is a default member)"
    );
    let db = TestDb::unique();
    let dir = scratch_dir().join("demo");
    let output = Command::new("bash")
        .arg(project.join("scripts/demo"))
        .args(["--minutes", "1", "--players", "600", "--seed", "11"])
        .env("MMSTATUS_DEMO_DIR", &dir)
        .env("MMSTATUS_DEMO_DATABASE", &db.name)
        .env("MMSTATUS_DEMO_SERVER_URL", server_url())
        // The binaries this test run built: a build from the script could
        // replace them while other tests run them.
        .env("MMSTATUS_DEMO_BIN_DIR", bin_dir)
        .current_dir(project)
        .output()
        .expect("bash runs the demo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("Top 5 of the ladder:"), "{stdout}");
    assert!(stdout.contains("Collector health"), "{stdout}");
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("<svg"), "{page}");

    let mut conn = db.conn();
    let games = count(&mut conn, "SELECT COUNT(*) AS value FROM game");
    let finished = count(
        &mut conn,
        "SELECT COUNT(*) AS value FROM game WHERE is_finished AND rounds > 0",
    );
    let players = count(&mut conn, "SELECT COUNT(*) AS value FROM player");
    let named = count(
        &mut conn,
        "SELECT COUNT(*) AS value FROM player WHERE name <> ''",
    );
    let ranked = count(
        &mut conn,
        "SELECT COUNT(*) AS value FROM player WHERE points > 0",
    );
    let facts = format!("{games} games, {finished} finished, {players} players, {named} named, {ranked} with points\n{stdout}");
    assert!(games > 100 && finished > 20, "{facts}");
    assert!(players > 100 && named > 100 && ranked > 50, "{facts}");
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) AS value FROM season"),
        1,
        "{facts}"
    );

    // Every one of the 139 jobs ran and wrote its main file.
    let timings = std::fs::read_to_string(dir.join("compute-stats.txt")).unwrap();
    let jobs: Vec<&str> = timings
        .lines()
        .filter(|l| l.starts_with("1 "))
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(jobs.len(), 139, "{timings}");
    let cache = dir.join("cache");
    for job in &jobs {
        let file = cache.join(format!("{job}_1.txt"));
        assert!(file.exists(), "{} missing\n{timings}", file.display());
        read_json(&file);
    }

    // The files agree with the rows: S03 counts the season's games, S19's
    // first player has played as many games as his participations say.
    let maps = read_json(&cache.join("get_maps_statistics_1.txt"));
    let played: i64 = maps["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["total_played"].as_i64().unwrap())
        .sum();
    assert_eq!(played, games, "{maps}");
    let most = read_json(&cache.join("get_players_matches_played_1.txt"));
    let first = &most["results"][0];
    let uuid = first["uuid"].as_str().unwrap().replace('-', "");
    let participations = count(
        &mut conn,
        &format!("SELECT COUNT(*) AS value FROM playergame WHERE player_id = '{uuid}'"),
    );
    assert_eq!(first["played"].as_i64(), Some(participations), "{most}");
}
