//! The mmstatus-sim program as a child process: its settings line, tokens
//! that rotate, a world decided by its seed, the fault flags, its exit.

use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Sim {
    child: Child,
    settings: HashMap<String, String>,
}

impl Sim {
    fn start(args: &[&str]) -> Sim {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mmstatus-sim"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mmstatus-sim starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let settings = mmstatus_sim::parse_settings_line(&line)
            .into_iter()
            .collect();
        Sim { child, settings }
    }

    fn setting(&self, name: &str) -> &str {
        self.settings
            .get(name)
            .unwrap_or_else(|| panic!("{name} in {:?}", self.settings))
    }

    /// SIGTERM, then the exit status and stderr.
    fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = self.child.wait().unwrap();
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        (status, stderr)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// (status, Retry-After, body) of a request.
fn call(
    request: ureq::RequestBuilder<ureq::typestate::WithoutBody>,
) -> (u16, Option<String>, String) {
    let mut response = request.call().expect("an answer");
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let body = response.body_mut().read_to_string().unwrap();
    (response.status().as_u16(), retry_after, body)
}

/// E1 with `refresh`: (status, body).
fn refresh(sim: &Sim, refresh: &str) -> (u16, Value) {
    let url = format!(
        "{}v2/authentication/token/refresh",
        sim.setting("MMSTATUS_CORE_URL")
    );
    let mut response = agent()
        .post(&url)
        .header("Authorization", &format!("nadeo_v1 t={refresh}"))
        .send_empty()
        .unwrap();
    let body = response.body_mut().read_to_string().unwrap();
    (
        response.status().as_u16(),
        serde_json::from_str(&body).unwrap_or(Value::Null),
    )
}

/// A Live access token: Core from the bootstrap refresh token, then E2.
fn live_token(sim: &Sim) -> String {
    let (_, core) = refresh(sim, sim.setting("NADEO_REFRESH_TOKEN"));
    let url = format!(
        "{}v2/authentication/token/nadeoservices",
        sim.setting("MMSTATUS_CORE_URL")
    );
    let mut response = agent()
        .post(&url)
        .header(
            "Authorization",
            &format!("nadeo_v1 t={}", core["accessToken"].as_str().unwrap()),
        )
        .send_json(serde_json::json!({"audience": "NadeoLiveServices"}))
        .unwrap();
    let body: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    body["accessToken"].as_str().unwrap().to_string()
}

/// E4, E5 and E6 of the first `count` ids, as text.
fn first_matches(sim: &Sim, count: i64) -> Vec<String> {
    let token = live_token(sim);
    let first: i64 = sim.setting("START_ID").parse::<i64>().unwrap() + 1;
    let mut answers = Vec::new();
    for id in first..first + count {
        for tail in ["", "/participants", "/teams"] {
            let url = format!("{}matches/{id}{tail}", sim.setting("MMSTATUS_MEET_URL"));
            let request = agent()
                .get(&url)
                .header("Authorization", &format!("nadeo_v1 t={token}"));
            let (status, _, body) = call(request);
            assert_eq!(status, 200, "{url}: {body}");
            answers.push(body);
        }
    }
    answers
}

/// A world that barely moves: simulated time stays at its start.
const FROZEN: [&str; 6] = [
    "--speed",
    "0.001",
    "--start",
    "2026-03-01",
    "--players",
    "300",
];

#[test]
fn a_refresh_token_works_once_and_its_successor_once() {
    let sim = Sim::start(&["--players", "50"]);
    let bootstrap = sim.setting("NADEO_REFRESH_TOKEN").to_string();
    let (status, first) = refresh(&sim, &bootstrap);
    assert_eq!(status, 200, "{first}");
    assert_eq!(refresh(&sim, &bootstrap).0, 401, "spent");
    let next = first["refreshToken"].as_str().unwrap();
    assert_eq!(refresh(&sim, next).0, 200);
    assert_eq!(refresh(&sim, next).0, 401, "spent");
}

#[test]
fn data_calls_need_a_valid_access_token() {
    let sim = Sim::start(&["--players", "50"]);
    let url = format!("{}matches/10000001", sim.setting("MMSTATUS_MEET_URL"));
    let (status, _, _) = call(
        agent()
            .get(&url)
            .header("Authorization", "nadeo_v1 t=forged"),
    );
    assert_eq!(status, 401);
    let token = live_token(&sim);
    let (status, _, body) = call(
        agent()
            .get(&url)
            .header("Authorization", &format!("nadeo_v1 t={token}")),
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn the_same_seed_gives_the_same_matches_and_another_seed_others() {
    let seeded = |seed: &str| {
        let mut args = FROZEN.to_vec();
        args.extend(["--seed", seed]);
        Sim::start(&args)
    };
    let (a, b, c) = (seeded("7"), seeded("7"), seeded("8"));
    let answers = first_matches(&a, 40);
    assert!(answers.iter().any(|body| body.contains("\"COMPLETED\"")));
    assert!(answers.iter().any(|body| body.contains("\"score\":5")));
    assert_eq!(answers, first_matches(&b, 40));
    assert_ne!(answers, first_matches(&c, 40));
}

#[test]
fn a_429_rate_of_one_answers_every_request_429_with_retry_after() {
    let sim = Sim::start(&["--players", "50", "--rate-429", "1"]);
    let url = format!("{}matches/10000001", sim.setting("MMSTATUS_MEET_URL"));
    for _ in 0..3 {
        let (status, retry_after, _) = call(agent().get(&url));
        assert_eq!(status, 429);
        assert_eq!(retry_after.as_deref(), Some("1"));
    }
    let (status, stderr) = sim.terminate();
    assert!(status.success(), "{status:?} {stderr}");
    assert!(stderr.contains("3 answered 429"), "{stderr}");
}

#[test]
fn a_5xx_rate_of_one_answers_503_and_malformed_ones_cut_json() {
    let failing = Sim::start(&["--players", "50", "--rate-5xx", "1"]);
    let bootstrap = failing.setting("NADEO_REFRESH_TOKEN").to_string();
    assert_eq!(refresh(&failing, &bootstrap).0, 503);
    let malformed = Sim::start(&["--players", "50", "--rate-malformed", "1"]);
    let url = format!(
        "{}v2/authentication/token/refresh",
        malformed.setting("MMSTATUS_CORE_URL")
    );
    let mut response = agent()
        .post(&url)
        .header("Authorization", &format!("nadeo_v1 t={bootstrap}"))
        .send_empty()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body = response.body_mut().read_to_string().unwrap();
    assert!(serde_json::from_str::<Value>(&body).is_err(), "{body}");
    let (_, stderr) = malformed.terminate();
    assert!(stderr.contains("1 malformed"), "{stderr}");
}

#[test]
fn latency_delays_every_answer() {
    let sim = Sim::start(&["--players", "50", "--latency-ms", "300"]);
    let url = format!("{}matches/10000001", sim.setting("MMSTATUS_MEET_URL"));
    let asked = Instant::now();
    let (status, _, _) = call(agent().get(&url));
    assert_eq!(status, 401);
    assert!(asked.elapsed() >= Duration::from_millis(300));
}

#[test]
fn sigterm_ends_it_cleanly_with_the_counts() {
    let sim = Sim::start(&["--players", "50"]);
    let (status, stderr) = sim.terminate();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("stopped after 0 requests"), "{stderr}");
}

#[test]
fn bad_flags_are_refused() {
    for args in [
        ["--rate-429", "1.5"],
        ["--speed", "0"],
        ["--speed", "20000"],
        ["--start", "2026-13-01"],
        ["--players", "2"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_mmstatus-sim"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty());
    }
}
