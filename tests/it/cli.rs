//! The command line itself: help texts, usage errors, configuration errors.

use crate::common::{mmstatus_with_env, TestDb};

#[test]
fn every_subcommand_has_help() {
    let top = mmstatus_with_env(&["--help"], &[]);
    top.assert_ok();
    for sub in ["init-db", "migrate", "create-season"] {
        assert!(top.stdout.contains(sub), "top-level help lists {sub}");
    }
    assert!(top.stdout.contains("Exit codes"), "{}", top.stdout);
    for (sub, flags) in [
        ("init-db", &["--zones", "--zones-file"][..]),
        ("migrate", &["--status"][..]),
        (
            "create-season",
            &["--name", "--start", "--end", "--allow-overlap", "--list"][..],
        ),
    ] {
        let help = mmstatus_with_env(&[sub, "--help"], &[]);
        help.assert_ok();
        for flag in flags {
            assert!(
                help.stdout.contains(flag),
                "{sub} --help lacks {flag}: {}",
                help.stdout
            );
        }
        assert!(
            help.stdout.contains("--database-url"),
            "{sub} shows global flags"
        );
    }
}

#[test]
fn usage_errors_exit_with_two() {
    mmstatus_with_env(&[], &[]).assert_code(2);
    mmstatus_with_env(&["fetch-everything"], &[]).assert_code(2);
    mmstatus_with_env(&["migrate", "--bogus"], &[]).assert_code(2);
    mmstatus_with_env(&["create-season", "--name", "x"], &[]).assert_code(2);
    mmstatus_with_env(&["create-season", "--list", "--name", "x"], &[]).assert_code(2);
    mmstatus_with_env(&["-q", "-v", "migrate"], &[]).assert_code(2);
}

#[test]
fn missing_configuration_is_explained() {
    mmstatus_with_env(&["migrate"], &[])
        .assert_code(2)
        .assert_error_line("no database configured");
    mmstatus_with_env(&["migrate"], &[("DATABASE_URL", "postgres://u@h/db")])
        .assert_code(2)
        .assert_error_line("DATABASE_URL: scheme must be mysql://");
    mmstatus_with_env(&["migrate"], &[("DATABASE_PORT", "x")])
        .assert_code(2)
        .assert_error_line("DATABASE_PORT");
    let db = TestDb::unique();
    mmstatus_with_env(
        &["migrate"],
        &[("DATABASE_URL", &db.url()), ("MMSTATUS_TZ", "Paris")],
    )
    .assert_code(2)
    .assert_error_line("MMSTATUS_TZ=\"Paris\" is not an IANA time zone");
}

#[test]
fn reference_variables_reach_the_server_and_port() {
    // Built from DATABASE_* (port honoured), the URL reaches the test server:
    // the database does not exist, which only a reached server can say.
    let server = url::Url::parse(&crate::common::server_url()).unwrap();
    let db = TestDb::unique();
    let port = server.port().unwrap_or(3306).to_string();
    let run = mmstatus_with_env(
        &["migrate"],
        &[
            ("DATABASE_HOST", server.host_str().unwrap()),
            ("DATABASE_PORT", &port),
            ("DATABASE_USER", server.username()),
            ("DATABASE_PASSWORD", server.password().unwrap_or("")),
            ("DATABASE_NAME", &db.name),
        ],
    );
    run.assert_code(3)
        .assert_error_line(&format!("database `{}` does not exist", db.name));
}

#[test]
fn env_file_is_read_and_real_environment_wins() {
    let db = TestDb::unique();
    let dir = crate::common::scratch_dir();
    std::fs::write(dir.join(".env"), format!("DATABASE_URL={}\n", db.url())).unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_mmstatus"))
        .arg("migrate")
        .env_clear()
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains(&db.name), "the .env URL was used: {stderr}");

    let run = std::process::Command::new(env!("CARGO_BIN_EXE_mmstatus"))
        .arg("migrate")
        .env_clear()
        .env("DATABASE_URL", "mysql://u:p@127.0.0.1:1/fromenv")
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("127.0.0.1:1"),
        "the environment won: {stderr}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn database_failures_have_their_own_messages_and_no_secrets() {
    let server = crate::common::server_url();
    let wrong = {
        let mut url = url::Url::parse(&server).unwrap();
        url.set_password(Some("definitely-wrong-pw")).unwrap();
        url.set_path("mysql");
        url.to_string()
    };
    let run = mmstatus_with_env(&["migrate"], &[("DATABASE_URL", &wrong)]);
    run.assert_code(3)
        .assert_error_line("refused the credentials");
    assert!(!run.stderr.contains("definitely-wrong-pw"));

    let run = mmstatus_with_env(
        &[
            "--database-url",
            "mysql://root:sekrit@127.0.0.1:1/db",
            "migrate",
        ],
        &[],
    );
    run.assert_code(3)
        .assert_error_line("cannot reach the database server at 127.0.0.1:1");
    assert!(!run.stderr.contains("sekrit"));

    let db = TestDb::unique();
    db.mmstatus(&["migrate"])
        .assert_code(3)
        .assert_error_line("create it with `mmstatus init-db`");
}
