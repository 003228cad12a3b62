//! A living matchmaking, deterministic per seed: a population of players
//! (zones from the shipped zone tree, clubs with emoji tags, a points
//! ladder) and a timeline of 3v3 and 2v2 matches on the season's maps, each
//! finishing minutes after its start with results that move its players'
//! points. Some matches are bugged (completed without a round played) and
//! some ids belong to other kinds of matches, as on the real id sequence.
//!
//! Time is simulated time in epoch seconds, given by the caller: the world
//! is a pure function of its seed and the time it is asked about, however
//! the questions arrive. Events are applied in time order (the finishes due
//! by a match's start before that start), so the same seed and time always
//! give the same matches, results and points.

use crate::rng::Rng;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// The shipped zone tree (mmstatus's `data/zones.json`).
const ZONE_TREE: &str = include_str!("../../data/zones.json");

/// Simulated seconds of matchmaking played before the start, so that the
/// first request already finds finished matches.
pub const WARM_UP_SECS: i64 = 900;
/// The first match id of every world.
pub const FIRST_MATCH_ID: i64 = 10_000_001;
/// Nadeo keeps matches about a month: older ids answer 404 (and the world's
/// memory stays bounded at high speeds).
pub const RETENTION_SECS: i64 = 30 * 86_400;
const MAPS_PER_SEASON: usize = 10;
const CLUBS: usize = 40;
/// Share of players in a club.
const CLUB_SHARE: f64 = 0.6;
/// Share of ids that are other kinds of matches.
const OTHER_MATCH_SHARE: f64 = 0.08;
/// Share of ranked matches that complete without a round played.
const BUGGED_SHARE: f64 = 0.02;
/// Share of ranked matches that are 2v2 (the rest 3v3).
const TWO_V_TWO_SHARE: f64 = 0.3;
/// Rounds the winning team reaches.
const WINNING_ROUNDS: i64 = 5;
/// Players a match's first player is compared with to find close opponents.
const CANDIDATES: usize = 40;

const CLUB_TAGS: [&str; 12] = [
    "$F05TSH",
    "🐸FROG",
    "⚡VOLT",
    "$0AFBLU",
    "🔥HOT",
    "NRG",
    "🦊FOX",
    "$FD0GG",
    "ÆON",
    "🚀GO",
    "$i$F00R3D",
    "🌙MOON",
];
const NAME_PARTS: [&str; 16] = [
    "tur", "bo", "ka", "mi", "nado", "zen", "rex", "lu", "speed", "dri", "ft", "ice", "wolf",
    "pix", "ra", "mo",
];
const OTHER_MATCH_NAMES: [&str; 4] = [
    "Cup of the Day #1",
    "Club Competition",
    "Royal Official",
    "Weekly Shorts",
];

/// What a world is made from.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub seed: u64,
    pub players: usize,
    /// Simulated epoch seconds at which the world starts serving; matches
    /// were played from [`WARM_UP_SECS`] before.
    pub start: i64,
}

#[derive(Debug, Clone)]
pub struct Player {
    /// Dashed lowercase UUID.
    pub account: String,
    pub name: String,
    /// Dashed zone UUID (a leaf of the zone tree).
    pub zone: String,
    pub club_tag: Option<String>,
    pub points: i64,
    /// Simulated time until which the player is in a match.
    busy_until: i64,
}

