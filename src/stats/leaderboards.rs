//! S01 clubs leaderboard and S02 countries leaderboard (stats.md §3): the
//! season's best-ranked players, at most ten counted per club or country,
//! scored by the 1000-slot position table.

use crate::db::models::Season;
use crate::stats::ladder::ladder;
use crate::stats::output::Document;
use diesel::MysqlConnection;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Rows a leaderboard reads, best rank first.
pub const ROW_LIMIT: usize = 1000;
/// Members counted per club or country.
pub const MEMBERS_COUNTED: u32 = 10;
/// Ranks that score points: 1 to this.
pub const SCORED_RANKS: i32 = 1000;

/// Points of a stored rank: `10000 − round(10000·log2(r)/log2(1000))` for
/// ranks 1 to 1000, 0 otherwise (negative or zero ranks included).
pub fn position_points(rank: i32) -> i64 {
    if !(1..=SCORED_RANKS).contains(&rank) {
        return 0;
    }
    let share = f64::from(rank).log2() / f64::from(SCORED_RANKS).log2();
    10_000 - (10_000.0 * share).round_ties_even() as i64
}

/// One club or country on a leaderboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing<K> {
    pub key: K,
    pub points: i64,
    pub count: u32,
}

/// Groups `(key, rank)` rows, taken in order, counting each group's first
/// ten rows; sorted by points descending, equal points in order of first
/// appearance.
pub fn standings<K: Eq + std::hash::Hash + Clone>(
    rows: impl IntoIterator<Item = (K, i32)>,
) -> Vec<Standing<K>> {
    let mut groups: Vec<Standing<K>> = Vec::new();
    let mut index: HashMap<K, usize> = HashMap::new();
    for (key, rank) in rows {
        let i = *index.entry(key.clone()).or_insert_with(|| {
            groups.push(Standing {
                key,
                points: 0,
                count: 0,
            });
            groups.len() - 1
        });
        let group = &mut groups[i];
        if group.count < MEMBERS_COUNTED {
            group.points += position_points(rank);
            group.count += 1;
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.points));
    groups
}

fn leaderboard(last_updated: f64, results: Vec<Value>) -> Value {
    json!({"last_updated": last_updated, "compute_method": "top_10", "results": results})
}

/// S01: `get_clubs_leaderboard_<S>.txt`: the first 1000 season rows by
/// rank (equal ranks by player uuid) with a rank and a season club tag.
pub fn clubs(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let ladder = ladder(conn, season)?;
    let rows = ladder
        .ranked_entries()
        .into_iter()
        .filter_map(|e| Some((e.club_tag.clone()?, e.rank)))
        .take(ROW_LIMIT);
    let results = standings(rows)
        .into_iter()
        .map(|s| json!({"name": s.key, "points": s.points, "count": s.count}))
        .collect();
    let content = leaderboard(crate::stats::output::now_epoch(), results);
    Ok(vec![Document::main(job, season.id, content)])
}

/// S02: `get_countries_leaderboard_<S>.txt`: the first 1000 season rows by
/// rank (equal ranks by player uuid) with a rank whose player's current
/// country is a known zone.
pub fn countries(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let ladder = ladder(conn, season)?;
    let rows = ladder
        .ranked_entries()
        .into_iter()
        .filter_map(|e| {
            let country = ladder.player(e)?.country?;
            ladder
                .zones
                .contains_key(&country)
                .then_some((country, e.rank))
        })
        .take(ROW_LIMIT);
    let results = standings(rows)
        .into_iter()
        .map(|s| {
            let zone = &ladder.zones[&s.key];
            json!({"name": zone.name, "file_name": zone.file_name,
                   "country_alpha3": zone.alpha3, "points": s.points, "count": s.count})
        })
        .collect();
    let content = leaderboard(crate::stats::output::now_epoch(), results);
    Ok(vec![Document::main(job, season.id, content)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_position_table_has_the_reference_values() {
        let table = [
            (1, 10000),
            (2, 8997),
            (3, 8410),
            (4, 7993),
            (5, 7670),
            (10, 6667),
            (50, 4337),
            (100, 3333),
            (200, 2330),
            (500, 1003),
            (999, 1),
            (1000, 0),
            (1001, 0),
            (99_999, 0),
            (0, 0),
            (-5, 0),
            (i32::MIN, 0),
        ];
        for (rank, points) in table {
            assert_eq!(position_points(rank), points, "rank {rank}");
        }
    }

    #[test]
    fn only_ten_members_count_and_ties_keep_first_appearance() {
        let mut rows: Vec<(&str, i32)> = (1..=11).map(|r| ("A", r)).collect();
        rows.push(("B", 1000));
        rows.push(("C", 1000));
        let result = standings(rows);
        assert_eq!(result[0].key, "A");
        assert_eq!(result[0].count, 10);
        let ten: i64 = (1..=10).map(position_points).sum();
        assert_eq!(result[0].points, ten);
        assert_eq!(
            result[1..].iter().map(|s| s.key).collect::<Vec<_>>(),
            ["B", "C"]
        );
    }
}
