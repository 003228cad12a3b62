//! Running jobs: once each in order (`--once`), or each on a thread of its own
//! repeating at its interval until the loop ends, with a hard deadline after
//! which the process stops whatever is still running (every unit of work is a
//! transaction, so the server rolls an interrupted one back).

use crate::collect::{Context, Deadline, Environment, Job, JobName, Pace, SOON};
use crate::config::DatabaseUrl;
use crate::db::{self, collector_state};
use crate::error::Error;
use crate::nadeo::NadeoClient;
use crate::time::LocalZone;
use diesel::MysqlConnection;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

/// Longest sleep between two looks at the clock and the stop flag.
const TICK: Duration = Duration::from_millis(200);

/// The watchdog's verdict: the newest game is older than allowed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Stale(pub String);

/// How a run goes.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// One iteration of each job, in order, then stop.
    pub once: bool,
    pub deadline: Deadline,
}

/// What every job of a run shares.
pub struct Shared<'a> {
    pub url: &'a DatabaseUrl,
    pub api: &'a NadeoClient,
    pub zone: LocalZone,
    pub environment: &'a Environment,
}

/// What a run did: errors per job, and the watchdog's verdict.
#[derive(Debug, Default)]
pub struct Report {
    pub errors: BTreeMap<JobName, u32>,
    pub stale: Option<String>,
}

impl Report {
    fn add(&mut self, outcome: Outcome, job: JobName) {
        if outcome.errors > 0 {
            *self.errors.entry(job).or_default() += outcome.errors;
        }
        if let Some(stale) = outcome.stale {
            self.stale = Some(stale);
        }
    }
}

#[derive(Debug, Default)]
struct Outcome {
    errors: u32,
    stale: Option<String>,
    pace: Option<Pace>,
}

/// Runs `jobs` on `conn` (the run's own connection, holding its lock) and,
/// in loop mode, on connections of their own. The `token` and `zones-sync`
/// jobs run first and the `watchdog` last, once each; the others repeat at
/// their interval until the loop ends. A lost database connection ends the
/// run with an error; the next run carries on.
pub fn run(
    conn: &mut MysqlConnection,
    mut jobs: Vec<Box<dyn Job>>,
    schedule: Schedule,
    shared: &Shared,
) -> anyhow::Result<Report> {
    jobs.sort_by_key(|job| job.name());
    let mut report = Report::default();
    if schedule.once {
        for job in &mut jobs {
            if schedule.deadline.passed() {
                log::warn!("deadline reached before {}", job.name().key());
                break;
            }
            let outcome = iterate(conn, job.as_mut(), schedule.deadline, shared)?;
            report.add(outcome, job.name());
        }
        return Ok(report);
    }
    let (periodic, single): (Vec<_>, Vec<_>) = jobs
        .into_iter()
        .partition(|j| j.name().interval().is_some());
    let (mut after, mut before): (Vec<_>, Vec<_>) = single
        .into_iter()
        .partition(|j| j.name() == JobName::Watchdog);
    for job in &mut before {
        let outcome = iterate(conn, job.as_mut(), schedule.deadline, shared)?;
        report.add(outcome, job.name());
    }
    let report = Mutex::new(report);
    run_periodic(periodic, schedule.deadline, shared, &report)?;
    let mut report = report.into_inner().unwrap_or_else(|e| e.into_inner());
    for job in &mut after {
        let outcome = iterate(conn, job.as_mut(), schedule.deadline, shared)?;
        report.add(outcome, job.name());
    }
    Ok(report)
}

/// Runs one job on `conn` up to `max` times in a row (resolve-names'
/// batches): after an iteration that asks for more ([`Pace::Soon`]) the next
/// starts `pause` later; the run ends at the first iteration that does not
/// (nothing left, or an error: the next run retries), after `max`, or when
/// the hard deadline comes, at which the process stops whatever is still in
/// progress, as in loop mode. Each iteration is accounted as in [`run`].
pub fn run_repeated(
    conn: &mut MysqlConnection,
    job: &mut dyn Job,
    max: u32,
    pause: Duration,
    deadline: Deadline,
    shared: &Shared,
) -> anyhow::Result<Report> {
    let report = Mutex::new(Report::default());
    let (done, all_done) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        let report = &report;
        scope.spawn(move || enforce_deadline(deadline, all_done, report));
        let result = repeat_in_a_row(conn, job, max, pause, deadline, shared, report);
        drop(done);
        result
    })?;
    Ok(report.into_inner().unwrap_or_else(|e| e.into_inner()))
}

fn repeat_in_a_row(
    conn: &mut MysqlConnection,
    job: &mut dyn Job,
    max: u32,
    pause: Duration,
    deadline: Deadline,
    shared: &Shared,
    report: &Mutex<Report>,
) -> anyhow::Result<()> {
    for n in 0..max {
        let start = Instant::now() + if n > 0 { pause } else { Duration::ZERO };
        if start >= deadline.hard {
            log::info!(
                "{}: the deadline comes before the next iteration; the next run carries on",
                job.name().key()
            );
            break;
        }
        std::thread::sleep(start.saturating_duration_since(Instant::now()));
        let outcome = iterate(conn, job, deadline, shared)?;
        let more = outcome.pace == Some(Pace::Soon);
        report
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(outcome, job.name());
        if !more {
            break;
        }
    }
    Ok(())
}

