//! One scan's result, kept for the other jobs of the same season and window
//! within this run: the statistics of a season run one after the other and
//! would otherwise read the same rows once each.

use crate::db::models::Season;
use chrono::NaiveDateTime;
use std::sync::{Arc, Mutex};

/// The last result loaded, with the season and window it was loaded for.
pub struct Scan<T> {
    rows: Mutex<Option<(ScanKey, Arc<T>)>>,
}

impl<T> Default for Scan<T> {
    fn default() -> Scan<T> {
        Scan::new()
    }
}

type ScanKey = (i32, NaiveDateTime, NaiveDateTime);

impl<T> Scan<T> {
    pub const fn new() -> Scan<T> {
        Scan {
            rows: Mutex::new(None),
        }
    }

    /// The result for `season`'s window: the kept one, or what `load` reads.
    pub fn get(
        &self,
        season: &Season,
        load: impl FnOnce() -> anyhow::Result<T>,
    ) -> anyhow::Result<Arc<T>> {
        let key = (season.id, season.start_time, season.end_time);
        let mut rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((cached, found)) = rows.as_ref() {
            if *cached == key {
                return Ok(Arc::clone(found));
            }
        }
        let loaded = Arc::new(load()?);
        *rows = Some((key, Arc::clone(&loaded)));
        Ok(loaded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn season(id: i32, end: &str) -> Season {
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        Season {
            id,
            name: "S".into(),
            start_time: at("2026-01-01 00:00:00"),
            end_time: at(end),
            is_aggregated: false,
        }
    }

    #[test]
    fn one_load_per_season_and_window() {
        let scan: Scan<Vec<i32>> = Scan::new();
        let loads = Cell::new(0);
        let get = |s: &Season| {
            scan.get(s, || {
                loads.set(loads.get() + 1);
                Ok(vec![loads.get()])
            })
            .unwrap()
        };
        let first = season(1, "2026-02-01 00:00:00");
        assert_eq!(*get(&first), vec![1]);
        assert_eq!(*get(&first), vec![1]);
        assert_eq!(*get(&season(1, "2026-03-01 00:00:00")), vec![2]);
        assert_eq!(*get(&season(2, "2026-03-01 00:00:00")), vec![3]);
        assert_eq!(*get(&season(2, "2026-03-01 00:00:00")), vec![3]);
    }

    #[test]
    fn a_failed_load_keeps_nothing() {
        let scan: Scan<Vec<i32>> = Scan::new();
        let s = season(1, "2026-02-01 00:00:00");
        assert!(scan.get(&s, || anyhow::bail!("down")).is_err());
        assert_eq!(*scan.get(&s, || Ok(vec![7])).unwrap(), vec![7]);
    }
}
