//! `compute-stats --repair KIND`: which flags each repair takes, and the
//! one-off each one runs.

use super::one_off::{self, Mode};
use super::range;
use crate::config::Config;
use crate::error::Error;
use crate::stats::one_off::match_elo::MatchElo;
use crate::stats::one_off::merge_maps::MergeMaps;
use crate::stats::one_off::pam_repair::{self, PamKind, PamRepair};

/// The repairs (admin.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Repair {
    /// Elo of finished games of the range stored more than the threshold
    /// above their players' points after the match (min, average, max
    /// recomputed from those points).
    MatchElo,
    /// Maps of one name (--map) merged into the one played most recently.
    MergeMaps,
    /// D1: an isolated 0 or NULL points after the match of a finished game
    /// of the range, between two values above 300, gets their average.
    PointsAfterMatch,
    /// D2: a run of 0 or NULL points after the match in 2v2 games touching
    /// the range, between two values above 300, is filled along the games'
    /// positions.
    CumulativePoints,
}

impl Repair {
    fn name(self) -> &'static str {
        match self {
            Repair::MatchElo => "match-elo",
            Repair::MergeMaps => "merge-maps",
            Repair::PointsAfterMatch => "points-after-match",
            Repair::CumulativePoints => "cumulative-points",
        }
    }

    /// Whether it works on a time range (--hours, or --start [--end]).
    fn takes_range(self) -> bool {
        match self {
            Repair::MatchElo | Repair::PointsAfterMatch | Repair::CumulativePoints => true,
            Repair::MergeMaps => false,
        }
    }

    /// Whether it works in batches of players (--batch).
    fn takes_batch(self) -> bool {
        match self {
            Repair::MatchElo | Repair::MergeMaps => false,
            Repair::PointsAfterMatch | Repair::CumulativePoints => true,
        }
    }
}

/// The flags of the repairs, as given.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub hours: Option<u32>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub batch: Option<u32>,
    pub map: Option<String>,
    pub threshold: Option<u32>,
}

/// Checks the flags `repair` takes against those given, then runs it.
pub fn run(repair: Repair, flags: &Flags, config: &Config, mode: Mode) -> anyhow::Result<()> {
    check_flags(repair, flags)?;
    let what = format!("--repair {}", repair.name());
    let range = || {
        range::from_flags(
            flags.hours,
            flags.start.as_deref(),
            flags.end.as_deref(),
            config.zone.now(),
            &what,
        )
    };
    match repair {
        Repair::MatchElo => {
            let range = range()?;
            let kind = MatchElo {
                start: range.start,
                end: range.end,
                threshold: flags.threshold.unwrap_or(crate::db::elo::DEFAULT_THRESHOLD),
            };
            one_off::run(&kind, config, super::RUN_LOCK, mode)
        }
        Repair::MergeMaps => {
            let name = flags.map.clone().unwrap_or_default();
            one_off::run(&MergeMaps { name }, config, super::RUN_LOCK, mode)
        }
        Repair::PointsAfterMatch | Repair::CumulativePoints => {
            let range = range()?;
            let (kind, default_batch) = if repair == Repair::PointsAfterMatch {
                (PamKind::Isolated, pam_repair::DEFAULT_BATCH_ISOLATED)
            } else {
                (PamKind::Runs, pam_repair::DEFAULT_BATCH_RUNS)
            };
            let kind = PamRepair {
                kind,
                range: pam_repair::Range {
                    start: range.start,
                    end: range.end,
                },
                batch: flags.batch.map_or(default_batch, |b| b as usize),
            };
            one_off::run(&kind, config, super::RUN_LOCK, mode)
        }
    }
}

/// A flag the repair does not use, or one it needs and lacks, is a usage
/// error.
fn check_flags(repair: Repair, flags: &Flags) -> Result<(), Error> {
    let what = format!("--repair {}", repair.name());
    let ranged = flags.hours.is_some() || flags.start.is_some() || flags.end.is_some();
    if ranged && !repair.takes_range() {
        return Err(Error::invalid(format!(
            "{what} takes no time range (--hours, --start, --end)"
        )));
    }
    if flags.batch.is_some() && !repair.takes_batch() {
        return Err(Error::invalid(format!("{what} takes no --batch")));
    }
    if flags.threshold.is_some() && repair != Repair::MatchElo {
        return Err(Error::invalid(format!("{what} takes no --threshold")));
    }
    match (repair == Repair::MergeMaps, flags.map.as_deref()) {
        (true, None) => Err(Error::invalid(format!(
            "{what} needs --map NAME, the name of the maps to merge"
        ))),
        (true, Some(name)) if name.trim().is_empty() => Err(Error::invalid(format!(
            "{what}: --map needs a name (maps whose name is not fetched yet are not merged)"
        ))),
        (false, Some(_)) => Err(Error::invalid(format!("{what} takes no --map"))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(repair: Repair, flags: Flags, says: &str) {
        let err = check_flags(repair, &flags).unwrap_err();
        assert!(err.to_string().contains(says), "{err}");
        assert_eq!(err.exit_code(), crate::error::exit::USAGE);
    }

    #[test]
    fn each_repair_takes_its_own_flags() {
        let map = |name: &str| Flags {
            map: Some(name.to_string()),
            ..Flags::default()
        };
        assert!(check_flags(Repair::MergeMaps, &map("A")).is_ok());
        refused(Repair::MergeMaps, Flags::default(), "needs --map NAME");
        refused(Repair::MergeMaps, map(" "), "--map needs a name");
        let hours = Flags {
            hours: Some(3),
            ..map("A")
        };
        refused(Repair::MergeMaps, hours, "takes no time range");
        refused(Repair::MatchElo, map("A"), "takes no --map");
        let batch = Flags {
            batch: Some(10),
            hours: Some(1),
            ..Flags::default()
        };
        refused(Repair::MatchElo, batch, "takes no --batch");
        let threshold = Flags {
            threshold: Some(10),
            ..map("A")
        };
        refused(Repair::MergeMaps, threshold, "takes no --threshold");
        let ok = Flags {
            threshold: Some(10),
            start: Some("2026-01-01".to_string()),
            ..Flags::default()
        };
        assert!(check_flags(Repair::MatchElo, &ok).is_ok());
    }
}