#[derive(Debug, Clone)]
pub struct MapInfo {
    pub uid: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// "Official 3v3" or "Official 2v2" matchmaking.
    Ranked { bugged: bool },
    /// Any other match: the collector passes it by.
    Other(&'static str),
}

#[derive(Debug, Clone)]
pub struct Match {
    pub id: i64,
    pub kind: Kind,
    pub start: i64,
    pub end: i64,
    pub map: usize,
    /// Indices into the players, team 0 first.
    pub players: Vec<usize>,
    /// Per player, known once finished: in-match score.
    pub scores: Vec<i64>,
    /// Per team: rounds won.
    pub rounds: [i64; 2],
    pub finished: bool,
}

pub struct World {
    settings: Settings,
    players: Vec<Player>,
    maps: Vec<MapInfo>,
    zones: Vec<Value>,
    matches: BTreeMap<i64, Match>,
    /// Unfinished matches by (end, id).
    running: BTreeMap<(i64, i64), ()>,
    next_id: i64,
    next_start: i64,
    timeline: Rng,
    /// Rank by points, recomputed when points moved.
    ranks: Option<HashMap<usize, i64>>,
    by_account: HashMap<String, usize>,
}

impl World {
    pub fn new(settings: Settings) -> World {
        let mut root = Rng::new(settings.seed);
        let zones: Vec<Value> = serde_json::from_str(ZONE_TREE).unwrap_or_default();
        let leaves = leaf_zones(&zones);
        let players = population(&mut root.fork(1), settings.players.max(6), &leaves);
        let maps = season_maps(&mut root.fork(2), settings.start);
        let by_account = players
            .iter()
            .enumerate()
            .map(|(i, p)| (p.account.clone(), i))
            .collect();
        World {
            players,
            maps,
            zones,
            matches: BTreeMap::new(),
            running: BTreeMap::new(),
            next_id: FIRST_MATCH_ID,
            next_start: settings.start - WARM_UP_SECS,
            timeline: root.fork(3),
            ranks: None,
            by_account,
            settings,
        }
    }

    pub fn settings(&self) -> Settings {
        self.settings
    }

    pub fn players(&self) -> &[Player] {
        &self.players
    }

    pub fn maps(&self) -> &[MapInfo] {
        &self.maps
    }

    /// Matches started by the time the world was last advanced to.
    pub fn matches(&self) -> impl Iterator<Item = &Match> {
        self.matches.values()
    }

    /// Plays every event up to `now` (simulated epoch seconds), in order.
    pub fn advance_to(&mut self, now: i64) {
        while self.next_start <= now {
            self.finish_until(self.next_start);
            self.begin_match(self.next_start);
            self.next_start += self.timeline.range(2, 8);
        }
        self.finish_until(now);
        self.forget_before(now.saturating_sub(RETENTION_SECS));
    }

    fn forget_before(&mut self, limit: i64) {
        while let Some(entry) = self.matches.first_entry() {
            if !entry.get().finished || entry.get().end >= limit {
                break;
            }
            entry.remove();
        }
    }

    fn finish_until(&mut self, now: i64) {
        while let Some((&(end, id), _)) = self.running.first_key_value() {
            if end > now {
                break;
            }
            self.running.remove(&(end, id));
            self.finish(id);
        }
    }

    fn begin_match(&mut self, start: i64) {
        let rng = &mut self.timeline;
        let map = rng.below(self.maps.len() as u64) as usize;
        if rng.chance(OTHER_MATCH_SHARE) {
            let name = OTHER_MATCH_NAMES[rng.below(OTHER_MATCH_NAMES.len() as u64) as usize];
            let end = start + rng.range(600, 3600);
            self.insert(Kind::Other(name), start, end, map, Vec::new());
            return;
        }
        let size = if rng.chance(TWO_V_TWO_SHARE) { 4 } else { 6 };
        let bugged = rng.chance(BUGGED_SHARE);
        let end = start + rng.range(360, 1080);
        let Some(players) = self.pick_players(size, start) else {
            return;
        };
        for &p in &players {
            self.players[p].busy_until = end;
        }
        self.insert(Kind::Ranked { bugged }, start, end, map, players);
    }

    /// A new match under the next id (ids have no gaps: the collector's
    /// walker would wait on a missing one).
    fn insert(&mut self, kind: Kind, start: i64, end: i64, map: usize, players: Vec<usize>) {
        let id = self.next_id;
        self.next_id += 1;
        self.running.insert((end, id), ());
        self.matches.insert(
            id,
            Match {
                id,
                kind,
                start,
                end,
                map,
                players,
                scores: Vec::new(),
                rounds: [0, 0],
                finished: false,
            },
        );
    }

