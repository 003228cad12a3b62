//! Queries on a player's place in the zone tree: `player.zone_id` (from the
//! API), `country_id` and `region_id` (from the tree). Each batch is written
//! by one statement, which touches only its column and only while it is NULL.

use crate::db::bulk::Statement;
use crate::db::schema::player;
use crate::error::Result;
use diesel::prelude::*;

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
/// has it: one statement for `(player uuid, zone uuid)` pairs.
pub fn set_zones_statement(zones: &[(String, String)]) -> Statement {
    Statement::new("UPDATE player p JOIN zone z ON z.uuid = ")
        .case("p.uuid", zones.iter().map(|(p, z)| (p, z)))
        .push(" SET p.zone_id = z.id WHERE p.zone_id IS NULL AND p.uuid IN ")
        .list(zones.iter().map(|(p, _)| p))
}

/// Sets `zone_id` from `(player uuid, zone uuid)` pairs (stored forms);
/// players whose zone is not in the zone table keep NULL. Returns the
/// players changed.
pub fn set_zones(conn: &mut MysqlConnection, zones: &[(String, String)]) -> Result<usize> {
    if zones.is_empty() {
        return Ok(0);
    }
    Ok(set_zones_statement(zones).execute(conn)?)
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

/// Gives `players` the country of their zone, from `(zone id, country id)`
/// pairs: one statement.
pub fn set_countries_statement(countries: &[(i32, i32)], players: &[String]) -> Statement {
    Statement::new("UPDATE player SET country_id = ")
        .case("zone_id", countries.iter().copied())
        .push(" WHERE country_id IS NULL AND zone_id IN ")
        .list(countries.iter().map(|(zone, _)| *zone))
        .push(" AND uuid IN ")
        .list(players)
}

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
    Ok(set_countries_statement(countries, players).execute(conn)?)
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

/// A region found for a (zone, country) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Region {
    pub zone_id: Option<i32>,
    pub country_id: i32,
    pub region_id: i32,
}

/// Gives `players` the region of their zone and country: one statement,
/// a `WHEN` per (zone, country) pair (the zone may be NULL).
pub fn set_regions_statement(regions: &[Region], players: &[String]) -> Statement {
    let mut statement = Statement::new("UPDATE player SET region_id = CASE");
    for region in regions {
        statement = statement
            .push(" WHEN zone_id <=> ")
            .value(region.zone_id)
            .push(" AND country_id = ")
            .value(region.country_id)
            .push(" THEN ")
            .value(region.region_id);
    }
    statement
        .push(" ELSE region_id END WHERE region_id IS NULL AND uuid IN ")
        .list(players)
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
    Ok(set_regions_statement(regions, players).execute(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_get_one_placeholder_per_value() {
        let players = ["a".to_string(), "b".to_string()];
        assert_eq!(
            set_zones_statement(&[("a".into(), "z1".into()), ("b".into(), "z2".into())]).sql(),
            "UPDATE player p JOIN zone z ON z.uuid = CASE p.uuid WHEN ? THEN ? WHEN ? THEN ? END \
             SET p.zone_id = z.id WHERE p.zone_id IS NULL AND p.uuid IN (?, ?)"
        );
        assert_eq!(
            set_countries_statement(&[(7, 185)], &players).sql(),
            "UPDATE player SET country_id = CASE zone_id WHEN ? THEN ? END \
             WHERE country_id IS NULL AND zone_id IN (?) AND uuid IN (?, ?)"
        );
        let region = Region {
            zone_id: None,
            country_id: 185,
            region_id: 185,
        };
        assert_eq!(
            set_regions_statement(&[region, region], &players).sql(),
            "UPDATE player SET region_id = CASE \
             WHEN zone_id <=> ? AND country_id = ? THEN ? \
             WHEN zone_id <=> ? AND country_id = ? THEN ? \
             ELSE region_id END WHERE region_id IS NULL AND uuid IN (?, ?)"
        );
    }
}
