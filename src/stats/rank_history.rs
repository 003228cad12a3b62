//! S07 rank distribution time series (stats.md §3): active players per rank
//! tier (P-player-band on current points and rank), one sample appended to
//! the season's file at most every 12 hours. The file is the history: it is
//! never rebuilt, and one that cannot be read is left as it is.

use crate::db::models::Season;
use crate::stats::ladder::ladder;
use crate::stats::output::{now_epoch, Document};
use crate::stats::tiers::{p_player_band, RANKS};
use anyhow::{anyhow, Context};
use diesel::MysqlConnection;
use serde_json::{json, Map, Value};
use std::path::Path;

/// Seconds a sample stays the latest one.
pub const SAMPLE_INTERVAL_SECS: f64 = 12.0 * 3600.0;

/// S07: `get_activity_per_rank_distribution_<S>.txt`, the file of the
/// season being computed, with a new sample when its latest is 12 h old.
pub fn distribution(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    // The job frame hands producers no cache folder; the run's own setting
    // (CACHE_DIR) is read the same way, so both name the same file.
    let cache = crate::config::cache_dir(&crate::env::process_var)?;
    let path = Document::main(job, season.id, Value::Null).path;
    let history = read_history(&cache.join(&path))?;
    let now = now_epoch();
    let content = if is_due(&history, now) {
        let sample = sample(conn, season, now)?;
        append(history, sample, now)
    } else {
        history.into_value()
    };
    Ok(vec![Document::main(job, season.id, content)])
}

/// A history file's content: its samples and the time of the latest.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub results: Vec<Value>,
    pub last_updated: f64,
}

impl History {
    fn into_value(self) -> Value {
        json!({"results": self.results, "last_updated": self.last_updated})
    }
}

/// The history in `path`; an empty one when there is no file. A file that
/// cannot be read or is not a history is an error: it is never replaced.
pub fn read_history(path: &Path) -> anyhow::Result<History> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(History {
                results: Vec::new(),
                last_updated: 0.0,
            })
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    parse_history(&text).ok_or_else(|| {
        anyhow!(
            "{} is not a rank distribution history (an object with a results array and a \
             numeric last_updated); it is left as it is: repair it, or move it away to start \
             a new history",
            path.display()
        )
    })
}

fn parse_history(text: &str) -> Option<History> {
    let value: Value = serde_json::from_str(text).ok()?;
    let object = value.as_object()?;
    let results = object.get("results")?.as_array()?.clone();
    let last_updated = object.get("last_updated")?.as_f64()?;
    Some(History {
        results,
        last_updated,
    })
}

/// Whether the latest sample is more than 12 h older than `now`.
pub fn is_due(history: &History, now: f64) -> bool {
    history.last_updated < now - SAMPLE_INTERVAL_SECS
}

fn append(mut history: History, sample: Value, now: f64) -> Value {
    history.results.push(sample);
    history.last_updated = now;
    history.into_value()
}

/// One sample: players whose last match started at or after the season's
/// start (no upper bound) per tier of their current points and rank (b1 …
/// tm), 0 for an empty tier, and its date.
fn sample(conn: &mut MysqlConnection, season: &Season, now: f64) -> anyhow::Result<Value> {
    let ladder = ladder(conn, season)?;
    let mut counts = [0i64; RANKS.len()];
    for player in ladder.active_since(season.start_time) {
        for (i, tier) in RANKS.iter().enumerate() {
            counts[i] += i64::from(p_player_band(*tier, player.points, player.rank));
        }
    }
    let mut sample = Map::new();
    for (i, tier) in RANKS.iter().enumerate().rev() {
        sample.insert(tier.key.to_string(), json!(counts[i]));
    }
    sample.insert("date".to_string(), json!(now));
    Ok(Value::Object(sample))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_rewritten_keeps_its_dates_to_the_last_bit() {
        // serde_json's default float parsing was off by one unit in the last
        // place for this date, so every rewrite of the file moved it.
        let date = 1_795_978_562.452_220_7_f64;
        let text =
            format!(r#"{{"results": [{{"b1": 7, "date": {date}}}], "last_updated": {date}}}"#);
        let history = parse_history(&text).unwrap();
        assert_eq!(history.last_updated.to_bits(), date.to_bits());
        let rewritten = history.into_value().to_string();
        assert_eq!(
            parse_history(&rewritten).unwrap().last_updated.to_bits(),
            date.to_bits()
        );
        assert!(rewritten.contains("1795978562.4522207"), "{rewritten}");
    }

    #[test]
    fn histories_parse_or_are_refused() {
        assert_eq!(
            parse_history(r#"{"results": [{"b1": 1}], "last_updated": 12.5}"#),
            Some(History {
                results: vec![json!({"b1": 1})],
                last_updated: 12.5
            })
        );
        assert_eq!(parse_history(""), None);
        assert_eq!(parse_history("[]"), None);
        assert_eq!(parse_history(r#"{"results": {}, "last_updated": 1}"#), None);
        assert_eq!(
            parse_history(r#"{"results": [], "last_updated": "x"}"#),
            None
        );
        assert_eq!(parse_history(r#"{"results": []}"#), None);
    }

    #[test]
    fn a_sample_is_due_after_twelve_hours() {
        let history = |last_updated| History {
            results: Vec::new(),
            last_updated,
        };
        let now = 100_000.0;
        assert!(is_due(&history(0.0), now));
        assert!(is_due(&history(now - 43_200.5), now));
        assert!(!is_due(&history(now - 43_200.0), now));
        assert!(!is_due(&history(now + 10.0), now));
    }
}