    /// `size` free players of close points, drawn among a sample of the
    /// population (a match costs the same whatever its size), or none when
    /// the sample has too few free players.
    fn pick_players(&mut self, size: usize, now: i64) -> Option<Vec<usize>> {
        let rng = &mut self.timeline;
        let population = self.players.len() as u64;
        let mut sample: Vec<usize> = Vec::with_capacity(CANDIDATES);
        for _ in 0..CANDIDATES * 4 {
            let p = rng.below(population) as usize;
            if self.players[p].busy_until <= now && !sample.contains(&p) {
                sample.push(p);
                if sample.len() == CANDIDATES {
                    break;
                }
            }
        }
        if sample.len() < size {
            return None;
        }
        let points = |p: usize| self.players[p].points;
        let anchor = sample[0];
        let mut others = sample.split_off(1);
        others.sort_by_key(|&p| ((points(p) - points(anchor)).abs(), p));
        let mut chosen = vec![anchor];
        chosen.extend(others.into_iter().take(size - 1));
        // Alternate by points so that both teams get strong and weak players.
        chosen.sort_by_key(|&p| (std::cmp::Reverse(points(p)), p));
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for (i, p) in chosen.into_iter().enumerate() {
            if i % 4 == 0 || i % 4 == 3 {
                a.push(p);
            } else {
                b.push(p);
            }
        }
        a.extend(b);
        Some(a)
    }

    fn finish(&mut self, id: i64) {
        let Some(m) = self.matches.get(&id) else {
            return;
        };
        let (players, kind) = (m.players.clone(), m.kind.clone());
        let rng = &mut self.timeline;
        let mut result = (Vec::new(), [0, 0]);
        if kind == (Kind::Ranked { bugged: false }) {
            let scores: Vec<i64> = players.iter().map(|_| rng.range(0, 120)).collect();
            let half = players.len() / 2;
            let strength =
                |team: &[usize]| team.iter().map(|&p| self.players[p].points).sum::<i64>();
            let edge = (strength(&players[..half]) - strength(&players[half..])) as f64 / 4000.0;
            let first_wins = rng.chance((0.5 + edge).clamp(0.1, 0.9));
            let loser_rounds = rng.range(0, WINNING_ROUNDS - 1);
            let rounds = if first_wins {
                [WINNING_ROUNDS, loser_rounds]
            } else {
                [loser_rounds, WINNING_ROUNDS]
            };
            for (i, &p) in players.iter().enumerate() {
                let won = (i < half) == first_wins;
                let change = if won {
                    rng.range(15, 40)
                } else {
                    -rng.range(10, 35)
                };
                let points = &mut self.players[p].points;
                *points = (*points + change).max(0);
            }
            self.ranks = None;
            result = (scores, rounds);
        }
        if let Some(m) = self.matches.get_mut(&id) {
            m.scores = result.0;
            m.rounds = result.1;
            m.finished = true;
        }
    }

    /// E4: the match as the Meet API gives it, or `None` (404).
    pub fn match_body(&self, id: i64) -> Option<Value> {
        let m = self.matches.get(&id)?;
        let name = match &m.kind {
            Kind::Ranked { .. } if m.players.len() == 4 => "Official 2v2 - Ranked".to_string(),
            Kind::Ranked { .. } => "Official 3v3 - Ranked".to_string(),
            Kind::Other(name) => name.to_string(),
        };
        let status = if m.finished { "COMPLETED" } else { "ONGOING" };
        Some(json!({
            "id": m.id, "liveId": format!("LID-MTCH-sim{}", m.id), "name": name,
            "startDate": m.start, "endDate": m.end, "status": status,
            "participantType": "team", "joinLink": null, "serverStatus": "STARTED",
            "manialink": null,
            "publicConfig": {
                "script": "TrackMania/TM_Teams_Matchmaking_Online.Script.txt",
                "maps": [self.maps[m.map].uid]
            }
        }))
    }

