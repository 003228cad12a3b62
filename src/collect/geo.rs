//! `countries` and `regions` (collection.md §2.7, §2.8): a player's country
//! and region, found by walking the zone tree up from the zone the API gave.
//! The tree (about 1 200 zones) is read into memory once, not once per
//! step; each batch of players is then written by a single UPDATE.

use crate::collect::{Context, Job, JobName, Pace};
use crate::db::models::Zone;
use crate::db::player_geo::{self, Region};
use crate::db::{lock_retry, zone};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The reference's batch: 500 players every 10 s.
pub const DEFAULT_GEO_BATCH: i64 = 500;
/// Batches per iteration in `--once` mode, to keep up with a run a minute.
pub const DEFAULT_GEO_BATCHES: u32 = 10;

#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
#[command(next_help_heading = "Jobs countries and regions")]
pub struct Flags {
    /// countries, regions: players per batch (one UPDATE each).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_GEO_BATCH,
          value_parser = clap::value_parser!(i64).range(1..=10_000))]
    pub geo_batch: i64,

    /// countries, regions: batches per iteration with --once (one otherwise).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_GEO_BATCHES,
          value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub geo_batches: u32,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    parent: Option<i32>,
    is_country: bool,
}

/// The zone tree in memory: each zone's parent, and whether it is a country
/// (it has an alpha-3 code).
#[derive(Debug, Default)]
pub struct ZoneTree {
    nodes: HashMap<i32, Node>,
}

impl ZoneTree {
    pub fn new(zones: &[Zone]) -> ZoneTree {
        ZoneTree {
            nodes: zones
                .iter()
                .map(|z| {
                    let node = Node {
                        parent: z.parent_id,
                        is_country: z.country_alpha3.is_some(),
                    };
                    (z.id, node)
                })
                .collect(),
        }
    }

    pub fn knows(&self, zone: i32) -> bool {
        self.nodes.contains_key(&zone)
    }

    /// The first zone from `zone` up that is a country, or the root when
    /// none is (a player in "Europe" has the country "World"). `None` when
    /// a zone on the way is unknown, or the parents loop.
    pub fn country_of(&self, zone: i32) -> Option<i32> {
        let mut id = zone;
        for _ in 0..=self.nodes.len() {
            let node = self.nodes.get(&id)?;
            match node.parent {
                Some(parent) if !node.is_country => id = parent,
                _ => return Some(id),
            }
        }
        None
    }

    /// The zone on the way from `zone` up to `country` that sits directly
    /// under the country; the country itself when the zone is the country,
    /// there is no zone, or the country is not on the way. `None` when a zone
    /// on the way is unknown, or the parents loop.
    pub fn region_of(&self, zone: Option<i32>, country: i32) -> Option<i32> {
        let mut at = zone;
        for _ in 0..=self.nodes.len() {
            let Some(id) = at.filter(|id| *id != country) else {
                return Some(country);
            };
            let node = self.nodes.get(&id)?;
            if node.parent == Some(country) {
                return Some(id);
            }
            at = node.parent;
        }
        None
    }
}

/// Which column the job fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Country,
    Region,
}

/// The `countries` or the `regions` job.
pub struct Geo {
    target: Target,
    batch: i64,
    batches: u32,
    tree: Option<ZoneTree>,
}

impl Geo {
    pub fn countries(flags: &Flags, once: bool) -> Geo {
        Geo::new(Target::Country, flags, once)
    }

    pub fn regions(flags: &Flags, once: bool) -> Geo {
        Geo::new(Target::Region, flags, once)
    }

    fn new(target: Target, flags: &Flags, once: bool) -> Geo {
        Geo {
            target,
            batch: flags.geo_batch,
            batches: if once { flags.geo_batches } else { 1 },
            tree: None,
        }
    }

    /// The tree, read again when it lacks a zone in `zones` (zones loaded
    /// since it was read).
    fn tree(
        &mut self,
        ctx: &mut Context,
        zones: impl IntoIterator<Item = i32>,
    ) -> crate::error::Result<&ZoneTree> {
        let stale = match &self.tree {
            None => true,
            Some(tree) => zones.into_iter().any(|z| !tree.knows(z)),
        };
        if stale {
            self.tree = Some(ZoneTree::new(&zone::all(ctx.conn)?));
        }
        Ok(self.tree.get_or_insert_with(ZoneTree::default))
    }

