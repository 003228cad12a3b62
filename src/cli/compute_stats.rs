//! `mmstatus compute-stats`: the statistics files the website reads.

mod dry_run;
mod one_off;
mod range;
mod repair;

pub use repair::Repair;

use crate::cli::collector;
use crate::cli::logging;
use crate::config::Config;
use crate::db::models::Season;
use crate::db::season;
use crate::error::Error;
use crate::stats::{self, Job, JobReport};
use chrono::NaiveDateTime;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// The run lock of compute-stats: `mmstatus:<database>:stats`.
const RUN_LOCK: &str = "stats";

/// How long after its end a season is still computed (stats.md §2.1).
const FINAL_REFRESH_HOURS: i64 = 24;

/// Compute the statistics and write them under CACHE_DIR (default cache/),
/// with the reference's file names and JSON shapes.
///
/// Without --season: every season whose end is at most 24 h ago (the
/// current one, one that just ended, a future one), latest end first.
/// Each statistic's files are replaced atomically; a statistic that fails
/// is logged, keeps its previous files and does not stop the others (exit
/// code 8). Only one run at a time computes statistics on a database: a
/// second one says so and exits 0 (5 with --strict). --list-stats lists the
/// statistics and their jobs. On a terminal, a progress bar through
/// the jobs; elsewhere (cron logs) only log lines.
///
/// Admin one-offs: --only positions (season positions recomputed) and
/// --repair KIND list their changes, then write them after a confirmation
/// (a terminal's answer, or --yes); --dry-run only lists. They run under
/// the statistics lock, one transaction per unit (a season, a batch of
/// games, a map name), and a rerun with nothing left to do says so.
#[derive(Debug, clap::Args)]
pub struct Opts {
    /// A season to compute (its id; repeatable). Unknown ids are refused.
    #[arg(long = "season", value_name = "ID")]
    pub seasons: Vec<i32>,

    /// Compute only the jobs whose name contains one of these (comma-separated
    /// or repeated), e.g. `leaderboard` or `players_matches_wins`.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub stats: Vec<String>,

    /// Print the statistics with a one-line description each, and exit.
    #[arg(long)]
    pub list_stats: bool,

    /// Print a table of the jobs' durations at the end.
    #[arg(long)]
    pub timings: bool,

    /// When another run holds the lock, exit with code 5 instead of 0.
    #[arg(long)]
    pub strict: bool,

    /// Run one part only: `statistics` (the files) or `rollups` (the
    /// rankstatrollup rows of the last complete hour, day, week and month, for
    /// every rank tier; rows already there are never changed). Without it,
    /// rollups then statistics. Each part has its own lock, so a long
    /// statistics run does not hold the rollups back. `positions` (never part
    /// of the default run): for each season (--season, else the seasons a
    /// statistics run picks) the 200 playerseason rows with the most points
    /// get ranks 1 to 200, equal points by player id; other rows unchanged.
    #[arg(long, value_enum, value_name = "PART")]
    pub only: Option<Part>,

    /// Start no statistics job after this many seconds from the start of the
    /// run (the job running then finishes; the others keep their previous
    /// files until the next run). Bounds a scheduled run.
    #[arg(long, value_name = "SECS")]
    pub deadline: Option<u64>,

    /// With the rollups: create every missing period from the oldest game on
    /// (once, after adopting a database or a pause), not only the last ones.
    #[arg(long)]
    pub backfill: bool,

    /// Report what would change and change nothing. With statistics: the
    /// jobs per season and the files they would write (no lock taken). With
    /// --only positions or --repair: every change, as the real run lists it.
    #[arg(long)]
    pub dry_run: bool,

    /// Write the changes of --only positions or --repair without asking
    /// (scripts). Without it they are asked for on a terminal, and refused
    /// elsewhere.
    #[arg(long)]
    pub yes: bool,

