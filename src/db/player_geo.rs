//! Queries on a player's place in the zone tree: `player.zone_id` (from the
//! API), `country_id` and `region_id` (from the tree). Each batch is written
//! by one statement, which touches only its column and only while it is NULL.

use crate::db::schema::player;
use crate::error::Result;
use diesel::mysql::Mysql;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text};

/// Up to `limit` players without a zone, in uuid order, after `after`
/// and up to `up_to` (included) when given.
pub fn without_zone_between(
    conn: &mut MysqlConnection,
    after: Option<&str>,
    up_to: Option<&str>,
    limit: i64,
) -> Result<Vec<String>> {
    let mut query = player::table
        .filter(player::zone_id.is_null())
        .order(player::uuid)
        .limit(limit)
        .select(player::uuid)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(player::uuid.gt(after.to_string()));
    }
    if let Some(up_to) = up_to {
        query = query.filter(player::uuid.le(up_to.to_string()));
    }
    Ok(query.load(conn)?)
}

/// Gives each player the zone whose uuid the API named, when the zone table
/// has it; `{cases}` holds one `WHEN ? THEN ?` (player uuid, zone uuid) per
/// player, `{players}` their uuids.
pub const SET_ZONES_SQL: &str = "UPDATE player p \
     JOIN zone z ON z.uuid = CASE p.uuid {cases} END \
     SET p.zone_id = z.id \
     WHERE p.zone_id IS NULL AND p.uuid IN ({players})";

/// Sets `zone_id` from `(player uuid, zone uuid)` pairs (stored forms);
/// players whose zone is not in the zone table keep NULL. Returns the
/// players changed.
pub fn set_zones(conn: &mut MysqlConnection, zones: &[(String, String)]) -> Result<usize> {
    if zones.is_empty() {
        return Ok(0);
    }
    let sql = SET_ZONES_SQL
        .replace("{cases}", &repeat("WHEN ? THEN ?", " ", zones.len()))
        .replace("{players}", &repeat("?", ", ", zones.len()));
    let mut query = diesel::sql_query(sql).into_boxed::<Mysql>();
    for (player, zone) in zones {
        query = query
            .bind::<Text, _>(player.clone())
            .bind::<Text, _>(zone.clone());
    }
    for (player, _) in zones {
        query = query.bind::<Text, _>(player.clone());
    }
    Ok(query.execute(conn)?)
}

/// Up to `limit` players with a zone but no country, in uuid order, with
/// their zone.
pub fn without_country(conn: &mut MysqlConnection, limit: i64) -> Result<Vec<(String, i32)>> {
    Ok(player::table
        .filter(player::zone_id.is_not_null())
        .filter(player::country_id.is_null())
        .order(player::uuid)
        .limit(limit)
        .select((player::uuid, player::zone_id.assume_not_null()))
        .load(conn)?)
}

/// Gives players the country of their zone; `{cases}` holds one
/// `WHEN ? THEN ?` (zone id, country id) per zone, `{zones}` those zones,
/// `{players}` the players.
pub const SET_COUNTRIES_SQL: &str = "UPDATE player \
     SET country_id = CASE zone_id {cases} ELSE country_id END \
     WHERE country_id IS NULL AND zone_id IN ({zones}) AND uuid IN ({players})";

/// Sets `country_id` of `players` from `countries` (zone id → country id).
/// Returns the players changed.
pub fn set_countries(
    conn: &mut MysqlConnection,
    countries: &[(i32, i32)],
    players: &[String],
) -> Result<usize> {
    if countries.is_empty() || players.is_empty() {
        return Ok(0);
    }
    let sql = SET_COUNTRIES_SQL
        .replace("{cases}", &repeat("WHEN ? THEN ?", " ", countries.len()))
        .replace("{zones}", &repeat("?", ", ", countries.len()))
        .replace("{players}", &repeat("?", ", ", players.len()));
    let mut query = diesel::sql_query(sql).into_boxed::<Mysql>();
    for (zone, country) in countries {
        query = query.bind::<Integer, _>(*zone).bind::<Integer, _>(*country);
    }
    for (zone, _) in countries {
        query = query.bind::<Integer, _>(*zone);
    }
    for player in players {
        query = query.bind::<Text, _>(player.clone());
    }
    Ok(query.execute(conn)?)
}

/// A player's place as the regions job reads it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Placed {
    pub uuid: String,
    pub zone_id: Option<i32>,
    pub country_id: i32,
}

/// Up to `limit` players with a country but no region, in uuid order.
pub fn without_region(conn: &mut MysqlConnection, limit: i64) -> Result<Vec<Placed>> {
    Ok(player::table
        .filter(player::country_id.is_not_null())
        .filter(player::region_id.is_null())
        .order(player::uuid)
        .limit(limit)
        .select((
            player::uuid,
            player::zone_id,
            player::country_id.assume_not_null(),
        ))
        .load(conn)?)
}

/// Gives players the region of their zone and country; `{cases}` holds one
/// `WHEN zone_id <=> ? AND country_id = ? THEN ?` (zone id or NULL,
/// country id, region id) per pair, `{players}` the players.
pub const SET_REGIONS_SQL: &str = "UPDATE player \
     SET region_id = CASE {cases} ELSE region_id END \
     WHERE region_id IS NULL AND uuid IN ({players})";

/// A region found for a (zone, country) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Region {
    pub zone_id: Option<i32>,
    pub country_id: i32,
    pub region_id: i32,
}

/// Sets `region_id` of `players` from `regions`. Returns the players changed.
pub fn set_regions(
    conn: &mut MysqlConnection,
    regions: &[Region],
    players: &[String],
) -> Result<usize> {
    if regions.is_empty() || players.is_empty() {
        return Ok(0);
    }
    let sql = SET_REGIONS_SQL
        .replace(
            "{cases}",
            &repeat(
                "WHEN zone_id <=> ? AND country_id = ? THEN ?",
                " ",
                regions.len(),
            ),
        )
        .replace("{players}", &repeat("?", ", ", players.len()));
    let mut query = diesel::sql_query(sql).into_boxed::<Mysql>();
    for region in regions {
        query = query
            .bind::<Nullable<Integer>, _>(region.zone_id)
            .bind::<Integer, _>(region.country_id)
            .bind::<Integer, _>(region.region_id);
    }
    for player in players {
        query = query.bind::<Text, _>(player.clone());
    }
    Ok(query.execute(conn)?)
}

/// `part` `times` times, joined by `separator`.
fn repeat(part: &str, separator: &str, times: usize) -> String {
    vec![part; times].join(separator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_get_one_placeholder_per_value() {
        assert_eq!(repeat("?", ", ", 3), "?, ?, ?");
        assert_eq!(
            repeat("WHEN ? THEN ?", " ", 2),
            "WHEN ? THEN ? WHEN ? THEN ?"
        );
        for sql in [SET_ZONES_SQL, SET_COUNTRIES_SQL, SET_REGIONS_SQL] {
            assert!(!sql.contains('?'), "placeholders are filled in: {sql}");
            assert!(sql.contains("{cases}") && sql.contains("{players}"));
        }
    }
}
