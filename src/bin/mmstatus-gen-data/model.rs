//! The synthetic data itself, built in memory from the parameters and a seed
//! (no database here): seasons, maps, players, games. Participations are
//! derived per game when they are written ([`participations`]), from a
//! generator seeded by the game, so a million games need little memory.

use crate::rng::{cumulative, Rng};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};
use std::collections::HashMap;

pub const SENTINEL_TEXT: &str = "1970-01-01 01:00:00";
/// What the collector stores when no player qualifies as Trackmaster.
pub const NO_TRACKMASTER: i32 = 99999;
const MAPS_PER_SEASON: usize = 25;
const FIRST_GAME_ID: i32 = 10_000_000;
/// The root of the zone tree (World): the "country" of a player whose zone
/// has no country above it.
const WORLD: i32 = 639;
/// Games this close to the end are still being played (unfinished).
const UNFINISHED_WINDOW: i64 = 15 * 60;
/// Games this close to the end have no elo yet (-1).
const NO_ELO_WINDOW: i64 = 2 * 60;
/// Deeper than any real zone tree (World is 4 levels above a sub-region).
const MAX_ZONE_DEPTH: usize = 64;

pub struct Params {
    pub games: usize,
    pub players: usize,
    pub seasons: usize,
    pub seed: u64,
    pub start: NaiveDate,
}

pub struct ZoneNode {
    pub id: i32,
    pub parent_id: Option<i32>,
    pub alpha3: Option<String>,
}

