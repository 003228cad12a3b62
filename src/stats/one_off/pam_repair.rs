//! The two repairs of `playergame.points_after_match` (stats.md §8, admin.md
//! "Fix scripts"), as plans and one apply: D1 fills isolated bad values with
//! the average of their neighbours, D2 fills runs of bad values between two
//! good ones along the shape of the games' positions.
//!
//! A value is bad when it is 0 or NULL, a neighbour good when it is above
//! [`MIN_NEIGHBOUR_POINTS`]; only finished games count, in a player's order
//! of `(game.time, playergame.id)` over all time. Planning only reads: the
//! players with a bad value in the range, then one query per batch of them.
//! [`apply`] writes a plan, each row only while it still holds the value the
//! plan read, so a collector writing meanwhile is never overwritten and a
//! second run finds nothing left to do.

use super::{changed_since_listed, OneOff, Unit};
use crate::db::bulk::{Bind, Statement};
use crate::db::lock_retry;
use crate::error::Error;
use crate::time::DATETIME_FORMAT;
use anyhow::Context;
use chrono::NaiveDateTime;
use diesel::sql_types::{BigInt, Datetime, Integer, Nullable, Text};
use diesel::{MysqlConnection, QueryableByName};
use std::collections::BTreeMap;
use std::fmt;

/// Players per batch of D1 (the reference's default).
pub const DEFAULT_BATCH_ISOLATED: usize = 1000;
/// Players per batch of D2 (the reference's default).
pub const DEFAULT_BATCH_RUNS: usize = 200;
/// The largest batch: a batch's players are bound one placeholder each, and
/// a statement takes at most 65535.
pub const MAX_BATCH: usize = 10_000;
/// A neighbour must hold more points than this to be trusted.
pub const MIN_NEIGHBOUR_POINTS: i32 = 300;
/// Rows per UPDATE of [`apply`] (three placeholders each): a batch of players
/// with more changes gets several statements in its transaction.
const ROWS_PER_UPDATE: usize = 5_000;

/// Game times from `start` to `end`, both included (local naive times, as
/// stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

impl Range {
    pub fn contains(&self, time: NaiveDateTime) -> bool {
        self.start <= time && time <= self.end
    }
}

/// One row to repair: its value when planned and the value it gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PamChange {
    pub playergame_id: i32,
    pub player_id: String,
    pub game_id: i32,
    pub game_time: NaiveDateTime,
    pub old: Option<i32>,
    pub new: i32,
}

impl fmt::Display for PamChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let old = self.old.map_or("NULL".to_string(), |v| v.to_string());
        write!(
            f,
            "player {} game {} at {}: playergame {} points_after_match {} -> {}",
            self.player_id, self.game_id, self.game_time, self.playergame_id, old, self.new
        )
    }
}

fn is_bad(value: Option<i32>) -> bool {
    matches!(value, None | Some(0))
}

fn is_good_neighbour(value: Option<i32>) -> bool {
    value.is_some_and(|v| v > MIN_NEIGHBOUR_POINTS)
}

/// `batch` as the number of players (or changes' players) per unit.
fn checked_batch(batch: usize) -> Result<usize, Error> {
    if (1..=MAX_BATCH).contains(&batch) {
        Ok(batch)
    } else {
        Err(Error::invalid(format!(
            "the batch size must be 1 to {MAX_BATCH} players, not {batch}"
        )))
    }
}

fn checked_range(range: &Range) -> Result<(), Error> {
    if range.start <= range.end {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "the range starts ({}) after it ends ({})",
            range.start, range.end
        )))
    }
}

/// `sql` with its `{players}` marker replaced by `(?, …)` for `players`,
/// then `after` bound to the placeholders that follow it.
fn with_players(sql: &str, players: &[String], after: impl IntoIterator<Item = Bind>) -> Statement {
    let (head, tail) = sql
        .split_once("{players}")
        .expect("the SQL has a {players} marker");
    Statement::new(head).list(players).push_bound(tail, after)
}