    /// Run a repair instead of the statistics (one of the kinds below). The
    /// ones working on a time range need --hours, or --start [--end].
    #[arg(long, value_enum, value_name = "KIND",
          conflicts_with_all = ["only", "stats", "backfill", "timings", "deadline", "list_stats"])]
    pub repair: Option<Repair>,

    /// Range of a repair: the last N hours up to now.
    #[arg(long, value_name = "N", requires = "repair", conflicts_with_all = ["start", "end"],
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub hours: Option<u32>,

    /// Range of a repair: from this local time (YYYY-MM-DD, meaning
    /// midnight, or YYYY-MM-DD HH:MM:SS, as stored), both ends included.
    #[arg(long, value_name = "DATETIME", requires = "repair")]
    pub start: Option<String>,

    /// Range of a repair: up to this local time (default: now).
    #[arg(long, value_name = "DATETIME", requires = "start")]
    pub end: Option<String>,

    /// points-after-match and cumulative-points: players per batch, each
    /// batch read in one query and written in one transaction (default 1000
    /// and 200).
    #[arg(long, value_name = "N", requires = "repair",
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub batch: Option<u32>,

    /// merge-maps: the name of the maps to merge (compared as the map
    /// table's collation does: case and accents ignored).
    #[arg(long, value_name = "NAME", requires = "repair")]
    pub map: Option<String>,

    /// match-elo: how far above the points after the match a game's stored
    /// min or max elo must be to be recomputed (default 300, the reference's).
    #[arg(long, value_name = "POINTS", requires = "repair",
          value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub threshold: Option<u32>,
}

/// The parts of a compute-stats run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    Statistics,
    Rollups,
    Positions,
}

/// The run lock of the rollups: `mmstatus:<database>:rollups`.
const ROLLUPS_LOCK: &str = "rollups";

pub fn run(opts: Opts, config: &Config) -> anyhow::Result<()> {
    let started = Instant::now();
    if opts.list_stats {
        return list_stats();
    }
    let mode = one_off::Mode {
        dry_run: opts.dry_run,
        yes: opts.yes,
    };
    if let Some(kind) = opts.repair {
        if !opts.seasons.is_empty() {
            return Err(Error::invalid("--repair works on no season: drop --season").into());
        }
        return repair::run(kind, &repair_flags(&opts), config, mode);
    }
    if opts.only == Some(Part::Positions) {
        return run_positions(&opts, config, mode);
    }
    check_statistics_flags(&opts)?;
    // Flags are checked before anything runs.
    let jobs = selected_jobs(&opts.stats)?;
    if opts.dry_run {
        return dry_run_statistics(&opts, &jobs, config);
    }
    if opts.only != Some(Part::Statistics) {
        run_rollups(config, opts.backfill, opts.strict)?;
    }
    if opts.only == Some(Part::Rollups) {
        return Ok(());
    }
    let deadline = opts
        .deadline
        .map(|secs| started + Duration::from_secs(secs));
    run_statistics(opts, jobs, config, deadline)
}

/// The flags of a plain run (rollups, statistics) that only concern the
/// one-offs, or the other part, are refused.
fn check_statistics_flags(opts: &Opts) -> Result<(), Error> {
    if opts.backfill && opts.only == Some(Part::Statistics) {
        return Err(Error::invalid(
            "--backfill concerns the rollups, not --only statistics",
        ));
    }
    if opts.yes {
        return Err(Error::invalid(
            "--yes concerns --only positions and --repair; a statistics run asks nothing",
        ));
    }
    if opts.dry_run && opts.only == Some(Part::Rollups) {
        return Err(Error::invalid(
            "--dry-run lists statistics, positions and repairs; the rollups only add missing rows",
        ));
    }
    if opts.dry_run && opts.backfill {
        return Err(Error::invalid("--dry-run does not list a --backfill"));
    }
    Ok(())
}

fn repair_flags(opts: &Opts) -> repair::Flags {
    repair::Flags {
        hours: opts.hours,
        start: opts.start.clone(),
        end: opts.end.clone(),
        batch: opts.batch,
        map: opts.map.clone(),
        threshold: opts.threshold,
    }
}

/// `--only positions`: the seasons' positions recomputed (stats.md §6).
fn run_positions(opts: &Opts, config: &Config, mode: one_off::Mode) -> anyhow::Result<()> {
    let unused = [
        (!opts.stats.is_empty(), "--stats"),
        (opts.backfill, "--backfill"),
        (opts.timings, "--timings"),
        (opts.deadline.is_some(), "--deadline"),
    ];
    if let Some((_, flag)) = unused.iter().find(|(given, _)| *given) {
        return Err(Error::invalid(format!("--only positions takes no {flag}")).into());
    }
    let seasons = {
        let mut conn = crate::db::connect(&config.database_url)?;
        crate::db::migrations::ensure_up_to_date(&mut conn)?;
        seasons_to_compute(season::all(&mut conn)?, &opts.seasons, config.zone.now())?
    };
    one_off::run(
        &stats::one_off::positions::Positions { seasons },
        config,
        RUN_LOCK,
        mode,
    )
}

