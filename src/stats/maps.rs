//! S03 maps statistics (stats.md §3): games per map in the season window.

use crate::db::models::Season;
use crate::stats::output::{now_epoch, Document};
use diesel::sql_types::{BigInt, Datetime, Text};
use diesel::{sql_query, MysqlConnection, QueryableByName, RunQueryDsl};
use serde_json::json;

/// Games of the window per map, finished or not; equal counts by map uid.
pub const GAMES_PER_MAP_SQL: &str = "\
SELECT m.uid AS uid, m.name AS name, COUNT(*) AS total_played \
FROM game g JOIN map m ON m.uid = g.map_id \
WHERE g.time BETWEEN ? AND ? \
GROUP BY m.uid, m.name ORDER BY total_played DESC, m.uid";

#[derive(QueryableByName)]
struct MapRow {
    #[diesel(sql_type = Text)]
    uid: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    total_played: i64,
}

/// S03: `get_maps_statistics_<S>.txt`.
pub fn statistics(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let rows: Vec<MapRow> = sql_query(GAMES_PER_MAP_SQL)
        .bind::<Datetime, _>(season.start_time)
        .bind::<Datetime, _>(season.end_time)
        .load(conn)?;
    let results: Vec<_> = rows
        .into_iter()
        .map(|r| json!({"map_uid": r.uid, "map_name": r.name, "total_played": r.total_played}))
        .collect();
    let content = json!({"last_updated": now_epoch(), "results": results});
    Ok(vec![Document::main(job, season.id, content)])
}
