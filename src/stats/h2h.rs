//! S06 country head-to-head (stats.md §3): per game, the countries of the
//! winning and losing teams; every ordered pair of countries facing each
//! other counts a win, a loss, or a draw when either country had players on
//! both teams. Teammates are never opponents. One file per country and an
//! index, for the tiers m1, m2, m3 and tm (P-cum on min_elo).

use crate::db::models::Season;
use crate::stats::output::{now_epoch, safe_file_stem, Document};
use crate::stats::season_rows::{season_rows, SeasonRows, ZoneRef};
use crate::stats::tiers::{self, p_cum, Tier};
use diesel::MysqlConnection;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The sub-folder of the per-country files: `country_h2h_<ELO>`.
pub const FOLDER_PREFIX: &str = "country_h2h";

/// One ordered pair's record, from the first country's side.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub wins: i64,
    pub draws: i64,
    pub losses: i64,
    pub games: i64,
}

/// How one game ended for one country against another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Win,
    Draw,
    Loss,
}

/// The countries of one game's winning and losing teams.
#[derive(Debug, Default)]
pub struct GameSides {
    pub winners: BTreeSet<String>,
    pub losers: BTreeSet<String>,
}

impl GameSides {
    fn is_split(&self, country: &str) -> bool {
        self.winners.contains(country) && self.losers.contains(country)
    }

    /// `a` against `b`, or `None` when they only played on the same team.
    fn outcome(&self, a: &str, b: &str) -> Option<Outcome> {
        if self.is_split(a) || self.is_split(b) {
            return Some(Outcome::Draw);
        }
        let a_won = self.winners.contains(a);
        if a_won == self.winners.contains(b) {
            return None;
        }
        Some(if a_won { Outcome::Win } else { Outcome::Loss })
    }
}

/// Adds one game to the records of every ordered pair of its countries.
pub fn add_game(records: &mut BTreeMap<(String, String), Record>, game: &GameSides) {
    let countries: BTreeSet<&String> = game.winners.iter().chain(&game.losers).collect();
    for a in &countries {
        for b in &countries {
            if a == b {
                continue;
            }
            let Some(outcome) = game.outcome(a, b) else {
                continue;
            };
            let record = records.entry(((*a).clone(), (*b).clone())).or_default();
            record.games += 1;
            match outcome {
                Outcome::Win => record.wins += 1,
                Outcome::Draw => record.draws += 1,
                Outcome::Loss => record.losses += 1,
            }
        }
    }
}

/// S06 for the job `get_country_h2h_<ELO>`: `country_h2h_<ELO>/<S>/<ALPHA3>.txt`
/// for every country with an opponent, then the index. Games: the window's
/// finished ones with an elo and P-cum on `min_elo`; players: those whose
/// current country has an alpha3.
pub fn country_h2h(
    conn: &mut MysqlConnection,
    job: &str,
    season: &Season,
) -> anyhow::Result<Vec<Document>> {
    let tier = tiers::of_job(job)?;
    let rows = season_rows(conn, season)?;
    let alpha3s = country_alpha3s(&rows);
    let mut countries: BTreeMap<String, Value> = BTreeMap::new();
    let mut records = BTreeMap::new();
    for (game, parts) in rows.parts_by_game() {
        if !(game.is_finished
            && game.has_elo()
            && p_cum(tier, game.min_elo, game.trackmaster_limit))
        {
            continue;
        }
        let mut sides = GameSides::default();
        for part in parts {
            let Some((alpha3, zone)) = rows.player(part).country.and_then(|c| alpha3s.get(&c))
            else {
                continue;
            };
            countries.entry(alpha3.to_string()).or_insert_with(
                || json!({"name": zone.name, "file_name": zone.file_name, "alpha3": alpha3}),
            );
            let side = if part.is_win {
                &mut sides.winners
            } else {
                &mut sides.losers
            };
            side.insert(alpha3.to_string());
        }
        add_game(&mut records, &sides);
    }
    Ok(documents(job, season.id, tier, &countries, &records))
}

