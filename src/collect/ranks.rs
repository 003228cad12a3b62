//! `ranks`: players' matchmaking points and world ranks from the leaderboard
//! (E7), their rows of the current season, and the points and rank after
//! each match they finished (collection.md §2.4).
//!
//! The queue is `player.last_points_update`: new players and players who just
//! finished a match hold the sentinel and come first, the others come back
//! after `--ranks-stale-after`. A player missing from the leaderboard keeps
//! their place at the head of the queue and counts a retry; after
//! `--ranks-max-retries` of them they drop to 0 points, rank 0.
//!
//! One leaderboard call per batch, then one transaction for the batch. The
//! rows are locked and compared with what the selection read: a player whose
//! `last_points_update` changed meanwhile (a match just finished for them, so
//! the points may predate it) is left alone and asked again next time.

use crate::collect::{Context, Job, JobName, Pace};
use crate::db::bulk::Statement;
use crate::db::{lock_retry, season};
use crate::error::Result;
use crate::ids::AccountId;
use crate::nadeo::meet::{PlayerRank, RANKS_BATCH};
use anyhow::Context as _;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Datetime, Integer, Varchar};
use std::collections::HashMap;

/// The reference's constants.
pub const DEFAULT_BATCH: u16 = 100;
pub const DEFAULT_BATCHES: u16 = 6;
pub const DEFAULT_STALE_AFTER_SECS: u64 = 12 * 3600;
pub const DEFAULT_MAX_RETRIES: u16 = 20;
pub const DEFAULT_PAM_WINDOW_SECS: u64 = 48 * 3600;

#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
#[command(next_help_heading = "Job ranks")]
pub struct Flags {
    /// ranks: players per batch, one leaderboard call each (at most 100).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCH,
          value_parser = clap::value_parser!(u16).range(1..=RANKS_BATCH as i64))]
    pub ranks_batch: u16,

    /// ranks: batches per run with --once (in loop mode, one batch per
    /// iteration, every 10 s).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCHES,
          value_parser = clap::value_parser!(u16).range(1..=100))]
    pub ranks_batches: u16,

    /// ranks: seconds after which a player's points are asked again (12 h).
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_STALE_AFTER_SECS,
          value_parser = clap::value_parser!(u64).range(60..=31 * 86_400))]
    pub ranks_stale_after: u64,

    /// ranks: a player missing from this many leaderboard answers in a row
    /// is set to 0 points, rank 0.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_RETRIES,
          value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub ranks_max_retries: u16,

    /// ranks: seconds back from now within which finished games get the
    /// points and rank after the match (48 h).
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_PAM_WINDOW_SECS,
          value_parser = clap::value_parser!(u64).range(60..=31 * 86_400))]
    pub pam_window: u64,
}

pub struct Ranks {
    batch: usize,
    batches: usize,
    stale_after: chrono::Duration,
    max_retries: i32,
    pam_window: chrono::Duration,
}

impl Ranks {
    /// `once`: a single-pass run, which works through up to
    /// `--ranks-batches` batches in its one iteration.
    pub fn new(flags: &Flags, once: bool) -> Ranks {
        Ranks {
            batch: usize::from(flags.ranks_batch),
            batches: if once {
                usize::from(flags.ranks_batches)
            } else {
                1
            },
            stale_after: seconds(flags.ranks_stale_after),
            max_retries: i32::from(flags.ranks_max_retries),
            pam_window: seconds(flags.pam_window),
        }
    }
}

fn seconds(secs: u64) -> chrono::Duration {
    chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 1000))
}

/// A player of the queue, with the `last_points_update` the selection read.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
struct Queued {
    #[diesel(sql_type = Varchar)]
    uuid: String,
    #[diesel(sql_type = Datetime)]
    last_points_update: NaiveDateTime,
}

/// Where a batch ends in queue order: the next batch of the same iteration
/// starts after it, so a player still at the head (missing from the
/// leaderboard) is asked once per iteration.
#[derive(Debug, Clone)]
struct After {
    last_points_update: NaiveDateTime,
    uuid: String,
}

