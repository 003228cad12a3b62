//! mmstatus-sim: a simulated Nadeo API (Core, Live, Meet and the public
//! Trackmania API) on 127.0.0.1, playing a living matchmaking, for demos and
//! for rehearsing failures. See `mmstatus-sim --help`.

use clap::Parser;
use mmstatus_sim::api::{self, Clock, Live};
use mmstatus_sim::world::{Settings, World, FIRST_MATCH_ID};
use mmstatus_sim::{FakeApi, Faults, CORE, LIVE, MEET, OAUTH};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A simulated Nadeo API on 127.0.0.1, playing a living matchmaking.
///
/// Prints one line of environment settings for mmstatus (the four API base
/// URLs, bootstrap tokens, the OAuth application, START_ID), then serves
/// until SIGINT or SIGTERM, and prints the faults it injected.
#[derive(Debug, Parser)]
#[command(name = "mmstatus-sim", version)]
struct Opts {
    /// Port to listen on, on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,

    /// Seed of the world: the same seed gives the same players, matches and
    /// results at the same simulated time.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Simulated seconds per real second (60: an hour a minute). The
    /// collector judges ages by its own clock: with a speed above 1, start
    /// in the past (--start) so that simulated time stays behind the real one.
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    speed: f64,

    /// Simulated time at start, UTC: YYYY-MM-DD or "YYYY-MM-DD HH:MM:SS"
    /// (default: now). Matches were already played for 15 simulated minutes
    /// before it.
    #[arg(long, value_parser = parse_start)]
    start: Option<i64>,

    /// Players in the population.
    #[arg(long, default_value_t = 2000,
          value_parser = clap::value_parser!(u32).range(6..=1_000_000))]
    players: u32,

    /// Milliseconds added before every answer.
    #[arg(long, value_name = "MS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=600_000))]
    latency_ms: u64,

    /// Share of requests (0 to 1) answered 429 Too Many Requests, with
    /// Retry-After: 1.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_rate)]
    rate_429: f64,

    /// Share of requests answered 503 Service Unavailable.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_rate)]
    rate_5xx: f64,

    /// Share of requests answered 200 with a body cut in the middle of its
    /// JSON.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_rate)]
    rate_malformed: f64,
}

fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err("expected a probability from 0 to 1".into()),
    }
}

fn parse_speed(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if (0.001..=MAX_SPEED).contains(&s) => Ok(s),
        _ => Err(format!("expected a factor from 0.001 to {MAX_SPEED}")),
    }
}

fn parse_start(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let at = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .map_err(|_| "expected YYYY-MM-DD or \"YYYY-MM-DD HH:MM:SS\"".to_string())?;
    let seconds = at.and_utc().timestamp();
    if !(0..=253_402_300_799).contains(&seconds) {
        return Err("expected a date from 1970 to 9999".into());
    }
    Ok(seconds)
}

/// A month of matches (what the world keeps) stays around half a million,
/// and catching up stays quick between two requests.
const MAX_SPEED: f64 = 10_000.0;

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn request_stop(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// SIGINT and SIGTERM set [`STOP`] (an atomic store is async-signal-safe).
fn stop_on_signals() {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores to an atomic.
        unsafe {
            libc::signal(signal, request_stop as *const () as libc::sighandler_t);
        }
    }
}

fn main() {
    let opts = Opts::parse();
    stop_on_signals();
    let fake = match FakeApi::start_on(opts.port) {
        Ok(fake) => fake,
        Err(e) => {
            eprintln!(
                "mmstatus-sim: error: cannot listen on 127.0.0.1:{}: {e}",
                opts.port
            );
            std::process::exit(1);
        }
    };
    let start = opts.start.unwrap_or_else(mmstatus_sim::unix_now);
    let world = World::new(Settings {
        seed: opts.seed,
        players: opts.players as usize,
        start,
    });
    let live = Live::new(world, Clock::new(start, opts.speed));
    api::install(&fake, &live);
    let mut faults = Faults::new(opts.seed);
    faults.latency = Duration::from_millis(opts.latency_ms);
    faults.rate_429 = opts.rate_429;
    faults.rate_5xx = opts.rate_5xx;
    faults.rate_malformed = opts.rate_malformed;
    fake.inject(faults);
    fake.stop_recording();

    println!("{}", settings_line(&fake));
    while !STOP.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!(
        "mmstatus-sim: stopped after {} requests; faults injected: {}",
        fake.served(),
        fake.fault_counts()
    );
}

/// The environment mmstatus needs to use this simulator, as shell
/// assignments on one line.
fn settings_line(fake: &FakeApi) -> String {
    [
        ("MMSTATUS_CORE_URL", fake.url(CORE)),
        ("MMSTATUS_LIVE_URL", fake.url(LIVE)),
        ("MMSTATUS_MEET_URL", fake.url(MEET)),
        ("MMSTATUS_OAUTH_URL", fake.url(OAUTH)),
        (
            "NADEO_REFRESH_TOKEN",
            api::BOOTSTRAP_CORE_REFRESH.to_string(),
        ),
        (
            "UBISOFT_OAUTH_REFRESH_TOKEN",
            api::BOOTSTRAP_OAUTH_REFRESH.to_string(),
        ),
        ("CLIENT_ID", api::CLIENT_ID.to_string()),
        ("CLIENT_SECRET", api::CLIENT_SECRET.to_string()),
        ("START_ID", (FIRST_MATCH_ID - 1).to_string()),
    ]
    .iter()
    .map(|(name, value)| format!("{name}={value}"))
    .collect::<Vec<_>>()
    .join(" ")
}
