//! A collector under test: a migrated database of its own, the fake Nadeo API
//! with valid tokens and a [`Scenario`] to play, a working folder (the
//! credentials file, cache/), and the real binary run in it.

use crate::common::{Run, TestDb, TEST_TZ};
use crate::fake_nadeo::Scenario;
use crate::nadeo_harness::Harness;
use crate::relay::Relay;
use diesel::MysqlConnection;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};

/// The fixtures' six accounts (fixtures/README.md), p1 to p6, dashed.
pub const FIXTURE_PLAYERS: [&str; 6] = [
    "387daf87-6d15-44d1-a59f-d59eb4873516",
    "d9a8e973-3231-4e8b-8ed3-46810afe263e",
    "9dceb5c6-7268-4768-947d-7d51a4525280",
    "84078894-bae1-4399-b869-7b42a5240f02",
    "217e8d68-4d83-4295-bb4b-3b6c2922caf3",
    "5caf0042-0e73-4766-bbcc-a1c16cb4afd7",
];

/// The reference's "never" under Europe/Paris.
pub const SENTINEL: &str = "1970-01-01 01:00:00";

/// An account id as the database stores it.
pub fn stored(dashed: &str) -> String {
    dashed.replace('-', "")
}

pub struct Collector {
    pub db: TestDb,
    pub api: Harness,
    /// What the fake's data endpoints serve (the job tests fill it).
    pub scenario: Arc<Mutex<Scenario>>,
}

impl Collector {
    /// A migrated database (zone tree loaded when `zones`), the fake API
    /// serving an empty scenario behind valid Core and Live tokens.
    pub fn new(zones: bool) -> Collector {
        let db = TestDb::unique();
        let args: &[&str] = if zones {
            &["init-db", "--zones"]
        } else {
            &["init-db"]
        };
        db.mmstatus(args).assert_ok();
        let api = Harness::new();
        api.with_valid_tokens();
        let scenario = Scenario::default().install(&api.fake, Some(api.authority.clone()));
        Collector { db, api, scenario }
    }

    pub fn conn(&self) -> MysqlConnection {
        self.db.conn()
    }

    /// The database's URL through `relay` instead of straight to the server.
    pub fn url_via(&self, relay: &Relay) -> String {
        let mut url = url::Url::parse(&self.db.url()).unwrap();
        url.set_host(Some(&relay.addr.ip().to_string())).unwrap();
        url.set_port(Some(relay.addr.port())).unwrap();
        url.to_string()
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.api.dir.join("cache")
    }

    /// What every run gets: the database, the fake's URLs, the credentials
    /// file, a generous rate, short timeouts.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = self.api.fake.env();
        for (name, value) in [
            ("DATABASE_URL", self.db.url()),
            ("MMSTATUS_TZ", TEST_TZ.to_string()),
            (
                "NADEO_CREDENTIALS_FILE",
                self.api.credentials_path().display().to_string(),
            ),
            ("MMSTATUS_MAX_RPS", "1000".to_string()),
            ("MMSTATUS_OAUTH_MAX_RPS", "1000".to_string()),
            ("MMSTATUS_HTTP_TIMEOUT", "5".to_string()),
            ("START_ID", "0".to_string()),
        ] {
            env.push((name.to_string(), value));
        }
        env
    }

    /// Runs `mmstatus <args>` in the working folder with [`Collector::env`]
    /// plus `extra` (which wins).
    pub fn run(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut command = self.command(args, extra);
        let output = command.output().expect("mmstatus runs");
        Run {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// The command [`Collector::run`] runs, to spawn and control (kill) it.
    pub fn command(&self, args: &[&str], extra: &[(&str, &str)]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mmstatus"));
        command
            .args(args)
            .env_clear()
            .envs(self.env())
            .envs(extra.iter().copied())
            .current_dir(&self.api.dir);
        command
    }

    /// `mmstatus fetch --once --jobs <jobs>`.
    pub fn fetch_once(&self, jobs: &str) -> Run {
        self.run(&["fetch", "--once", "--jobs", jobs], &[])
    }

    /// The health file the last run wrote.
    pub fn health(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(self.cache_dir().join("thread_health.json"))
            .expect("a health file");
        serde_json::from_str(&text).unwrap()
    }
}
