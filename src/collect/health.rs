//! The health file (`<CACHE_DIR>/thread_health.json`), in the shape the
//! reference's web server reads for `GET /api/thread_health`: one entry per
//! job, under the name of the reference thread it replaces,
//! `{"is_alive": bool, "start_time": iso, "last_error_time": iso|null,
//! "error_count": int}` with naive local ISO times. Entries of names mmstatus
//! does not own are kept. Written atomically (temporary file, rename).

use crate::collect::JobName;
use crate::db::collector_state::JobState;
use chrono::NaiveDateTime;
use serde_json::{json, Map, Value};
use std::path::Path;

pub const FILE_NAME: &str = "thread_health.json";

/// A job counts as alive when its last successful iteration is this many
/// intervals old at most (once-per-run jobs: this many minutes, the cron
/// period).
const ALIVE_INTERVALS: u32 = 3;

fn iso(time: NaiveDateTime) -> String {
    time.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// The entry of one job.
pub fn entry(job: JobName, state: &JobState, now: NaiveDateTime) -> Value {
    let period = job
        .interval()
        .unwrap_or(std::time::Duration::from_secs(60))
        .saturating_mul(ALIVE_INTERVALS);
    let period = chrono::Duration::from_std(period).unwrap_or(chrono::Duration::MAX);
    let is_alive = state
        .last_success
        .is_some_and(|t| now.signed_duration_since(t) <= period);
    json!({
        "is_alive": is_alive,
        "start_time": iso(state.created_at),
        "last_error_time": state.last_error_at.map(iso),
        "error_count": state.error_count,
    })
}

/// Merges the entries of `states` (those of known jobs) into `existing`.
pub fn merge(existing: Option<Value>, states: &[JobState], now: NaiveDateTime) -> Value {
    let mut document = match existing {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    for state in states {
        let job = JobName::FETCH
            .iter()
            .chain([&JobName::Names])
            .find(|j| j.key() == state.job);
        if let Some(job) = job {
            document.insert(job.thread_name().to_string(), entry(*job, state, now));
        }
    }
    Value::Object(document)
}

/// Rewrites the health file in `dir` with the entries of `states`.
pub fn write(dir: &Path, states: &[JobState], now: NaiveDateTime) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(FILE_NAME);
    let existing = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    let document = merge(existing, states, now);
    crate::atomic_file::write(&path, serde_json::to_string_pretty(&document)?.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn state(job: &str, success: Option<&str>, errors: i32) -> JobState {
        JobState {
            job: job.to_string(),
            cursor_int: None,
            counter: 0,
            cursor_text: None,
            last_poll_at: None,
            created_at: at("2026-11-29 10:00:00"),
            last_run_start: None,
            last_success: success.map(at),
            last_error_at: (errors > 0).then(|| at("2026-11-29 10:05:00")),
            error_count: errors,
        }
    }

    #[test]
    fn entries_say_alive_within_three_intervals() {
        let now = at("2026-11-29 10:10:00");
        let matches = entry(
            JobName::Matches,
            &state("matches", Some("2026-11-29 10:08:31"), 0),
            now,
        );
        assert_eq!(
            matches,
            json!({"is_alive": true, "start_time": "2026-11-29T10:00:00",
                   "last_error_time": null, "error_count": 0})
        );
        let late = entry(
            JobName::Matches,
            &state("matches", Some("2026-11-29 10:08:29"), 2),
            now,
        );
        assert_eq!(late["is_alive"], false);
        assert_eq!(late["last_error_time"], "2026-11-29T10:05:00");
        assert_eq!(late["error_count"], 2);
        let never = entry(JobName::Token, &state("token", None, 0), now);
        assert_eq!(never["is_alive"], false);
    }

    #[test]
    fn merging_keeps_entries_of_others_and_replaces_ours() {
        let now = at("2026-11-29 10:10:00");
        let existing = json!({
            "UpdateBigQueriesThread": {"is_alive": true},
            "GetMatchesThread": {"is_alive": false, "error_count": 99},
        });
        let merged = merge(
            Some(existing),
            &[
                state("matches", Some("2026-11-29 10:09:00"), 1),
                state("not-a-job", None, 0),
            ],
            now,
        );
        assert_eq!(merged["UpdateBigQueriesThread"]["is_alive"], true);
        assert_eq!(merged["GetMatchesThread"]["error_count"], 1);
        assert_eq!(merged.as_object().unwrap().len(), 2);
        assert_eq!(merge(Some(json!([1])), &[], now), json!({}));
    }
}
