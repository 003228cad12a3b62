//! Secrets never reach the logs, whatever RUST_LOG says.
//!
//! The logger is process-wide, so each RUST_LOG value runs in a child
//! process: this test executable again, running only the ignored test
//! [`child_refreshes_and_calls_the_api`], which installs the binary's logger
//! and talks to the parent's fake API. The parent then searches the child's
//! output for every secret that crossed the wire.

use crate::fake_nadeo::{jwt, unix_now, Reply, Scenario, PLAYERS};
use crate::nadeo_harness::Harness;
use mmstatus::cli::logging::init_logging;
use mmstatus::cli::GlobalOpts;
use mmstatus::ids::AccountId;
use mmstatus::nadeo::{CredentialKey, NadeoClient, NadeoConfig};
use mmstatus::time::LocalZone;
use serde_json::{json, Value};
use std::process::Command;

const CHILD: &str = "nadeo_logging::child_refreshes_and_calls_the_api";
const CHILD_MODE: &str = "MMSTATUS_TEST_LOG_CHILD";
const SECOND_FILE: &str = "MMSTATUS_TEST_LOG_SECOND_CREDENTIALS";
const BASIC: &str = "/core/v2/authentication/token/basic";
const LOGIN: &str = "bot@example.org";
const PASSWORD: &str = "service-password-Zq8";
const CORE_BOOT: &str = "core-bootstrap-refresh-token";

/// The RUST_LOG values tried: the HTTP stack's modules named in every way.
const RUST_LOG_VARIANTS: &[&str] = &[
    "trace",
    "ureq_proto::util=trace",
    "ureq=trace,ureq_proto=trace",
    "ureq_proto::client=trace",
    "ureq_proto::body=trace",
    "ureq::run=trace,ureq::unversioned=trace",
    "warn,ureq_proto=trace,rustls=trace,http=trace",
    "ureq_proto::util=trace,ureq_proto=info",
];

/// Runs in the child only: a Core bootstrap, the Live exchange, a Meet call,
/// an OAuth refresh and call, a forced Core refresh and a service-account
/// login, all logged by the binary's logger.
#[test]
#[ignore = "run by the_http_stack_never_logs_secrets in a child process"]
fn child_refreshes_and_calls_the_api() {
    if std::env::var_os(CHILD_MODE).is_none() {
        return;
    }
    init_logging(&GlobalOpts {
        database_url: None,
        verbose: 2,
        quiet: false,
    });
    let config = NadeoConfig::from_process_env().unwrap();
    let zone = LocalZone::from_setting(Some("Europe/Paris")).unwrap();
    let client = NadeoClient::new(config.clone(), zone);
    assert!(client.match_teams(1).unwrap_err().is_not_found());
    let player = AccountId::parse(PLAYERS[0]).unwrap();
    let names = client.display_names(&[player]).into_result().unwrap();
    assert_eq!(names.len(), 1);
    let core = client.access_token(CredentialKey::Core).unwrap();
    client.refresh(CredentialKey::Core, Some(&core)).unwrap();

    let mut login_only = config;
    login_only.credentials_file = std::env::var(SECOND_FILE).unwrap().into();
    login_only.bootstrap.core_refresh_token = None;
    NadeoClient::new(login_only, zone)
        .access_token(CredentialKey::Core)
        .unwrap();
}

#[test]
fn the_http_stack_never_logs_secrets() {
    for rust_log in RUST_LOG_VARIANTS {
        let h = Harness::new();
        let second_file = h.dir.join("second_credentials.json");
        let output = run_child(&h, rust_log, &second_file);
        assert!(
            output.status.success() && output.stdout.contains("1 passed"),
            "RUST_LOG={rust_log}: the child failed:\n{}\n{}",
            output.stdout,
            output.stderr
        );
        assert!(
            output.stderr.contains("new token"),
            "RUST_LOG={rust_log}: the child logged through the binary's logger:\n{}",
            output.stderr
        );
        let logged = format!(
            "{}\n{}\n{}",
            output.stdout,
            output.stderr,
            undump(&output.stderr)
        );
        for secret in secrets(&h, &second_file) {
            assert!(
                !logged.contains(&secret),
                "RUST_LOG={rust_log}: a secret ({}…) is in the output:\n{}",
                &secret[..secret.len().min(6)],
                output.stderr
            );
        }
    }
}