pub struct Season {
    pub id: i32,
    pub name: String,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

pub struct Map {
    pub uid: String,
    pub name: String,
}

pub struct Player {
    pub uuid: String,
    pub name: String,
    pub points: i32,
    pub rank: i32,
    pub last_points_update: Option<NaiveDateTime>,
    pub last_name_update: Option<NaiveDateTime>,
    pub last_match_id: Option<i32>,
    pub zone_id: Option<i32>,
    pub country_id: Option<i32>,
    pub region_id: Option<i32>,
    pub club_tag: Option<String>,
    /// How far the player's points moved over the whole span (for the
    /// points after each match).
    drift: i32,
    /// When the player first plays, as a share of the span: most from the
    /// start, the others arriving all along.
    joined: f64,
}

pub struct Game {
    pub id: i32,
    pub time: NaiveDateTime,
    pub season: usize,
    pub map: usize,
    pub players: [u32; 6],
    pub size: u8,
    pub is_finished: bool,
    pub has_elo: bool,
    pub trackmaster_limit: i32,
}

pub struct PlayerSeason {
    pub id: i32,
    pub season_id: i32,
    pub player: u32,
    pub points: i32,
    pub rank: i32,
    pub club_tag: Option<String>,
}

pub struct Participation {
    pub player: u32,
    pub is_mvp: bool,
    pub is_win: bool,
    pub position: Option<i32>,
    pub points: Option<i32>,
    pub rank_after_match: Option<i32>,
    pub points_after_match: Option<i32>,
}

pub struct Dataset {
    pub seed: u64,
    pub seasons: Vec<Season>,
    pub maps: Vec<Map>,
    pub players: Vec<Player>,
    pub games: Vec<Game>,
    pub player_seasons: Vec<PlayerSeason>,
    /// Game ids skipped because the match was bugged (the collector deletes those).
    pub bugged: usize,
    /// The end of the generated span: "now" for the data.
    pub now: NaiveDateTime,
    begin: NaiveDateTime,
    /// Every positive `player.points`, highest first (ranks after a match).
    ladder_points: Vec<i32>,
}

pub const CLUB_TAGS: &[&str] = &[
    "BDS",
    "$f00RED",
    "🦆",
    "🔥TM",
    "⚡ZAP",
    "𝕏",
    "$0f0🐸",
    "Ωmega",
    "édf",
    "ZB",
    "",
    "NB",
    "🇫🇷FR",
    "KC",
    "MNM",
    "🎮",
    "TMFR",
    "$oGG",
    "🏎️💨",
    "ÄÖÜ",
    "漢字",
    "🦊Fox",
    "GTA",
    "UWU",
];
const COUNTRY_WEIGHTS: &[(&str, f64)] = &[
    ("FRA", 30.0),
    ("DEU", 10.0),
    ("GBR", 5.0),
    ("POL", 5.0),
    ("NLD", 4.0),
    ("ESP", 4.0),
    ("USA", 5.0),
    ("CAN", 3.0),
    ("BEL", 3.0),
    ("ITA", 3.0),
    ("FIN", 2.0),
    ("SWE", 2.0),
    ("AUT", 2.0),
    ("CHE", 2.0),
    ("CZE", 2.0),
    ("DNK", 2.0),
    ("NOR", 2.0),
    ("AUS", 2.0),
    ("BRA", 2.0),
    ("JPN", 1.0),
    ("CHN", 1.0),
    ("RUS", 1.0),
];
const SYLLABLES: &[&str] = &[
    "ra", "ca", "x", "ko", "mi", "tsu", "ne", "bo", "lt", "zed", "ar", "gon", "wir", "tl", "sc",
    "ken", "pac", "ma", "ri", "o", "spam", "ky", "len", "dex",
];

/// The season names the reference's transitions produce, from the quarter of
/// `date`: Winter (January–March), Spring, Summer, Fall (October–December).
pub fn season_name(date: NaiveDate) -> String {
    let season = ["Winter", "Spring", "Summer", "Fall"][(date.month0() / 3) as usize];
    format!("{season} {}", date.year())
}

fn next_quarter(date: NaiveDate) -> NaiveDate {
    let month0 = (date.month0() / 3 + 1) * 3;
    let (year, month0) = (date.year() + (month0 / 12) as i32, month0 % 12);
    NaiveDate::from_ymd_opt(year, month0 + 1, 1).expect("first day of a quarter")
}

/// Relative activity by local hour (night low, evening peak) and by weekday
/// (0 = Monday; the weekend busier).
const HOURLY: [f64; 24] = [
    0.55, 0.35, 0.2, 0.12, 0.08, 0.08, 0.12, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.7, 0.75, 0.8, 0.9,
    1.0, 1.15, 1.3, 1.45, 1.5, 1.3, 0.9,
];
const WEEKLY: [f64; 7] = [0.9, 0.88, 0.95, 0.9, 1.0, 1.25, 1.3];

pub fn generate(
    params: &Params,
    zones: &[ZoneNode],
    exists: impl Fn(NaiveDateTime) -> bool,
) -> Dataset {
    let mut root = Rng::new(params.seed);
    let windows = season_windows(params);
    let begin = windows[0].0;
    let now = windows.last().expect("at least one season").1;
    let mut players = make_players(params, zones, &mut root.fork(1), now);
    let ladder = ladder_order(&players);
    let ladder_points: Vec<i32> = ladder
        .iter()
        .map(|&i| players[i].points)
        .filter(|&p| p > 0)
        .collect();
    let maps = make_maps(&windows, &mut root.fork(2));
    let times = game_times(params.games, &windows, &mut root.fork(3), &exists);
    let mut dataset = Dataset {
        seed: params.seed,
        seasons: Vec::new(),
        maps,
        players: Vec::new(),
        games: Vec::new(),
        player_seasons: Vec::new(),
        bugged: 0,
        now,
        begin,
        ladder_points,
    };
    let tm_base = trackmaster_limit(&players);
    make_games(
        &mut dataset,
        &times,
        &windows,
        &players,
        &ladder,
        tm_base,
        &mut root.fork(4),
    );
    dataset.seasons = make_seasons(&windows, &dataset.games);
    for game in &dataset.games {
        for &p in &game.players[..game.size as usize] {
            players[p as usize].last_match_id = Some(game.id);
        }
    }
    dataset.player_seasons = make_player_seasons(&dataset, &players, &mut root.fork(5));
    dataset.players = players;
    dataset
}

/// Each season's span of games: from the start date to the next quarter,
/// then one calendar quarter each.
fn season_windows(params: &Params) -> Vec<(NaiveDateTime, NaiveDateTime)> {
    let mut start = params.start;
    (0..params.seasons)
        .map(|_| {
            let end = next_quarter(start);
            let window = (
                start.and_hms_opt(0, 0, 0).unwrap(),
                end.and_hms_opt(0, 0, 0).unwrap(),
            );
            start = end;
            window
        })
        .collect()
}

fn make_players(
    params: &Params,
    zones: &[ZoneNode],
    rng: &mut Rng,
    now: NaiveDateTime,
) -> Vec<Player> {
    let geo = Geo::new(zones);
    let tags = cumulative(
        CLUB_TAGS
            .iter()
            .enumerate()
            .map(|(i, _)| 1.0 / (1.0 + i as f64 * 0.3)),
    );
    let mut players: Vec<Player> = (0..params.players)
        .map(|_| {
            let uuid = format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64());
            let mut points = (1700.0 + 750.0 * rng.normal()).round();
            // The real ladder's long top: Masters and Trackmasters stretch far.
            if points > 3000.0 {
                points = 3000.0 + (points - 3000.0) * 2.2;
            }
            let points = if rng.chance(0.04) {
                0
            } else {
                (points as i32).max(1)
            };
            let named = !rng.chance(0.02);
            let name = if named {
                player_name(rng)
            } else {
                String::new()
            };
            let (zone_id, country_id, region_id) = geo.pick(rng);
            let club_tag = if rng.chance(0.45) {
                None
            } else {
                Some(CLUB_TAGS[rng.weighted(&tags)].to_string())
            };
            Player {
                uuid,
                name,
                points,
                rank: 0,
                last_points_update: Some(now - Duration::seconds(rng.range(0, 12 * 3600))),
                last_name_update: named.then(|| now - Duration::seconds(rng.range(0, 24 * 3600))),
                last_match_id: None,
                zone_id,
                country_id,
                region_id,
                club_tag,
                drift: rng.range(-300, 300) as i32,
                joined: if rng.chance(0.6) { 0.0 } else { rng.unit() },
            }
        })
        .collect();
    let order = ladder_order(&players);
    let mut rank = 0;
    for &i in &order {
        let player = &mut players[i];
        if player.points > 0 {
            rank += 1;
            player.rank = rank;
        } else if i % 2 == 0 {
            // Never fetched yet: the collector's defaults.
            player.rank = 99999;
            player.last_points_update = None;
        } else {
            // Dropped from the leaderboard after 20 failed fetches.
            player.rank = 0;
        }
    }
    players
}