/// The reference's queue (stale players, except those at 0 points already
/// fetched; the oldest first), after `After` when given. The `uuid`
/// tiebreak makes the order total, which the cursor needs.
pub const QUEUE_SQL: &str = "SELECT uuid, last_points_update FROM player \
     WHERE last_points_update < ? AND (points <> 0 OR last_points_update = ?) \
       AND (? OR last_points_update > ? OR (last_points_update = ? AND uuid > ?)) \
     ORDER BY last_points_update, uuid LIMIT ?";

fn queue(
    conn: &mut MysqlConnection,
    stale_before: NaiveDateTime,
    sentinel: NaiveDateTime,
    after: Option<&After>,
    limit: usize,
) -> Result<Vec<Queued>> {
    let (from_start, cursor_time, cursor_uuid) = match after {
        None => (true, sentinel, String::new()),
        Some(a) => (false, a.last_points_update, a.uuid.clone()),
    };
    Ok(diesel::sql_query(QUEUE_SQL)
        .bind::<Datetime, _>(stale_before)
        .bind::<Datetime, _>(sentinel)
        .bind::<Bool, _>(from_start)
        .bind::<Datetime, _>(cursor_time)
        .bind::<Datetime, _>(cursor_time)
        .bind::<Varchar, _>(cursor_uuid)
        .bind::<BigInt, _>(i64::try_from(limit).unwrap_or(i64::MAX))
        .load(conn)?)
}

/// A player's row as the batch's transaction holds it.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
struct Locked {
    #[diesel(sql_type = Varchar)]
    uuid: String,
    #[diesel(sql_type = Datetime)]
    last_points_update: NaiveDateTime,
    #[diesel(sql_type = Integer)]
    points_fetch_retries: i32,
}

/// Locks the batch's player rows until the transaction ends.
fn lock_players(conn: &mut MysqlConnection, uuids: &[&str]) -> QueryResult<Vec<Locked>> {
    Statement::new(
        "SELECT uuid, last_points_update, points_fetch_retries FROM player WHERE uuid IN ",
    )
    .list(uuids.iter().copied())
    .push(" FOR UPDATE")
    .load(conn)
}

/// Points and world rank, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Standing {
    points: i32,
    rank: i32,
}

/// A player missing from the leaderboard too many times.
const UNRANKED: Standing = Standing { points: 0, rank: 0 };

/// What the batch writes, decided under the rows' locks.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    /// Players given points and rank (and `last_points_update` = now).
    standings: Vec<(String, Standing)>,
    /// Of those, players set to 0 points, rank 0 after too many absences.
    unranked: usize,
    /// Players missing from the leaderboard who count one more retry.
    absent: Vec<String>,
    /// Players whose row changed (or went) since the selection: untouched.
    changed: usize,
}

fn plan(
    selected: &[(Queued, AccountId)],
    locked: &[Locked],
    answers: &HashMap<AccountId, Standing>,
    max_retries: i32,
) -> Plan {
    let rows: HashMap<&str, &Locked> = locked.iter().map(|l| (l.uuid.as_str(), l)).collect();
    let mut plan = Plan::default();
    for (queued, id) in selected {
        let Some(row) = rows
            .get(queued.uuid.as_str())
            .filter(|row| row.last_points_update == queued.last_points_update)
        else {
            plan.changed += 1;
            continue;
        };
        match answers.get(id) {
            Some(standing) => plan.standings.push((queued.uuid.clone(), *standing)),
            None if row.points_fetch_retries.saturating_add(1) >= max_retries => {
                plan.standings.push((queued.uuid.clone(), UNRANKED));
                plan.unranked += 1;
            }
            None => plan.absent.push(queued.uuid.clone()),
        }
    }
    plan
}

/// Points, rank, `last_points_update` and a cleared retry counter.
fn set_standings(
    conn: &mut MysqlConnection,
    standings: &[(String, Standing)],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    if standings.is_empty() {
        return Ok(0);
    }
    Statement::new("UPDATE player SET points = ")
        .case("uuid", standings.iter().map(|(u, s)| (u, s.points)))
        .push(", `rank` = ")
        .case("uuid", standings.iter().map(|(u, s)| (u, s.rank)))
        .push(", last_points_update = ")
        .value(now)
        .push(", points_fetch_retries = 0 WHERE uuid IN ")
        .list(standings.iter().map(|(u, _)| u))
        .execute(conn)
}

