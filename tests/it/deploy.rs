//! The shipped schedule (`crontab`, an /etc/cron.d file): every job names the
//! user, runs a command line mmstatus accepts, and logs to a file.

use clap::Parser;
use mmstatus::cli::Cli;

struct Job {
    user: String,
    command: String,
}

fn jobs() -> Vec<Job> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/crontab")).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| !l.split_whitespace().next().unwrap().contains('='))
        .map(|line| {
            let fields: Vec<&str> = line.splitn(7, char::is_whitespace).collect();
            assert_eq!(fields.len(), 7, "five times, a user, a command: {line}");
            Job {
                user: fields[5].to_string(),
                command: fields[6].to_string(),
            }
        })
        .collect()
}

/// The words of each `mmstatus …` invocation in a shell command (no quoting
/// is used in the schedule).
fn invocations(command: &str) -> Vec<Vec<String>> {
    command
        .split("&&")
        .map(|part| part.split(">>").next().unwrap().trim())
        .filter(|part| part.starts_with("mmstatus "))
        .map(|part| part.split_whitespace().map(str::to_string).collect())
        .collect()
}

#[test]
fn every_job_runs_a_valid_command_as_the_service_user_and_logs_to_a_file() {
    let jobs = jobs();
    assert!(!jobs.is_empty());
    for job in jobs {
        assert_eq!(job.user, "mmstatus", "{}", job.command);
        assert!(
            job.command.starts_with("cd /var/lib/mmstatus && "),
            "jobs run in the working folder, where .env is: {}",
            job.command
        );
        let runs = invocations(&job.command);
        assert_eq!(runs.len(), 1, "{}", job.command);
        if let Err(e) = Cli::try_parse_from(&runs[0]) {
            panic!("{:?} is not a valid command line: {e}", runs[0]);
        }
        assert!(
            job.command.contains(">>/var/log/mmstatus/") && job.command.ends_with("2>&1"),
            "output and errors go to a log file: {}",
            job.command
        );
    }
}

#[test]
fn the_statistics_run_at_the_reference_cadence() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/crontab")).unwrap();
    let schedule_of = |part: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter(|l| l.contains(&format!("mmstatus compute-stats --only {part}")))
            .map(|l| l.split_whitespace().take(5).collect::<Vec<_>>().join(" "))
            .collect()
    };
    assert_eq!(schedule_of("rollups"), ["*/3 * * * *"], "stats.md §2.4");
    let hourly = schedule_of("statistics");
    assert_eq!(hourly.len(), 1, "{hourly:?}");
    assert!(hourly[0].ends_with(" * * * *"), "hourly: {hourly:?}");
    assert!(hourly[0].split(' ').next().unwrap().parse::<u32>().is_ok());
}

#[test]
fn the_schedule_sets_its_environment() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/crontab")).unwrap();
    for variable in ["SHELL=", "PATH=", "CRON_TZ="] {
        assert!(
            text.lines().any(|l| l.starts_with(variable)),
            "crontab sets {variable}"
        );
    }
}

fn env_example() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example")).unwrap()
}

#[test]
fn env_example_copied_to_env_is_read_by_mmstatus() {
    let db = crate::common::TestDb::unique();
    db.mmstatus(&["init-db"]).assert_ok();
    let dir = crate::common::scratch_dir();
    std::fs::write(dir.join(".env"), env_example()).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mmstatus"))
        .args(["--database-url", &db.url(), "create-season", "--list"])
        .env_clear()
        .current_dir(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every setting .env.example shows, commented out or not, is one mmstatus
/// accepts as written.
#[test]
fn every_value_env_example_shows_is_accepted() {
    let dir = crate::common::scratch_dir();
    let uncommented: String = env_example()
        .lines()
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        .filter(|l| {
            l.split('=').next().is_some_and(|k| {
                !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
        })
        .filter(|l| l.contains('='))
        .map(|l| format!("{l}\n"))
        .collect();
    let path = dir.join(".env");
    std::fs::write(&path, &uncommented).unwrap();
    let values: std::collections::HashMap<String, String> = dotenvy::from_path_iter(&path)
        .unwrap()
        .map(|pair| pair.unwrap())
        .collect();
    assert!(values.len() >= 20, "{values:?}");
    let lookup = |name: &str| values.get(name).cloned();
    mmstatus::config::Config::from_env(None, &mmstatus::env::infallible(&lookup)).unwrap();
    mmstatus::nadeo::NadeoConfig::from_env(&lookup, &dir).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