fn player_name(rng: &mut Rng) -> String {
    let mut name = String::new();
    for _ in 0..rng.range(2, 4) {
        name.push_str(SYLLABLES[rng.below(SYLLABLES.len() as u64) as usize]);
    }
    if rng.chance(0.3) {
        name.push_str(&rng.range(1, 999).to_string());
    }
    let mut chars = name.chars();
    match chars.next() {
        Some(first) if rng.chance(0.5) => first.to_uppercase().chain(chars).collect(),
        _ => name,
    }
}

/// Player indexes by points, highest first (index breaks ties).
fn ladder_order(players: &[Player]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..players.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(players[i].points), i));
    order
}

/// The collector's trackmaster limit for the final ladder: the points of the
/// lowest-placed of the top 10 holding 4000 or more.
fn trackmaster_limit(players: &[Player]) -> i32 {
    players
        .iter()
        .filter(|p| p.rank >= 1 && p.rank <= 10 && p.points >= 4000)
        .max_by_key(|p| p.rank)
        .map_or(NO_TRACKMASTER, |p| p.points)
}

struct Geo {
    parent: HashMap<i32, Option<i32>>,
    is_country: HashMap<i32, bool>,
    countries: Vec<i32>,
    weights: Vec<f64>,
    /// Zones under each country (the country included).
    subtree: HashMap<i32, Vec<i32>>,
    continents: Vec<i32>,
}

