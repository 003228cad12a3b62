//! Queries on `zone`: loading the zone tree, reading it.

use crate::db::models::Zone;
use crate::db::schema::zone;
use crate::db::zone_tree::parents_first;
use crate::error::{Error, Result};
use diesel::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// Rows per INSERT statement when loading the tree.
const INSERT_BATCH: usize = 250;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ZoneLoadReport {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Inserts new zones and updates changed ones, matched by uuid, in one
/// transaction. Ids are kept as given: players reference them. A zone whose
/// id or uuid already belongs to a different zone is refused, changing nothing.
pub fn load_zone_tree(conn: &mut MysqlConnection, zones: Vec<Zone>) -> Result<ZoneLoadReport> {
    crate::db::lock_retry::transaction(conn, |conn| {
        let existing: Vec<Zone> = zone::table.select(Zone::as_select()).load(conn)?;
        let by_uuid: BTreeMap<&str, &Zone> =
            existing.iter().map(|z| (z.uuid.as_str(), z)).collect();
        let by_id: BTreeMap<i32, &Zone> = existing.iter().map(|z| (z.id, z)).collect();

        let mut report = ZoneLoadReport::default();
        let mut to_insert = Vec::new();
        let mut to_update = Vec::new();
        for new in zones.iter().cloned() {
            match (by_uuid.get(new.uuid.as_str()), by_id.get(&new.id)) {
                (Some(old), _) if old.id != new.id => {
                    return Err(conflict(format!(
                        "zone {} is id {} in the database but id {} in the file",
                        new.uuid, old.id, new.id
                    )))
                }
                (None, Some(old)) => {
                    return Err(conflict(format!(
                        "zone id {} holds uuid {} in the database but {} in the file",
                        new.id, old.uuid, new.uuid
                    )))
                }
                (Some(old), _) if **old == new => report.unchanged += 1,
                (Some(_), _) => to_update.push(new),
                (None, None) => to_insert.push(new),
            }
        }

        let existing_ids: BTreeSet<i32> = by_id.keys().copied().collect();
        let to_insert = parents_first(to_insert, &existing_ids).map_err(conflict)?;
        let inserted_ids: BTreeSet<i32> = to_insert.iter().map(|z| z.id).collect();
        if let Some(orphan) = to_update.iter().find(|z| {
            z.parent_id
                .is_some_and(|p| !existing_ids.contains(&p) && !inserted_ids.contains(&p))
        }) {
            return Err(conflict(format!(
                "zone {} has parent_id {}, which is neither in the file nor in the database",
                orphan.id,
                orphan.parent_id.unwrap_or_default()
            )));
        }
        for batch in to_insert.chunks(INSERT_BATCH) {
            diesel::insert_into(zone::table)
                .values(batch)
                .execute(conn)?;
        }
        report.inserted = to_insert.len();
        for changed in &to_update {
            diesel::update(zone::table.find(changed.id))
                .set(changed)
                .execute(conn)?;
        }
        report.updated = to_update.len();
        Ok(report)
    })
}

/// Every zone, by id.
pub fn all(conn: &mut MysqlConnection) -> Result<Vec<Zone>> {
    Ok(zone::table
        .select(Zone::as_select())
        .order(zone::id)
        .load(conn)?)
}

/// Whether the zone table has no row.
pub fn is_empty(conn: &mut MysqlConnection) -> Result<bool> {
    let any: bool =
        diesel::select(diesel::dsl::exists(zone::table.select(zone::id))).get_result(conn)?;
    Ok(!any)
}

fn conflict(message: String) -> Error {
    Error::invalid(format!("zone tree not loaded: {message}"))
}
