//! The collector's benchmark (`scripts/bench-fetch`), ignored by `cargo test`:
//! the fake API serves N official matches at once (6 players each, nearly
//! all new accounts, completed, instant answers) and the binary's `fetch
//! --once` runs until every match is recorded and finished, then until every
//! new player has points, an elo for their games, a zone and a country. It
//! prints the rates, SQL statements and HTTP calls per match; nothing is
//! asserted about speed (the numbers go in the README).
//!
//! Settings (environment): `MMSTATUS_BENCH_MATCHES` (N, 2000),
//! `MMSTATUS_BENCH_RUNS` (timed repetitions, 3), `MMSTATUS_BENCH_MAX_RPS`
//! (MMSTATUS_MAX_RPS of the runs: the highest accepted), `MMSTATUS_BENCH_BIN`
//! (the binary; default: the one cargo built with this test, release with
//! `cargo test --release`), `MMSTATUS_BENCH_LOG` (a file to append the
//! runs' logs to; `RUST_LOG` is passed on, e.g. `mmstatus=debug`).
//!
//! Timed repetitions talk to the database directly; one more repetition goes
//! through a relay that counts the commands the binary sends (the server's
//! global counters also count every other client of a shared server), with
//! one process per job so that each job's statements are told apart.

use crate::collector::Collector;
use crate::common::{count, scalar_string, server_url};
use crate::fake_nadeo::{Recorded, Scenario};
use crate::relay::{Relay, COM_QUERY, COM_SET_OPTION, COM_STMT_EXECUTE, COM_STMT_PREPARE};
use diesel::MysqlConnection;
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::process::Command;
use std::time::{Duration, Instant};

const DEFAULT_MATCHES: usize = 2000;
const DEFAULT_RUNS: usize = 3;
const PLAYERS_PER_MATCH: usize = 6;
/// Maps the matches are played on.
const MAPS: usize = 10;
/// A phase that needs more runs than this is stuck: the benchmark fails.
const MAX_RUNS_PER_PHASE: usize = 30;
const SENTINEL: &str = "1970-01-01 01:00:00";

/// The first phase: the match jobs, until every match is in and finished.
const MATCH_JOBS: &str = "matches,update-matches";
/// The second: the jobs new players set off.
const PLAYER_JOBS: &str = "ranks,match-elo,zones,countries,regions";

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .map(|v| v.parse().unwrap_or_else(|_| panic!("{name}: not a number")))
        .unwrap_or(default)
}

fn max_rps() -> String {
    std::env::var("MMSTATUS_BENCH_MAX_RPS")
        .unwrap_or_else(|_| format!("{}", mmstatus::nadeo::config::RPS_RANGE.end()))
}

fn binary() -> String {
    std::env::var("MMSTATUS_BENCH_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_mmstatus").to_string())
}

/// Dashed account id of the benchmark's `n`th player.
fn account(n: usize) -> String {
    format!("be0c0000-0000-4000-8000-{n:012x}")
}

/// The players of match `i`: five new accounts, and one who played before
/// (the first player of the previous match); six new ones in the first.
fn lineup(i: usize) -> Vec<String> {
    let first_new = if i == 0 { 0 } else { 6 + (i - 1) * 5 };
    let mut players: Vec<String> = (first_new..first_new + 5).map(account).collect();
    players.push(if i == 0 {
        account(5)
    } else {
        account(if i == 1 { 0 } else { 6 + (i - 2) * 5 })
    });
    players
}

/// Accounts the benchmark's matches use.
fn accounts(matches: usize) -> usize {
    if matches == 0 {
        0
    } else {
        6 + (matches - 1) * 5
    }
}