impl Geo {
    fn new(zones: &[ZoneNode]) -> Geo {
        let parent: HashMap<i32, Option<i32>> = zones.iter().map(|z| (z.id, z.parent_id)).collect();
        let is_country: HashMap<i32, bool> =
            zones.iter().map(|z| (z.id, z.alpha3.is_some())).collect();
        let mut countries: Vec<&ZoneNode> = zones.iter().filter(|z| z.alpha3.is_some()).collect();
        countries.sort_by_key(|z| z.id);
        let weights: Vec<f64> = countries
            .iter()
            .map(|z| {
                let code = z.alpha3.as_deref().unwrap_or("");
                COUNTRY_WEIGHTS
                    .iter()
                    .find(|(c, _)| *c == code)
                    .map_or(0.15, |(_, w)| *w)
            })
            .collect();
        let mut geo = Geo {
            parent,
            is_country,
            countries: countries.iter().map(|z| z.id).collect(),
            weights: cumulative(weights),
            subtree: HashMap::new(),
            continents: zones
                .iter()
                .filter(|z| z.parent_id == Some(WORLD))
                .map(|z| z.id)
                .collect(),
        };
        geo.continents.sort();
        let mut ids: Vec<i32> = zones.iter().map(|z| z.id).collect();
        ids.sort();
        for id in ids {
            let country = geo.country_of(id);
            geo.subtree.entry(country).or_default().push(id);
        }
        geo
    }

    /// The collector's rule: the first ancestor-or-self that is a country,
    /// else the root.
    fn country_of(&self, zone: i32) -> i32 {
        let mut at = zone;
        // Bounded: a database's zone table could hold a cycle.
        for _ in 0..MAX_ZONE_DEPTH {
            if self.is_country.get(&at).copied().unwrap_or(false) {
                return at;
            }
            match self.parent.get(&at).copied().flatten() {
                Some(parent) => at = parent,
                None => return at,
            }
        }
        at
    }

    /// The child of the country on the way down to the zone (or the country).
    fn region_of(&self, zone: i32, country: i32) -> i32 {
        let mut at = zone;
        for _ in 0..MAX_ZONE_DEPTH {
            if at == country {
                break;
            }
            match self.parent.get(&at).copied().flatten() {
                Some(parent) if parent == country => return at,
                Some(parent) => at = parent,
                None => break,
            }
        }
        country
    }

    fn pick(&self, rng: &mut Rng) -> (Option<i32>, Option<i32>, Option<i32>) {
        if self.countries.is_empty() || rng.chance(0.07) {
            return (None, None, None);
        }
        let zone = if rng.chance(0.005) && !self.continents.is_empty() {
            self.continents[rng.below(self.continents.len() as u64) as usize]
        } else {
            let country = self.countries[rng.weighted(&self.weights)];
            let below = &self.subtree[&country];
            if rng.chance(0.2) {
                country
            } else {
                below[rng.below(below.len() as u64) as usize]
            }
        };
        let country = self.country_of(zone);
        (
            Some(zone),
            Some(country),
            Some(self.region_of(zone, country)),
        )
    }
}

fn make_maps(windows: &[(NaiveDateTime, NaiveDateTime)], rng: &mut Rng) -> Vec<Map> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
    let mut maps = Vec::new();
    for (start, _) in windows {
        let season = season_name(start.date());
        for n in 1..=MAPS_PER_SEASON {
            let uid: String = (0..27)
                .map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize] as char)
                .collect();
            maps.push(Map {
                uid,
                name: format!("{season} - {n:02}"),
            });
        }
    }
    maps
}

/// Start times of the games, sorted: hours drawn with the daily and weekly
/// cycles and a season's early rush, a second drawn inside the hour; local
/// times a daylight-saving jump skips are moved an hour on.
fn game_times(
    games: usize,
    windows: &[(NaiveDateTime, NaiveDateTime)],
    rng: &mut Rng,
    exists: &impl Fn(NaiveDateTime) -> bool,
) -> Vec<NaiveDateTime> {
    let mut hours = Vec::new();
    let mut weights = Vec::new();
    for (start, end) in windows {
        let total = (*end - *start).num_hours().max(1) as f64;
        let mut at = *start;
        while at < *end {
            let progress = (at - *start).num_hours() as f64 / total;
            let weekday = at.weekday().num_days_from_monday() as usize;
            weights.push(HOURLY[at.hour() as usize] * WEEKLY[weekday] * (1.4 - 0.6 * progress));
            hours.push(at);
            at += Duration::hours(1);
        }
    }
    let cumulative = cumulative(weights);
    let mut times: Vec<NaiveDateTime> = (0..games)
        .map(|_| {
            let mut t = hours[rng.weighted(&cumulative)] + Duration::seconds(rng.range(0, 3599));
            if !exists(t) {
                t += Duration::hours(1);
            }
            t
        })
        .collect();
    times.sort();
    times
}

