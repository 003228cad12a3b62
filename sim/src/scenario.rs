//! Scripted data for the data endpoints: matches that appear over time, their
//! participants and teams, players' ranks, zones, tags and names.

use crate::server::{FakeApi, Recorded, Reply};
use crate::tokens::TokenAuthority;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A match of a [`Scenario`].
#[derive(Clone)]
pub struct ScenarioMatch {
    pub body: Value,
    pub participants: Value,
    pub teams: Value,
    /// The match is unknown (404) before this moment.
    pub visible_from: Instant,
}

/// Data the fake's data endpoints serve, consistently across calls.
#[derive(Default)]
pub struct Scenario {
    pub matches: BTreeMap<i64, ScenarioMatch>,
    /// dashed account id → (points, rank)
    pub ranks: HashMap<String, (i64, i64)>,
    /// dashed account id → dashed zone id
    pub zones: HashMap<String, String>,
    /// dashed account id → club tag
    pub club_tags: HashMap<String, String>,
    /// dashed account id → display name
    pub names: HashMap<String, String>,
    /// map uid → name
    pub maps: HashMap<String, String>,
    /// Accounts whose requests the fake refuses as invalid (to test errors).
    pub invalid_accounts: HashSet<String>,
}

/// Six accounts a scenario can use, dashed.
pub const PLAYERS: [&str; 6] = [
    "1f0c6a52-7b3e-4d8a-9c21-0a1b2c3d4e01",
    "1f0c6a52-7b3e-4d8a-9c21-0a1b2c3d4e02",
    "1f0c6a52-7b3e-4d8a-9c21-0a1b2c3d4e03",
    "1f0c6a52-7b3e-4d8a-9c21-0a1b2c3d4e04",
    "1f0c6a52-7b3e-4d8a-9c21-0a1b2c3d4e05",
    "1f0c6a52-7b3e-4d8a-9c21-0a1b2c3d4e06",
];

impl Scenario {
    /// A ranked match as E4 gives it, started at `start` (epoch seconds).
    pub fn official_match(id: i64, name: &str, map_uid: &str, start: i64, status: &str) -> Value {
        json!({
            "id": id, "liveId": format!("LID-MTCH-test{id}"), "name": name,
            "startDate": start, "endDate": start + 900, "status": status,
            "participantType": "team", "joinLink": null, "serverStatus": "STARTED",
            "manialink": null,
            "publicConfig": {"script": "TrackMania/TM_Teams_Matchmaking_Online.Script.txt", "maps": [map_uid]}
        })
    }

