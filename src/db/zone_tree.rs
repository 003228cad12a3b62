//! The zone tree files `init-db --zones` and `--zones-file` load: a JSON array of
//! `{id, uuid, name, parent_id, country_alpha3, file_name}`, uuids dashed or not.

use crate::db::models::Zone;
use crate::ids::normalize_uuid;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The Nadeo zone tree the project ships (`data/zones.json`, the content of
/// the reference's zone table), built into the binary so `init-db --zones`
/// works wherever mmstatus is installed.
pub const SHIPPED_ZONE_TREE: &str = include_str!("../../data/zones.json");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ZoneEntry {
    id: i32,
    uuid: String,
    name: String,
    parent_id: Option<i32>,
    #[serde(default)]
    country_alpha3: Option<String>,
    file_name: String,
}

/// Parses and checks a zone tree; every problem is reported, with the entry.
pub fn parse_zone_tree(json: &str) -> Result<Vec<Zone>, String> {
    let entries: Vec<ZoneEntry> =
        serde_json::from_str(json).map_err(|e| format!("not a JSON array of zones: {e}"))?;
    let mut zones = Vec::with_capacity(entries.len());
    let mut ids = BTreeSet::new();
    let mut uuids = BTreeSet::new();
    for (index, entry) in entries.into_iter().enumerate() {
        let at = format!("entry {} (id {})", index + 1, entry.id);
        let uuid = normalize_uuid(&entry.uuid)
            .ok_or_else(|| format!("{at}: uuid {:?} is not a UUID", entry.uuid))?;
        if entry.id <= 0 {
            return Err(format!("{at}: ids must be positive"));
        }
        if !ids.insert(entry.id) {
            return Err(format!("{at}: id {} appears twice", entry.id));
        }
        if !uuids.insert(uuid.clone()) {
            return Err(format!("{at}: uuid {uuid} appears twice"));
        }
        check_length(&at, "country_alpha3", entry.country_alpha3.as_deref(), 10)?;
        zones.push(Zone {
            id: entry.id,
            uuid,
            name: entry.name,
            parent_id: entry.parent_id,
            country_alpha3: entry.country_alpha3,
            file_name: entry.file_name,
        });
    }
    Ok(zones)
}

fn check_length(at: &str, field: &str, value: Option<&str>, max: usize) -> Result<(), String> {
    match value {
        Some(v) if v.chars().count() > max => {
            Err(format!("{at}: {field} is longer than {max} characters"))
        }
        _ => Ok(()),
    }
}

/// Orders zones so every parent comes before its children, given the ids
/// that already exist elsewhere (in the database). Fails on a parent that
/// exists nowhere or on a cycle.
pub fn parents_first(zones: Vec<Zone>, existing_ids: &BTreeSet<i32>) -> Result<Vec<Zone>, String> {
    let mut pending: BTreeMap<i32, Zone> = zones.into_iter().map(|z| (z.id, z)).collect();
    for zone in pending.values() {
        if let Some(parent) = zone.parent_id {
            if !pending.contains_key(&parent) && !existing_ids.contains(&parent) {
                return Err(format!(
                    "zone {} ({}) has parent_id {parent}, which is neither in the file nor in the database",
                    zone.id, zone.name
                ));
            }
        }
    }
    let mut ordered = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready: Vec<i32> = pending
            .values()
            .filter(|z| z.parent_id.is_none_or(|p| !pending.contains_key(&p)))
            .map(|z| z.id)
            .collect();
        if ready.is_empty() {
            let ids: Vec<String> = pending.keys().take(5).map(i32::to_string).collect();
            return Err(format!(
                "the zone tree has a cycle among ids {}",
                ids.join(", ")
            ));
        }
        ordered.extend(ready.iter().filter_map(|id| pending.remove(id)));
    }
    Ok(ordered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(id: i32, parent: Option<i32>) -> Zone {
        Zone {
            id,
            uuid: format!("{id:032x}"),
            name: format!("z{id}"),
            parent_id: parent,
            country_alpha3: None,
            file_name: String::new(),
        }
    }

    #[test]
    fn parses_dashed_and_undashed_uuids() {
        let json = r#"[
          {"id": 1, "uuid": "301E1B69-F5A5-4C07-A6B0-F0E4FDD5B3CF", "name": "World", "parent_id": null,
           "country_alpha3": null, "file_name": "World.jpg"},
          {"id": 2, "uuid": "0a2d1c2f3e4b5a69788796a5b4c3d2e1", "name": "Île-de-France", "parent_id": 1,
           "country_alpha3": "FRA", "file_name": "%C3%8Ele.png"}
        ]"#;
        let zones = parse_zone_tree(json).unwrap();
        assert_eq!(zones[0].uuid, "301e1b69f5a54c07a6b0f0e4fdd5b3cf");
        assert_eq!(zones[1].name, "Île-de-France");
        assert_eq!(zones[1].country_alpha3.as_deref(), Some("FRA"));
    }

    #[test]
    fn reports_bad_entries() {
        let one = |fields: &str| format!(r#"[{{{fields}}}]"#);
        let cases = [
            (one(r##""id":1,"uuid":"nope","name":"a","parent_id":null,"file_name":"""##), "not a UUID"),
            ("{}".to_string(), "JSON array"),
            (one(r#""id":1,"uuid":"00000000000000000000000000000001","name":"a","parent_id":null"#), "file_name"),
            (
                r#"[{"id":1,"uuid":"00000000000000000000000000000001","name":"a","parent_id":null,"file_name":""},
                    {"id":1,"uuid":"00000000000000000000000000000002","name":"b","parent_id":null,"file_name":""}]"#
                    .to_string(),
                "appears twice",
            ),
        ];
        for (json, expected) in cases {
            let err = parse_zone_tree(&json).unwrap_err();
            assert!(err.contains(expected), "{json}: {err}");
        }
    }

    #[test]
    fn the_shipped_tree_is_valid_and_complete() {
        let zones = parse_zone_tree(SHIPPED_ZONE_TREE).unwrap();
        assert_eq!(zones.len(), 1199);
        let roots: Vec<&Zone> = zones.iter().filter(|z| z.parent_id.is_none()).collect();
        assert_eq!(roots.len(), 1);
        assert_eq!(roots[0].name, "World");
        let ordered = parents_first(zones.clone(), &BTreeSet::new()).unwrap();
        assert_eq!(ordered.len(), zones.len(), "every parent is in the tree");
        let countries = zones.iter().filter(|z| z.country_alpha3.is_some()).count();
        assert_eq!(countries, 201);
    }

    #[test]
    fn orders_parents_first() {
        let zones = vec![
            zone(3, Some(2)),
            zone(2, Some(1)),
            zone(1, None),
            zone(4, Some(9)),
        ];
        let existing = BTreeSet::from([9]);
        let ordered = parents_first(zones, &existing).unwrap();
        let position = |id| ordered.iter().position(|z| z.id == id).unwrap();
        assert!(position(1) < position(2) && position(2) < position(3));
        assert_eq!(ordered.len(), 4);
    }

    #[test]
    fn refuses_unknown_parents_and_cycles() {
        let err = parents_first(vec![zone(2, Some(7))], &BTreeSet::new()).unwrap_err();
        assert!(err.contains("parent_id 7"), "{err}");
        let err =
            parents_first(vec![zone(1, Some(2)), zone(2, Some(1))], &BTreeSet::new()).unwrap_err();
        assert!(err.contains("cycle"), "{err}");
    }
}