/// Each periodic job on a thread with its own connection, until the loop
/// ends. Past the hard deadline the process exits, whatever still runs.
fn run_periodic(
    jobs: Vec<Box<dyn Job>>,
    deadline: Deadline,
    shared: &Shared,
    report: &Mutex<Report>,
) -> anyhow::Result<()> {
    let stop = AtomicBool::new(false);
    let failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let (done, all_done) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        for mut job in jobs {
            let (stop, failure, done) = (&stop, &failure, done.clone());
            scope.spawn(move || {
                if let Err(e) = repeat(job.as_mut(), deadline, shared, report, stop) {
                    stop.store(true, Ordering::SeqCst);
                    failure
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get_or_insert(e);
                }
                drop(done);
            });
        }
        drop(done);
        scope.spawn(move || enforce_deadline(deadline, all_done, report));
    });
    match failure.into_inner().unwrap_or_else(|e| e.into_inner()) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Waits until every job thread is done (their senders dropped) or the hard
/// deadline; at the deadline the process stops at once.
fn enforce_deadline(deadline: Deadline, all_done: mpsc::Receiver<()>, report: &Mutex<Report>) {
    let left = deadline.hard.saturating_duration_since(Instant::now());
    if let Err(mpsc::RecvTimeoutError::Timeout) = all_done.recv_timeout(left) {
        let errors = !report
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .errors
            .is_empty();
        log::warn!(
            "the run's deadline has passed with work still in progress; stopping now \
             (unfinished transactions are rolled back, the next run redoes them)"
        );
        std::process::exit(if errors {
            crate::error::exit::JOBS_FAILED
        } else {
            crate::error::exit::OK
        });
    }
}

fn repeat(
    job: &mut dyn Job,
    deadline: Deadline,
    shared: &Shared,
    report: &Mutex<Report>,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    let interval = job.name().interval().unwrap_or(Duration::MAX);
    let mut conn = db::connect(shared.url)?;
    let mut next = Instant::now();
    loop {
        while Instant::now() < next {
            if stop.load(Ordering::SeqCst) || next >= deadline.loop_end {
                return Ok(());
            }
            std::thread::sleep(TICK.min(next - Instant::now()));
        }
        if stop.load(Ordering::SeqCst) || !deadline.may_iterate() {
            return Ok(());
        }
        let outcome = iterate(&mut conn, job, deadline, shared)?;
        let pause = match outcome.pace {
            Some(Pace::Soon) => SOON,
            _ => interval,
        };
        report
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(outcome, job.name());
        next = Instant::now() + pause;
    }
}

/// One iteration of a job, its errors counted in the job's state row. Only
/// a lost database connection is returned as an error.
fn iterate(
    conn: &mut MysqlConnection,
    job: &mut dyn Job,
    deadline: Deadline,
    shared: &Shared,
) -> anyhow::Result<Outcome> {
    let name = job.name();
    let key = name.key();
    let now = shared.zone.now();
    collector_state::ensure(conn, key, now)?;
    collector_state::mark_run_start(conn, key, now)?;
    let mut ctx = Context::new(conn, shared.api, shared.zone, deadline, shared.environment);
    let result = job.iterate(&mut ctx);
    let mut outcome = Outcome {
        errors: ctx.errors(),
        ..Outcome::default()
    };
    match result {
        Ok(pace) => outcome.pace = Some(pace),
        Err(e) if is_connection_lost(&e) => return Err(e),
        Err(e) => {
            match e.downcast_ref::<Stale>() {
                Some(Stale(message)) => outcome.stale = Some(message.clone()),
                None => log::error!("{key}: {e:#}"),
            }
            outcome.errors += 1;
        }
    }
    let now = shared.zone.now();
    if outcome.errors > 0 {
        collector_state::mark_errors(conn, key, outcome.errors, now)?;
    }
    if outcome.pace.is_some() {
        collector_state::mark_success(conn, key, now)?;
    }
    Ok(outcome)
}

/// Whether an error means the database connection is gone: the run cannot
/// go on, and ends with the database's exit code.
pub fn is_connection_lost(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        if let Some(Error::DatabaseUnreachable { .. }) = cause.downcast_ref::<Error>() {
            return true;
        }
        let diesel_error = cause.downcast_ref::<diesel::result::Error>().or_else(|| {
            match cause.downcast_ref::<Error>() {
                Some(Error::Database(e)) => Some(e),
                _ => None,
            }
        });
        matches!(
            diesel_error,
            Some(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UnableToSendCommand
                    | diesel::result::DatabaseErrorKind::ClosedConnection,
                _
            ))
        ) || diesel_error.is_some_and(|e| {
            let text = e.to_string().to_lowercase();
            text.contains("server has gone away") || text.contains("lost connection")
        })
    })
}
