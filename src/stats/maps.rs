//! S03 maps statistics (stats.md §3): games per map in the season window,
//! from the shared season rows.

use crate::db::models::Season;
use crate::stats::output::{now_epoch, Document};
use crate::stats::season_rows::{season_rows, SeasonRows};
use diesel::MysqlConnection;
use serde_json::json;
use std::cmp::Reverse;

/// Games of the window per map (index into the rows' maps), finished or
/// not; most played first, equal counts by map uid in the database's order.
fn games_per_map(rows: &SeasonRows) -> Vec<(usize, i64)> {
    let mut counts = vec![0i64; rows.maps.len()];
    for game in &rows.games {
        counts[game.map as usize] += 1;
    }
    let mut played: Vec<(usize, i64)> = counts
        .into_iter()
        .enumerate()
        .filter(|(_, n)| *n > 0)
        .collect();
    played.sort_by_key(|&(map, n)| (Reverse(n), map));
    played
}

/// S03: `get_maps_statistics_<S>.txt`.
pub fn statistics(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let rows = season_rows(conn, season)?;
    let results: Vec<_> = games_per_map(&rows)
        .into_iter()
        .map(|(map, total)| {
            let map = &rows.maps[map];
            json!({"total_played": total, "map_uid": map.uid, "map_name": map.name})
        })
        .collect();
    let content = json!({"last_updated": now_epoch(), "results": results});
    Ok(vec![Document::main(job, season.id, content)])
}