struct Output {
    status: std::process::ExitStatus,
    stdout: String,
    stderr: String,
}

fn run_child(h: &Harness, rust_log: &str, second_file: &std::path::Path) -> Output {
    Scenario {
        names: [(PLAYERS[0].to_string(), "Someone".to_string())].into(),
        ..Scenario::default()
    }
    .install(&h.fake, Some(h.authority.clone()));
    h.authority.grant_refresh(CORE_BOOT, "NadeoServices");
    let env = h.oauth_env();
    let login_access = jwt(unix_now() + 3600, "NadeoServices");
    h.fake.on(
        "POST",
        BASIC,
        vec![Reply::ok(
            &json!({"accessToken": login_access, "refreshToken": "login-refresh-token"}),
        )],
    );
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            CHILD,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_clear()
        .current_dir(&h.dir)
        .env(CHILD_MODE, "1")
        .env("RUST_LOG", rust_log)
        .env("NADEO_CREDENTIALS_FILE", h.credentials_path())
        .env(SECOND_FILE, second_file)
        .env("NADEO_REFRESH_TOKEN", CORE_BOOT)
        .env("NADEO_SERVICE_LOGIN", LOGIN)
        .env("NADEO_SERVICE_PASSWORD", PASSWORD)
        .env("MMSTATUS_MAX_RPS", "1000")
        .env("MMSTATUS_OAUTH_MAX_RPS", "1000")
        .env("MMSTATUS_HTTP_TIMEOUT", "5");
    for (name, value) in h.fake.env().into_iter().chain(
        env.iter()
            .map(|(name, value)| (name.to_string(), value.to_string())),
    ) {
        command.env(name, value);
    }
    let output = command.output().expect("the test executable runs");
    Output {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Every secret that crossed the wire: Authorization values and the tokens
/// in them, form fields, the tokens in both credentials files, and the
/// configured ones.
fn secrets(h: &Harness, second_file: &std::path::Path) -> Vec<String> {
    use base64::Engine;
    let mut found = vec![
        CORE_BOOT.to_string(),
        "oauth-boot".to_string(),
        "client-secret".to_string(),
        PASSWORD.to_string(),
        base64::engine::general_purpose::STANDARD.encode(format!("{LOGIN}:{PASSWORD}")),
    ];
    for request in h.fake.requests() {
        found.extend(request.authorization.clone());
        found.extend(request.token());
        for field in ["refresh_token", "client_secret"] {
            found.extend(request.form(field));
        }
    }
    let files = [h.credentials_path(), second_file.to_path_buf()];
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        for entry in value.as_object().unwrap().values() {
            for field in ["access_token", "refresh_token"] {
                found.extend(entry[field].as_str().map(str::to_string));
            }
        }
    }
    found.retain(|s| !s.is_empty());
    assert!(found.len() > 10, "the child made its calls: {found:?}");
    found
}

/// The bytes of the HTTP client's hex dumps (rows of 16 bytes as eight
/// groups of four hex digits, `--` for none), joined: a secret cut across
/// two rows is whole again.
fn undump(log: &str) -> String {
    let mut bytes = Vec::new();
    for line in log.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let is_group =
            |w: &&str| w.len() == 4 && w.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        let Some(start) =
            (0..words.len().saturating_sub(7)).find(|&i| words[i..i + 8].iter().all(is_group))
        else {
            continue;
        };
        for group in &words[start..start + 8] {
            for pair in [&group[..2], &group[2..]] {
                if let Ok(byte) = u8::from_str_radix(pair, 16) {
                    bytes.push(byte);
                }
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn hex_dumps_are_read_back() {
    let log =
        "[T TRACE ureq_proto::util] 4175 7468 6f72 697a 6174 696f 6e3a 206e Authorization:.n\n\
               [T TRACE ureq_proto::util] 6164 656f ---- ---- ---- ---- ---- ---- adeo............";
    assert_eq!(undump(log), "Authorization: nadeo");
}