#[derive(QueryableByName)]
struct PlayerId {
    #[diesel(sql_type = Text)]
    player_id: String,
}

fn affected_players(
    conn: &mut MysqlConnection,
    sql: &str,
    range: &Range,
) -> anyhow::Result<Vec<String>> {
    let rows: Vec<PlayerId> = Statement::bound(sql, [range.start.into(), range.end.into()])
        .load(conn)
        .map_err(Error::from)
        .context("cannot list the players with bad points after a match")?;
    Ok(rows.into_iter().map(|r| r.player_id).collect())
}

// ---------------------------------------------------------------- D1

/// D1's players: a bad value in a finished game of the range; binds start,
/// end.
pub const ISOLATED_PLAYERS_SQL: &str = "\
SELECT DISTINCT pg.player_id AS player_id FROM playergame pg JOIN game g ON g.id = pg.game_id \
WHERE g.is_finished = 1 AND (pg.points_after_match = 0 OR pg.points_after_match IS NULL) \
 AND g.time >= ? AND g.time <= ? \
ORDER BY pg.player_id";

/// D1's candidates among a batch of players: each bad value of a finished
/// game in the range, with the values of the player's finished games just
/// before and after it (NULL when there is none); binds the players, then
/// start, end.
pub const ISOLATED_CANDIDATES_SQL: &str = "\
SELECT c.id, c.player_id, c.game_id, c.game_time, c.pam, c.prev_pam, c.next_pam FROM ( \
 SELECT pg.id, pg.player_id, pg.game_id, g.time AS game_time, pg.points_after_match AS pam, \
  LAG(pg.points_after_match) OVER history AS prev_pam, \
  LEAD(pg.points_after_match) OVER history AS next_pam \
 FROM playergame pg JOIN game g ON g.id = pg.game_id \
 WHERE g.is_finished = 1 AND pg.player_id IN {players} \
 WINDOW history AS (PARTITION BY pg.player_id ORDER BY g.time, pg.id)) c \
WHERE (c.pam = 0 OR c.pam IS NULL) AND c.game_time >= ? AND c.game_time <= ? \
ORDER BY c.player_id, c.game_time, c.id";

#[derive(QueryableByName)]
struct Candidate {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Text)]
    player_id: String,
    #[diesel(sql_type = Integer)]
    game_id: i32,
    #[diesel(sql_type = Datetime)]
    game_time: NaiveDateTime,
    #[diesel(sql_type = Nullable<Integer>)]
    pam: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    prev_pam: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    next_pam: Option<i32>,
}

/// `sum / 2` rounded half away from zero, as MySQL's `ROUND` of the
/// decimal quotient.
pub fn halve_rounding_away_from_zero(sum: i64) -> i64 {
    if sum >= 0 {
        (sum + 1) / 2
    } else {
        (sum - 1) / 2
    }
}

/// D1's value for a bad row between `prev` and `next` (the stored values),
/// when both are good.
pub fn isolated_value(prev: Option<i32>, next: Option<i32>) -> Option<i32> {
    if !is_good_neighbour(prev) || !is_good_neighbour(next) {
        return None;
    }
    let sum = i64::from(prev?) + i64::from(next?);
    i32::try_from(halve_rounding_away_from_zero(sum)).ok()
}

