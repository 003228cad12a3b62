//! `zones-sync`: the zone table from Nadeo's zone list (E11), when the table
//! is empty (a database created without `init-db --zones`), or when
//! `--jobs zones-sync` asks for it.
//!
//! The reference never writes zones: its table is the zone tree mmstatus
//! ships (`data/zones.json`). So the shipped tree decides everything it
//! knows: ids, names, parents, alpha-3 codes and file names, and its zones
//! are all loaded, listed by the API or not. A sync of an empty table thus
//! gives the reference's table, plus the zones Nadeo added since, which get
//! ids after the highest one in use. The API cannot tell:
//! - `country_alpha3`: a new zone directly under a continent whose flag is a
//!   three-letter code gets that code (Nadeo's flags use sports codes, GER
//!   for Germany, so it may differ from ISO's); any other new zone has none;
//! - `file_name`: the flag's file name with `.png` for its extension,
//!   percent-encoded as in the shipped tree (the zone's name without a flag).
//!
//! Existing rows are never changed (players point at their ids); missing
//! zones are inserted parents first, in one transaction.

use crate::collect::{Context, Job, JobName, Pace};
use crate::db::models::Zone;
use crate::db::zone;
use crate::db::zone_tree::{parse_zone_tree, SHIPPED_ZONE_TREE};
use crate::nadeo::core_api::ApiZone;
use anyhow::Context as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::collections::{BTreeMap, BTreeSet};

/// Characters the shipped tree's file names keep as they are.
const FILE_NAME_KEEPS: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'\'');

/// `zone.name` and `zone.file_name` are TEXT columns: at most 65 535 bytes.
const TEXT_MAX_BYTES: usize = 65_535;

pub struct ZonesSync {
    /// `--jobs` names the job: sync even when the table has zones.
    asked: bool,
}

impl ZonesSync {
    pub fn new(asked: bool) -> ZonesSync {
        ZonesSync { asked }
    }
}

/// A zone to insert, its id not chosen yet.
#[derive(Debug, Clone)]
struct Candidate {
    name: String,
    parent: Option<String>,
    country_alpha3: Option<String>,
    file_name: String,
    shipped_id: Option<i32>,
    /// The flag's three-letter code, for a zone only the API knows.
    flag_code: Option<String>,
}

/// What a sync inserts.
#[derive(Debug, Default)]
pub struct Plan {
    /// New zones, parents first.
    pub rows: Vec<Zone>,
    /// Uuids of zones left out: their parent exists nowhere, or they loop.
    pub orphans: Vec<String>,
}

/// The zones of `shipped` and `listed` that `existing` lacks (matched by
/// uuid), with their ids and parents' ids.
pub fn plan(listed: &[ApiZone], shipped: &[Zone], existing: &[Zone]) -> Plan {
    let candidates = candidates(listed, shipped);
    let existing_ids: BTreeMap<&str, i32> =
        existing.iter().map(|z| (z.uuid.as_str(), z.id)).collect();
    let parents = parent_uuids(existing, &candidates);

    let mut placed: Vec<&str> = Vec::new();
    let mut pending: BTreeSet<&str> = candidates
        .keys()
        .map(String::as_str)
        .filter(|uuid| !existing_ids.contains_key(uuid))
        .collect();
    loop {
        let ready: Vec<&str> = pending
            .iter()
            .copied()
            .filter(|uuid| {
                candidates[*uuid].parent.as_deref().is_none_or(|parent| {
                    existing_ids.contains_key(parent)
                        || (candidates.contains_key(parent) && !pending.contains(parent))
                })
            })
            .collect();
        if ready.is_empty() {
            break;
        }
        for uuid in ready {
            pending.remove(uuid);
            placed.push(uuid);
        }
    }

    let ids = choose_ids(&placed, &candidates, existing, shipped);
    let rows = placed
        .iter()
        .map(|uuid| {
            let c = &candidates[*uuid];
            let parent_id = c
                .parent
                .as_deref()
                .map(|p| existing_ids.get(p).copied().unwrap_or_else(|| ids[p]));
            let country_alpha3 = match (&c.shipped_id, &c.flag_code) {
                (None, Some(code)) if depth(uuid, &parents) == Some(2) => Some(code.clone()),
                _ => c.country_alpha3.clone(),
            };
            Zone {
                id: ids[*uuid],
                uuid: uuid.to_string(),
                name: c.name.clone(),
                parent_id,
                country_alpha3,
                file_name: c.file_name.clone(),
            }
        })
        .collect();
    Plan {
        rows,
        orphans: pending.into_iter().map(str::to_string).collect(),
    }
}