#[allow(clippy::too_many_arguments)]
fn make_games(
    dataset: &mut Dataset,
    times: &[NaiveDateTime],
    windows: &[(NaiveDateTime, NaiveDateTime)],
    players: &[Player],
    ladder: &[usize],
    tm_base: i32,
    rng: &mut Rng,
) {
    let activity = cumulative(
        players
            .iter()
            .map(|_| (1.0 / (0.02 + rng.unit())).min(30.0)),
    );
    let mut position = vec![0usize; players.len()];
    for (pos, &i) in ladder.iter().enumerate() {
        position[i] = pos;
    }
    let reach = (players.len() / 200).max(12) as i64;
    let span = (dataset.now - dataset.begin).num_seconds().max(1) as f64;
    let mut id = FIRST_GAME_ID;
    let mut season = 0;
    let mut season_has_game = vec![false; windows.len()];
    for &time in times {
        while season + 1 < windows.len() && time >= windows[season + 1].0 {
            season += 1;
        }
        id += 1 + rng.below(4) as i32;
        while rng.chance(0.005) {
            // A bugged match: recorded, then deleted by the collector.
            dataset.bugged += 1;
            id += 1 + rng.below(4) as i32;
        }
        let size: u8 = if rng.chance(0.15) { 4 } else { 6 };
        let mut chosen = [0u32; 6];
        let elapsed = (time - dataset.begin).num_seconds() as f64 / span;
        // Players who have not arrived yet are drawn again (a bounded number
        // of times, so a small set of players cannot stall the run).
        let mut tries = 0;
        let arrived = |player: usize, tries: &mut u32| {
            *tries += 1;
            players[player].joined <= elapsed || *tries > 200
        };
        let mut anchor = rng.weighted(&activity);
        while !arrived(anchor, &mut tries) {
            anchor = rng.weighted(&activity);
        }
        chosen[0] = anchor as u32;
        let mut filled = 1;
        while filled < size as usize {
            let at = (position[anchor] as i64 + rng.range(-reach, reach))
                .clamp(0, players.len() as i64 - 1);
            let candidate = ladder[at as usize];
            if !chosen[..filled].contains(&(candidate as u32)) && arrived(candidate, &mut tries) {
                chosen[filled] = candidate as u32;
                filled += 1;
            }
        }
        let map = if season_has_game[season] {
            season * MAPS_PER_SEASON + rng.below(MAPS_PER_SEASON as u64) as usize
        } else {
            // The season's first game is on its first map: it opens the season.
            season * MAPS_PER_SEASON
        };
        season_has_game[season] = true;
        let age = (dataset.now - time).num_seconds();
        let stuck = rng.chance(0.0005);
        let progress = (time - windows[season].0).num_seconds() as f64
            / (windows[season].1 - windows[season].0).num_seconds().max(1) as f64;
        let trackmaster_limit = if tm_base == NO_TRACKMASTER {
            NO_TRACKMASTER
        } else {
            (tm_base - (250.0 * (1.0 - progress)) as i32).max(4000)
        };
        dataset.games.push(Game {
            id,
            time,
            season,
            map,
            players: chosen,
            size,
            is_finished: age > UNFINISHED_WINDOW && !stuck,
            has_elo: age > NO_ELO_WINDOW,
            trackmaster_limit,
        });
    }
}

