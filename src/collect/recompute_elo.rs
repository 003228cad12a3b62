//! `recompute-elo`: repairs the elo of recent finished games stored more
//! than `--recompute-threshold` above what their players had after the match
//! (collection.md §2.10). `match-elo` computes elo from points that may be
//! stale, or 0 for players not fetched yet; once every player of a game has
//! points after the match, those give the game's min, average and max.

use crate::collect::{Context, Job, JobName, Pace};
use crate::db::bulk::Statement;
use crate::db::lock_retry;
use crate::error::Result;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Datetime, Integer};

/// The reference's constants.
pub const DEFAULT_WINDOW_SECS: u64 = 3600;
pub const DEFAULT_THRESHOLD: u32 = 300;
/// Games repaired per iteration at most (the window holds far fewer).
const LIMIT: i64 = 1000;

#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
#[command(next_help_heading = "Job recompute-elo")]
pub struct Flags {
    /// recompute-elo: seconds back from now of the games looked at (1 h;
    /// games whose points after the match come later are never repaired).
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_WINDOW_SECS,
          value_parser = clap::value_parser!(u64).range(60..=31 * 86_400))]
    pub recompute_window: u64,

    /// recompute-elo: how far above the points after the match a game's
    /// stored min or max elo must be to be repaired.
    #[arg(long, value_name = "POINTS", default_value_t = DEFAULT_THRESHOLD,
          value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub recompute_threshold: u32,
}

pub struct RecomputeElo {
    window: chrono::Duration,
    threshold: u32,
}

impl RecomputeElo {
    pub fn new(flags: &Flags) -> RecomputeElo {
        RecomputeElo {
            window: chrono::Duration::seconds(
                i64::try_from(flags.recompute_window).unwrap_or(i64::MAX / 1000),
            ),
            threshold: flags.recompute_threshold,
        }
    }
}

/// A game to repair, with its points after the match summed up.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
struct Divergent {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Integer)]
    min_pam: i32,
    #[diesel(sql_type = Integer)]
    max_pam: i32,
    #[diesel(sql_type = BigInt)]
    sum_pam: i64,
    #[diesel(sql_type = BigInt)]
    players: i64,
}

/// Finished games with elo, started within `[start, end]`, whose every player
/// has points after the match, and whose stored min or max is more than the
/// threshold above the real one.
pub const DIVERGENT_SQL: &str = "SELECT g.id, MIN(pg.points_after_match) AS min_pam, \
            MAX(pg.points_after_match) AS max_pam, \
            CAST(SUM(pg.points_after_match) AS SIGNED) AS sum_pam, COUNT(*) AS players \
       FROM game g JOIN playergame pg ON pg.game_id = g.id \
      WHERE g.is_finished = 1 AND g.min_elo <> -1 AND g.time BETWEEN ? AND ? \
      GROUP BY g.id, g.min_elo, g.max_elo \
     HAVING COUNT(pg.id) = COUNT(pg.points_after_match) \
        AND (g.min_elo - MIN(pg.points_after_match) > ? \
             OR g.max_elo - MAX(pg.points_after_match) > ?) \
      ORDER BY g.id LIMIT ?";

fn divergent(
    conn: &mut MysqlConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
    threshold: u32,
) -> QueryResult<Vec<Divergent>> {
    diesel::sql_query(DIVERGENT_SQL)
        .bind::<Datetime, _>(start)
        .bind::<Datetime, _>(end)
        .bind::<BigInt, _>(i64::from(threshold))
        .bind::<BigInt, _>(i64::from(threshold))
        .bind::<BigInt, _>(LIMIT)
        .load(conn)
}

/// `sum / count` rounded to the nearest integer, a half to the even one (as
/// Python's `round`), exactly.
pub fn mean_half_even(sum: i64, count: i64) -> i64 {
    if count <= 0 {
        return 0;
    }
    let (sum, count) = (i128::from(sum), i128::from(count));
    let floor = sum.div_euclid(count);
    let twice_rest = 2 * sum.rem_euclid(count);
    let up = twice_rest > count || (twice_rest == count && floor % 2 != 0);
    let mean = floor + i128::from(up);
    i64::try_from(mean).unwrap_or(if mean < 0 { i64::MIN } else { i64::MAX })
}

/// Writes min, average and max (only those columns) of the games.
fn write_elo(conn: &mut MysqlConnection, games: &[(i32, i32, i64, i32)]) -> QueryResult<usize> {
    if games.is_empty() {
        return Ok(0);
    }
    Statement::new("UPDATE game SET min_elo = ")
        .case("id", games.iter().map(|g| (g.0, g.1)))
        .push(", average_elo = ")
        .case("id", games.iter().map(|g| (g.0, g.2)))
        .push(", max_elo = ")
        .case("id", games.iter().map(|g| (g.0, g.3)))
        .push(" WHERE id IN ")
        .list(games.iter().map(|g| g.0))
        .execute(conn)
}

/// Repairs the divergent games of `[start, end]`; how many there were.
pub fn repair(
    conn: &mut MysqlConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
    threshold: u32,
) -> Result<usize> {
    lock_retry::transaction(conn, |conn| {
        let games: Vec<(i32, i32, i64, i32)> = divergent(conn, start, end, threshold)?
            .into_iter()
            .map(|g| {
                (
                    g.id,
                    g.min_pam,
                    mean_half_even(g.sum_pam, g.players),
                    g.max_pam,
                )
            })
            .collect();
        write_elo(conn, &games)?;
        Ok(games.len())
    })
}

impl Job for RecomputeElo {
    fn name(&self) -> JobName {
        JobName::RecomputeElo
    }

    fn iterate(&mut self, ctx: &mut Context) -> anyhow::Result<Pace> {
        let end = ctx.zone.now();
        let repaired = repair(ctx.conn, end - self.window, end, self.threshold)?;
        if repaired > 0 {
            log::info!("recompute-elo: elo repaired for {repaired} games");
        }
        Ok(Pace::Normal)
    }
}

#[cfg(test)]
mod tests {
    use super::mean_half_even;

    #[test]
    fn means_round_half_to_even_exactly() {
        assert_eq!(mean_half_even(2000, 2), 1000);
        assert_eq!(mean_half_even(3002, 3), 1001); // 1000.67
        assert_eq!(mean_half_even(1200, 2), 600);
        assert_eq!(mean_half_even(2001, 2), 1000); // 1000.5
        assert_eq!(mean_half_even(2003, 2), 1002); // 1001.5
        assert_eq!(mean_half_even(3001, 3), 1000); // 1000.33
        assert_eq!(mean_half_even(-3, 2), -2); // -1.5
        assert_eq!(mean_half_even(-1, 2), 0); // -0.5
        assert_eq!(mean_half_even(-5, 2), -2); // -2.5
        assert_eq!(mean_half_even(-7, 3), -2); // -2.33
        assert_eq!(mean_half_even(i64::MAX, 1), i64::MAX);
        assert_eq!(mean_half_even(5, 0), 0);
        // Exact where a float would not be: (2^53 + 1) / 2 = 2^52 + 0.5.
        assert_eq!(mean_half_even((1 << 53) + 1, 2), 1 << 52);
        assert_eq!(mean_half_even((1 << 53) + 3, 2), (1 << 52) + 2);
    }
}
