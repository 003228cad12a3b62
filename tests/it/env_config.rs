//! Values from the environment: bounds of every number, what an empty value
//! means, values that are not UTF-8. Database settings go through the binary;
//! the Nadeo settings (no subcommand loads them yet) through
//! `NadeoConfig::from_env` and, in a child process, `from_process_env`.

use crate::common::{
    mmstatus_with_env, mmstatus_with_os_env, scratch_dir, server_url, TestDb, TEST_TZ,
};
use diesel::connection::SimpleConnection;
use diesel::{Connection, MysqlConnection};
use mmstatus::nadeo::{NadeoClient, NadeoConfig};
use mmstatus::time::LocalZone;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;

const NOT_UTF8: &[u8] = b"caf\xe9";

fn not_utf8() -> &'static OsStr {
    OsStr::from_bytes(NOT_UTF8)
}

fn server() -> url::Url {
    url::Url::parse(&server_url()).unwrap()
}

/// The reference's variables pointing at the test server, without a password.
fn reference_env<'a>(db: &'a TestDb, user: &'a str, port: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("DATABASE_HOST", "127.0.0.1"),
        ("DATABASE_PORT", port),
        ("DATABASE_USER", user),
        ("DATABASE_NAME", &db.name),
    ]
}

/// A MySQL user with an empty password and every privilege on one database,
/// dropped at the end of the test.
struct PasswordlessUser {
    name: String,
}

impl PasswordlessUser {
    fn create(db: &TestDb) -> PasswordlessUser {
        let name = format!("mmu_{}", db.name.trim_start_matches("mmstatus_test_"));
        admin()
            .batch_execute(&format!(
                "CREATE USER '{name}'@'%' IDENTIFIED BY ''; \
             GRANT ALL PRIVILEGES ON `{}`.* TO '{name}'@'%'",
                db.name
            ))
            .unwrap();
        PasswordlessUser { name }
    }
}

impl Drop for PasswordlessUser {
    fn drop(&mut self) {
        let _ = admin().batch_execute(&format!("DROP USER IF EXISTS '{}'@'%'", self.name));
    }
}

fn admin() -> MysqlConnection {
    MysqlConnection::establish(&server_url()).unwrap()
}

#[test]
fn an_empty_database_password_is_an_empty_password() {
    let db = TestDb::create();
    let user = PasswordlessUser::create(&db);
    let port = server().port().unwrap_or(3306).to_string();
    let mut env = reference_env(&db, &user.name, &port);
    env.push(("DATABASE_PASSWORD", ""));
    mmstatus_with_env(&["migrate"], &env)
        .assert_ok()
        .assert_stdout_contains("applied");

    // Unset, the password is the reference's default, which this user lacks.
    let run = mmstatus_with_env(
        &["migrate", "--status"],
        &reference_env(&db, &user.name, &port),
    );
    run.assert_code(3)
        .assert_error_line("refused the credentials");
}

#[test]
fn database_port_is_bounded() {
    for value in ["0", "65536", "-1", "1e300", "3306.5", "", "NaN"] {
        mmstatus_with_env(&["migrate"], &[("DATABASE_PORT", value)])
            .assert_code(2)
            .assert_error_line(&format!(
                "DATABASE_PORT must be a port number from 1 to 65535, not {value:?}"
            ));
    }
    mmstatus_with_env(
        &["migrate"],
        &[("DATABASE_URL", "mysql://u:p@127.0.0.1:0/db")],
    )
    .assert_code(2)
    .assert_error_line("DATABASE_URL: the port must be from 1 to 65535");
}

#[test]
fn empty_settings_are_refused_by_name() {
    let db = TestDb::unique();
    for name in [
        "DATABASE_URL",
        "DATABASE_HOST",
        "DATABASE_USER",
        "DATABASE_NAME",
    ] {
        mmstatus_with_env(&["migrate"], &[(name, "")])
            .assert_code(2)
            .assert_error_line(&format!("{name} is set but empty"));
    }
    mmstatus_with_env(
        &["migrate"],
        &[("DATABASE_URL", &db.url()), ("MMSTATUS_TZ", "")],
    )
    .assert_code(2)
    .assert_error_line("MMSTATUS_TZ is set but empty");
}