/// One more retry; nothing else changes, so the players stay first in line.
fn count_absences(conn: &mut MysqlConnection, uuids: &[String]) -> QueryResult<usize> {
    if uuids.is_empty() {
        return Ok(0);
    }
    Statement::new(
        "UPDATE player SET points_fetch_retries = points_fetch_retries + 1 WHERE uuid IN ",
    )
    .list(uuids)
    .execute(conn)
}

#[derive(Debug, QueryableByName)]
struct SeasonRow {
    #[diesel(sql_type = Varchar)]
    player_id: String,
    #[diesel(sql_type = Integer)]
    id: i32,
}

/// The season row the reference's get-or-create finds: the first of the
/// player's rows for that season (there is no unique key).
fn season_rows(
    conn: &mut MysqlConnection,
    season_id: i32,
    uuids: &[&str],
) -> QueryResult<Vec<SeasonRow>> {
    Statement::new("SELECT player_id, MIN(id) AS id FROM playerseason WHERE season_id = ")
        .value(season_id)
        .push(" AND player_id IN ")
        .list(uuids.iter().copied())
        .push(" GROUP BY player_id")
        .load(conn)
}

fn update_season_rows(conn: &mut MysqlConnection, rows: &[(i32, Standing)]) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    Statement::new("UPDATE playerseason SET points = ")
        .case("id", rows.iter().map(|(id, s)| (*id, s.points)))
        .push(", `rank` = ")
        .case("id", rows.iter().map(|(id, s)| (*id, s.rank)))
        .push(" WHERE id IN ")
        .list(rows.iter().map(|(id, _)| *id))
        .execute(conn)
}

/// New season rows, every NOT NULL column given; the club tag comes with the
/// next names pass, as in the reference.
fn insert_season_rows(
    conn: &mut MysqlConnection,
    season_id: i32,
    rows: &[(&str, Standing)],
) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    let mut statement = Statement::new(
        "INSERT INTO playerseason (season_id, player_id, points, `rank`, club_tag) VALUES ",
    );
    for (i, (uuid, standing)) in rows.iter().enumerate() {
        statement = statement
            .push(if i == 0 { "(" } else { ", (" })
            .value(season_id)
            .push(", ")
            .value(*uuid)
            .push(", ")
            .value(standing.points)
            .push(", ")
            .value(standing.rank)
            .push(", NULL)");
    }
    statement.execute(conn)
}

/// Points and rank on the season's rows of players with points (created
/// when missing); a player at 0 points keeps their last positive values.
fn store_season_standings(
    conn: &mut MysqlConnection,
    season_id: i32,
    standings: &[(String, Standing)],
) -> QueryResult<()> {
    let ranked: Vec<(&str, Standing)> = standings
        .iter()
        .filter(|(_, s)| s.points > 0)
        .map(|(u, s)| (u.as_str(), *s))
        .collect();
    if ranked.is_empty() {
        return Ok(());
    }
    let uuids: Vec<&str> = ranked.iter().map(|(u, _)| *u).collect();
    let existing: HashMap<String, i32> = season_rows(conn, season_id, &uuids)?
        .into_iter()
        .map(|row| (row.player_id.to_ascii_lowercase(), row.id))
        .collect();
    let (update, insert): (Vec<_>, Vec<_>) = ranked
        .into_iter()
        .partition(|(u, _)| existing.contains_key(&u.to_ascii_lowercase()));
    let update: Vec<(i32, Standing)> = update
        .into_iter()
        .map(|(u, s)| (existing[&u.to_ascii_lowercase()], s))
        .collect();
    update_season_rows(conn, &update)?;
    insert_season_rows(conn, season_id, &insert)?;
    Ok(())
}