/// `--dry-run` of a statistics run: the listing, nothing written, no lock.
fn dry_run_statistics(opts: &Opts, jobs: &[Job], config: &Config) -> anyhow::Result<()> {
    let cache = crate::config::cache_dir(&crate::env::process_var)?;
    let mut conn = crate::db::connect(&config.database_url)?;
    crate::db::migrations::ensure_up_to_date(&mut conn)?;
    let seasons = seasons_to_compute(season::all(&mut conn)?, &opts.seasons, config.zone.now())?;
    print!(
        "{}",
        dry_run::listing(&cache, &seasons, jobs, opts.only.is_none())
    );
    Ok(())
}

/// The rollups part, under its own lock.
fn run_rollups(config: &Config, backfill: bool, strict: bool) -> anyhow::Result<()> {
    let Some(mut conn) =
        collector::connect_locked(config, ROLLUPS_LOCK, "maintaining the rollups", strict)?
    else {
        return Ok(());
    };
    let now = config.zone.now();
    let report = if backfill {
        stats::rollups::backfill(&mut conn, &config.zone, now)?
    } else {
        stats::rollups::maintain(&mut conn, &config.zone, now)?
    };
    collector::release_lock(&mut conn, config, ROLLUPS_LOCK);
    println!("{}", report.summary());
    Ok(())
}

fn run_statistics(
    opts: Opts,
    jobs: Vec<Job>,
    config: &Config,
    deadline: Option<Instant>,
) -> anyhow::Result<()> {
    let cache = crate::config::cache_dir(&crate::env::process_var)?;
    let Some(mut conn) =
        collector::connect_locked(config, RUN_LOCK, "computing statistics", opts.strict)?
    else {
        return Ok(());
    };
    let seasons = seasons_to_compute(season::all(&mut conn)?, &opts.seasons, config.zone.now())?;
    if seasons.is_empty() {
        log::info!("no season ends later than {FINAL_REFRESH_HOURS} h ago; nothing to compute");
    }
    let planned: Vec<(&Season, &Job)> = seasons
        .iter()
        .flat_map(|season| jobs.iter().map(move |job| (season, job)))
        .collect();
    let bar = progress_bar(planned.len());
    let mut reports = Vec::new();
    for (season, job) in &planned {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            log::warn!(
                "--deadline reached: {} of {} statistics job(s) not started; their previous \
                 files are kept",
                planned.len() - reports.len(),
                planned.len()
            );
            break;
        }
        if let Some(bar) = &bar {
            bar.set_message(format!("season {}: {}", season.id, job.name));
        }
        reports.push(stats::run_job(&mut conn, &cache, job, season));
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
        logging::set_progress_bar(None);
    }
    collector::release_lock(&mut conn, config, RUN_LOCK);
    if opts.timings {
        print!("{}", timings_table(&reports));
    }
    outcome(&reports)
}

/// A progress bar through the jobs on stderr when it is a terminal; none
/// otherwise, so logs written to files (cron) hold only log lines.
fn progress_bar(jobs: usize) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(jobs as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} jobs  {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    logging::set_progress_bar(Some(bar.clone()));
    Some(bar)
}

