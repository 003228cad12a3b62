//! `match-elo`: the minimum, average and maximum points of a new game's
//! players (collection.md §2.9), once at least one of them has been fetched.
//! The points are the players' current ones, sentinel players' 0 included,
//! as in the reference; `recompute-elo` repairs the values that come out too
//! high. One statement per iteration computes and writes every qualifying
//! game, up to a cap.

use crate::collect::{Context, Job, JobName, Pace};
use crate::db::lock_retry;
use crate::error::Result;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Datetime};

/// Games per iteration; the rest follow at the next one.
pub const DEFAULT_LIMIT: u32 = 1000;

#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
#[command(next_help_heading = "Job match-elo")]
pub struct Flags {
    /// match-elo: games computed per iteration at most (the reference has no
    /// limit; the rest follow at the next iteration).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LIMIT,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub match_elo_limit: u32,
}

pub struct MatchElo {
    limit: u32,
}

impl MatchElo {
    pub fn new(flags: &Flags) -> MatchElo {
        MatchElo {
            limit: flags.match_elo_limit,
        }
    }
}

/// Games without elo (-1) that have a fetched player (not the sentinel), the
/// first `?` of them by id, get the min, the average truncated (the
/// reference's integer column drops the fraction of its mean) and the max of
/// the current points of all their players. Only those three columns.
pub const COMPUTE_ELO_SQL: &str = "UPDATE game g JOIN ( \
       SELECT pg.game_id, MIN(p.points) AS min_elo, MAX(p.points) AS max_elo, \
              SUM(p.points) DIV COUNT(*) AS average_elo \
         FROM (SELECT cg.id FROM game cg \
                 JOIN playergame cpg ON cpg.game_id = cg.id \
                 JOIN player cp ON cp.uuid = cpg.player_id \
                WHERE cg.average_elo = -1 AND cp.last_points_update <> ? \
                GROUP BY cg.id ORDER BY cg.id LIMIT ?) todo \
         JOIN playergame pg ON pg.game_id = todo.id \
         JOIN player p ON p.uuid = pg.player_id \
        GROUP BY pg.game_id) e ON e.game_id = g.id \
     SET g.min_elo = e.min_elo, g.average_elo = e.average_elo, g.max_elo = e.max_elo \
     WHERE g.average_elo = -1";

/// Computes the elo of up to `limit` games; how many were written.
pub fn compute_elo(
    conn: &mut MysqlConnection,
    sentinel: NaiveDateTime,
    limit: u32,
) -> Result<usize> {
    lock_retry::transaction(conn, |conn| {
        Ok(diesel::sql_query(COMPUTE_ELO_SQL)
            .bind::<Datetime, _>(sentinel)
            .bind::<BigInt, _>(i64::from(limit))
            .execute(conn)?)
    })
}

impl Job for MatchElo {
    fn name(&self) -> JobName {
        JobName::MatchElo
    }

    fn iterate(&mut self, ctx: &mut Context) -> anyhow::Result<Pace> {
        let written = compute_elo(ctx.conn, ctx.zone.sentinel(), self.limit)?;
        if written > 0 {
            log::info!("match-elo: elo computed for {written} games");
        }
        Ok(if written >= self.limit as usize {
            Pace::Soon
        } else {
            Pace::Normal
        })
    }
}
