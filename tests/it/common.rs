//! Test harness: a real MariaDB/MySQL server, one fresh database per test, and
//! the `mmstatus` binary run as a user would run it.
//!
//! The server comes from MMSTATUS_TEST_DATABASE_URL (the environment, else the
//! project's .env), else from the URL scripts/dev-db recorded when it started
//! the local server (in MMSTATUS_DEV_DB_DIR, default .dev/mariadb), else
//! mysql://root:root@127.0.0.1:3306.

use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::{sql_query, Connection, MysqlConnection, QueryableByName, RunQueryDsl};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

pub const DEFAULT_SERVER: &str = "mysql://root:root@127.0.0.1:3306";
pub const TEST_TZ: &str = "Europe/Paris";

pub fn server_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        setting("MMSTATUS_TEST_DATABASE_URL")
            .or_else(dev_db_url)
            .unwrap_or_else(|| DEFAULT_SERVER.to_string())
            .trim_end_matches('/')
            .to_string()
    })
    .clone()
}

/// A setting from the environment, else from the project's .env (as the
/// scripts read them).
fn setting(name: &str) -> Option<String> {
    if let Ok(value) = std::env::var(name) {
        return Some(value);
    }
    let dotenv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".env");
    dotenvy::from_path_iter(dotenv)
        .ok()?
        .filter_map(Result::ok)
        .filter(|(key, _)| key == name)
        .last()
        .map(|(_, value)| value)
}

/// The server URL scripts/dev-db wrote when it started the local server.
fn dev_db_url() -> Option<String> {
    let project = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = setting("MMSTATUS_DEV_DB_DIR")
        .filter(|d| !d.is_empty())
        .map_or_else(|| project.join(".dev/mariadb"), |d| project.join(d));
    let url = std::fs::read_to_string(dir.join("test-database-url")).ok()?;
    Some(url.trim().to_string()).filter(|u| !u.is_empty())
}

fn server_connection() -> MysqlConnection {
    let url = server_url();
    MysqlConnection::establish(&url).unwrap_or_else(|e| {
        panic!(
            "cannot connect to the test server {} ({e}); start one with scripts/dev-db or set \
             MMSTATUS_TEST_DATABASE_URL",
            mask_password(&url)
        )
    })
}

fn mask_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_password(Some("****"));
            parsed.to_string()
        }
        Err(_) => "(unparsable MMSTATUS_TEST_DATABASE_URL)".to_string(),
    }
}

fn unique_name() -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "mmstatus_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        nanos % 1_000_000
    )
}

/// A database of its own for one test, dropped when the test ends.
pub struct TestDb {
    pub name: String,
}

impl TestDb {
    /// A new, empty database (utf8mb4_general_ci).
    pub fn create() -> TestDb {
        let db = TestDb::unique();
        server_connection()
            .batch_execute(&format!(
                "CREATE DATABASE `{}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
                db.name
            ))
            .unwrap();
        db
    }

    /// A unique name whose database does not exist yet (dropped at the end if
    /// the test created it).
    pub fn unique() -> TestDb {
        TestDb {
            name: unique_name(),
        }
    }

    pub fn url(&self) -> String {
        format!("{}/{}", server_url(), self.name)
    }

    pub fn conn(&self) -> MysqlConnection {
        MysqlConnection::establish(&self.url()).unwrap()
    }

    /// Runs `mmstatus` with this database as DATABASE_URL.
    pub fn mmstatus(&self, args: &[&str]) -> Run {
        mmstatus_with_env(args, &[("DATABASE_URL", &self.url())])
    }

    pub fn exists(&self) -> bool {
        scalar_string(
            &mut server_connection(),
            &format!(
                "SELECT schema_name AS value FROM information_schema.schemata WHERE schema_name = '{}'",
                self.name
            ),
        )
        .is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut conn) = MysqlConnection::establish(&server_url()) {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS `{}`", self.name));
        }
    }
}

/// The outcome of one `mmstatus` run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn assert_ok(&self) -> &Run {
        assert_eq!(self.code, 0, "expected success: {self:#?}");
        self
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(self.code, code, "expected exit code {code}: {self:#?}");
        self
    }

    #[track_caller]
    pub fn assert_stdout_contains(&self, text: &str) -> &Run {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}: {self:#?}"
        );
        self
    }

    /// Failures print exactly one line, on stderr, saying `text`.
    #[track_caller]
    pub fn assert_error_line(&self, text: &str) -> &Run {
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "expected one error line: {self:#?}");
        assert!(lines[0].starts_with("mmstatus: error: "), "{self:#?}");
        assert!(lines[0].contains(text), "stderr lacks {text:?}: {self:#?}");
        self
    }
}

/// Runs the binary with a clean environment (plus `env`), in an empty
/// directory so no developer .env file is read.
pub fn mmstatus_with_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    mmstatus_with_os_env(args, env)
}

/// [`mmstatus_with_env`] with values that need not be UTF-8.
pub fn mmstatus_with_os_env<V: AsRef<std::ffi::OsStr>>(args: &[&str], env: &[(&str, V)]) -> Run {
    let dir = scratch_dir();
    let mut command = Command::new(env!("CARGO_BIN_EXE_mmstatus"));
    command
        .args(args)
        .env_clear()
        .env("MMSTATUS_TZ", TEST_TZ)
        .current_dir(&dir);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("mmstatus runs");
    let _ = std::fs::remove_dir_all(&dir);
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

pub fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(unique_name());
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[derive(QueryableByName)]
struct StringValue {
    #[diesel(sql_type = Nullable<Text>)]
    value: Option<String>,
}

#[derive(QueryableByName)]
struct CountValue {
    #[diesel(sql_type = BigInt)]
    value: i64,
}

/// First column of the first row, as text (`value` alias required).
pub fn scalar_string(conn: &mut MysqlConnection, sql: &str) -> Option<String> {
    sql_query(sql)
        .load::<StringValue>(conn)
        .unwrap()
        .into_iter()
        .next()
        .and_then(|r| r.value)
}

/// All rows of a one-column query (`value` alias required).
pub fn strings(conn: &mut MysqlConnection, sql: &str) -> Vec<String> {
    sql_query(sql)
        .load::<StringValue>(conn)
        .unwrap()
        .into_iter()
        .map(|r| r.value.unwrap_or_else(|| "NULL".to_string()))
        .collect()
}

pub fn count(conn: &mut MysqlConnection, sql: &str) -> i64 {
    sql_query(sql).get_result::<CountValue>(conn).unwrap().value
}

pub fn table_names(conn: &mut MysqlConnection) -> Vec<String> {
    strings(
        conn,
        "SELECT table_name AS value FROM information_schema.tables \
         WHERE table_schema = DATABASE() ORDER BY table_name",
    )
}