/// D1: every isolated bad value of a finished game in `range` whose
/// neighbours are good, with their average. `batch` players per query.
pub fn plan_isolated(
    conn: &mut MysqlConnection,
    range: &Range,
    batch: usize,
) -> anyhow::Result<Vec<PamChange>> {
    let batch = checked_batch(batch)?;
    checked_range(range)?;
    let players = affected_players(conn, ISOLATED_PLAYERS_SQL, range)?;
    let mut changes = Vec::new();
    for players in players.chunks(batch) {
        let candidates: Vec<Candidate> = with_players(
            ISOLATED_CANDIDATES_SQL,
            players,
            [range.start.into(), range.end.into()],
        )
        .load(conn)
        .map_err(Error::from)
        .context("cannot read the games of a batch of players")?;
        changes.extend(candidates.into_iter().filter_map(|c| {
            let new = isolated_value(c.prev_pam, c.next_pam)?;
            Some(PamChange {
                playergame_id: c.id,
                player_id: c.player_id,
                game_id: c.game_id,
                game_time: c.game_time,
                old: c.pam,
                new,
            })
        }));
    }
    Ok(changes)
}

// ---------------------------------------------------------------- D2

/// D2's players: a bad value in a finished game of the range that has
/// exactly four participants; binds start, end.
pub const RUNS_PLAYERS_SQL: &str = "\
SELECT DISTINCT pg.player_id AS player_id FROM playergame pg JOIN game g ON g.id = pg.game_id \
WHERE g.is_finished = 1 AND (pg.points_after_match = 0 OR pg.points_after_match IS NULL) \
 AND g.time >= ? AND g.time <= ? \
 AND (SELECT COUNT(*) FROM playergame o WHERE o.game_id = pg.game_id) = 4 \
ORDER BY pg.player_id";

/// D2's histories of a batch of players: their finished games with exactly
/// four participants, each with the player's position by score (1 + the
/// participants with a strictly higher score; a NULL score is never
/// higher), in each player's order; binds the players.
pub const RUNS_HISTORIES_SQL: &str = "\
SELECT pg.id, pg.player_id, pg.game_id, g.time AS game_time, pg.points_after_match AS pam, \
 CAST(1 + SUM(CASE WHEN o.points > pg.points THEN 1 ELSE 0 END) AS SIGNED) AS position \
FROM playergame pg JOIN game g ON g.id = pg.game_id JOIN playergame o ON o.game_id = pg.game_id \
WHERE g.is_finished = 1 AND pg.player_id IN {players} \
GROUP BY pg.id, pg.player_id, pg.game_id, g.time, pg.points_after_match \
HAVING COUNT(*) = 4 \
ORDER BY pg.player_id, g.time, pg.id";

/// One game of a player's D2 history.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct HistoryRow {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Text)]
    pub player_id: String,
    #[diesel(sql_type = Integer)]
    pub game_id: i32,
    #[diesel(sql_type = Datetime)]
    pub game_time: NaiveDateTime,
    #[diesel(sql_type = Nullable<Integer>)]
    pub pam: Option<i32>,
    #[diesel(sql_type = BigInt)]
    pub position: i64,
}

/// The weight of a position in D2's shape; none outside 1…4.
fn position_weight(position: i64) -> Option<i64> {
    match position {
        1 => Some(40),
        2 => Some(20),
        3 => Some(-20),
        4 => Some(-40),
        _ => None,
    }
}

/// Python's `round()` of a float to an integer (halves to even); none when
/// it is not a number or does not fit a column.
pub fn round_half_to_even(value: f64) -> Option<i32> {
    let rounded = value.round_ties_even();
    if rounded.is_finite() && rounded >= f64::from(i32::MIN) && rounded <= f64::from(i32::MAX) {
        Some(rounded as i32)
    } else {
        None
    }
}

/// `p0 + numerator / denominator` in floats, rounded as Python does: the
/// reference computes it so.
fn shifted(p0: i32, numerator: i128, denominator: i128) -> Option<i32> {
    round_half_to_even(f64::from(p0) + numerator as f64 / denominator as f64)
}