/// Fills the points and rank after the match of the players' finished games
/// since `since` that have none. A game of another season than the current
/// one (or of any season when none is current) takes the player's row of
/// that season when there is one; every other game takes the new values.
fn fill_points_after_match(
    conn: &mut MysqlConnection,
    standings: &[(String, Standing)],
    current_season: Option<i32>,
    since: NaiveDateTime,
) -> QueryResult<usize> {
    if standings.is_empty() {
        return Ok(0);
    }
    Statement::new(
        "UPDATE playergame pg JOIN game g ON g.id = pg.game_id \
         LEFT JOIN playerseason ps ON ps.id = ( \
           SELECT MIN(old.id) FROM playerseason old \
            WHERE old.player_id = pg.player_id \
              AND old.season_id = (SELECT MIN(s.id) FROM season s \
                                    WHERE s.start_time <= g.time AND s.end_time >= g.time) \
              AND NOT (old.season_id <=> ",
    )
    .value(current_season)
    .push(")) SET pg.points_after_match = IF(ps.id IS NULL, ")
    .case("pg.player_id", standings.iter().map(|(u, s)| (u, s.points)))
    .push(", ps.points), pg.rank_after_match = IF(ps.id IS NULL, ")
    .case("pg.player_id", standings.iter().map(|(u, s)| (u, s.rank)))
    .push(", ps.`rank`) WHERE pg.player_id IN ")
    .list(standings.iter().map(|(u, _)| u))
    .push(" AND g.is_finished = 1 AND pg.points_after_match IS NULL AND g.time >= ")
    .value(since)
    .execute(conn)
}

/// What a batch wrote.
#[derive(Debug, Default)]
struct Written {
    plan: Plan,
    games: usize,
}

/// The batch's writes, in one transaction: lock, compare, write.
fn write_batch(
    conn: &mut MysqlConnection,
    selected: &[(Queued, AccountId)],
    answers: &HashMap<AccountId, Standing>,
    max_retries: i32,
    now: NaiveDateTime,
    pam_since: NaiveDateTime,
) -> Result<Written> {
    lock_retry::transaction(conn, |conn| {
        let uuids: Vec<&str> = selected.iter().map(|(q, _)| q.uuid.as_str()).collect();
        let locked = lock_players(conn, &uuids)?;
        let plan = plan(selected, &locked, answers, max_retries);
        set_standings(conn, &plan.standings, now)?;
        count_absences(conn, &plan.absent)?;
        let current = season::containing(conn, now)?;
        if let Some(season) = &current {
            store_season_standings(conn, season.id, &plan.standings)?;
        }
        let games =
            fill_points_after_match(conn, &plan.standings, current.map(|s| s.id), pam_since)?;
        Ok(Written { plan, games })
    })
}

/// The leaderboard's answers for the batch, as stored values; a number that
/// does not fit the columns is reported with its player.
fn standings(
    results: Vec<PlayerRank>,
) -> (HashMap<AccountId, Standing>, HashMap<AccountId, String>) {
    let mut good = HashMap::new();
    let mut bad = HashMap::new();
    for r in results {
        match (i32::try_from(r.score), i32::try_from(r.rank)) {
            (Ok(points), Ok(rank)) => {
                bad.remove(&r.player);
                good.insert(r.player, Standing { points, rank });
            }
            _ => {
                good.remove(&r.player);
                let what = format!("score {} and rank {} out of range", r.score, r.rank);
                bad.insert(r.player, what);
            }
        }
    }
    (good, bad)
}

impl Ranks {
    /// One batch: the leaderboard call, then the writes. A failed call
    /// writes nothing and is the iteration's error.
    fn update_batch(&self, ctx: &mut Context, queued: Vec<Queued>) -> anyhow::Result<()> {
        let mut selected = Vec::with_capacity(queued.len());
        for q in queued {
            match AccountId::parse(&q.uuid) {
                Some(id) => selected.push((q, id)),
                None => ctx.unit_failed(
                    JobName::Ranks,
                    format!("player {:?} has no valid uuid; skipped", q.uuid),
                ),
            }
        }
        if selected.is_empty() {
            return Ok(());
        }
        let ids: Vec<AccountId> = selected.iter().map(|(_, id)| id.clone()).collect();
        let results = ctx.api.player_ranks(&ids).into_result().with_context(|| {
            format!(
                "leaderboard of {} players: nothing written, they are asked again next time",
                ids.len()
            )
        })?;
        let (answers, bad) = standings(results);
        selected.retain(|(q, id)| match bad.get(id) {
            Some(what) => {
                ctx.unit_failed(
                    JobName::Ranks,
                    format!("player {}: {what}; skipped", q.uuid),
                );
                false
            }
            None => true,
        });
        let now = ctx.zone.now();
        let written = write_batch(
            ctx.conn,
            &selected,
            &answers,
            self.max_retries,
            now,
            now - self.pam_window,
        )?;
        let plan = &written.plan;
        log::info!(
            "ranks: {} players asked: {} updated ({} set to 0 points after {} absences), \
             {} absent, {} changed meanwhile (asked again next time); {} games given their \
             points after the match",
            selected.len(),
            plan.standings.len(),
            plan.unranked,
            self.max_retries,
            plan.absent.len(),
            plan.changed,
            written.games
        );
        Ok(())
    }
}

