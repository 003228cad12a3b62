//! S04 top 100 per country (stats.md §3): each country's best season rows
//! by points, one file per country and an index.

use crate::db::models::Season;
use crate::stats::output::{dashed_uuid, now_epoch, safe_file_stem, Document};
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use diesel::{sql_query, MysqlConnection, QueryableByName, RunQueryDsl};
use serde_json::{json, Value};

/// The sub-folder of the per-country files.
pub const FOLDER: &str = "top_100_by_country";
/// Players per country.
pub const LIMIT: i64 = 100;

/// Season rows of players whose current country has an alpha3, numbered per
/// country by points descending (equal points by uuid), the first 100 kept;
/// countries in zone id order.
pub const TOP_ROWS_SQL: &str = "\
SELECT * FROM ( \
 SELECT z.id AS zone_id, z.name AS country_name, z.country_alpha3 AS alpha3, \
  p.name AS name, ps.player_id AS uuid, ps.club_tag AS club_tag, ps.`rank` AS `rank`, \
  ps.points AS points, r.name AS region_name, r.file_name AS region_file_name, \
  ROW_NUMBER() OVER (PARTITION BY z.id ORDER BY ps.points DESC, ps.player_id) AS position \
 FROM playerseason ps JOIN player p ON p.uuid = ps.player_id \
 JOIN zone z ON z.id = p.country_id LEFT JOIN zone r ON r.id = p.region_id \
 WHERE ps.season_id = ? AND z.country_alpha3 IS NOT NULL \
) ranked WHERE position <= ? ORDER BY zone_id, position";

#[derive(QueryableByName)]
struct TopRow {
    #[diesel(sql_type = Integer)]
    zone_id: i32,
    #[diesel(sql_type = Text)]
    country_name: String,
    #[diesel(sql_type = Text)]
    alpha3: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    uuid: String,
    #[diesel(sql_type = Nullable<Text>)]
    club_tag: Option<String>,
    #[diesel(sql_type = Integer)]
    rank: i32,
    #[diesel(sql_type = Integer)]
    points: i32,
    #[diesel(sql_type = Nullable<Text>)]
    region_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    region_file_name: Option<String>,
}

fn player(row: &TopRow) -> Value {
    let region = match &row.region_name {
        Some(name) => json!({"name": name, "file_name": row.region_file_name}),
        None => Value::Null,
    };
    json!({"name": row.name, "uuid": dashed_uuid(&row.uuid), "club_tag": row.club_tag,
           "rank": row.rank, "points": row.points, "region": region})
}

/// S04: `top_100_by_country/<S>/<ALPHA3>.txt` for every country with a
/// season row, then the index `get_top_100_per_country_0_<S>.txt`.
pub fn per_country(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let rows: Vec<TopRow> = sql_query(TOP_ROWS_SQL)
        .bind::<Integer, _>(season.id)
        .bind::<BigInt, _>(LIMIT)
        .load(conn)?;
    let last_updated = now_epoch();
    let mut documents = Vec::new();
    let mut index = Vec::new();
    for country in rows.chunk_by(|a, b| a.zone_id == b.zone_id) {
        let first = &country[0];
        let stem = safe_file_stem(&first.alpha3);
        if stem.is_empty() {
            log::warn!(
                "zone {} has an alpha3 that cannot name a file ({:?}); no top 100 for it",
                first.zone_id,
                first.alpha3
            );
            continue;
        }
        let results: Vec<Value> = country.iter().map(player).collect();
        documents.push(Document::entity(
            FOLDER,
            season.id,
            &stem,
            json!({"results": results, "last_updated": last_updated}),
        ));
        index.push(json!({"country_alpha3": first.alpha3, "name": first.country_name}));
    }
    documents.push(Document::main(
        job,
        season.id,
        json!({"results": index, "last_updated": last_updated}),
    ));
    Ok(documents)
}