/// Seasons as the collector leaves them: the first made by hand at the start
/// date; each next one opened at the first game on its first map, closing the
/// previous one there; the last open for 150 days.
fn make_seasons(windows: &[(NaiveDateTime, NaiveDateTime)], games: &[Game]) -> Vec<Season> {
    let mut starts: Vec<NaiveDateTime> = windows.iter().map(|w| w.0).collect();
    for (i, start) in starts.iter_mut().enumerate().skip(1) {
        if let Some(first) = games.iter().find(|g| g.season == i) {
            *start = first.time;
        }
    }
    (0..windows.len())
        .map(|i| Season {
            id: i as i32 + 1,
            name: season_name(windows[i].0.date()),
            start: starts[i],
            end: starts
                .get(i + 1)
                .copied()
                .unwrap_or(starts[i] + Duration::days(150)),
        })
        .collect()
}

fn make_player_seasons(dataset: &Dataset, players: &[Player], rng: &mut Rng) -> Vec<PlayerSeason> {
    let last = dataset.seasons.len() - 1;
    let mut rows = Vec::new();
    let mut played = vec![false; players.len()];
    for season in 0..dataset.seasons.len() {
        played.iter_mut().for_each(|p| *p = false);
        for game in dataset
            .games
            .iter()
            .filter(|g| g.season == season && g.is_finished)
        {
            for &p in &game.players[..game.size as usize] {
                played[p as usize] = true;
            }
        }
        let mut season_rows: Vec<PlayerSeason> = Vec::new();
        for (i, player) in players.iter().enumerate() {
            if !played[i] || player.points <= 0 {
                continue;
            }
            let (points, club_tag) = if season == last {
                (player.points, player.club_tag.clone())
            } else {
                let tag = if rng.chance(0.8) {
                    player.club_tag.clone()
                } else if rng.chance(0.5) {
                    None
                } else {
                    Some(CLUB_TAGS[rng.below(CLUB_TAGS.len() as u64) as usize].to_string())
                };
                ((player.points + rng.range(-400, 400) as i32).max(1), tag)
            };
            season_rows.push(PlayerSeason {
                id: 0,
                season_id: dataset.seasons[season].id,
                player: i as u32,
                points,
                rank: 0,
                club_tag,
            });
        }
        let mut order: Vec<usize> = (0..season_rows.len()).collect();
        order.sort_by_key(|&r| (std::cmp::Reverse(season_rows[r].points), r));
        for (rank, r) in order.into_iter().enumerate() {
            season_rows[r].rank = if season == last {
                players[season_rows[r].player as usize].rank
            } else {
                rank as i32 + 1
            };
        }
        rows.extend(season_rows);
    }
    for (i, row) in rows.iter_mut().enumerate() {
        row.id = i as i32 + 1;
    }
    rows
}

impl Dataset {
    /// min, average (truncated) and max of the participants' current points,
    /// as the collector's elo job computes them; -1 when not computed yet.
    pub fn elo(&self, game: &Game) -> (i32, i32, i32) {
        if !game.has_elo {
            return (-1, -1, -1);
        }
        let points: Vec<i64> = game.players[..game.size as usize]
            .iter()
            .map(|&p| self.players[p as usize].points as i64)
            .collect();
        let sum: i64 = points.iter().sum();
        (
            *points.iter().min().unwrap() as i32,
            (sum / points.len() as i64) as i32,
            *points.iter().max().unwrap() as i32,
        )
    }

    /// Rounds of a finished game: the winners' 5 plus the losers' rounds.
    pub fn rounds(&self, game: &Game) -> Option<i32> {
        game.is_finished
            .then(|| 5 + Rng::new(self.game_seed(game)).below(5) as i32)
    }

    fn game_seed(&self, game: &Game) -> u64 {
        self.seed ^ (game.id as u64).wrapping_mul(0xd1b5_4a32_d192_ed03)
    }