    /// E5: the participants, scores once finished.
    pub fn participants(&self, id: i64) -> Option<Value> {
        let m = self.matches.get(&id)?;
        let half = m.players.len() / 2;
        let mvp = m
            .scores
            .iter()
            .enumerate()
            .max_by_key(|&(i, s)| (*s, std::cmp::Reverse(i)))
            .map(|(i, _)| i);
        let rows = m.players.iter().enumerate().map(|(i, &p)| {
            let score = m.scores.get(i).copied();
            let rank = score.map(|s| 1 + m.scores.iter().filter(|&&o| o > s).count());
            json!({
                "participant": self.players[p].account, "position": i,
                "teamPosition": if i < half { 0 } else { 1 },
                "rank": rank, "score": score, "mvp": score.is_some() && mvp == Some(i),
                "leaver": null, "eliminated": false
            })
        });
        Some(Value::Array(rows.collect()))
    }

    /// E6: the teams, rounds once finished (none played when bugged).
    pub fn teams(&self, id: i64) -> Option<Value> {
        let m = self.matches.get(&id)?;
        let rank = |team: usize| match (m.finished, m.rounds[team] >= m.rounds[1 - team]) {
            (false, _) => Value::Null,
            (true, true) => json!(1),
            (true, false) => json!(2),
        };
        Some(json!([
            {"position": 0, "score": m.rounds[0], "rank": rank(0)},
            {"position": 1, "score": m.rounds[1], "rank": rank(1)},
        ]))
    }

    /// E7: points and rank of the known players among `accounts`.
    pub fn leaderboard(&mut self, accounts: &[String]) -> Value {
        let ranks = self
            .ranks
            .get_or_insert_with(|| rank_by_points(&self.players));
        let results: Vec<Value> = accounts
            .iter()
            .filter_map(|a| self.by_account.get(a).map(|&p| (a, p)))
            .map(|(a, p)| json!({"player": a, "score": self.players[p].points, "rank": ranks[&p]}))
            .collect();
        json!({"matchmakingId": 5, "cardinal": self.players.len(), "results": results})
    }

    pub fn player(&self, account: &str) -> Option<&Player> {
        self.by_account.get(account).map(|&p| &self.players[p])
    }

    /// E8: a season map's info.
    pub fn map_info(&self, uid: &str) -> Option<Value> {
        let map = self.maps.iter().find(|m| m.uid == uid)?;
        Some(json!({
            "uid": map.uid, "mapId": format!("sim-{}", map.uid), "name": map.name,
            "author": "d2372a08-a8a1-46cb-97fb-23a161d85ad0", "submitter": "d2372a08-a8a1-46cb-97fb-23a161d85ad0",
            "authorTime": 45_000, "goldTime": 48_000, "silverTime": 54_000, "bronzeTime": 68_000,
            "nbLaps": 0, "valid": true, "public": true, "favorite": false, "playable": true,
            "mapStyle": "", "mapType": "TrackMania\\TM_Race", "collectionName": "Stadium"
        }))
    }