/// D2's values for a run between `p0` and `p1` whose games gave
/// `positions`: the weights of the positions scaled so their running sum
/// ends on `p1 − p0`, or a straight line when a position is outside 1…4 or
/// the weights sum to 0. The last value is always `p1`. None when a value
/// would not fit the column.
pub fn run_values(p0: i32, p1: i32, positions: &[i64]) -> Option<Vec<i32>> {
    let delta = i128::from(p1) - i128::from(p0);
    let weights: Option<Vec<i64>> = positions.iter().map(|&p| position_weight(p)).collect();
    let total: i128 = weights
        .as_ref()
        .map_or(0, |w| w.iter().map(|&v| i128::from(v)).sum());
    match weights {
        Some(weights) if total != 0 => {
            let mut running: i128 = 0;
            weights
                .iter()
                .map(|&w| {
                    running += i128::from(w);
                    shifted(p0, running * delta, total)
                })
                .collect()
        }
        _ => {
            let n = positions.len() as i128;
            (1..=n).map(|k| shifted(p0, delta * k, n)).collect()
        }
    }
}

/// D2 on one player's history (his 2v2 finished games in order): every
/// maximal run of bad values with a row in `range`, not at either end of the
/// history, between two good values. A value that would equal the stored
/// one is no change.
pub fn plan_player_runs(history: &[HistoryRow], range: &Range) -> Vec<PamChange> {
    let mut changes = Vec::new();
    let mut i = 0;
    while i < history.len() {
        if !is_bad(history[i].pam) {
            i += 1;
            continue;
        }
        let start = i;
        while i < history.len() && is_bad(history[i].pam) {
            i += 1;
        }
        changes.extend(run_changes(history, start, i, range));
    }
    changes
}

/// The changes of the run `history[start..end]`, if it qualifies.
fn run_changes(history: &[HistoryRow], start: usize, end: usize, range: &Range) -> Vec<PamChange> {
    let run = &history[start..end];
    if start == 0 || end == history.len() || !run.iter().any(|r| range.contains(r.game_time)) {
        return Vec::new();
    }
    let (before, after) = (history[start - 1].pam, history[end].pam);
    let (Some(p0), Some(p1)) = (before, after) else {
        return Vec::new();
    };
    if !is_good_neighbour(before) || !is_good_neighbour(after) {
        return Vec::new();
    }
    let positions: Vec<i64> = run.iter().map(|r| r.position).collect();
    let Some(values) = run_values(p0, p1, &positions) else {
        log::warn!(
            "player {}: a run of {} games between {p0} and {p1} gives values outside the column; left as it is",
            run[0].player_id,
            run.len()
        );
        return Vec::new();
    };
    run.iter()
        .zip(values)
        .filter(|(row, new)| row.pam != Some(*new))
        .map(|(row, new)| PamChange {
            playergame_id: row.id,
            player_id: row.player_id.clone(),
            game_id: row.game_id,
            game_time: row.game_time,
            old: row.pam,
            new,
        })
        .collect()
}

/// D2: every run of bad values of 2v2 finished games that touches `range`
/// and lies between two good values, filled along the games' positions.
/// `batch` players per query.
pub fn plan_runs(
    conn: &mut MysqlConnection,
    range: &Range,
    batch: usize,
) -> anyhow::Result<Vec<PamChange>> {
    let batch = checked_batch(batch)?;
    checked_range(range)?;
    let players = affected_players(conn, RUNS_PLAYERS_SQL, range)?;
    let mut changes = Vec::new();
    for players in players.chunks(batch) {
        let rows: Vec<HistoryRow> = with_players(RUNS_HISTORIES_SQL, players, [])
            .load(conn)
            .map_err(Error::from)
            .context("cannot read the 2v2 games of a batch of players")?;
        // Grouped by the exact player id: the rows come in the order of the
        // column's collation, which is not Rust's.
        let mut histories: BTreeMap<String, Vec<HistoryRow>> = BTreeMap::new();
        for row in rows {
            histories
                .entry(row.player_id.clone())
                .or_default()
                .push(row);
        }
        for history in histories.values() {
            changes.extend(plan_player_runs(history, range));
        }
    }
    Ok(changes)
}

// ---------------------------------------------------------------- apply

