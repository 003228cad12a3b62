//! `mmstatus fetch`: one bounded run of the collector jobs.

use crate::cli::collector;
use crate::collect::runner::{self, Report, Schedule, Shared};
use crate::collect::{
    club_tags, geo, maps, matches, token, update_matches, watchdog, zones, zones_sync, Deadline,
    Environment, Job, JobName,
};
use crate::config::Config;
use crate::env;
use crate::error::Error;
use crate::nadeo::{NadeoClient, NadeoConfig};
use std::time::{Duration, Instant};

/// The run lock of fetch: `mmstatus:<database>:fetch`.
const RUN_LOCK: &str = "fetch";

/// Collect ranked matchmaking: new matches, their results, players' points,
/// ranks, zones and club tags, map names and the seasons they open.
///
/// One run is meant to start every minute from cron. By default each job
/// repeats at the interval of the reference's thread (matches every 30 s,
/// ranks every 10 s…) during --loop-for seconds, and the run stops at
/// --deadline whatever is still in progress: every unit of work (a match, a
/// batch of players) is one transaction, so an interrupted one is simply
/// redone by the next run. --once runs one iteration of each job instead.
/// Only one run at a time works on a database: a second one says so and exits
/// 0 (5 with --strict). Does nothing, and says why, when ENABLE_THREADS is set
/// to anything but True. After each run the health file
/// <CACHE_DIR>/thread_health.json (CACHE_DIR: cache/) is rewritten.
///
/// Exit codes besides the common ones: 6 when the run went through but some
/// jobs recorded errors (see the log), 7 when the watchdog finds the newest
/// game older than --stale-after.
#[derive(Debug, clap::Args)]
pub struct Opts {
    /// Jobs to run, comma-separated (default: all of them).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub jobs: Vec<JobName>,

    /// Run one iteration of each job, in the reference's order, then stop.
    #[arg(long)]
    pub once: bool,

    /// Seconds after the start during which new iterations begin (loop mode).
    #[arg(long, value_name = "SECS", default_value_t = 50,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub loop_for: u64,

    /// Seconds after the start at which the run stops, work in progress or not.
    #[arg(long, value_name = "SECS", default_value_t = 58,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub deadline: u64,

    /// When another run holds the lock, exit with code 5 instead of 0.
    #[arg(long)]
    pub strict: bool,

    /// ranks: the matchmaking whose leaderboard gives points and ranks (5 is
    /// ranked 2v2). Default: MMSTATUS_MATCHMAKING_ID, else 5.
    #[arg(long, value_name = "ID", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub matchmaking_id: Option<u32>,

    #[command(flatten)]
    pub token: token::Flags,

    #[command(flatten)]
    pub ranks: crate::collect::ranks::Flags,

    #[command(flatten)]
    pub match_elo: crate::collect::match_elo::Flags,

    #[command(flatten)]
    pub recompute_elo: crate::collect::recompute_elo::Flags,

    #[command(flatten)]
    pub top_positions: crate::collect::top_positions::Flags,

    #[command(flatten)]
    pub watchdog: watchdog::Flags,

    #[command(flatten)]
    pub zones: zones::Flags,

    #[command(flatten)]
    pub geo: geo::Flags,

    #[command(flatten)]
    pub club_tags: club_tags::Flags,

    #[command(flatten)]
    pub matches: matches::Flags,

    #[command(flatten)]
    pub update_matches: update_matches::Flags,
}