/// Matches 1..=n, visible from now, started ten minutes ago, completed.
fn fill(c: &Collector, matches: usize, zone: &str) {
    let start = crate::fake_nadeo::unix_now() - 600;
    let scores = [20, 19, 21, 18, 17, 16];
    let teams = json!([{"position": 0, "score": 5, "rank": 1},
                       {"position": 1, "score": 3, "rank": 2}]);
    let mut scenario = c.scenario.lock().unwrap();
    let now = Instant::now();
    for i in 0..matches {
        let id = i as i64 + 1;
        let players = lineup(i);
        let refs: Vec<&str> = players.iter().map(String::as_str).collect();
        let map = format!("BENCH_MAP_{}", i % MAPS);
        scenario.add_match(
            id,
            Scenario::official_match(id, "Official 3v3 - match", &map, start, "COMPLETED"),
            Scenario::participants(&refs, Some(&scores), Some(2)),
            teams.clone(),
            now,
        );
    }
    for n in 0..accounts(matches) {
        let points = 1000 + (n % 3000) as i64;
        scenario
            .ranks
            .insert(account(n), (points, 5000 - (n % 3000) as i64));
        scenario.zones.insert(account(n), zone.to_string());
    }
}

/// A zone of the shipped tree two levels below a country (a region's
/// department, say), dashed as the API gives it.
fn deep_zone(conn: &mut MysqlConnection) -> String {
    let uuid = scalar_string(
        conn,
        "SELECT z.uuid AS value FROM zone z JOIN zone r ON r.id = z.parent_id \
         JOIN zone c ON c.id = r.parent_id WHERE c.country_alpha3 IS NOT NULL \
         ORDER BY z.id LIMIT 1",
    )
    .expect("the shipped zone tree has zones below regions");
    format!(
        "{}-{}-{}-{}-{}",
        &uuid[0..8],
        &uuid[8..12],
        &uuid[12..16],
        &uuid[16..20],
        &uuid[20..32]
    )
}

/// What one phase took.
#[derive(Debug, Default, Clone)]
struct Measure {
    runs: usize,
    wall: Duration,
    /// CPU seconds (user + system) of the mmstatus processes, of the fake
    /// API with the driver, of the database server (other clients too).
    cpu: [f64; 3],
    /// Questions the whole server answered meanwhile (other clients too).
    server_questions: i64,
    /// Client commands by kind, when counted through the relay.
    commands: BTreeMap<u8, u64>,
    db_connections: usize,
    http: Http,
}

/// The fake's requests during a phase, by endpoint.
#[derive(Debug, Default, Clone)]
struct Http {
    e4_match: usize,
    e5_participants: usize,
    e6_teams: usize,
    e7_ranks: usize,
    e9_zones: usize,
    tokens: usize,
    other: usize,
    connections: usize,
}

impl Http {
    fn of(requests: &[Recorded]) -> Http {
        let mut http = Http::default();
        let peers: HashSet<_> = requests.iter().filter_map(|r| r.peer).collect();
        http.connections = peers.len();
        for r in requests {
            let p = r.path.as_str();
            let slot = if p.contains("/authentication/") || p.starts_with("/oauth/api/access") {
                &mut http.tokens
            } else if p.starts_with("/meet/api/matches/") && p.ends_with("/participants") {
                &mut http.e5_participants
            } else if p.starts_with("/meet/api/matches/") && p.ends_with("/teams") {
                &mut http.e6_teams
            } else if p.starts_with("/meet/api/matches/") {
                &mut http.e4_match
            } else if p.starts_with("/meet/api/matchmaking/") {
                &mut http.e7_ranks
            } else if p.starts_with("/core/accounts/zones") {
                &mut http.e9_zones
            } else {
                &mut http.other
            };
            *slot += 1;
        }
        http
    }

    fn total(&self) -> usize {
        self.e4_match
            + self.e5_participants
            + self.e6_teams
            + self.e7_ranks
            + self.e9_zones
            + self.tokens
            + self.other
    }
}

fn global_questions(conn: &mut MysqlConnection) -> i64 {
    scalar_string(
        conn,
        "SELECT VARIABLE_VALUE AS value FROM information_schema.GLOBAL_STATUS \
         WHERE VARIABLE_NAME = 'QUESTIONS'",
    )
    .and_then(|v| v.parse().ok())
    .unwrap_or(0)
}

/// CPU seconds from /proc/<pid>/stat (Linux; clock ticks of 1/100 s):
/// the process's own (fields 14 and 15) and its finished children's (16
/// and 17).
fn cpu_of(pid: &str) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (
        (ticks(11) + ticks(12)) / 100.0,
        (ticks(13) + ticks(14)) / 100.0,
    )
}