/// Sets the planned values of the rows `{rows}` lists, each only while it
/// still holds its planned old value (`<=>`: NULL matches NULL).
pub const APPLY_SQL: &str = "\
UPDATE playergame pg JOIN ({rows}) fix ON fix.id = pg.id \
SET pg.points_after_match = fix.new_value \
WHERE pg.points_after_match <=> fix.old_value";

/// One row of the derived table of [`APPLY_SQL`].
const FIX_ROW_FIRST: &str = "SELECT ? AS id, ? AS old_value, ? AS new_value";
const FIX_ROW_NEXT: &str = " UNION ALL SELECT ?, ?, ?";

/// The UPDATE writing `changes`.
pub fn apply_statement(changes: &[PamChange]) -> Statement {
    let (head, tail) = APPLY_SQL
        .split_once("{rows}")
        .expect("APPLY_SQL has a {rows} marker");
    let mut statement = Statement::new(head);
    for (i, change) in changes.iter().enumerate() {
        let row = if i == 0 { FIX_ROW_FIRST } else { FIX_ROW_NEXT };
        statement = statement.push_bound(
            row,
            [
                change.playergame_id.into(),
                change.old.into(),
                change.new.into(),
            ],
        );
    }
    statement.push(tail)
}

/// `changes` cut into units of at most `batch` players each, in order.
fn units(changes: &[PamChange], batch: usize) -> Vec<&[PamChange]> {
    let mut units = Vec::new();
    let mut start = 0;
    let mut players = 0;
    for (i, change) in changes.iter().enumerate() {
        let new_player = i == 0 || changes[i - 1].player_id != change.player_id;
        if new_player {
            if players == batch {
                units.push(&changes[start..i]);
                start = i;
                players = 0;
            }
            players += 1;
        }
    }
    if start < changes.len() {
        units.push(&changes[start..]);
    }
    units
}

/// Writes a plan: one transaction per `batch` players, one UPDATE per
/// transaction (more only past [`ROWS_PER_UPDATE`] rows). The number of
/// rows changed. A failed unit stops the run; the units before it stay
/// written, and the error says so.
pub fn apply(
    conn: &mut MysqlConnection,
    changes: &[PamChange],
    batch: usize,
) -> anyhow::Result<usize> {
    let batch = checked_batch(batch)?;
    let units = units(changes, batch);
    let mut changed = 0;
    for (n, unit) in units.iter().enumerate() {
        let written = lock_retry::transaction(conn, |conn| {
            let mut written = 0;
            for rows in unit.chunks(ROWS_PER_UPDATE) {
                written += apply_statement(rows).execute(conn)?;
            }
            Ok::<_, diesel::result::Error>(written)
        })
        .map_err(Error::from)
        .with_context(|| {
            format!(
                "batch {} of {} failed, nothing of it written; the {changed} rows of the \
                 batches before it stay changed, and a rerun carries on",
                n + 1,
                units.len()
            )
        })?;
        log::debug!("batch {} of {}: {written} rows changed", n + 1, units.len());
        changed += written;
    }
    Ok(changed)
}

/// Which repair of points after the match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PamKind {
    /// D1: isolated bad values.
    Isolated,
    /// D2: runs of bad values in 2v2 games.
    Runs,
}

/// A repair as an admin one-off: its units are the batches of players
/// [`apply`] would write, each in a transaction of its own.
pub struct PamRepair {
    pub kind: PamKind,
    pub range: Range,
    pub batch: usize,
}

impl OneOff for PamRepair {
    type Change = PamChange;

    fn plan(&self, conn: &mut MysqlConnection) -> anyhow::Result<Vec<Unit<PamChange>>> {
        let changes = match self.kind {
            PamKind::Isolated => plan_isolated(conn, &self.range, self.batch)?,
            PamKind::Runs => plan_runs(conn, &self.range, self.batch)?,
        };
        let units = units(&changes, checked_batch(self.batch)?);
        let count = units.len();
        Ok(units
            .into_iter()
            .enumerate()
            .map(|(i, rows)| {
                Unit::new(
                    format!("batch {} of {count}", i + 1),
                    i64::try_from(i).unwrap_or(i64::MAX),
                    rows.to_vec(),
                    "nothing to repair",
                )
            })
            .collect())
    }

