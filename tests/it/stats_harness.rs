//! What the compute-stats tests share: a migrated database of its own with
//! a few zones, a working folder whose cache/ receives the files, rows seeded
//! with SQL, and the real binary.

use crate::common::{scratch_dir, Run, TestDb, TEST_TZ};
use diesel::connection::SimpleConnection;
use diesel::MysqlConnection;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

/// Zones every scenario has: World (1), France (2), Germany (3), the
/// region Ile-de-France (4), Europe (5, no alpha3), Spain (6).
const ZONES_SQL: &str = "\
INSERT INTO zone (id, uuid, name, parent_id, country_alpha3, file_name) VALUES \
 (1, 'w', 'World', NULL, NULL, 'WOR.png'), (5, 'e', 'Europe', 1, NULL, 'EUR.png'), \
 (2, 'f', 'France', 5, 'FRA', 'FRA.png'), (3, 'g', 'Germany', 5, 'GER', 'GER.png'), \
 (4, 'i', 'Ile-de-France', 2, NULL, 'FRA_IDF'), (6, 's', 'Spain', 5, 'ESP', 'ESP.png')";

pub const FRANCE: i32 = 2;
pub const GERMANY: i32 = 3;
pub const IDF: i32 = 4;
pub const EUROPE: i32 = 5;

/// The stored uuid of test player `n`.
pub fn uuid(n: u32) -> String {
    format!("{n:032x}")
}

/// The dashed uuid of test player `n`, as the files write it.
pub fn dashed(n: u32) -> String {
    format!("00000000-0000-0000-0000-{n:012x}")
}

pub struct StatsDb {
    pub db: TestDb,
    pub dir: PathBuf,
}

impl StatsDb {
    pub fn new() -> StatsDb {
        let db = TestDb::unique();
        db.mmstatus(&["init-db"]).assert_ok();
        let stats = StatsDb {
            db,
            dir: scratch_dir(),
        };
        stats.sql(ZONES_SQL);
        stats
    }

    pub fn conn(&self) -> MysqlConnection {
        self.db.conn()
    }

    pub fn sql(&self, sql: &str) {
        self.conn()
            .batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    pub fn season(&self, id: i32, start: &str, end: &str) {
        self.sql(&format!(
            "INSERT INTO season (id, name, start_time, end_time, is_aggregated) \
             VALUES ({id}, 'Season {id}', '{start}', '{end}', 0)"
        ));
    }

    /// Player `n` with a name, a country, a region and a current club tag.
    pub fn player(&self, n: u32, country: Option<i32>, region: Option<i32>, club: Option<&str>) {
        let opt = |v: Option<i32>| v.map_or("NULL".to_string(), |v| v.to_string());
        let club = club.map_or("NULL".to_string(), |c| format!("'{c}'"));
        self.sql(&format!(
            "INSERT INTO player (uuid, name, points, `rank`, last_points_update, last_name_update, \
             country_id, region_id, club_tag, points_fetch_retries) VALUES ('{}', 'Player {n}', 0, 99999, \
             '1970-01-01 01:00:00', '1970-01-01 01:00:00', {}, {}, {club}, 0)",
            uuid(n),
            opt(country),
            opt(region)
        ));
    }

    pub fn player_season(&self, season: i32, n: u32, points: i32, rank: i32, club: Option<&str>) {
        let club = club.map_or("NULL".to_string(), |c| format!("'{c}'"));
        self.sql(&format!(
            "INSERT INTO playerseason (season_id, player_id, points, `rank`, club_tag) \
             VALUES ({season}, '{}', {points}, {rank}, {club})",
            uuid(n)
        ));
    }

    pub fn map(&self, uid: &str, name: &str) {
        self.sql(&format!(
            "INSERT INTO map (uid, name) VALUES ('{uid}', '{name}')"
        ));
    }

    pub fn game(&self, id: i32, map: &str, time: &str, finished: bool) {
        self.sql(&format!(
            "INSERT INTO game (id, map_id, min_elo, average_elo, max_elo, time, is_finished, \
             trackmaster_limit, rounds) VALUES ({id}, '{map}', -1, -1, -1, '{time}', {}, 99999, NULL)",
            i32::from(finished)
        ));
    }

    pub fn played(&self, game: i32, n: u32, win: bool, mvp: bool) {
        self.sql(&format!(
            "INSERT INTO playergame (game_id, player_id, is_win, is_mvp) VALUES ({game}, '{}', {}, {})",
            uuid(n),
            i32::from(win),
            i32::from(mvp)
        ));
    }

    pub fn cache(&self) -> PathBuf {
        self.dir.join("cache")
    }

    /// The command `mmstatus <args>` in the working folder.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mmstatus"));
        command
            .args(args)
            .env_clear()
            .env("DATABASE_URL", self.db.url())
            .env("MMSTATUS_TZ", TEST_TZ)
            .current_dir(&self.dir);
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let output = self.command(args).output().expect("mmstatus runs");
        Run {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// `compute-stats --season <season> --stats <stats>`, which must succeed.
    pub fn compute(&self, season: i32, stats: &str) {
        self.run(&[
            "compute-stats",
            "--season",
            &season.to_string(),
            "--stats",
            stats,
        ])
        .assert_ok();
    }

    /// A file under cache/, parsed.
    pub fn file(&self, path: &str) -> Value {
        let path = self.cache().join(path);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// A file under cache/ with its `last_updated` checked (an epoch float
    /// of the last hour) and removed.
    pub fn document(&self, path: &str) -> Value {
        let mut value = self.file(path);
        let stamp = value
            .as_object_mut()
            .and_then(|o| o.remove("last_updated"))
            .unwrap_or_else(|| panic!("{path} has no last_updated"));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let stamp = stamp.as_f64().expect("last_updated is a number");
        assert!(
            (now - 3600.0..=now + 1.0).contains(&stamp),
            "{path}: {stamp}"
        );
        value
    }

    pub fn exists(&self, path: &str) -> bool {
        self.cache().join(path).exists()
    }
}

impl Drop for StatsDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
