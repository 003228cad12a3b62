//! S05 maps rank distribution (stats.md §3): finished games of the season
//! per map and rank tier, each game in exactly one tier by its average elo
//! (P-band-avg); one file per map and an index.

use crate::db::models::Season;
use crate::stats::output::{now_epoch, safe_file_stem, Document};
use crate::stats::season_rows::{season_rows, SeasonRows};
use crate::stats::tiers::{p_band_avg, RANKS};
use diesel::MysqlConnection;
use serde_json::{json, Value};

/// The sub-folder of the per-map files.
pub const FOLDER: &str = "maps_rank_distribution";

/// Finished games of the window with an elo (`average_elo <> -1`) per map
/// (index into the rows' maps, in their uid order), one count per tier in
/// RANKS order (P-band-avg); maps without such a game left out.
fn ranks_per_map(rows: &SeasonRows) -> Vec<(usize, [i64; 13])> {
    let mut counts = vec![[0i64; 13]; rows.maps.len()];
    let mut played = vec![false; rows.maps.len()];
    for game in rows
        .games
        .iter()
        .filter(|g| g.is_finished && g.average_elo != -1)
    {
        let map = game.map as usize;
        played[map] = true;
        let tiers = RANKS
            .iter()
            .enumerate()
            .filter(|(_, t)| p_band_avg(**t, game.average_elo, game.trackmaster_limit));
        for (tier, _) in tiers {
            counts[map][tier] += 1;
        }
    }
    counts
        .into_iter()
        .enumerate()
        .filter(|(map, _)| played[*map])
        .collect()
}

fn results(counts: &[i64; 13]) -> Vec<Value> {
    RANKS
        .iter()
        .zip(counts)
        .map(|(tier, count)| json!({"rank": tier.key, "name": tier.name, "count": count}))
        .collect()
}

/// S05: `maps_rank_distribution/<S>/<SAFE_UID>.txt` for every map with a
/// qualifying game, then the index `get_maps_rank_distribution_0_<S>.txt`.
pub fn distribution(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let rows = season_rows(conn, season)?;
    let last_updated = now_epoch();
    let mut documents = Vec::new();
    let mut index = Vec::new();
    for (map, counts) in ranks_per_map(&rows) {
        let map = &rows.maps[map];
        let stem = safe_file_stem(&map.uid);
        if stem.is_empty() {
            log::warn!(
                "map {:?} has a uid that cannot name a file; no rank distribution for it",
                map.uid
            );
            continue;
        }
        documents.push(Document::entity(
            FOLDER,
            season.id,
            &stem,
            json!({"map_uid": map.uid, "map_name": map.name, "results": results(&counts),
                   "last_updated": last_updated}),
        ));
        index.push(json!({"map_uid": map.uid, "map_name": map.name}));
    }
    documents.push(Document::main(
        job,
        season.id,
        json!({"results": index, "last_updated": last_updated}),
    ));
    Ok(documents)
}