    fn apply(&self, conn: &mut MysqlConnection, unit: &Unit<PamChange>) -> anyhow::Result<String> {
        let mut written = 0;
        for rows in unit.changes.chunks(ROWS_PER_UPDATE) {
            written += apply_statement(rows).execute(conn)?;
        }
        if written != unit.changes.len() {
            return Err(changed_since_listed(&format!(
                "{} of the values of {}",
                unit.changes.len() - written.min(unit.changes.len()),
                unit.label
            )));
        }
        Ok(format!("{written} points after the match repaired"))
    }

    fn nothing_to_do(&self) -> String {
        let what = match self.kind {
            PamKind::Isolated => "isolated 0 or NULL points after the match",
            PamKind::Runs => "run of 0 or NULL points after the match in 2v2 games",
        };
        format!(
            "nothing to repair: no {what} between trusted values in finished games from {} to {}",
            self.range.start.format(DATETIME_FORMAT),
            self.range.end.format(DATETIME_FORMAT)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn day() -> Range {
        Range {
            start: at("2026-01-02 00:00:00"),
            end: at("2026-01-02 23:59:59"),
        }
    }

    #[test]
    fn d1_rounds_a_half_away_from_zero() {
        assert_eq!(halve_rounding_away_from_zero(2001), 1001);
        assert_eq!(halve_rounding_away_from_zero(2003), 1002);
        assert_eq!(halve_rounding_away_from_zero(2000), 1000);
        assert_eq!(halve_rounding_away_from_zero(-3), -2);
        assert_eq!(isolated_value(Some(1000), Some(1001)), Some(1001));
        assert_eq!(isolated_value(Some(1001), Some(1002)), Some(1002));
        assert_eq!(
            isolated_value(Some(i32::MAX), Some(i32::MAX)),
            Some(i32::MAX)
        );
    }

    #[test]
    fn d1_needs_two_neighbours_above_300() {
        assert_eq!(isolated_value(Some(301), Some(301)), Some(301));
        for (prev, next) in [
            (Some(300), Some(1000)),
            (Some(1000), Some(300)),
            (None, Some(1000)),
            (Some(1000), None),
            (Some(0), Some(1000)),
            (Some(-5000), Some(1000)),
        ] {
            assert_eq!(isolated_value(prev, next), None, "{prev:?} {next:?}");
        }
    }

    #[test]
    fn d2_rounds_a_half_to_even() {
        assert_eq!(round_half_to_even(1000.5), Some(1000));
        assert_eq!(round_half_to_even(1001.5), Some(1002));
        assert_eq!(round_half_to_even(-0.5), Some(0));
        assert_eq!(round_half_to_even(1000.4999), Some(1000));
        assert_eq!(round_half_to_even(f64::NAN), None);
        assert_eq!(round_half_to_even(f64::INFINITY), None);
        assert_eq!(round_half_to_even(3e9), None);
        // Linear over two games: 1000 + 1/2 → 1000, 1001 + 1/2 → 1002.
        assert_eq!(run_values(1000, 1001, &[1, 4]), Some(vec![1000, 1001]));
        assert_eq!(run_values(1001, 1002, &[1, 4]), Some(vec![1002, 1002]));
    }

    #[test]
    fn d2_scales_the_weights_of_the_positions() {
        // Weights 40, 20, 40 (R = 100) over Δ = 60: 24, 36, 60.
        assert_eq!(
            run_values(1000, 1060, &[1, 2, 1]),
            Some(vec![1024, 1036, 1060])
        );
        // Four second places: running 20…80 of 80 over Δ = 6: 1.5, 3, 4.5, 6.
        assert_eq!(
            run_values(1000, 1006, &[2, 2, 2, 2]),
            Some(vec![1002, 1003, 1004, 1006])
        );
        // Losing weights with a gain: 3rd and 4th (R = −60) over Δ = 30.
        assert_eq!(run_values(1000, 1030, &[3, 4]), Some(vec![1010, 1030]));
    }

    #[test]
    fn d2_falls_back_to_a_line() {
        // R = 0.
        assert_eq!(
            run_values(1000, 1120, &[1, 4, 2, 3]),
            Some(vec![1030, 1060, 1090, 1120])
        );
        // A position outside 1…4.
        assert_eq!(
            run_values(1000, 1090, &[1, 5, 1]),
            Some(vec![1030, 1060, 1090])
        );
        assert_eq!(run_values(1000, 1090, &[0, 1]), Some(vec![1045, 1090]));
    }

    #[test]
    fn d2_refuses_values_outside_the_column() {
        // Weights 40, 40, −40, −40, 20 (R = 20): the running sum reaches 80,
        // four times Δ.
        assert_eq!(run_values(301, i32::MAX, &[1, 1, 4, 4, 2]), None);
    }

    fn row(id: i32, time: &str, pam: Option<i32>, position: i64) -> HistoryRow {
        HistoryRow {
            id,
            player_id: "p".into(),
            game_id: id,
            game_time: at(time),
            pam,
            position,
        }
    }

    fn fixed(history: &[HistoryRow], range: &Range) -> Vec<(i32, i32)> {
        plan_player_runs(history, range)
            .iter()
            .map(|c| (c.playergame_id, c.new))
            .collect()
    }

    #[test]
    fn d2_skips_runs_at_either_end_of_the_history() {
        let history = [
            row(1, "2026-01-02 01:00:00", None, 1),
            row(2, "2026-01-02 02:00:00", Some(1000), 1),
            row(3, "2026-01-02 03:00:00", Some(0), 1),
            row(4, "2026-01-02 04:00:00", Some(1200), 1),
            row(5, "2026-01-02 05:00:00", Some(0), 1),
        ];
        assert_eq!(fixed(&history, &day()), [(3, 1200)]);
    }

    #[test]
    fn d2_skips_runs_out_of_the_range_or_beside_a_low_value() {
        let history = [
            row(1, "2026-01-01 01:00:00", Some(1000), 1),
            row(2, "2026-01-01 02:00:00", Some(0), 1), // before the range
            row(3, "2026-01-02 03:00:00", Some(1100), 1),
            row(4, "2026-01-02 04:00:00", Some(0), 1), // beside 300
            row(5, "2026-01-02 05:00:00", Some(300), 1),
            row(6, "2026-01-02 06:00:00", Some(1150), 1),
            row(7, "2026-01-02 07:00:00", None, 1),
            row(8, "2026-01-02 08:00:00", Some(1200), 1),
        ];
        assert_eq!(fixed(&history, &day()), [(7, 1200)]);
    }

    #[test]
    fn d2_fixes_every_row_of_a_run_touching_the_range() {
        let history = [
            row(1, "2026-01-01 22:00:00", Some(1000), 1),
            row(2, "2026-01-01 23:00:00", None, 1),
            row(3, "2026-01-02 00:00:00", Some(0), 2),
            row(4, "2026-01-03 00:00:00", None, 1),
            row(5, "2026-01-03 01:00:00", Some(1100), 1),
        ];
        let changes = plan_player_runs(&history, &day());
        let fixed: Vec<(i32, Option<i32>, i32)> = changes
            .iter()
            .map(|c| (c.playergame_id, c.old, c.new))
            .collect();
        assert_eq!(
            fixed,
            [(2, None, 1040), (3, Some(0), 1060), (4, None, 1100)]
        );
    }

    #[test]
    fn d2_plans_no_change_that_keeps_a_value() {
        let history = [
            row(1, "2026-01-02 01:00:00", Some(400), 1),
            row(2, "2026-01-02 02:00:00", Some(0), 1),
            row(3, "2026-01-02 03:00:00", Some(0), 4),
            row(4, "2026-01-02 04:00:00", Some(0), 4),
            row(5, "2026-01-02 05:00:00", Some(0), 1),
            row(6, "2026-01-02 06:00:00", Some(0), 1),
            row(7, "2026-01-02 07:00:00", Some(800), 1),
        ];
        // Weights 40, −40, −40, 40, 40 (R = 40) over Δ = 400: running
        // 400, 0, −400, 0, 400; row 4 would get 0 over its 0.
        assert_eq!(
            fixed(&history, &day()),
            [(2, 800), (3, 400), (5, 400), (6, 800)]
        );
    }

    fn change(id: i32, player: &str) -> PamChange {
        PamChange {
            playergame_id: id,
            player_id: player.into(),
            game_id: id,
            game_time: at("2026-01-02 00:00:00"),
            old: None,
            new: 1000,
        }
    }

    #[test]
    fn units_hold_at_most_a_batch_of_players() {
        let changes = [
            change(1, "a"),
            change(2, "a"),
            change(3, "b"),
            change(4, "c"),
            change(5, "c"),
        ];
        let ids = |batch| -> Vec<Vec<i32>> {
            units(&changes, batch)
                .iter()
                .map(|u| u.iter().map(|c| c.playergame_id).collect())
                .collect()
        };
        assert_eq!(ids(1), [vec![1, 2], vec![3], vec![4, 5]]);
        assert_eq!(ids(2), [vec![1, 2, 3], vec![4, 5]]);
        assert_eq!(ids(3), [vec![1, 2, 3, 4, 5]]);
        assert!(units(&[], 3).is_empty());
    }

    #[test]
    fn apply_is_one_statement_binding_three_values_a_row() {
        let mut second = change(8, "b");
        second.old = Some(0);
        let statement = apply_statement(&[change(7, "a"), second]);
        assert_eq!(
            statement.sql(),
            "UPDATE playergame pg JOIN (SELECT ? AS id, ? AS old_value, ? AS new_value \
             UNION ALL SELECT ?, ?, ?) fix ON fix.id = pg.id \
             SET pg.points_after_match = fix.new_value \
             WHERE pg.points_after_match <=> fix.old_value"
        );
    }

    #[test]
    fn batches_and_ranges_are_checked() {
        assert!(checked_batch(0).is_err());
        assert!(checked_batch(MAX_BATCH + 1).is_err());
        assert_eq!(checked_batch(MAX_BATCH).unwrap(), MAX_BATCH);
        let backwards = Range {
            start: day().end,
            end: day().start,
        };
        assert!(checked_range(&backwards).is_err());
        assert!(checked_range(&day()).is_ok());
    }

    #[test]
    fn the_batch_sql_takes_the_players_first() {
        let players = ["a".to_string(), "b".to_string()];
        let s = with_players(
            ISOLATED_CANDIDATES_SQL,
            &players,
            [Bind::Int(1), Bind::Int(2)],
        );
        assert!(s.sql().contains("pg.player_id IN (?, ?)"));
        assert_eq!(s.sql().matches('?').count(), 4);
        let s = with_players(RUNS_HISTORIES_SQL, &players, []);
        assert_eq!(s.sql().matches('?').count(), 2);
    }

    #[test]
    fn a_change_reads_as_one_line() {
        let mut c = change(7, "abc");
        assert_eq!(
            c.to_string(),
            "player abc game 7 at 2026-01-02 00:00:00: playergame 7 points_after_match NULL -> 1000"
        );
        c.old = Some(0);
        assert!(c.to_string().contains("points_after_match 0 -> 1000"));
        assert!(!c.to_string().contains('\n'));
    }
}