/// The database server's process, when it runs on this machine (its pid
/// file names a live mariadbd or mysqld).
fn server_pid(conn: &mut MysqlConnection) -> Option<String> {
    let file = scalar_string(conn, "SELECT @@pid_file AS value")?;
    let pid = std::fs::read_to_string(file).ok()?.trim().to_string();
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    matches!(comm.trim(), "mariadbd" | "mysqld").then_some(pid)
}

/// CPU seconds so far: mmstatus runs (finished children of this process),
/// this process (the fake API and the driver), the database server (all its
/// clients; 0 when it runs elsewhere).
fn cpu_now(server: Option<&str>) -> [f64; 3] {
    let (own, children) = cpu_of("self");
    let server = server.map_or(0.0, |pid| cpu_of(pid).0);
    [children, own, server]
}

/// A database URL for the collector's database through `relay`.
fn url_through(relay: &Relay, c: &Collector) -> String {
    let mut url = url::Url::parse(&server_url()).unwrap();
    url.set_ip_host(relay.addr.ip()).unwrap();
    url.set_port(Some(relay.addr.port())).unwrap();
    format!("{}/{}", url.as_str().trim_end_matches('/'), c.db.name)
}

/// Runs `fetch --once --jobs <jobs> <args>` until `done`, timing the runs.
fn phase(
    c: &Collector,
    jobs: &str,
    args: &[String],
    database_url: Option<&str>,
    done: &dyn Fn(&mut MysqlConnection) -> bool,
) -> Measure {
    let mut conn = c.conn();
    let mut measure = Measure::default();
    let requests_before = c.api.fake.requests().len();
    let questions_before = global_questions(&mut conn);
    let server = server_pid(&mut conn);
    let cpu_before = cpu_now(server.as_deref());
    while !done(&mut conn) {
        assert!(
            measure.runs < MAX_RUNS_PER_PHASE,
            "{jobs}: not done after {MAX_RUNS_PER_PHASE} runs"
        );
        let mut command = Command::new(binary());
        command
            .args(["fetch", "--once", "--jobs", jobs])
            .args(args)
            .env_clear()
            .envs(c.env())
            .env("MMSTATUS_MAX_RPS", max_rps())
            .current_dir(&c.api.dir);
        if let Some(url) = database_url {
            command.env("DATABASE_URL", url);
        }
        if let Ok(filter) = std::env::var("RUST_LOG") {
            command.env("RUST_LOG", filter);
        }
        let started = Instant::now();
        let output = command.output().expect("mmstatus runs");
        measure.wall += started.elapsed();
        measure.runs += 1;
        assert!(
            output.status.success(),
            "{jobs}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        if let Ok(log) = std::env::var("MMSTATUS_BENCH_LOG") {
            use std::io::Write;
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .expect("MMSTATUS_BENCH_LOG can be written");
            file.write_all(&output.stderr).unwrap();
        }
    }
    let cpu_after = cpu_now(server.as_deref());
    for (i, cpu) in measure.cpu.iter_mut().enumerate() {
        *cpu = cpu_after[i] - cpu_before[i];
    }
    measure.server_questions = global_questions(&mut conn) - questions_before;
    measure.http = Http::of(&c.api.fake.requests()[requests_before..]);
    measure
}

fn match_phase_args(matches: usize) -> Vec<String> {
    [
        "--matches-max-ids",
        &(matches + 1).to_string(),
        "--update-matches-min-age",
        "0",
        "--update-matches-limit",
        &matches.max(1).to_string(),
    ]
    .map(str::to_string)
    .to_vec()
}

fn player_phase_args() -> Vec<String> {
    [
        "--ranks-batches",
        "100",
        "--zones-batches",
        "1000",
        "--geo-batches",
        "1000",
        "--match-elo-limit",
        "100000",
    ]
    .map(str::to_string)
    .to_vec()
}

fn matches_done(matches: usize) -> impl Fn(&mut MysqlConnection) -> bool {
    move |conn| {
        count(
            conn,
            "SELECT COUNT(*) AS value FROM game WHERE is_finished = 1",
        ) == matches as i64
    }
}