    /// One batch; returns the players selected.
    fn countries_batch(&mut self, ctx: &mut Context) -> anyhow::Result<usize> {
        let players = player_geo::without_country(ctx.conn, self.batch)?;
        let zones: BTreeSet<i32> = players.iter().map(|(_, zone)| *zone).collect();
        let tree = self.tree(ctx, zones.iter().copied())?;
        let mut countries = Vec::new();
        for zone in &zones {
            match tree.country_of(*zone) {
                Some(country) => countries.push((*zone, country)),
                None => log::warn!("countries: zone {zone} is not in the zone tree"),
            }
        }
        let uuids: Vec<String> = players.iter().map(|(uuid, _)| uuid.clone()).collect();
        let changed = lock_retry::transaction(ctx.conn, |conn| {
            player_geo::set_countries(conn, &countries, &uuids)
        })?;
        log::debug!("countries: {changed} of {} players placed", players.len());
        Ok(players.len())
    }

    /// One batch; returns the players selected.
    fn regions_batch(&mut self, ctx: &mut Context) -> anyhow::Result<usize> {
        let players = player_geo::without_region(ctx.conn, self.batch)?;
        let pairs: BTreeSet<(Option<i32>, i32)> =
            players.iter().map(|p| (p.zone_id, p.country_id)).collect();
        let zones = pairs
            .iter()
            .flat_map(|(zone, country)| [*zone, Some(*country)]);
        let tree = self.tree(ctx, zones.flatten())?;
        let mut regions: BTreeMap<(Option<i32>, i32), Region> = BTreeMap::new();
        for (zone, country) in pairs {
            match tree.region_of(zone, country) {
                Some(region_id) => {
                    regions.insert(
                        (zone, country),
                        Region {
                            zone_id: zone,
                            country_id: country,
                            region_id,
                        },
                    );
                }
                None => log::warn!("regions: zone {zone:?} is not in the zone tree"),
            }
        }
        let regions: Vec<Region> = regions.into_values().collect();
        let uuids: Vec<String> = players.iter().map(|p| p.uuid.clone()).collect();
        let changed = lock_retry::transaction(ctx.conn, |conn| {
            player_geo::set_regions(conn, &regions, &uuids)
        })?;
        log::debug!("regions: {changed} of {} players placed", players.len());
        Ok(players.len())
    }
}

impl Job for Geo {
    fn name(&self) -> JobName {
        match self.target {
            Target::Country => JobName::Countries,
            Target::Region => JobName::Regions,
        }
    }

    fn iterate(&mut self, ctx: &mut Context) -> anyhow::Result<Pace> {
        for _ in 0..self.batches {
            if ctx.deadline.passed() {
                break;
            }
            let selected = match self.target {
                Target::Country => self.countries_batch(ctx)?,
                Target::Region => self.regions_batch(ctx)?,
            };
            if selected < usize::try_from(self.batch).unwrap_or(usize::MAX) {
                break;
            }
        }
        Ok(Pace::Normal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::zone_tree::{parse_zone_tree, SHIPPED_ZONE_TREE};

    fn shipped() -> ZoneTree {
        ZoneTree::new(&parse_zone_tree(SHIPPED_ZONE_TREE).unwrap())
    }

    const AACHEN: i32 = 1;
    const AIN: i32 = 7;
    const AUVERGNE_RHONE_ALPES: i32 = 47;
    const EUROPE: i32 = 176;
    const FRANCE: i32 = 185;
    const GERMANY: i32 = 197;
    const NORDRHEIN_WESTFALEN: i32 = 407;
    const WORLD: i32 = 639;

    #[test]
    fn countries_and_regions_of_the_spec_table() {
        let tree = shipped();
        for (zone, country, region) in [
            (AIN, FRANCE, AUVERGNE_RHONE_ALPES),
            (FRANCE, FRANCE, FRANCE),
            (AACHEN, GERMANY, NORDRHEIN_WESTFALEN),
            (EUROPE, WORLD, EUROPE),
            (WORLD, WORLD, WORLD),
        ] {
            assert_eq!(tree.country_of(zone), Some(country), "zone {zone}");
            assert_eq!(
                tree.region_of(Some(zone), country),
                Some(region),
                "zone {zone}"
            );
        }
    }

    #[test]
    fn regions_of_odd_places() {
        let tree = shipped();
        assert_eq!(tree.region_of(None, FRANCE), Some(FRANCE), "no zone");
        // A country that is not above the zone: the walk ends at the root.
        assert_eq!(tree.region_of(Some(AIN), GERMANY), Some(GERMANY));
        assert_eq!(tree.country_of(99_999), None);
        assert_eq!(tree.region_of(Some(99_999), FRANCE), None);
    }

    #[test]
    fn parent_loops_end() {
        let zone = |id, parent| Zone {
            id,
            uuid: format!("{id:032x}"),
            name: String::new(),
            parent_id: Some(parent),
            country_alpha3: None,
            file_name: String::new(),
        };
        let tree = ZoneTree::new(&[zone(1, 2), zone(2, 1)]);
        assert_eq!(tree.country_of(1), None);
        assert_eq!(tree.region_of(Some(1), 3), None);
    }
}