    /// E11: the zone list.
    pub fn zone_list(&self) -> Value {
        let uuid_of: HashMap<i64, String> = self
            .zones
            .iter()
            .filter_map(|z| Some((z["id"].as_i64()?, dashed(z["uuid"].as_str()?))))
            .collect();
        let rows = self.zones.iter().map(|z| {
            let parent = z["parent_id"].as_i64().and_then(|p| uuid_of.get(&p));
            json!({
                "zoneId": dashed(z["uuid"].as_str().unwrap_or_default()),
                "name": z["name"], "parentId": parent,
                "icon": format!("file://Media/Flags/{}", z["file_name"].as_str().unwrap_or_default()),
                "timestamp": "2020-01-01T00:00:00+00:00"
            })
        });
        Value::Array(rows.collect())
    }
}

/// Rank 1 for the most points; equal points share a rank.
fn rank_by_points(players: &[Player]) -> HashMap<usize, i64> {
    let mut order: Vec<usize> = (0..players.len()).collect();
    order.sort_by_key(|&p| std::cmp::Reverse(players[p].points));
    let mut ranks = HashMap::new();
    let mut rank = 0;
    for (i, &p) in order.iter().enumerate() {
        if i == 0 || players[order[i - 1]].points != players[p].points {
            rank = i as i64 + 1;
        }
        ranks.insert(p, rank);
    }
    ranks
}

/// Dashed UUIDs of the zones that have no children (regions, small countries).
fn leaf_zones(zones: &[Value]) -> Vec<String> {
    let parents: std::collections::HashSet<i64> = zones
        .iter()
        .filter_map(|z| z["parent_id"].as_i64())
        .collect();
    let mut leaves: Vec<String> = zones
        .iter()
        .filter(|z| z["id"].as_i64().is_some_and(|id| !parents.contains(&id)))
        .filter_map(|z| z["uuid"].as_str().map(dashed))
        .collect();
    leaves.sort();
    if leaves.is_empty() {
        leaves.push("301e1b69-7e13-11e8-8060-e284abfd2bc4".to_string());
    }
    leaves
}

/// A UUID with dashes, from 32 hex digits (a dashed one is kept).
fn dashed(uuid: &str) -> String {
    if uuid.len() != 32 || !uuid.is_ascii() {
        return uuid.to_string();
    }
    format!(
        "{}-{}-{}-{}-{}",
        &uuid[..8],
        &uuid[8..12],
        &uuid[12..16],
        &uuid[16..20],
        &uuid[20..]
    )
}

fn population(rng: &mut Rng, count: usize, zones: &[String]) -> Vec<Player> {
    let clubs: Vec<String> = (0..CLUBS)
        .map(|i| format!("{}{}", CLUB_TAGS[i % CLUB_TAGS.len()], i / CLUB_TAGS.len()))
        .map(|tag| tag.trim_end_matches('0').to_string())
        .collect();
    (0..count)
        .map(|_| Player {
            account: account_id(rng),
            name: player_name(rng),
            zone: zones[rng.below(zones.len() as u64) as usize].clone(),
            club_tag: rng
                .chance(CLUB_SHARE)
                .then(|| clubs[rng.below(clubs.len() as u64) as usize].clone()),
            points: ladder_points(rng),
            busy_until: i64::MIN,
        })
        .collect()
}

/// Most players between 500 and 3000 points, a thin tail up to about 4500.
fn ladder_points(rng: &mut Rng) -> i64 {
    let skill = rng.normal();
    let points = 1500.0
        + 800.0 * skill
        + if skill > 2.0 {
            1200.0 * (skill - 2.0)
        } else {
            0.0
        };
    points.max(0.0) as i64
}

/// A random (version 4) UUID, dashed.
fn account_id(rng: &mut Rng) -> String {
    let (a, b) = (rng.next_u64(), rng.next_u64());
    let hex = format!("{a:016x}{b:016x}");
    let mut id: Vec<char> = hex.chars().collect();
    id[12] = '4';
    id[16] = ['8', '9', 'a', 'b'][(b >> 60) as usize % 4];
    dashed(&id.into_iter().collect::<String>())
}

fn player_name(rng: &mut Rng) -> String {
    let parts = rng.range(2, 3);
    let mut name: String = (0..parts)
        .map(|_| NAME_PARTS[rng.below(NAME_PARTS.len() as u64) as usize])
        .collect();
    if let Some(first) = name.get(..1) {
        name = first.to_uppercase() + &name[1..];
    }
    if rng.chance(0.4) {
        name.push_str(&rng.range(1, 999).to_string());
    }
    name
}

/// The official maps of the season containing `at`: "Spring 2026 - 01"…
fn season_maps(rng: &mut Rng, at: i64) -> Vec<MapInfo> {
    let season = season_name(at);
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    (1..=MAPS_PER_SEASON)
        .map(|n| MapInfo {
            uid: (0..27)
                .map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize] as char)
                .collect(),
            name: format!("{season} - {n:02}"),
        })
        .collect()
}

