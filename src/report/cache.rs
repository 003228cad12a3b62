//! The statistics' cache as the report sees it: which files of a season
//! exist and how old they are (their `last_updated`), and a few statistics
//! read back from their files, never recomputed. A missing file is "not
//! computed yet"; a file that cannot be read or parsed is said so, never an
//! error of the report.

use crate::stats::{self, Job};
use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Rows shown of each leaderboard.
pub const TOP: usize = 5;
/// S11 of every tier (b1: every game with an elo).
pub const ACTIVITY_JOB: &str = "get_activity_per_hour_0";
pub const CLUBS_JOB: &str = "get_clubs_leaderboard";
pub const COUNTRIES_JOB: &str = "get_countries_leaderboard";

#[derive(Debug, Clone, PartialEq)]
pub struct CacheReport {
    pub dir: PathBuf,
    /// The season whose files are looked at (the current one).
    pub season: Option<i32>,
    /// One row per statistic (S01 … S19).
    pub statistics: Vec<StatisticFiles>,
    pub clubs: Cached<Vec<LeaderRow>>,
    pub countries: Cached<Vec<LeaderRow>>,
    /// Games per hour of the day, 0-1 to 23-24.
    pub activity: Cached<Vec<i64>>,
}

/// The main files of one statistic's jobs for the season.
#[derive(Debug, Clone, PartialEq)]
pub struct StatisticFiles {
    pub code: &'static str,
    pub description: &'static str,
    pub expected: usize,
    pub present: usize,
    /// Present but unreadable, or without a numeric `last_updated`.
    pub unreadable: usize,
    /// Seconds since the oldest and the newest `last_updated`.
    pub oldest_age: Option<f64>,
    pub newest_age: Option<f64>,
}

/// A statistic read back from its file.
#[derive(Debug, Clone, PartialEq)]
pub enum Cached<T> {
    NotComputed,
    Unreadable(String),
    Read { value: T, age: Option<f64> },
}

/// One row of a leaderboard file.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaderRow {
    pub name: String,
    pub points: i64,
    pub count: i64,
}

/// What the report reads of `dir` for `season` (nothing without one).
pub fn read(dir: &Path, season: Option<i32>, now_epoch: f64) -> CacheReport {
    let Some(season) = season else {
        return CacheReport {
            dir: dir.to_path_buf(),
            season: None,
            statistics: Vec::new(),
            clubs: Cached::NotComputed,
            countries: Cached::NotComputed,
            activity: Cached::NotComputed,
        };
    };
    let file = |job: &str| dir.join(format!("{job}_{season}.txt"));
    CacheReport {
        dir: dir.to_path_buf(),
        season: Some(season),
        statistics: statistic_files(dir, season, now_epoch),
        clubs: read_document(&file(CLUBS_JOB), now_epoch, leaderboard),
        countries: read_document(&file(COUNTRIES_JOB), now_epoch, leaderboard),
        activity: read_document(&file(ACTIVITY_JOB), now_epoch, activity_per_hour),
    }
}

/// Only `last_updated` of a file: the rest is skipped unparsed.
#[derive(Deserialize)]
struct Stamp {
    last_updated: Option<f64>,
}

fn statistic_files(dir: &Path, season: i32, now_epoch: f64) -> Vec<StatisticFiles> {
    let jobs = stats::all_jobs();
    stats::STATISTICS
        .iter()
        .map(|statistic| {
            let of_statistic: Vec<&Job> = jobs
                .iter()
                .filter(|j| j.statistic.code == statistic.code)
                .collect();
            let mut files = StatisticFiles {
                code: statistic.code,
                description: statistic.description,
                expected: of_statistic.len(),
                present: 0,
                unreadable: 0,
                oldest_age: None,
                newest_age: None,
            };
            for job in of_statistic {
                count_file(&mut files, &dir.join(job.main_file(season)), now_epoch);
            }
            files
        })
        .collect()
}

fn count_file(files: &mut StatisticFiles, path: &Path, now_epoch: f64) {
    let Ok(file) = std::fs::File::open(path) else {
        return;
    };
    files.present += 1;
    let stamp: Option<Stamp> = serde_json::from_reader(std::io::BufReader::new(file)).ok();
    match stamp.and_then(|s| s.last_updated).filter(|t| t.is_finite()) {
        Some(stamp) => {
            let age = now_epoch - stamp;
            files.oldest_age = Some(files.oldest_age.map_or(age, |a| a.max(age)));
            files.newest_age = Some(files.newest_age.map_or(age, |a| a.min(age)));
        }
        None => files.unreadable += 1,
    }
}

/// Reads a document and takes `parse` of its `results`.
fn read_document<T>(path: &Path, now_epoch: f64, parse: impl Fn(&Value) -> Option<T>) -> Cached<T> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Cached::NotComputed,
        Err(e) => return Cached::Unreadable(format!("{}: {e}", path.display())),
    };
    let unexpected = || Cached::Unreadable(format!("{}: not the expected JSON", path.display()));
    let Ok(document) = serde_json::from_str::<Value>(&text) else {
        return unexpected();
    };
    let age = document["last_updated"]
        .as_f64()
        .filter(|t| t.is_finite())
        .map(|t| now_epoch - t);
    match parse(&document["results"]) {
        Some(value) => Cached::Read { value, age },
        None => unexpected(),
    }
}

/// The first [`TOP`] rows of S01 or S02 (`name`, `points`, `count`).
pub fn leaderboard(results: &Value) -> Option<Vec<LeaderRow>> {
    results
        .as_array()?
        .iter()
        .take(TOP)
        .map(|row| {
            Some(LeaderRow {
                name: row["name"].as_str()?.to_string(),
                points: row["points"].as_i64()?,
                count: row["count"].as_i64()?,
            })
        })
        .collect()
}

/// S11's 24 hours, `"0-1"` to `"23-24"`, a missing or null hour as 0.
pub fn activity_per_hour(results: &Value) -> Option<Vec<i64>> {
    let results = results.as_object()?;
    Some(
        (0..24)
            .map(|h| {
                results
                    .get(&format!("{h}-{}", h + 1))
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn leaderboards_keep_the_first_five_and_refuse_other_shapes() {
        let rows: Vec<Value> = (0..7)
            .map(|i| json!({"name": format!("C{i}"), "points": 100 - i, "count": 1}))
            .collect();
        let top = leaderboard(&Value::Array(rows)).unwrap();
        assert_eq!(top.len(), TOP);
        assert_eq!(top[4].name, "C4");
        assert_eq!(top[4].points, 96);
        assert_eq!(leaderboard(&json!({"a": 1})), None);
        assert_eq!(
            leaderboard(&json!([{"name": "x", "points": "1", "count": 1}])),
            None
        );
        assert_eq!(
            leaderboard(&json!([{"name": "x", "points": 1e300, "count": 1}])),
            None
        );
    }

    #[test]
    fn activity_reads_24_hours_with_gaps_as_zero() {
        let hours = activity_per_hour(&json!({"0-1": 4, "23-24": 2, "5-6": null})).unwrap();
        assert_eq!(hours.len(), 24);
        assert_eq!((hours[0], hours[5], hours[23]), (4, 0, 2));
        assert_eq!(activity_per_hour(&json!([1, 2])), None);
    }
}