/// Every zone either source knows, by stored uuid; the shipped tree wins.
fn candidates(listed: &[ApiZone], shipped: &[Zone]) -> BTreeMap<String, Candidate> {
    let shipped_uuids: BTreeMap<i32, &str> =
        shipped.iter().map(|z| (z.id, z.uuid.as_str())).collect();
    let mut candidates: BTreeMap<String, Candidate> = shipped
        .iter()
        .map(|z| {
            let candidate = Candidate {
                name: z.name.clone(),
                parent: z
                    .parent_id
                    .and_then(|p| shipped_uuids.get(&p))
                    .map(|p| p.to_string()),
                country_alpha3: z.country_alpha3.clone(),
                file_name: z.file_name.clone(),
                shipped_id: Some(z.id),
                flag_code: None,
            };
            (z.uuid.clone(), candidate)
        })
        .collect();
    for zone in listed {
        let name = bounded(&zone.name).to_string();
        let candidate = Candidate {
            file_name: file_name(zone.icon.as_deref(), &name),
            flag_code: flag_code(zone.icon.as_deref()),
            name,
            parent: zone.parent_id.as_ref().map(|p| p.stored().to_string()),
            country_alpha3: None,
            shipped_id: None,
        };
        candidates
            .entry(zone.zone_id.stored().to_string())
            .or_insert(candidate);
    }
    candidates
}

/// Each zone's parent uuid, over the database and the candidates.
fn parent_uuids(
    existing: &[Zone],
    candidates: &BTreeMap<String, Candidate>,
) -> BTreeMap<String, Option<String>> {
    let uuid_of: BTreeMap<i32, &str> = existing.iter().map(|z| (z.id, z.uuid.as_str())).collect();
    let mut parents: BTreeMap<String, Option<String>> = candidates
        .iter()
        .map(|(uuid, c)| (uuid.clone(), c.parent.clone()))
        .collect();
    for z in existing {
        let parent = z
            .parent_id
            .and_then(|p| uuid_of.get(&p))
            .map(|p| p.to_string());
        parents.insert(z.uuid.clone(), parent);
    }
    parents
}

/// Steps from the zone up to the root (World 0, continents 1, countries 2);
/// `None` when a parent is unknown or the parents loop.
fn depth(uuid: &str, parents: &BTreeMap<String, Option<String>>) -> Option<usize> {
    let mut at = uuid;
    for steps in 0..=parents.len() {
        match parents.get(at)? {
            None => return Some(steps),
            Some(parent) => at = parent,
        }
    }
    None
}

/// Ids for the zones to insert (`placed`, parents first): the shipped id
/// when no zone holds it, else the next free id after every id in use or
/// shipped (shipped zones first, then the API's, each parents first).
fn choose_ids<'a>(
    placed: &[&'a str],
    candidates: &BTreeMap<String, Candidate>,
    existing: &[Zone],
    shipped: &[Zone],
) -> BTreeMap<&'a str, i32> {
    let mut used: BTreeSet<i32> = existing.iter().map(|z| z.id).collect();
    let mut ids = BTreeMap::new();
    for uuid in placed {
        if let Some(id) = candidates[*uuid].shipped_id.filter(|id| !used.contains(id)) {
            used.insert(id);
            ids.insert(*uuid, id);
        }
    }
    let highest = used
        .iter()
        .chain(shipped.iter().map(|z| &z.id))
        .copied()
        .max()
        .unwrap_or(0);
    let mut next = highest.saturating_add(1);
    let (shipped_first, listed_only): (Vec<&&str>, Vec<&&str>) = placed
        .iter()
        .partition(|uuid| candidates[**uuid].shipped_id.is_some());
    for uuid in shipped_first.into_iter().chain(listed_only) {
        ids.entry(*uuid).or_insert_with(|| {
            let id = next;
            next = next.saturating_add(1);
            id
        });
    }
    ids
}