pub fn run(opts: Opts, config: &Config) -> anyhow::Result<()> {
    let started = Instant::now();
    if opts.loop_for > opts.deadline && !opts.once {
        return Err(Error::invalid(format!(
            "--loop-for ({} s) must not exceed --deadline ({} s)",
            opts.loop_for, opts.deadline
        ))
        .into());
    }
    if collector::switched_off("ENABLE_THREADS", "the collector is switched off")? {
        return Ok(());
    }
    let environment = Environment::from_env(&env::process_var)?;
    let mut nadeo = NadeoConfig::from_process_env()?;
    if let Some(id) = opts.matchmaking_id {
        nadeo.matchmaking_id = id;
    }
    let api = NadeoClient::new(nadeo, config.zone);
    let Some(mut conn) =
        collector::connect_locked(config, RUN_LOCK, "collecting (fetch)", opts.strict)?
    else {
        return Ok(());
    };
    let jobs = build_jobs(&opts);
    let schedule = Schedule {
        once: opts.once,
        deadline: Deadline {
            loop_end: started + Duration::from_secs(opts.loop_for),
            hard: started + Duration::from_secs(opts.deadline),
        },
    };
    let shared = Shared {
        url: &config.database_url,
        api: &api,
        zone: config.zone,
        environment: &environment,
    };
    let report = runner::run(&mut conn, jobs, schedule, &shared)
        .map_err(|e| collector::run_error(e, config))?;
    collector::write_health(&mut conn, &environment, config)?;
    collector::release_lock(&mut conn, config, RUN_LOCK);
    finish(&report, started.elapsed())
}

/// The jobs `--jobs` names, or all of them, in the reference's order.
fn build_jobs(opts: &Opts) -> Vec<Box<dyn Job>> {
    let selected: Vec<JobName> = if opts.jobs.is_empty() {
        JobName::FETCH.to_vec()
    } else {
        JobName::FETCH
            .into_iter()
            .filter(|j| opts.jobs.contains(j))
            .collect()
    };
    selected
        .into_iter()
        .filter_map(|name| build_job(name, opts))
        .collect()
}

fn build_job(name: JobName, opts: &Opts) -> Option<Box<dyn Job>> {
    let job: Box<dyn Job> = match name {
        JobName::Token => Box::new(token::Token::new(&opts.token)),
        JobName::Ranks => Box::new(crate::collect::ranks::Ranks::new(&opts.ranks, opts.once)),
        JobName::MatchElo => Box::new(crate::collect::match_elo::MatchElo::new(&opts.match_elo)),
        JobName::RecomputeElo => Box::new(crate::collect::recompute_elo::RecomputeElo::new(
            &opts.recompute_elo,
        )),
        JobName::TopPositions => Box::new(crate::collect::top_positions::TopPositions::new(
            &opts.top_positions,
        )),
        JobName::Watchdog => Box::new(watchdog::Watchdog::new(&opts.watchdog)),
        JobName::Maps => Box::new(maps::Maps),
        JobName::ZonesSync => Box::new(zones_sync::ZonesSync::new(
            opts.jobs.contains(&JobName::ZonesSync),
        )),
        JobName::Zones => Box::new(zones::Zones::new(&opts.zones, opts.once)),
        JobName::Countries => Box::new(geo::Geo::countries(&opts.geo, opts.once)),
        JobName::Regions => Box::new(geo::Geo::regions(&opts.geo, opts.once)),
        JobName::ClubTags => Box::new(club_tags::ClubTags::new(&opts.club_tags, opts.once)),
        JobName::Matches => Box::new(matches::Matches::new(&opts.matches)),
        JobName::UpdateMatches => {
            Box::new(update_matches::UpdateMatches::new(&opts.update_matches))
        }
        _ => return None,
    };
    Some(job)
}

/// Prints the run's summary; errors and staleness become the exit code.
fn finish(report: &Report, took: Duration) -> anyhow::Result<()> {
    let failed: Vec<String> = report
        .errors
        .iter()
        .map(|(job, n)| format!("{} ({n})", job.key()))
        .collect();
    println!(
        "fetch: done in {:.1} s; {}",
        took.as_secs_f64(),
        if failed.is_empty() {
            "no errors".to_string()
        } else {
            format!("errors in {}", failed.join(", "))
        }
    );
    if let Some(stale) = &report.stale {
        return Err(Error::Stale(format!("watchdog: {stale}")).into());
    }
    if !failed.is_empty() {
        return Err(Error::JobsFailed(format!(
            "some jobs recorded errors: {}; see the log above",
            failed.join(", ")
        ))
        .into());
    }
    Ok(())
}