fn players_done(conn: &mut MysqlConnection) -> bool {
    count(
        conn,
        &format!(
            "SELECT (SELECT COUNT(*) FROM player WHERE last_points_update = '{SENTINEL}' \
                       OR zone_id IS NULL OR country_id IS NULL) \
                  + (SELECT COUNT(*) FROM game WHERE average_elo = -1) AS value"
        ),
    ) == 0
}

/// A collector whose fake serves the benchmark's matches.
fn prepared(matches: usize) -> Collector {
    let c = Collector::new(true);
    let zone = deep_zone(&mut c.conn());
    fill(&c, matches, &zone);
    c
}

/// One timed repetition: both phases, straight to the server.
fn timed(matches: usize) -> (Measure, Measure) {
    let c = prepared(matches);
    let m = phase(
        &c,
        MATCH_JOBS,
        &match_phase_args(matches),
        None,
        &matches_done(matches),
    );
    let p = phase(&c, PLAYER_JOBS, &player_phase_args(), None, &players_done);
    let mut conn = c.conn();
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) AS value FROM player"),
        accounts(matches) as i64
    );
    (m, p)
}

/// A step of the counted repetition: its label, its jobs, their flags, and
/// when it is done.
type Step<'a> = (
    &'a str,
    &'a str,
    Vec<String>,
    Box<dyn Fn(&mut MysqlConnection) -> bool + 'a>,
);

/// The counted repetition: each job in processes of its own, through the
/// relay, and a last run of all of them with nothing left to do.
fn counted(matches: usize) -> Vec<(String, Measure)> {
    let c = prepared(matches);
    let relay = Relay::to_test_server("127.0.0.1:0");
    let url = url_through(&relay, &c);
    let recorded = |n: usize| {
        move |conn: &mut MysqlConnection| {
            count(conn, "SELECT COUNT(*) AS value FROM game") == n as i64
        }
    };
    let idle_run_done = std::cell::Cell::new(false);
    let all = format!("{MATCH_JOBS},{PLAYER_JOBS}");
    let steps: Vec<Step> = vec![
        (
            "matches",
            "matches",
            match_phase_args(matches),
            Box::new(recorded(matches)),
        ),
        (
            "update-matches",
            "update-matches",
            match_phase_args(matches),
            Box::new(matches_done(matches)),
        ),
        (
            "player jobs",
            PLAYER_JOBS,
            player_phase_args(),
            Box::new(players_done),
        ),
        (
            "all, nothing new",
            &all,
            vec![],
            Box::new(move |_: &mut MysqlConnection| idle_run_done.replace(true)),
        ),
    ];
    let mut measures = Vec::new();
    for (label, jobs, args, done) in &steps {
        let before = relay.commands();
        let accepted = relay.accepted();
        let mut m = phase(&c, jobs, args, Some(&url), done.as_ref());
        m.commands = relay.commands();
        for (command, n) in &before {
            *m.commands.entry(*command).or_default() -= n;
        }
        m.db_connections = relay.accepted() - accepted;
        measures.push((label.to_string(), m));
    }
    measures
}

fn commands(m: &Measure, command: u8) -> u64 {
    m.commands.get(&command).copied().unwrap_or(0)
}

/// SQL statements: text queries and executions of prepared ones.
fn statements(m: &Measure) -> u64 {
    commands(m, COM_QUERY) + commands(m, COM_STMT_EXECUTE)
}