/// The jobs `--stats` picks (all computed ones without it).
fn selected_jobs(filters: &[String]) -> anyhow::Result<Vec<Job>> {
    if filters.is_empty() {
        return Ok(stats::all_jobs());
    }
    let valid = || {
        stats::all_jobs()
            .into_iter()
            .map(|j| j.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if filters.iter().any(|f| f.trim().is_empty()) {
        return Err(
            Error::invalid(format!("--stats: an empty name; valid names: {}", valid())).into(),
        );
    }
    stats::select_jobs(filters).map_err(|unknown| {
        Error::invalid(format!(
            "--stats: {unknown:?} matches no statistic mmstatus computes; valid names \
             (any part of one selects it): {}",
            valid()
        ))
        .into()
    })
}

/// The seasons asked for (refusing unknown ids), or the reference's
/// automatic set: every season with `end_time >= now − 24 h`, latest end
/// first (equal ends by id).
pub fn seasons_to_compute(
    all: Vec<Season>,
    asked: &[i32],
    now: NaiveDateTime,
) -> Result<Vec<Season>, Error> {
    if asked.is_empty() {
        let since = now - chrono::Duration::hours(FINAL_REFRESH_HOURS);
        let mut chosen: Vec<Season> = all.into_iter().filter(|s| s.end_time >= since).collect();
        chosen.sort_by(|a, b| b.end_time.cmp(&a.end_time).then(a.id.cmp(&b.id)));
        return Ok(chosen);
    }
    let mut chosen: Vec<Season> = Vec::new();
    for id in asked {
        if chosen.iter().any(|s| s.id == *id) {
            continue;
        }
        match all.iter().find(|s| s.id == *id) {
            Some(season) => chosen.push(season.clone()),
            None => {
                let known: Vec<String> = all.iter().map(|s| s.id.to_string()).collect();
                return Err(Error::invalid(format!(
                    "--season {id}: no such season (seasons: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            }
        }
    }
    Ok(chosen)
}

/// `--list-stats`: prints the statistics.
pub fn list_stats() -> anyhow::Result<()> {
    print!("{}", statistics_list());
    Ok(())
}

/// The text of `--list-stats`: the statistics with their job names.
fn statistics_list() -> String {
    let mut text = String::new();
    for s in &stats::STATISTICS {
        text.push_str(&format!(
            "  {}  {}: {}\n",
            s.code,
            s.job_names().join(", "),
            s.description
        ));
    }
    text
}

/// `--timings`: one line per job and season, then the total.
fn timings_table(reports: &[JobReport]) -> String {
    let mut text = format!(
        "{:<8} {:<45} {:>10}  {}\n",
        "season", "job", "seconds", "result"
    );
    for r in reports {
        let result = match &r.outcome {
            Ok(files) => format!("{files} file(s)"),
            Err(_) => "FAILED".to_string(),
        };
        text.push_str(&format!(
            "{:<8} {:<45} {:>10.3}  {result}\n",
            r.season,
            r.job,
            r.duration.as_secs_f64()
        ));
    }
    let total: f64 = reports.iter().map(|r| r.duration.as_secs_f64()).sum();
    text.push_str(&format!("{:<8} {:<45} {total:>10.3}\n", "total", ""));
    text
}

/// The run's summary (info), and exit code 8 when a job failed.
fn outcome(reports: &[JobReport]) -> anyhow::Result<()> {
    let failed: Vec<String> = reports
        .iter()
        .filter(|r| r.outcome.is_err())
        .map(|r| format!("{} (season {})", r.job, r.season))
        .collect();
    log::info!(
        "{} statistics job(s) run, {} failed",
        reports.len(),
        failed.len()
    );
    if failed.is_empty() {
        return Ok(());
    }
    Err(Error::StatsFailed(format!(
        "{} of {} statistics job(s) failed, their previous files are kept (see the log): {}",
        failed.len(),
        reports.len(),
        failed.join(", ")
    ))
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn season(id: i32, start: &str, end: &str) -> Season {
        Season {
            id,
            name: format!("S{id}"),
            start_time: at(start),
            end_time: at(end),
            is_aggregated: false,
        }
    }

    fn ids(seasons: &[Season]) -> Vec<i32> {
        seasons.iter().map(|s| s.id).collect()
    }

    #[test]
    fn the_automatic_set_keeps_seasons_ended_at_most_a_day_ago() {
        let now = at("2026-06-10 12:00:00");
        let all = vec![
            season(1, "2026-01-01 00:00:00", "2026-06-09 11:59:59"),
            season(2, "2026-01-01 00:00:00", "2026-06-09 12:00:00"),
            season(3, "2026-06-09 12:00:00", "2026-11-01 00:00:00"),
            season(4, "2026-12-01 00:00:00", "2027-03-01 00:00:00"),
        ];
        assert_eq!(ids(&seasons_to_compute(all, &[], now).unwrap()), [4, 3, 2]);
    }

    #[test]
    fn asked_seasons_keep_their_order_and_unknown_ids_are_refused() {
        let now = at("2026-06-10 12:00:00");
        let all = vec![
            season(1, "2025-01-01 00:00:00", "2025-06-01 00:00:00"),
            season(2, "2026-01-01 00:00:00", "2026-11-01 00:00:00"),
        ];
        assert_eq!(
            ids(&seasons_to_compute(all.clone(), &[1, 2, 1], now).unwrap()),
            [1, 2]
        );
        let err = seasons_to_compute(all, &[2, 9], now).unwrap_err();
        assert!(err.to_string().contains("--season 9"), "{err}");
        assert_eq!(err.exit_code(), crate::error::exit::USAGE);
    }
}
