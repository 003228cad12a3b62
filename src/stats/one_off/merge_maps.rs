//! `compute-stats --repair merge-maps --map NAME` (admin.md "Map merge"):
//! the maps of one name (Nadeo re-uploads a track under a new uid) become
//! one: the games of the others move to the map played most recently, and
//! the other map rows go.

use super::{changed_since_listed, OneOff, Unit};
use crate::time::DATETIME_FORMAT;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Datetime, Nullable, Text};
use std::fmt;

/// The maps named `?` (the column's collation: case and accents ignored,
/// as the reference's lookup), with their games.
pub const MAPS_NAMED_SQL: &str = "SELECT m.uid, m.name, COUNT(g.id) AS games, \
            MAX(g.time) AS latest \
       FROM map m LEFT JOIN game g ON g.map_id = m.uid \
      WHERE m.name = ? GROUP BY m.uid, m.name";

/// Moves the games of the maps `(?, …)` to the map `?`.
pub const MOVE_GAMES_SQL: &str = "UPDATE game SET map_id = ? WHERE map_id IN ";

/// Deletes the maps `(?, …)`.
pub const DELETE_MAPS_SQL: &str = "DELETE FROM map WHERE uid IN ";

/// A map and its games.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct NamedMap {
    #[diesel(sql_type = Text)]
    pub uid: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = BigInt)]
    pub games: i64,
    #[diesel(sql_type = Nullable<Datetime>)]
    pub latest: Option<NaiveDateTime>,
}

impl fmt::Display for NamedMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "map {} ({:?}, {} game(s)",
            self.uid, self.name, self.games
        )?;
        match self.latest {
            Some(t) => write!(f, ", latest {})", t.format(DATETIME_FORMAT)),
            None => write!(f, ")"),
        }
    }
}

/// A map merged into the kept one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge {
    pub map: NamedMap,
    pub into: String,
}

impl fmt::Display for Merge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "merge {} into {}: its games move, the map row is deleted",
            self.map, self.into
        )
    }
}

/// The maps named `name`, the one to keep first: the most recent game
/// first, maps without games last, equal ones by uid.
pub fn maps_named(conn: &mut MysqlConnection, name: &str) -> QueryResult<Vec<NamedMap>> {
    let mut maps: Vec<NamedMap> = diesel::sql_query(MAPS_NAMED_SQL)
        .bind::<Text, _>(name)
        .load(conn)?;
    maps.sort_by(|a, b| {
        b.latest
            .cmp(&a.latest)
            .then_with(|| a.uid.as_bytes().cmp(b.uid.as_bytes()))
    });
    Ok(maps)
}

/// The merge of the maps named `name`.
pub struct MergeMaps {
    pub name: String,
}

impl MergeMaps {
    fn unit(&self, maps: Vec<NamedMap>) -> Unit<Merge> {
        let label = format!("maps named {:?}", self.name);
        let Some((kept, others)) = maps.split_first() else {
            return Unit::new(
                label,
                0,
                Vec::new(),
                "no map has this name; nothing to merge",
            );
        };
        let merges = others
            .iter()
            .map(|m| Merge {
                map: m.clone(),
                into: kept.uid.clone(),
            })
            .collect();
        let mut unit = Unit::new(
            label,
            0,
            merges,
            format!(
                "only one map has this name ({}); nothing to merge",
                kept.uid
            ),
        );
        unit.context.push(format!("keep {kept}"));
        unit
    }
}

impl OneOff for MergeMaps {
    type Change = Merge;

    fn plan(&self, conn: &mut MysqlConnection) -> anyhow::Result<Vec<Unit<Merge>>> {
        Ok(vec![self.unit(maps_named(conn, &self.name)?)])
    }

    fn apply(&self, conn: &mut MysqlConnection, unit: &Unit<Merge>) -> anyhow::Result<String> {
        // Which maps there are and which is kept must be what was listed;
        // games the collector added since move too.
        let now = self.unit(maps_named(conn, &self.name)?);
        let uids = |u: &Unit<Merge>| -> Vec<(String, String)> {
            u.changes
                .iter()
                .map(|m| (m.map.uid.clone(), m.into.clone()))
                .collect()
        };
        if uids(&now) != uids(unit) {
            return Err(changed_since_listed(&unit.label));
        }
        let Some(kept) = unit.changes.first().map(|m| m.into.clone()) else {
            return Ok(unit.unchanged.clone());
        };
        let others: Vec<&str> = unit.changes.iter().map(|m| m.map.uid.as_str()).collect();
        let moved = crate::db::bulk::Statement::bound(MOVE_GAMES_SQL, [kept.clone().into()])
            .list(others.iter().copied())
            .execute(conn)?;
        let deleted = crate::db::bulk::Statement::new(DELETE_MAPS_SQL)
            .list(others.iter().copied())
            .execute(conn)?;
        Ok(format!(
            "{deleted} map(s) merged into {kept}, {moved} game(s) moved"
        ))
    }

    fn nothing_to_do(&self) -> String {
        format!("no map named {:?}; nothing to merge", self.name)
    }
}