    /// Participants for `players` in two teams (first half team 0).
    pub fn participants(players: &[&str], scores: Option<&[i64]>, mvp: Option<usize>) -> Value {
        let half = players.len() / 2;
        Value::Array(
            players
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    json!({
                        "participant": p, "position": i, "teamPosition": if i < half { 0 } else { 1 },
                        "rank": scores.map(|_| i + 1), "score": scores.map(|s| s[i]),
                        "mvp": mvp == Some(i), "leaver": null, "eliminated": false
                    })
                })
                .collect(),
        )
    }

    pub fn add_match(
        &mut self,
        id: i64,
        body: Value,
        participants: Value,
        teams: Value,
        visible_from: Instant,
    ) {
        self.matches.insert(
            id,
            ScenarioMatch {
                body,
                participants,
                teams,
                visible_from,
            },
        );
    }

    /// Serves the scenario's data endpoints; with an authority, API calls
    /// need valid access tokens (401 otherwise).
    pub fn install(
        self,
        fake: &FakeApi,
        authority: Option<Arc<TokenAuthority>>,
    ) -> Arc<Mutex<Scenario>> {
        let scenario = Arc::new(Mutex::new(self));
        let guard = move |r: &Recorded, audience: &str| match &authority {
            Some(a) if !a.authorizes(r, audience) => {
                Some(Reply::json(401, &json!({"message": "Unauthorized"})))
            }
            _ => None,
        };
        let guard = Arc::new(guard);

        let (s, g) = (scenario.clone(), guard.clone());
        fake.on_prefix("GET", "/meet/api/matches/", move |r| {
            if let Some(denied) = g(r, "NadeoLiveServices") {
                return denied;
            }
            let rest = &r.path["/meet/api/matches/".len()..];
            let (id, tail) = rest.split_once('/').unwrap_or((rest, ""));
            let s = s.lock().unwrap();
            let found = id
                .parse::<i64>()
                .ok()
                .and_then(|id| s.matches.get(&id))
                .filter(|m| Instant::now() >= m.visible_from);
            match (found, tail) {
                (None, _) => Reply::json(404, &json!({"exception": "not found"})),
                (Some(m), "") => Reply::ok(&m.body),
                (Some(m), "participants") => Reply::ok(&m.participants),
                (Some(m), "teams") => Reply::ok(&m.teams),
                _ => Reply::json(404, &json!({"error": "no route"})),
            }
        });

        let (s, g) = (scenario.clone(), guard.clone());
        fake.on_prefix("GET", "/meet/api/matchmaking/", move |r| {
            if let Some(denied) = g(r, "NadeoLiveServices") {
                return denied;
            }
            let s = s.lock().unwrap();
            let results: Vec<Value> = r
                .query_values("players[]")
                .iter()
                .filter_map(|p| {
                    s.ranks
                        .get(p)
                        .map(|(score, rank)| json!({"player": p, "score": score, "rank": rank}))
                })
                .collect();
            Reply::ok(&json!({"matchmakingId": 5, "cardinal": 1000, "results": results}))
        });

        let (s, g) = (scenario.clone(), guard.clone());
        fake.on_prefix("GET", "/live/api/token/map/", move |r| {
            if let Some(denied) = g(r, "NadeoLiveServices") {
                return denied;
            }
            let uid = &r.path["/live/api/token/map/".len()..];
            match s.lock().unwrap().maps.get(uid) {
                Some(name) => Reply::ok(
                    &json!({"uid": uid, "name": name, "author": "x", "authorTime": 45000}),
                ),
                None => Reply::json(
                    500,
                    &json!({"error": "NotFoundHttpException", "message": "map not found"}),
                ),
            }
        });

        for (path, field, pick) in [
            ("/core/accounts/zones/", "zoneId", 0usize),
            ("/core/accounts/clubTags/", "clubTag", 1usize),
        ] {
            let (s, g) = (scenario.clone(), guard.clone());
            fake.on_fn("GET", path, move |r| {
                if let Some(denied) = g(r, "NadeoServices") {
                    return denied;
                }
                let s = s.lock().unwrap();
                let ids: Vec<String> = r
                    .query_values("accountIdList")
                    .first()
                    .map(|list| list.split(',').map(str::to_string).collect())
                    .unwrap_or_default();
                if ids.iter().any(|id| s.invalid_accounts.contains(id)) {
                    return Reply::json(400, &json!({"code": "C-AA-00-03", "message": "validation error"}));
                }
                let table = if pick == 0 { &s.zones } else { &s.club_tags };
                let rows: Vec<Value> = ids
                    .iter()
                    .filter_map(|id| table.get(id).map(|v| json!({"accountId": id, field: v, "timestamp": "2026-01-01T00:00:00+00:00"})))
                    .collect();
                Reply::ok(&Value::Array(rows))
            });
        }

        let (s, g) = (scenario.clone(), guard.clone());
        fake.on_fn("GET", "/oauth/api/display-names", move |r| {
            if let Some(denied) = g(r, "OAuth") {
                return denied;
            }
            let s = s.lock().unwrap();
            let names: serde_json::Map<String, Value> = r
                .query_values("accountId[]")
                .into_iter()
                .filter_map(|id| s.names.get(&id).map(|n| (id, Value::from(n.clone()))))
                .collect();
            Reply::ok(&Value::Object(names))
        });
        scenario
    }
}