/// The flag's file name without its folder and extension.
fn flag_base(icon: Option<&str>) -> Option<&str> {
    let file = icon?.rsplit(['/', '\\']).next()?;
    let base = file.rsplit_once('.').map_or(file, |(base, _)| base);
    (!base.is_empty()).then_some(base)
}

/// A zone's `file_name` from its flag ("file://Media/Flags/Açores.dds" →
/// "A%C3%A7ores.png"), else from its name.
pub fn file_name(icon: Option<&str>, name: &str) -> String {
    let base = flag_base(icon).unwrap_or(name);
    let encoded = format!("{}.png", utf8_percent_encode(base, FILE_NAME_KEEPS));
    bounded(&encoded).to_string()
}

/// The flag's name when it is a three-letter code ("GER").
fn flag_code(icon: Option<&str>) -> Option<String> {
    flag_base(icon)
        .filter(|b| b.len() == 3 && b.bytes().all(|c| c.is_ascii_uppercase()))
        .map(str::to_string)
}

/// `text` cut, on a character boundary, to fit a TEXT column.
fn bounded(text: &str) -> &str {
    if text.len() <= TEXT_MAX_BYTES {
        return text;
    }
    let mut end = TEXT_MAX_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl Job for ZonesSync {
    fn name(&self) -> JobName {
        JobName::ZonesSync
    }

    fn iterate(&mut self, ctx: &mut Context) -> anyhow::Result<Pace> {
        if !self.asked && !zone::is_empty(ctx.conn)? {
            log::debug!("zones-sync: the zone table is loaded; nothing to do");
            return Ok(Pace::Normal);
        }
        let listed = ctx.api.zone_list().context("the zone list")?;
        let shipped = parse_zone_tree(SHIPPED_ZONE_TREE)
            .map_err(|e| anyhow::anyhow!("the shipped zone tree: {e}"))?;
        let existing = zone::all(ctx.conn)?;
        let plan = plan(&listed, &shipped, &existing);
        for orphan in &plan.orphans {
            log::warn!("zones-sync: zone {orphan} left out: its parent is in no zone list");
        }
        let report = zone::load_zone_tree(ctx.conn, plan.rows)?;
        log::info!(
            "zones-sync: {} zones added ({} listed by the API, {} in the table before)",
            report.inserted,
            listed.len(),
            existing.len()
        );
        Ok(Pace::Normal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::AccountId;

    const WORLD: &str = "301e1b697e1311e88060e284abfd2bc4";
    const EUROPE: &str = "301e21067e1311e88060e284abfd2bc4";
    const FRANCE: &str = "301f61887e1311e88060e284abfd2bc4";

    fn api(uuid: &str, name: &str, parent: Option<&str>, icon: &str) -> ApiZone {
        ApiZone {
            zone_id: AccountId::parse(uuid).unwrap(),
            name: name.to_string(),
            parent_id: parent.map(|p| AccountId::parse(p).unwrap()),
            icon: Some(icon.to_string()),
        }
    }

    fn zone(id: i32, uuid: &str, parent: Option<i32>) -> Zone {
        Zone {
            id,
            uuid: uuid.to_string(),
            name: format!("zone {id}"),
            parent_id: parent,
            country_alpha3: None,
            file_name: String::new(),
        }
    }

    fn shipped() -> Vec<Zone> {
        parse_zone_tree(SHIPPED_ZONE_TREE).unwrap()
    }

    fn uuid(n: u32) -> String {
        format!("{n:032x}")
    }

    #[test]
    fn an_empty_table_gets_the_shipped_tree_and_the_new_zones() {
        let shipped = shipped();
        let listed = vec![
            // Known to the shipped tree: the shipped row wins (name, icon).
            api(
                FRANCE,
                "La France",
                Some(EUROPE),
                "file://Media/Flags/XXX.dds",
            ),
            api(
                &uuid(2),
                "Bas-Sud",
                Some(&uuid(1)),
                "file://Media/Flags/Bas Sud.jpg",
            ),
            api(
                &uuid(1),
                "Atlantis",
                Some(EUROPE),
                "file://Media/Flags/ATL.dds",
            ),
        ];
        let plan = plan(&listed, &shipped, &[]);
        assert!(plan.orphans.is_empty());
        assert_eq!(plan.rows.len(), 1201);
        let by_uuid: BTreeMap<&str, &Zone> =
            plan.rows.iter().map(|z| (z.uuid.as_str(), z)).collect();
        for z in &shipped {
            assert_eq!(by_uuid[z.uuid.as_str()], z, "the shipped row, as it is");
        }
        let atlantis = by_uuid[uuid(1).as_str()];
        assert_eq!(
            (
                atlantis.id,
                atlantis.parent_id,
                atlantis.country_alpha3.as_deref()
            ),
            (1200, Some(176), Some("ATL"))
        );
        assert_eq!(atlantis.file_name, "ATL.png");
        let sub = by_uuid[uuid(2).as_str()];
        assert_eq!((sub.id, sub.parent_id), (1201, Some(1200)));
        assert_eq!(sub.country_alpha3, None, "not directly under a continent");
        assert_eq!(sub.file_name, "Bas%20Sud.png");
        let position = |u: &str| plan.rows.iter().position(|z| z.uuid == u).unwrap();
        assert!(position(WORLD) < position(EUROPE));
        assert!(position(&uuid(1)) < position(&uuid(2)));
    }

    #[test]
    fn existing_rows_and_ids_are_kept() {
        let shipped = shipped();
        // A database holding World and, under id 176 (Europe's shipped id),
        // a zone of its own.
        let existing = vec![zone(639, WORLD, None), zone(176, &uuid(7), Some(639))];
        let listed = vec![api(&uuid(3), "New", Some(&uuid(7)), "")];
        let plan = plan(&listed, &shipped, &existing);
        let by_uuid: BTreeMap<&str, &Zone> =
            plan.rows.iter().map(|z| (z.uuid.as_str(), z)).collect();
        assert!(!by_uuid.contains_key(WORLD) && !by_uuid.contains_key(uuid(7).as_str()));
        let europe = by_uuid[EUROPE];
        assert_eq!(
            europe.id, 1200,
            "its shipped id is taken: the next free one"
        );
        assert_eq!(by_uuid[FRANCE].parent_id, Some(1200));
        let new = by_uuid[uuid(3).as_str()];
        assert_eq!((new.id, new.parent_id), (1201, Some(176)));
        assert_eq!(new.file_name, "New.png", "no flag: the name");
        assert_eq!(plan.rows.len(), 1199 - 1 + 1);
    }

    #[test]
    fn zones_without_a_known_parent_are_left_out() {
        let listed = vec![
            api(&uuid(1), "Lost", Some(&uuid(9)), ""),
            api(&uuid(2), "Child of lost", Some(&uuid(1)), ""),
            api(&uuid(3), "Loop A", Some(&uuid(4)), ""),
            api(&uuid(4), "Loop B", Some(&uuid(3)), ""),
            api(&uuid(5), "Root", None, ""),
        ];
        let plan = plan(&listed, &[], &[]);
        assert_eq!(plan.rows.len(), 1);
        assert_eq!(plan.rows[0].id, 1);
        assert_eq!(plan.orphans, [uuid(1), uuid(2), uuid(3), uuid(4)]);
    }

    #[test]
    fn file_names_and_codes_from_flags() {
        for (icon, name, expected) in [
            (
                Some("file://Media/Flags/Açores.dds"),
                "x",
                "A%C3%A7ores.png",
            ),
            (
                Some("file://Media/Flags/Val-d'Oise.jpg"),
                "x",
                "Val-d'Oise.png",
            ),
            (Some("file://Media/Flags/GER.dds"), "Germany", "GER.png"),
            (Some("Flags\\noext"), "x", "noext.png"),
            (Some(""), "East Midlands", "East%20Midlands.png"),
            (None, "Île", "%C3%8Ele.png"),
        ] {
            assert_eq!(file_name(icon, name), expected, "{icon:?}");
        }
        assert_eq!(
            flag_code(Some("file://Media/Flags/GER.dds")).as_deref(),
            Some("GER")
        );
        for icon in [
            "file://Media/Flags/Ger.dds",
            "file://Media/Flags/GERM.dds",
            "ÉÉ",
        ] {
            assert_eq!(flag_code(Some(icon)), None, "{icon}");
        }
        let huge = "é".repeat(40_000);
        assert!(file_name(None, &huge).len() <= TEXT_MAX_BYTES);
        assert!(bounded(&huge).len() <= TEXT_MAX_BYTES);
    }
}
