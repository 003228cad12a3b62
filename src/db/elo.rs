//! A game's elo (min, average, max) repaired from its players' points after
//! the match: the selection of games stored too high, the arithmetic, and
//! the guarded write. Shared by fetch's `recompute-elo` job and
//! `compute-stats --repair match-elo`.

use crate::db::bulk::Statement;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Datetime, Integer};

/// The reference's threshold: how far above the points after the match a
/// stored min or max elo must be to be repaired.
pub const DEFAULT_THRESHOLD: u32 = 300;

/// A game to repair: its stored elo and what its players had after the match.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
struct Divergent {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Datetime)]
    time: NaiveDateTime,
    #[diesel(sql_type = Integer)]
    min_elo: i32,
    #[diesel(sql_type = Integer)]
    average_elo: i32,
    #[diesel(sql_type = Integer)]
    max_elo: i32,
    #[diesel(sql_type = Integer)]
    min_pam: i32,
    #[diesel(sql_type = Integer)]
    max_pam: i32,
    #[diesel(sql_type = BigInt)]
    sum_pam: i64,
    #[diesel(sql_type = BigInt)]
    players: i64,
}

/// Min, average and max elo of a game.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elo {
    pub min: i32,
    pub average: i32,
    pub max: i32,
}

/// One game's elo as stored and as it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EloFix {
    pub game: i32,
    pub time: NaiveDateTime,
    pub old: Elo,
    pub new: Elo,
}

/// Finished games with elo, started within `[start, end]` (both ends
/// included), whose every player has points after the match, and whose
/// stored min or max is more than the threshold above the real one; by id.
pub const DIVERGENT_SQL: &str = "SELECT g.id, g.time, g.min_elo, g.average_elo, g.max_elo, \
            MIN(pg.points_after_match) AS min_pam, MAX(pg.points_after_match) AS max_pam, \
            CAST(SUM(pg.points_after_match) AS SIGNED) AS sum_pam, COUNT(*) AS players \
       FROM game g JOIN playergame pg ON pg.game_id = g.id \
      WHERE g.is_finished = 1 AND g.min_elo <> -1 AND g.time BETWEEN ? AND ? \
      GROUP BY g.id, g.time, g.min_elo, g.average_elo, g.max_elo \
     HAVING COUNT(pg.id) = COUNT(pg.points_after_match) \
        AND (g.min_elo - MIN(pg.points_after_match) > ? \
             OR g.max_elo - MAX(pg.points_after_match) > ?) \
      ORDER BY g.id LIMIT ?";

/// The games of `[start, end]` to repair (at most `limit`), by id.
pub fn divergent(
    conn: &mut MysqlConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
    threshold: u32,
    limit: i64,
) -> QueryResult<Vec<EloFix>> {
    let rows: Vec<Divergent> = diesel::sql_query(DIVERGENT_SQL)
        .bind::<Datetime, _>(start)
        .bind::<Datetime, _>(end)
        .bind::<BigInt, _>(i64::from(threshold))
        .bind::<BigInt, _>(i64::from(threshold))
        .bind::<BigInt, _>(limit.max(0))
        .load(conn)?;
    Ok(rows.into_iter().map(fix).collect())
}

fn fix(g: Divergent) -> EloFix {
    let average = mean_half_even(g.sum_pam, g.players);
    EloFix {
        game: g.id,
        time: g.time,
        old: Elo {
            min: g.min_elo,
            average: g.average_elo,
            max: g.max_elo,
        },
        new: Elo {
            min: g.min_pam,
            // The mean of i32 values is an i32.
            average: i32::try_from(average).unwrap_or(g.average_elo),
            max: g.max_pam,
        },
    }
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

/// Writes the new min, average and max (only those columns) of the games
/// whose stored elo is still the old one; returns how many were written (a
/// game changed meanwhile is left alone, and not counted).
pub fn write(conn: &mut MysqlConnection, fixes: &[EloFix]) -> QueryResult<usize> {
    if fixes.is_empty() {
        return Ok(0);
    }
    write_statement(fixes).execute(conn)
}

fn write_statement(fixes: &[EloFix]) -> Statement {
    let column = |value: fn(&EloFix) -> i32| fixes.iter().map(move |x| (x.game, value(x)));
    Statement::new("UPDATE game SET min_elo = ")
        .case("id", column(|x| x.new.min))
        .push(", average_elo = ")
        .case("id", column(|x| x.new.average))
        .push(", max_elo = ")
        .case("id", column(|x| x.new.max))
        .push(" WHERE id IN ")
        .list(fixes.iter().map(|x| x.game))
        .push(" AND min_elo = ")
        .case("id", column(|x| x.old.min))
        .push(" AND average_elo = ")
        .case("id", column(|x| x.old.average))
        .push(" AND max_elo = ")
        .case("id", column(|x| x.old.max))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_write_is_guarded_by_the_stored_elo() {
        let at = NaiveDateTime::parse_from_str("2026-01-01 00:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        let fix = EloFix {
            game: 7,
            time: at,
            old: Elo {
                min: 1,
                average: 2,
                max: 3,
            },
            new: Elo {
                min: 4,
                average: 5,
                max: 6,
            },
        };
        let sql = write_statement(&[fix]).sql().to_string();
        assert!(
            sql.contains("WHERE id IN (?) AND min_elo = CASE id WHEN ? THEN ? END"),
            "{sql}"
        );
        assert!(
            sql.contains("AND max_elo = CASE id WHEN ? THEN ? END"),
            "{sql}"
        );
    }
}