fn round_trips(m: &Measure) -> u64 {
    m.commands.values().sum()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// "min / median / max" of the repetitions.
fn spread(mut values: Vec<f64>) -> String {
    let med = median(&mut values);
    format!(
        "{:.1} / {:.1} / {:.1}",
        values[0],
        med,
        values[values.len() - 1]
    )
}

fn per(n: impl Into<f64>, matches: usize) -> f64 {
    n.into() / matches as f64
}

#[test]
#[ignore = "a benchmark: scripts/bench-fetch runs it"]
fn bench_fetch() {
    let matches = setting("MMSTATUS_BENCH_MATCHES", DEFAULT_MATCHES).max(1);
    let reps = setting("MMSTATUS_BENCH_RUNS", DEFAULT_RUNS).max(1);
    let players = accounts(matches);
    println!(
        "bench-fetch: {matches} matches of {PLAYERS_PER_MATCH} players ({players} accounts), \
         MMSTATUS_MAX_RPS={}, binary {}",
        max_rps(),
        binary()
    );
    println!(
        "phase 1: fetch --once --jobs {MATCH_JOBS} {}",
        match_phase_args(matches).join(" ")
    );
    println!(
        "phase 2: fetch --once --jobs {PLAYER_JOBS} {}",
        player_phase_args().join(" ")
    );
    println!("(runs repeated until every match is finished, then until every player has points,");
    println!(" a zone and a country and every game its elo; CPU seconds: mmstatus / fake API and");
    println!(" driver / database server, the server's including any other client; Q/m: the");
    println!(" server's Questions counter per match, any other client included)");
    println!();
    println!(
        "{:<4} | {:>4} {:>7} {:>9} {:>18} {:>6} | {:>4} {:>7} {:>9} {:>18}",
        "rep",
        "runs",
        "wall s",
        "matches/s",
        "cpu s",
        "Q/m",
        "runs",
        "wall s",
        "players/s",
        "cpu s"
    );
    let cpu = |m: &Measure| format!("{:.1} / {:.1} / {:.1}", m.cpu[0], m.cpu[1], m.cpu[2]);
    let mut rates = Vec::new();
    let mut player_rates = Vec::new();
    for rep in 1..=reps {
        let (m, p) = timed(matches);
        let rate = matches as f64 / m.wall.as_secs_f64();
        let player_rate = players as f64 / p.wall.as_secs_f64();
        println!(
            "{rep:<4} | {:>4} {:>7.2} {:>9.1} {:>18} {:>6.1} | {:>4} {:>7.2} {:>9.1} {:>18}",
            m.runs,
            m.wall.as_secs_f64(),
            rate,
            cpu(&m),
            per(m.server_questions as f64, matches),
            p.runs,
            p.wall.as_secs_f64(),
            player_rate,
            cpu(&p)
        );
        rates.push(rate);
        player_rates.push(player_rate);
    }
    println!();
    println!("matches/s, phase 1 (min / median / max): {}", spread(rates));
    println!(
        "players/s, phase 2 (min / median / max): {}",
        spread(player_rates)
    );

    println!();
    println!("counted repetition: one process per job, the database through a counting relay");
    println!(
        "{:<16} {:>4} {:>5} {:>7} {:>7} {:>7} {:>7} {:>7} {:>6} {:>6} {:>4}",
        "jobs",
        "runs",
        "conns",
        "stmts",
        "/match",
        "setopt",
        "prep",
        "trips",
        "http",
        "/match",
        "tcp"
    );
    let mut sql_per_match = 0.0;
    let mut questions_per_match = 0.0;
    let mut http_per_match = 0.0;
    for (step, m) in counted(matches) {
        let s = statements(&m);
        if step == "matches" || step == "update-matches" {
            sql_per_match += per(s as f64, matches);
            questions_per_match += per((s + commands(&m, COM_SET_OPTION)) as f64, matches);
            http_per_match += per(m.http.total() as f64, matches);
        }
        println!(
            "{:<16} {:>4} {:>5} {:>7} {:>7.2} {:>7} {:>7} {:>7} {:>6} {:>6.2} {:>4}",
            step,
            m.runs,
            m.db_connections,
            s,
            per(s as f64, matches),
            commands(&m, COM_SET_OPTION),
            commands(&m, COM_STMT_PREPARE),
            round_trips(&m),
            m.http.total(),
            per(m.http.total() as f64, matches),
            m.http.connections
        );
        println!(
            "{:<16} HTTP: E4 {}, E5 {}, E6 {}, E7 {}, E9 {}, tokens {}, other {}",
            "",
            m.http.e4_match,
            m.http.e5_participants,
            m.http.e6_teams,
            m.http.e7_ranks,
            m.http.e9_zones,
            m.http.tokens,
            m.http.other
        );
    }
    println!();
    println!(
        "SQL statements per match recorded and finished: {sql_per_match:.2} (target: at most 10); \
         with the COM_SET_OPTION the server's Questions also counts: {questions_per_match:.2}"
    );
    println!(
        "HTTP calls per match recorded and finished: {http_per_match:.2}; the reference: 5 \
         (E4 + E5 to record, E4 + E6 + E5 to finish) plus the missing id ending each walk"
    );
}