impl Job for Ranks {
    fn name(&self) -> JobName {
        JobName::Ranks
    }

    fn iterate(&mut self, ctx: &mut Context) -> anyhow::Result<Pace> {
        let mut after: Option<After> = None;
        for _ in 0..self.batches {
            if ctx.deadline.passed() {
                break;
            }
            let now = ctx.zone.now();
            let queued = queue(
                ctx.conn,
                now - self.stale_after,
                ctx.zone.sentinel(),
                after.as_ref(),
                self.batch,
            )?;
            let Some(last) = queued.last() else {
                break;
            };
            after = Some(After {
                last_points_update: last.last_points_update,
                uuid: last.uuid.clone(),
            });
            let full = queued.len() == self.batch;
            self.update_batch(ctx, queued)?;
            if !full {
                break;
            }
        }
        Ok(Pace::Normal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn player(n: u8, read: &str, retries: i32) -> ((Queued, AccountId), Locked) {
        let uuid = format!("{n:032x}");
        let queued = Queued {
            uuid: uuid.clone(),
            last_points_update: at(read),
        };
        let locked = Locked {
            uuid: uuid.clone(),
            last_points_update: at(read),
            points_fetch_retries: retries,
        };
        ((queued, AccountId::parse(&uuid).unwrap()), locked)
    }

    #[test]
    fn absences_count_until_the_last_allowed_one_unranks() {
        let (a, la) = player(1, "1970-01-01 01:00:00", 3);
        let (b, lb) = player(2, "1970-01-01 01:00:00", 19);
        let (c, lc) = player(3, "2026-01-01 00:00:00", 5);
        let answers = HashMap::from([(
            c.1.clone(),
            Standing {
                points: 1200,
                rank: 40,
            },
        )]);
        let plan = plan(
            &[a.clone(), b.clone(), c.clone()],
            &[la, lb, lc],
            &answers,
            20,
        );
        assert_eq!(
            plan,
            Plan {
                standings: vec![
                    (b.0.uuid.clone(), UNRANKED),
                    (
                        c.0.uuid.clone(),
                        Standing {
                            points: 1200,
                            rank: 40
                        }
                    )
                ],
                unranked: 1,
                absent: vec![a.0.uuid.clone()],
                changed: 0,
            }
        );
    }

    #[test]
    fn a_row_changed_or_gone_since_the_selection_is_left_alone() {
        let (a, mut la) = player(1, "2026-01-01 00:00:00", 0);
        let (b, _) = player(2, "2026-01-01 00:00:00", 0);
        la.last_points_update = at("1970-01-01 01:00:00");
        let answers = HashMap::from([(a.1.clone(), UNRANKED), (b.1.clone(), UNRANKED)]);
        let plan = plan(&[a, b], &[la], &answers, 20);
        assert_eq!(plan.changed, 2);
        assert!(plan.standings.is_empty() && plan.absent.is_empty());
    }

    #[test]
    fn a_huge_retry_count_unranks_without_overflow() {
        let (a, la) = player(1, "2026-01-01 00:00:00", i32::MAX);
        let plan = plan(&[a], &[la], &HashMap::new(), 20);
        assert_eq!(plan.unranked, 1);
    }

    #[test]
    fn out_of_range_numbers_are_reported_not_stored() {
        let id = |n: u8| AccountId::parse(&format!("{n:032x}")).unwrap();
        let rank = |n: u8, score: i64, rank: i64| PlayerRank {
            player: id(n),
            score,
            rank,
        };
        let (good, bad) = standings(vec![
            rank(1, 3120, 2214),
            rank(2, 1 << 40, 5),
            rank(3, 5, -(1 << 40)),
            rank(4, -3, 0),
        ]);
        assert_eq!(good.len(), 2);
        assert_eq!(
            good[&id(4)],
            Standing {
                points: -3,
                rank: 0
            }
        );
        assert!(bad.contains_key(&id(2)) && bad.contains_key(&id(3)));
    }
}