/// The country zones with an alpha3, by id, each with the fields of the
/// zone of lowest id that has its alpha3 (one description per alpha3).
fn country_alpha3s(rows: &SeasonRows) -> HashMap<i32, (&str, &ZoneRef)> {
    let mut first: BTreeMap<&str, (i32, &ZoneRef)> = BTreeMap::new();
    for (&id, zone) in &rows.zones {
        if let Some(alpha3) = zone.alpha3.as_deref() {
            let kept = first.entry(alpha3).or_insert((id, zone));
            if id < kept.0 {
                *kept = (id, zone);
            }
        }
    }
    rows.zones
        .iter()
        .filter_map(|(&id, zone)| {
            let alpha3 = zone.alpha3.as_deref()?;
            Some((id, (alpha3, first[alpha3].1)))
        })
        .collect()
}

fn documents(
    job: &str,
    season: i32,
    tier: Tier,
    countries: &BTreeMap<String, Value>,
    records: &BTreeMap<(String, String), Record>,
) -> Vec<Document> {
    let folder = format!("{FOLDER_PREFIX}_{}", tier.min_elo);
    let last_updated = now_epoch();
    let mut documents = Vec::new();
    let mut index = Vec::new();
    let mut by_country: BTreeMap<&str, Vec<(&str, Record)>> = BTreeMap::new();
    for ((a, b), record) in records {
        by_country.entry(a).or_default().push((b, *record));
    }
    for (country, mut opponents) in by_country {
        let stem = safe_file_stem(country);
        if stem.is_empty() {
            log::warn!("alpha3 {country:?} cannot name a file; no head-to-head for it");
            continue;
        }
        // Most games first; equal games by the opponent's alpha3 (the map is
        // already in alpha3 order and the sort is stable).
        opponents.sort_by_key(|(_, r)| std::cmp::Reverse(r.games));
        let results: Vec<Value> = opponents
            .iter()
            .map(|(opponent, r)| {
                json!({"opponent": countries.get(*opponent).cloned().unwrap_or(Value::Null),
                       "wins": r.wins, "draws": r.draws, "losses": r.losses, "games": r.games})
            })
            .collect();
        documents.push(Document::entity(
            &folder,
            season,
            &stem,
            json!({"results": results, "last_updated": last_updated}),
        ));
        index.push(country.to_string());
    }
    documents.push(Document::main(
        job,
        season,
        json!({"countries": index, "last_updated": last_updated}),
    ));
    documents
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sides(winners: &[&str], losers: &[&str]) -> GameSides {
        GameSides {
            winners: winners.iter().map(|s| s.to_string()).collect(),
            losers: losers.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn record(records: &BTreeMap<(String, String), Record>, a: &str, b: &str) -> Record {
        records
            .get(&(a.to_string(), b.to_string()))
            .copied()
            .unwrap_or_default()
    }

    #[test]
    fn same_side_pairs_are_skipped_and_splits_are_draws() {
        let mut records = BTreeMap::new();
        add_game(&mut records, &sides(&["FRA", "GER"], &["ESP", "FRA"]));
        // FRA is split: a draw against everyone.
        assert_eq!(
            record(&records, "FRA", "GER"),
            Record {
                draws: 1,
                games: 1,
                ..Record::default()
            }
        );
        assert_eq!(record(&records, "ESP", "FRA").draws, 1);
        assert_eq!(
            record(&records, "GER", "ESP"),
            Record {
                wins: 1,
                games: 1,
                ..Record::default()
            }
        );
        assert_eq!(
            record(&records, "ESP", "GER"),
            Record {
                losses: 1,
                games: 1,
                ..Record::default()
            }
        );
        assert_eq!(records.len(), 6);
        let mut teammates = BTreeMap::new();
        add_game(&mut teammates, &sides(&["FRA", "GER"], &[]));
        assert!(teammates.is_empty());
    }
}