#[test]
fn values_that_are_not_utf8_are_refused_by_name() {
    let db = TestDb::unique();
    let url = db.url();
    for name in ["DATABASE_URL", "DATABASE_PASSWORD", "DATABASE_HOST"] {
        let run = mmstatus_with_os_env(&["migrate"], &[(name, not_utf8())]);
        run.assert_code(2)
            .assert_error_line(&format!("{name} is not valid UTF-8"));
    }
    mmstatus_with_os_env(
        &["migrate"],
        &[
            ("DATABASE_URL", OsStr::new(&url)),
            ("MMSTATUS_TZ", not_utf8()),
        ],
    )
    .assert_code(2)
    .assert_error_line("MMSTATUS_TZ is not valid UTF-8");
}

/// Numbers outside their documented range, with the range each message names.
const OUT_OF_RANGE: &[(&str, &str, &str)] = &[
    ("MMSTATUS_HTTP_TIMEOUT", "1e300", "from 0.1 to 600"),
    ("MMSTATUS_HTTP_TIMEOUT", "0", "from 0.1 to 600"),
    ("MMSTATUS_HTTP_TIMEOUT", "601", "from 0.1 to 600"),
    ("MMSTATUS_HTTP_TIMEOUT", "-5", "from 0.1 to 600"),
    ("MMSTATUS_HTTP_TIMEOUT", "inf", "from 0.1 to 600"),
    ("MMSTATUS_HTTP_TIMEOUT", "NaN", "from 0.1 to 600"),
    ("MMSTATUS_HTTP_TIMEOUT", "", "from 0.1 to 600"),
    ("MMSTATUS_HTTP_CONNECT_TIMEOUT", "1e300", "from 0.1 to 600"),
    ("MMSTATUS_HTTP_CONNECT_TIMEOUT", "0.01", "from 0.1 to 600"),
    ("MMSTATUS_MAX_RPS", "1e-300", "from 0.01 to 10000"),
    ("MMSTATUS_MAX_RPS", "1e300", "from 0.01 to 10000"),
    ("MMSTATUS_MAX_RPS", "0", "from 0.01 to 10000"),
    ("MMSTATUS_MAX_RPS", "NaN", "from 0.01 to 10000"),
    ("MMSTATUS_OAUTH_MAX_RPS", "1e-300", "from 0.01 to 10000"),
    ("MMSTATUS_OAUTH_MAX_RPS", "10001", "from 0.01 to 10000"),
    ("MMSTATUS_MATCHMAKING_ID", "0", "from 1 to 1000000"),
    ("MMSTATUS_MATCHMAKING_ID", "-1", "from 1 to 1000000"),
    ("MMSTATUS_MATCHMAKING_ID", "4294967296", "from 1 to 1000000"),
    ("MMSTATUS_MATCHMAKING_ID", "2.5", "from 1 to 1000000"),
    ("MMSTATUS_MATCHMAKING_ID", "", "from 1 to 1000000"),
];

fn nadeo_config(pairs: &[(&str, &str)]) -> mmstatus::error::Result<NadeoConfig> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    NadeoConfig::from_env(&move |name| map.get(name).cloned(), &scratch_dir())
}

#[test]
fn nadeo_numbers_outside_their_range_are_usage_errors() {
    for (name, value, range) in OUT_OF_RANGE {
        let err = nadeo_config(&[(name, value)]).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{name}={value}: {err}");
        let message = err.to_string();
        for part in [*name, *range, &format!("{value:?}")] {
            assert!(message.contains(part), "{name}={value}: {message}");
        }
    }
}

#[test]
fn nadeo_numbers_at_their_bounds_make_a_working_client() {
    for (rps, timeout, id) in [("0.01", "0.1", "1"), ("10000", "600", "1000000")] {
        let config = nadeo_config(&[
            ("MMSTATUS_MAX_RPS", rps),
            ("MMSTATUS_OAUTH_MAX_RPS", rps),
            ("MMSTATUS_HTTP_TIMEOUT", timeout),
            ("MMSTATUS_HTTP_CONNECT_TIMEOUT", timeout),
            ("MMSTATUS_MATCHMAKING_ID", id),
        ])
        .unwrap();
        assert_eq!(config.max_rps, rps.parse::<f64>().unwrap());
        assert_eq!(
            config.timeout.as_secs_f64(),
            timeout.parse::<f64>().unwrap()
        );
        assert_eq!(config.matchmaking_id, id.parse::<u32>().unwrap());
        NadeoClient::new(config, LocalZone::from_setting(Some(TEST_TZ)).unwrap());
    }
}

