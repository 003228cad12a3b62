//! `top-positions`: exact world ranks for the players with the most points
//! (collection.md §2.11). The leaderboard's ranks drift between two fetches
//! of a player; at the top that would show equal ranks for different points,
//! so the best `--top-n` get ranks 1…N from the points order, on `player`
//! and on their existing rows of the current season (never created).

use crate::collect::{Context, Job, JobName, Pace};
use crate::db::bulk::Statement;
use crate::db::{lock_retry, season};
use crate::error::Result;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Varchar};

pub const DEFAULT_TOP_N: u16 = 200;

#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
#[command(next_help_heading = "Job top-positions")]
pub struct Flags {
    /// top-positions: how many players, by points, get their exact rank.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TOP_N,
          value_parser = clap::value_parser!(u16).range(1..=10_000))]
    pub top_n: u16,
}

pub struct TopPositions {
    top_n: u16,
}

impl TopPositions {
    pub fn new(flags: &Flags) -> TopPositions {
        TopPositions { top_n: flags.top_n }
    }
}

#[derive(QueryableByName)]
struct Uuid {
    #[diesel(sql_type = Varchar)]
    uuid: String,
}

/// The best players by points; equal points in uuid order (the reference
/// leaves ties in the engine's order).
pub const TOP_SQL: &str = "SELECT uuid FROM player ORDER BY points DESC, uuid LIMIT ?";

fn top(conn: &mut MysqlConnection, n: u16) -> QueryResult<Vec<String>> {
    Ok(diesel::sql_query(TOP_SQL)
        .bind::<BigInt, _>(i64::from(n))
        .load::<Uuid>(conn)?
        .into_iter()
        .map(|row| row.uuid)
        .collect())
}

/// `(uuid, position)`, positions from 1.
fn positions(uuids: &[String]) -> Vec<(&String, i64)> {
    uuids.iter().zip(1..).collect()
}

fn rank_players(conn: &mut MysqlConnection, ranked: &[(&String, i64)]) -> QueryResult<usize> {
    Statement::new("UPDATE player SET `rank` = ")
        .case("uuid", ranked.iter().copied())
        .push(" WHERE uuid IN ")
        .list(ranked.iter().map(|(u, _)| *u))
        .execute(conn)
}

fn rank_season_rows(
    conn: &mut MysqlConnection,
    season_id: i32,
    ranked: &[(&String, i64)],
) -> QueryResult<usize> {
    Statement::new("UPDATE playerseason SET `rank` = ")
        .case("player_id", ranked.iter().copied())
        .push(" WHERE season_id = ")
        .value(season_id)
        .push(" AND player_id IN ")
        .list(ranked.iter().map(|(u, _)| *u))
        .execute(conn)
}

/// Ranks the best `n` players; how many got a rank.
pub fn rank_top(conn: &mut MysqlConnection, n: u16, now: NaiveDateTime) -> Result<usize> {
    lock_retry::transaction(conn, |conn| {
        let uuids = top(conn, n)?;
        if uuids.is_empty() {
            return Ok(0);
        }
        let ranked = positions(&uuids);
        rank_players(conn, &ranked)?;
        if let Some(season) = season::containing(conn, now)? {
            rank_season_rows(conn, season.id, &ranked)?;
        }
        Ok(ranked.len())
    })
}

impl Job for TopPositions {
    fn name(&self) -> JobName {
        JobName::TopPositions
    }

    fn iterate(&mut self, ctx: &mut Context) -> anyhow::Result<Pace> {
        let ranked = rank_top(ctx.conn, self.top_n, ctx.zone.now())?;
        log::debug!("top-positions: {ranked} players ranked");
        Ok(Pace::Normal)
    }
}
