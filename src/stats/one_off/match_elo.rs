//! `compute-stats --repair match-elo`: the elo of finished games of a time
//! range stored too high, recomputed from their players' points after the
//! match (admin.md recompute_match_elo); the selection and arithmetic are
//! fetch's recompute-elo job's (db::elo), over any range.

use super::{changed_since_listed, OneOff, Unit};
use crate::db::elo::{self, EloFix};
use crate::time::DATETIME_FORMAT;
use chrono::NaiveDateTime;
use diesel::MysqlConnection;
use std::fmt;

/// Games written per transaction.
pub const GAMES_PER_TRANSACTION: usize = 500;

/// One game's elo, as stored and as recomputed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GameElo(pub EloFix);

impl fmt::Display for GameElo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = &self.0;
        write!(
            f,
            "game {} at {}: min/avg/max {}/{}/{} -> {}/{}/{}",
            g.game,
            g.time.format(DATETIME_FORMAT),
            g.old.min,
            g.old.average,
            g.old.max,
            g.new.min,
            g.new.average,
            g.new.max
        )
    }
}

/// The repair over `[start, end]`, both ends included.
pub struct MatchElo {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub threshold: u32,
}

impl OneOff for MatchElo {
    type Change = GameElo;

    fn plan(&self, conn: &mut MysqlConnection) -> anyhow::Result<Vec<Unit<GameElo>>> {
        let fixes = elo::divergent(conn, self.start, self.end, self.threshold, i64::MAX)?;
        Ok(fixes
            .chunks(GAMES_PER_TRANSACTION)
            .enumerate()
            .map(|(i, batch)| {
                let (first, last) = (batch[0].game, batch[batch.len() - 1].game);
                Unit::new(
                    format!("games {first}-{last}"),
                    i64::try_from(i).unwrap_or(i64::MAX),
                    batch.iter().cloned().map(GameElo).collect(),
                    "nothing to recompute",
                )
            })
            .collect())
    }

    fn apply(&self, conn: &mut MysqlConnection, unit: &Unit<GameElo>) -> anyhow::Result<String> {
        let fixes: Vec<EloFix> = unit.changes.iter().map(|c| c.0.clone()).collect();
        let written = elo::write(conn, &fixes)?;
        if written != fixes.len() {
            return Err(changed_since_listed(&format!(
                "the elo of {} game(s) of {}",
                fixes.len() - written.min(fixes.len()),
                unit.label
            )));
        }
        Ok(format!("elo recomputed for {written} game(s)"))
    }

    fn nothing_to_do(&self) -> String {
        format!(
            "nothing to recompute: no finished game from {} to {} has its elo more than {} above \
             its players' points after the match",
            self.start.format(DATETIME_FORMAT),
            self.end.format(DATETIME_FORMAT),
            self.threshold
        )
    }
}
