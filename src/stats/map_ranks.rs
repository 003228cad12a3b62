//! S05 maps rank distribution (stats.md §3): finished games of the season
//! per map and rank tier, each game in exactly one tier by its average elo
//! (P-band-avg); one file per map and an index.

use crate::db::models::Season;
use crate::stats::output::{now_epoch, safe_file_stem, Document};
use crate::stats::tiers::RANKS;
use diesel::sql_types::{BigInt, Datetime, Text};
use diesel::{sql_query, MysqlConnection, QueryableByName, RunQueryDsl};
use serde_json::{json, Value};

/// The sub-folder of the per-map files.
pub const FOLDER: &str = "maps_rank_distribution";

/// Finished games of the window with an elo, per map, one count per tier in
/// RANKS order (P-band-avg: tm `avg >= tl`, m3 `3600 <= avg < tl`, the
/// others their band); maps by uid.
pub const RANKS_PER_MAP_SQL: &str = "\
SELECT m.uid AS uid, m.name AS name, \
 CAST(SUM(g.average_elo >= g.trackmaster_limit) AS SIGNED) AS tm, \
 CAST(SUM(g.average_elo >= 3600 AND g.average_elo < g.trackmaster_limit) AS SIGNED) AS m3, \
 CAST(SUM(g.average_elo >= 3300 AND g.average_elo < 3600) AS SIGNED) AS m2, \
 CAST(SUM(g.average_elo >= 3000 AND g.average_elo < 3300) AS SIGNED) AS m1, \
 CAST(SUM(g.average_elo >= 2600 AND g.average_elo < 3000) AS SIGNED) AS g3, \
 CAST(SUM(g.average_elo >= 2300 AND g.average_elo < 2600) AS SIGNED) AS g2, \
 CAST(SUM(g.average_elo >= 2000 AND g.average_elo < 2300) AS SIGNED) AS g1, \
 CAST(SUM(g.average_elo >= 1600 AND g.average_elo < 2000) AS SIGNED) AS s3, \
 CAST(SUM(g.average_elo >= 1300 AND g.average_elo < 1600) AS SIGNED) AS s2, \
 CAST(SUM(g.average_elo >= 1000 AND g.average_elo < 1300) AS SIGNED) AS s1, \
 CAST(SUM(g.average_elo >= 600 AND g.average_elo < 1000) AS SIGNED) AS b3, \
 CAST(SUM(g.average_elo >= 300 AND g.average_elo < 600) AS SIGNED) AS b2, \
 CAST(SUM(g.average_elo >= 0 AND g.average_elo < 300) AS SIGNED) AS b1 \
FROM game g JOIN map m ON m.uid = g.map_id \
WHERE g.time BETWEEN ? AND ? AND g.is_finished = 1 AND g.average_elo <> -1 \
GROUP BY m.uid, m.name ORDER BY m.uid";

#[derive(QueryableByName)]
struct MapRanks {
    #[diesel(sql_type = Text)]
    uid: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    tm: i64,
    #[diesel(sql_type = BigInt)]
    m3: i64,
    #[diesel(sql_type = BigInt)]
    m2: i64,
    #[diesel(sql_type = BigInt)]
    m1: i64,
    #[diesel(sql_type = BigInt)]
    g3: i64,
    #[diesel(sql_type = BigInt)]
    g2: i64,
    #[diesel(sql_type = BigInt)]
    g1: i64,
    #[diesel(sql_type = BigInt)]
    s3: i64,
    #[diesel(sql_type = BigInt)]
    s2: i64,
    #[diesel(sql_type = BigInt)]
    s1: i64,
    #[diesel(sql_type = BigInt)]
    b3: i64,
    #[diesel(sql_type = BigInt)]
    b2: i64,
    #[diesel(sql_type = BigInt)]
    b1: i64,
}

impl MapRanks {
    /// The counts in RANKS order.
    fn counts(&self) -> [i64; 13] {
        [
            self.tm, self.m3, self.m2, self.m1, self.g3, self.g2, self.g1, self.s3, self.s2,
            self.s1, self.b3, self.b2, self.b1,
        ]
    }

    fn results(&self) -> Vec<Value> {
        RANKS
            .iter()
            .zip(self.counts())
            .map(|(tier, count)| json!({"rank": tier.key, "name": tier.name, "count": count}))
            .collect()
    }
}

/// S05: `maps_rank_distribution/<S>/<SAFE_UID>.txt` for every map with a
/// qualifying game, then the index `get_maps_rank_distribution_0_<S>.txt`.
pub fn distribution(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let rows: Vec<MapRanks> = sql_query(RANKS_PER_MAP_SQL)
        .bind::<Datetime, _>(season.start_time)
        .bind::<Datetime, _>(season.end_time)
        .load(conn)?;
    let last_updated = now_epoch();
    let mut documents = Vec::new();
    let mut index = Vec::new();
    for map in &rows {
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
            json!({"map_uid": map.uid, "map_name": map.name, "results": map.results(),
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