    /// The participations of a game as the collector leaves them: empty while
    /// unfinished; results by team (the first half is team 0), the best score
    /// MVP, points and rank after the match mostly filled, some NULL, some 0.
    pub fn participations(&self, game: &Game) -> Vec<Participation> {
        let players = &game.players[..game.size as usize];
        if !game.is_finished {
            return players
                .iter()
                .map(|&player| Participation {
                    player,
                    is_mvp: false,
                    is_win: false,
                    position: None,
                    points: None,
                    rank_after_match: None,
                    points_after_match: None,
                })
                .collect();
        }
        let mut rng = Rng::new(self.game_seed(game));
        rng.below(5); // the rounds
        let winners = rng.below(2) as usize;
        let half = players.len() / 2;
        let scores: Vec<i32> = (0..players.len())
            .map(|slot| if slot / half == winners { rng.range(12, 45) } else { rng.range(0, 35) } as i32)
            .collect();
        let mut order: Vec<usize> = (0..players.len()).collect();
        order.sort_by_key(|&slot| (std::cmp::Reverse(scores[slot]), slot));
        let span = (self.now - self.begin).num_seconds().max(1) as f64;
        let remaining = (self.now - game.time).num_seconds() as f64 / span;
        players
            .iter()
            .enumerate()
            .map(|(slot, &player)| {
                let position = order.iter().position(|&s| s == slot).unwrap() as i32 + 1;
                let (points_after, rank_after) = match rng.below(100) {
                    0..=7 => (None, None),
                    8..=10 => (Some(0), Some(0)),
                    _ => {
                        let p = &self.players[player as usize];
                        let after = (p.points - (p.drift as f64 * remaining) as i32
                            + rng.range(-20, 20) as i32)
                            .max(0);
                        (Some(after), Some(self.rank_for(after)))
                    }
                };
                Participation {
                    player,
                    is_mvp: position == 1,
                    is_win: slot / half == winners,
                    position: Some(position),
                    points: Some(scores[slot]),
                    rank_after_match: rank_after,
                    points_after_match: points_after,
                }
            })
            .collect()
    }

    fn rank_for(&self, points: i32) -> i32 {
        if points == 0 {
            return 0;
        }
        self.ladder_points.partition_point(|&p| p > points) as i32 + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmstatus::db::zone_tree::{parse_zone_tree, SHIPPED_ZONE_TREE};

    fn shipped_geo() -> Geo {
        let zones: Vec<ZoneNode> = parse_zone_tree(SHIPPED_ZONE_TREE)
            .unwrap()
            .into_iter()
            .map(|z| ZoneNode {
                id: z.id,
                parent_id: z.parent_id,
                alpha3: z.country_alpha3,
            })
            .collect();
        Geo::new(&zones)
    }

    #[test]
    fn countries_and_regions_follow_the_collectors_rules() {
        let geo = shipped_geo();
        // Ain → France, Auvergne-Rhône-Alpes; France itself; Europe → World.
        for (zone, country, region) in [(7, 185, 47), (185, 185, 185), (176, WORLD, 176)] {
            assert_eq!(geo.country_of(zone), country, "zone {zone}");
            assert_eq!(geo.region_of(zone, country), region, "zone {zone}");
        }
    }

    #[test]
    fn a_zone_cycle_does_not_hang() {
        let zones = [
            ZoneNode {
                id: 1,
                parent_id: Some(2),
                alpha3: None,
            },
            ZoneNode {
                id: 2,
                parent_id: Some(1),
                alpha3: None,
            },
        ];
        let geo = Geo::new(&zones);
        geo.country_of(1);
        geo.region_of(1, 3);
        assert!(geo.countries.is_empty());
    }

    #[test]
    fn season_names_follow_the_reference_cycle() {
        let d = |y, m| NaiveDate::from_ymd_opt(y, m, 1).unwrap();
        assert_eq!(season_name(d(2026, 1)), "Winter 2026");
        assert_eq!(season_name(d(2026, 4)), "Spring 2026");
        assert_eq!(season_name(d(2026, 9)), "Summer 2026");
        assert_eq!(season_name(d(2025, 12)), "Fall 2025");
        assert_eq!(next_quarter(d(2025, 11)), d(2026, 1));
        assert_eq!(
            next_quarter(NaiveDate::from_ymd_opt(2026, 2, 17).unwrap()),
            d(2026, 4)
        );
    }
}