/// "Winter 2026" for January to March, then Spring, Summer, Fall.
pub fn season_name(at: i64) -> String {
    let date = chrono::DateTime::from_timestamp(at, 0).unwrap_or_default();
    use chrono::Datelike;
    let quarter = ["Winter", "Spring", "Summer", "Fall"][date.month0() as usize / 3];
    format!("{quarter} {}", date.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world(seed: u64) -> World {
        World::new(Settings {
            seed,
            players: 300,
            start: 1_780_000_000,
        })
    }

    #[test]
    fn matches_start_every_few_seconds_and_finish_minutes_later() {
        let mut w = world(1);
        w.advance_to(w.settings().start);
        let ranked: Vec<&Match> = w
            .matches()
            .filter(|m| matches!(m.kind, Kind::Ranked { .. }))
            .collect();
        assert!(ranked.len() > 50, "{} ranked matches", ranked.len());
        assert!(ranked.iter().any(|m| m.finished));
        assert!(ranked.iter().any(|m| !m.finished));
        for m in ranked {
            assert!(m.players.len() == 4 || m.players.len() == 6);
            assert!((360..=1080).contains(&(m.end - m.start)));
        }
    }

    #[test]
    fn a_player_is_in_one_match_at_a_time() {
        let mut w = world(2);
        w.advance_to(w.settings().start + 3600);
        let mut busy: HashMap<usize, Vec<(i64, i64)>> = HashMap::new();
        for m in w.matches() {
            for &p in &m.players {
                busy.entry(p).or_default().push((m.start, m.end));
            }
        }
        for spans in busy.values_mut() {
            spans.sort();
            assert!(spans.windows(2).all(|s| s[0].1 <= s[1].0), "{spans:?}");
        }
    }

    #[test]
    fn asking_in_small_steps_or_at_once_gives_the_same_world() {
        let (mut stepped, mut at_once) = (world(3), world(3));
        let end = stepped.settings().start + 1800;
        let mut t = stepped.settings().start - WARM_UP_SECS;
        while t < end {
            t += 7;
            stepped.advance_to(t.min(end));
        }
        at_once.advance_to(end);
        let ids: Vec<i64> = at_once.matches().map(|m| m.id).collect();
        assert_eq!(stepped.matches().map(|m| m.id).collect::<Vec<_>>(), ids);
        for id in ids {
            assert_eq!(stepped.participants(id), at_once.participants(id));
            assert_eq!(stepped.teams(id), at_once.teams(id));
        }
        let accounts: Vec<String> = at_once
            .players()
            .iter()
            .map(|p| p.account.clone())
            .collect();
        assert_eq!(
            stepped.leaderboard(&accounts),
            at_once.leaderboard(&accounts)
        );
    }

    #[test]
    fn finished_matches_move_points_and_bugged_ones_play_no_round() {
        let mut w = world(4);
        let before: Vec<i64> = w.players().iter().map(|p| p.points).collect();
        w.advance_to(w.settings().start + 7200);
        let after: Vec<i64> = w.players().iter().map(|p| p.points).collect();
        assert_ne!(before, after);
        let bugged: Vec<&Match> = w
            .matches()
            .filter(|m| m.kind == Kind::Ranked { bugged: true } && m.finished)
            .collect();
        assert!(!bugged.is_empty());
        assert!(bugged.iter().all(|m| m.rounds == [0, 0]));
        assert!(w.matches().any(|m| matches!(m.kind, Kind::Other(_))));
    }

    #[test]
    fn ranks_follow_points_and_ties_share() {
        let mut w = world(5);
        let accounts: Vec<String> = w.players().iter().map(|p| p.account.clone()).collect();
        let board = w.leaderboard(&accounts);
        let results = board["results"].as_array().unwrap();
        assert_eq!(results.len(), accounts.len());
        for a in results {
            for b in results {
                if a["score"].as_i64() > b["score"].as_i64() {
                    assert!(a["rank"].as_i64() < b["rank"].as_i64());
                }
            }
        }
    }

    #[test]
    fn matches_older_than_a_month_are_forgotten() {
        let mut w = world(7);
        w.advance_to(w.settings().start);
        assert!(w.match_body(FIRST_MATCH_ID).is_some());
        w.advance_to(w.settings().start + RETENTION_SECS + 86_400);
        assert!(w.match_body(FIRST_MATCH_ID).is_none());
        assert!(w.matches().count() > 0);
    }

    #[test]
    fn the_season_is_named_from_the_start() {
        assert_eq!(season_name(1_780_000_000), "Spring 2026");
        assert_eq!(world(6).maps()[0].name, "Spring 2026 - 01");
    }
}
