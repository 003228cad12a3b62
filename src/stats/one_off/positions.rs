//! `compute-stats --only positions`: the manual per-season positions
//! recompute (stats.md §6): a season's 200 `playerseason` rows with the most
//! points get ranks 1…200; the other rows are left as they are.

use super::{changed_since_listed, OneOff, Unit};
use crate::db::bulk::Statement;
use crate::db::models::Season;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use std::fmt;

/// How many rows of a season get a position.
pub const POSITIONS: i64 = 200;

/// A season's best rows by points with the rank they should have; equal
/// points by player id (the reference leaves them in the database's order).
pub const RANKED_ROWS_SQL: &str = "SELECT id, player_id, points, `rank`, \
            CAST(ROW_NUMBER() OVER (ORDER BY points DESC, player_id, id) AS SIGNED) AS new_rank \
       FROM playerseason WHERE season_id = ? \
      ORDER BY points DESC, player_id, id LIMIT ?";

#[derive(Debug, Clone, PartialEq, QueryableByName)]
struct RankedRow {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Text)]
    player_id: String,
    #[diesel(sql_type = Integer)]
    points: i32,
    #[diesel(sql_type = Integer)]
    rank: i32,
    #[diesel(sql_type = BigInt)]
    new_rank: i64,
}

/// A `playerseason` row whose rank changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankChange {
    /// The row's id.
    pub id: i32,
    pub player: String,
    pub points: i32,
    pub old_rank: i32,
    pub new_rank: i32,
}

impl fmt::Display for RankChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "player {} ({} points): rank {} -> {}",
            self.player, self.points, self.old_rank, self.new_rank
        )
    }
}

/// The rows of the season whose rank is not their position.
pub fn changes(conn: &mut MysqlConnection, season: i32) -> QueryResult<Vec<RankChange>> {
    let rows: Vec<RankedRow> = diesel::sql_query(RANKED_ROWS_SQL)
        .bind::<Integer, _>(season)
        .bind::<BigInt, _>(POSITIONS)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let new_rank = i32::try_from(r.new_rank).ok()?;
            (r.rank != new_rank).then_some(RankChange {
                id: r.id,
                player: r.player_id,
                points: r.points,
                old_rank: r.rank,
                new_rank,
            })
        })
        .collect())
}

/// One UPDATE for the season's changes, each row guarded by its old rank
/// and points.
fn write_statement(changes: &[RankChange]) -> Statement {
    Statement::new("UPDATE playerseason SET `rank` = ")
        .case("id", changes.iter().map(|c| (c.id, c.new_rank)))
        .push(" WHERE id IN ")
        .list(changes.iter().map(|c| c.id))
        .push(" AND `rank` = ")
        .case("id", changes.iter().map(|c| (c.id, c.old_rank)))
        .push(" AND points = ")
        .case("id", changes.iter().map(|c| (c.id, c.points)))
}

/// The recompute over some seasons.
pub struct Positions {
    pub seasons: Vec<Season>,
}

impl OneOff for Positions {
    type Change = RankChange;

    fn plan(&self, conn: &mut MysqlConnection) -> anyhow::Result<Vec<Unit<RankChange>>> {
        self.seasons
            .iter()
            .map(|s| {
                Ok(Unit::new(
                    format!("season {}", s.id),
                    i64::from(s.id),
                    changes(conn, s.id)?,
                    "positions already up to date",
                ))
            })
            .collect()
    }

    fn apply(&self, conn: &mut MysqlConnection, unit: &Unit<RankChange>) -> anyhow::Result<String> {
        let season = i32::try_from(unit.key)?;
        // Points changed by the collector meanwhile would give other ranks.
        if changes(conn, season)? != unit.changes {
            return Err(changed_since_listed(&unit.label));
        }
        if unit.changes.is_empty() {
            return Ok("positions already up to date".to_string());
        }
        let written = write_statement(&unit.changes).execute(conn)?;
        if written != unit.changes.len() {
            return Err(changed_since_listed(&unit.label));
        }
        Ok(format!("{written} rank(s) updated"))
    }

    fn nothing_to_do(&self) -> String {
        "no season to recompute (none ends later than 24 h ago; name one with --season)".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_write_is_one_statement_guarded_by_rank_and_points() {
        let change = |id, new_rank| RankChange {
            id,
            player: format!("p{id}"),
            points: 4000,
            old_rank: 9,
            new_rank,
        };
        let sql = write_statement(&[change(1, 1), change(2, 2)])
            .sql()
            .to_string();
        assert_eq!(
            sql,
            "UPDATE playerseason SET `rank` = CASE id WHEN ? THEN ? WHEN ? THEN ? END \
             WHERE id IN (?, ?) AND `rank` = CASE id WHEN ? THEN ? WHEN ? THEN ? END \
             AND points = CASE id WHEN ? THEN ? WHEN ? THEN ? END"
        );
        assert_eq!(
            change(3, 1).to_string(),
            "player p3 (4000 points): rank 9 -> 1"
        );
    }
}
