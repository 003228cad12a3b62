//! S04 top 100 per country (stats.md §3): each country's best season rows
//! by points, one file per country and an index.

use crate::db::models::Season;
use crate::stats::ladder::{ladder, uuid_order, Ladder, LadderPlayer, SeasonEntry};
use crate::stats::output::{dashed_uuid, now_epoch, safe_file_stem, Document};
use diesel::MysqlConnection;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The sub-folder of the per-country files.
pub const FOLDER: &str = "top_100_by_country";
/// Players per country.
pub const LIMIT: usize = 100;

/// One player of a country's top 100.
struct TopRow<'a> {
    entry: &'a SeasonEntry,
    player: &'a LadderPlayer,
}

fn player(ladder: &Ladder, row: &TopRow) -> Value {
    let region = match row.player.region.and_then(|id| ladder.zones.get(&id)) {
        Some(zone) => json!({"name": zone.name, "file_name": zone.file_name}),
        None => Value::Null,
    };
    json!({"name": row.player.name, "uuid": dashed_uuid(&row.entry.uuid),
           "club_tag": row.entry.club_tag, "rank": row.entry.rank,
           "points": row.entry.points, "region": region})
}

/// Season rows of players whose current country has an alpha3, per country
/// zone id (in id order), by points descending (equal points by uuid), the
/// first [`LIMIT`] of each.
fn top_rows(ladder: &Ladder) -> BTreeMap<i32, Vec<TopRow<'_>>> {
    let mut countries: BTreeMap<i32, Vec<TopRow>> = BTreeMap::new();
    for entry in &ladder.entries {
        let Some(player) = ladder.player(entry) else {
            continue;
        };
        let Some(country) = player.country else {
            continue;
        };
        if ladder
            .zones
            .get(&country)
            .is_some_and(|z| z.alpha3.is_some())
        {
            countries
                .entry(country)
                .or_default()
                .push(TopRow { entry, player });
        }
    }
    for rows in countries.values_mut() {
        rows.sort_by(|a, b| {
            b.entry
                .points
                .cmp(&a.entry.points)
                .then_with(|| uuid_order(&a.entry.uuid, &b.entry.uuid))
        });
        rows.truncate(LIMIT);
    }
    countries
}

/// S04: `top_100_by_country/<S>/<ALPHA3>.txt` for every country with a
/// season row, then the index `get_top_100_per_country_0_<S>.txt`.
pub fn per_country(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let ladder = ladder(conn, season)?;
    let last_updated = now_epoch();
    let mut documents = Vec::new();
    let mut index = Vec::new();
    for (zone_id, rows) in top_rows(&ladder) {
        let zone = &ladder.zones[&zone_id];
        let alpha3 = zone.alpha3.as_deref().unwrap_or_default();
        let stem = safe_file_stem(alpha3);
        if stem.is_empty() {
            log::warn!(
                "zone {zone_id} has an alpha3 that cannot name a file ({alpha3:?}); no top 100 \
                 for it"
            );
            continue;
        }
        let results: Vec<Value> = rows.iter().map(|row| player(&ladder, row)).collect();
        documents.push(Document::entity(
            FOLDER,
            season.id,
            &stem,
            json!({"results": results, "last_updated": last_updated}),
        ));
        index.push(json!({"country_alpha3": alpha3, "name": zone.name}));
    }
    documents.push(Document::main(
        job,
        season.id,
        json!({"results": index, "last_updated": last_updated}),
    ));
    Ok(documents)
}