#[test]
fn empty_nadeo_settings_mean_what_the_readme_says() {
    // Tokens, secrets and the service account: empty means none configured.
    let config = nadeo_config(&[
        ("NADEO_REFRESH_TOKEN", ""),
        ("UBISOFT_OAUTH_REFRESH_TOKEN", " "),
        ("CLIENT_ID", ""),
        ("CLIENT_SECRET", ""),
        ("NADEO_SERVICE_LOGIN", ""),
        ("NADEO_SERVICE_PASSWORD", ""),
    ])
    .unwrap();
    assert_eq!(config.bootstrap, Default::default());
    // Any other setting: empty is refused, by name.
    for name in [
        "MMSTATUS_CORE_URL",
        "MMSTATUS_LIVE_URL",
        "MMSTATUS_MEET_URL",
        "MMSTATUS_OAUTH_URL",
        "MMSTATUS_USER_AGENT",
        "NADEO_CREDENTIALS_FILE",
    ] {
        let err = nadeo_config(&[(name, "")]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string()
                .contains(&format!("{name} is set but empty")),
            "{name}: {err}"
        );
    }
}

#[test]
fn a_user_agent_an_http_header_cannot_carry_is_refused() {
    for agent in ["mmstatus\n(you@example.org)", "tab\there", "del\u{7f}"] {
        let err = nadeo_config(&[("MMSTATUS_USER_AGENT", agent)]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string()
                .starts_with("MMSTATUS_USER_AGENT contains control characters"),
            "{agent:?}: {err}"
        );
    }
    let config = nadeo_config(&[(
        "MMSTATUS_USER_AGENT",
        "mmstatus/0.1 (José, you@example.org)",
    )]);
    assert_eq!(
        config.unwrap().user_agent,
        "mmstatus/0.1 (José, you@example.org)"
    );
}

/// Set in the child process started by `nadeo_config_from_the_process_environment`.
const CHILD: &str = "MMSTATUS_TEST_NADEO_CONFIG_CHILD";
const CHILD_RESULT: &str = "child-result:";

/// Not a test of its own: the body of the child process below, which loads the
/// Nadeo configuration from its real environment, as the binary will.
#[test]
#[ignore = "the body of a child process of nadeo_config_from_the_process_environment"]
fn nadeo_config_child() {
    assert!(
        std::env::var_os(CHILD).is_some(),
        "run only as a child process"
    );
    match NadeoConfig::from_process_env() {
        Ok(config) => println!("{CHILD_RESULT}ok {}", config.max_rps),
        Err(e) => println!("{CHILD_RESULT}{} {e}", e.exit_code()),
    }
}

/// What `NadeoConfig::from_process_env` says in a process with `env` only.
fn from_process_env(env: &[(&str, &OsStr)]) -> String {
    let dir = scratch_dir();
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "env_config::nadeo_config_child",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env_clear()
        .env(CHILD, "1")
        .current_dir(&dir);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "the child panicked: {output:?}");
    stdout
        .lines()
        .find_map(|line| line.strip_prefix(CHILD_RESULT))
        .unwrap_or_else(|| panic!("no result from the child: {output:?}"))
        .to_string()
}

#[test]
fn nadeo_config_from_the_process_environment() {
    assert_eq!(from_process_env(&[]), "ok 5");
    assert_eq!(
        from_process_env(&[("MMSTATUS_MAX_RPS", OsStr::new("7.5"))]),
        "ok 7.5"
    );
    for (name, value, range) in OUT_OF_RANGE {
        let result = from_process_env(&[(name, OsStr::new(value))]);
        assert!(
            result.starts_with("2 ") && result.contains(name) && result.contains(range),
            "{name}={value}: {result}"
        );
    }
    for name in ["MMSTATUS_MAX_RPS", "CLIENT_SECRET", "MMSTATUS_CORE_URL"] {
        let result = from_process_env(&[(name, not_utf8())]);
        assert_eq!(result, format!("2 {name} is not valid UTF-8"));
    }
}
