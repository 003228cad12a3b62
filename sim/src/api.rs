//! The world served through the endpoints the collector calls (E4 to E12),
//! in the JSON shapes of the real APIs, behind the token authority: every
//! data call needs a valid access token of its audience (401 otherwise).

use crate::server::{FakeApi, Recorded, Reply};
use crate::tokens::TokenAuthority;
use crate::world::World;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Simulated time: the start, plus the real time elapsed since, times the
/// speed factor.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    started: Instant,
    start: i64,
    speed: f64,
}

impl Clock {
    /// `speed` is clamped to a finite positive factor.
    pub fn new(start: i64, speed: f64) -> Clock {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        Clock {
            started: Instant::now(),
            start,
            speed,
        }
    }

    /// Simulated epoch seconds now.
    pub fn now(&self) -> i64 {
        let elapsed = self.started.elapsed().as_secs_f64() * self.speed;
        self.start.saturating_add(elapsed.min(1e15) as i64)
    }
}

/// Core refresh token granted at start: what `NADEO_REFRESH_TOKEN` holds.
pub const BOOTSTRAP_CORE_REFRESH: &str = "sim-bootstrap-core";
/// OAuth refresh token granted at start: `UBISOFT_OAUTH_REFRESH_TOKEN`.
pub const BOOTSTRAP_OAUTH_REFRESH: &str = "sim-bootstrap-oauth";
/// The public API application the authority accepts.
pub const CLIENT_ID: &str = "client-id";
pub const CLIENT_SECRET: &str = "client-secret";

/// A shared world and the clock that moves it.
#[derive(Clone)]
pub struct Live {
    world: Arc<Mutex<World>>,
    clock: Clock,
}

impl Live {
    pub fn new(world: World, clock: Clock) -> Live {
        Live {
            world: Arc::new(Mutex::new(world)),
            clock,
        }
    }

    /// The world advanced to now.
    fn now(&self) -> std::sync::MutexGuard<'_, World> {
        let mut world = self.world.lock().unwrap_or_else(|e| e.into_inner());
        world.advance_to(self.clock.now());
        world
    }
}

/// Installs the token endpoints (with the bootstrap tokens granted) and the
/// world's data endpoints on `fake`.
pub fn install(fake: &FakeApi, live: &Live) -> Arc<TokenAuthority> {
    let authority = TokenAuthority::new();
    authority.install(fake);
    authority.grant_refresh(BOOTSTRAP_CORE_REFRESH, "NadeoServices");
    authority.grant_refresh(BOOTSTRAP_OAUTH_REFRESH, "OAuth");

    let denied = |a: &TokenAuthority, r: &Recorded, audience: &str| {
        (!a.authorizes(r, audience)).then(|| Reply::json(401, &json!({"message": "Unauthorized"})))
    };
    let route = |method: &str,
                 path: &str,
                 prefix: bool,
                 audience: &'static str,
                 serve: fn(&Live, &Recorded) -> Reply| {
        let (a, l) = (authority.clone(), live.clone());
        let handler = move |r: &Recorded| denied(&a, r, audience).unwrap_or_else(|| serve(&l, r));
        if prefix {
            fake.on_prefix(method, path, handler);
        } else {
            fake.on_fn(method, path, handler);
        }
    };
    route(
        "GET",
        "/meet/api/matches/",
        true,
        "NadeoLiveServices",
        serve_match,
    );
    route(
        "GET",
        "/meet/api/matchmaking/",
        true,
        "NadeoLiveServices",
        serve_leaderboard,
    );
    route(
        "GET",
        "/live/api/token/map/",
        true,
        "NadeoLiveServices",
        serve_map,
    );
    route(
        "GET",
        "/core/accounts/zones/",
        false,
        "NadeoServices",
        serve_zones,
    );
    route(
        "GET",
        "/core/accounts/clubTags/",
        false,
        "NadeoServices",
        serve_club_tags,
    );
    route(
        "GET",
        "/core/zones",
        false,
        "NadeoServices",
        serve_zone_list,
    );
    route(
        "GET",
        "/oauth/api/display-names",
        false,
        "OAuth",
        serve_names,
    );
    authority
}

fn not_found() -> Reply {
    Reply::json(404, &json!({"exception": "match not found"}))
}

/// E4, E5, E6.
fn serve_match(live: &Live, r: &Recorded) -> Reply {
    let rest = &r.path["/meet/api/matches/".len()..];
    let (id, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    let world = live.now();
    let found = match tail {
        "" => world.match_body(id),
        "participants" => world.participants(id),
        "teams" => world.teams(id),
        _ => None,
    };
    found.map_or_else(not_found, |body| Reply::ok(&body))
}

/// E7.
fn serve_leaderboard(live: &Live, r: &Recorded) -> Reply {
    if !r.path.ends_with("/leaderboard/players") {
        return Reply::json(404, &json!({"exception": "no route"}));
    }
    let players = r.query_values("players[]");
    Reply::ok(&live.now().leaderboard(&players))
}

/// E8: unknown maps get the real API's 500.
fn serve_map(live: &Live, r: &Recorded) -> Reply {
    let uid = &r.path["/live/api/token/map/".len()..];
    match live.now().map_info(uid) {
        Some(info) => Reply::ok(&info),
        None => Reply::json(
            500,
            &json!({"error": "NotFoundHttpException", "message": "map not found"}),
        ),
    }
}

/// The `accountIdList` of E9 and E10, or the real API's validation error.
fn account_list(r: &Recorded) -> Result<Vec<String>, Reply> {
    let ids: Vec<String> = r
        .query_values("accountIdList")
        .first()
        .map(|list| list.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    if ids.is_empty() || ids.iter().any(|id| !is_dashed_uuid(id)) {
        return Err(Reply::json(
            400,
            &json!({"code": "C-AA-00-03", "message": "validation error"}),
        ));
    }
    Ok(ids)
}

fn is_dashed_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// E9 or E10: one row per known account having the field.
fn account_rows(
    live: &Live,
    r: &Recorded,
    field: &str,
    pick: fn(&crate::world::Player) -> Option<String>,
) -> Reply {
    let ids = match account_list(r) {
        Ok(ids) => ids,
        Err(reply) => return reply,
    };
    let world = live.now();
    let rows: Vec<Value> = ids
        .iter()
        .filter_map(|id| world.player(id).and_then(pick).map(|v| (id, v)))
        .map(|(id, v)| json!({"accountId": id, field: v, "timestamp": "2026-01-01T00:00:00+00:00"}))
        .collect();
    Reply::ok(&Value::Array(rows))
}

fn serve_zones(live: &Live, r: &Recorded) -> Reply {
    account_rows(live, r, "zoneId", |p| Some(p.zone.clone()))
}

fn serve_club_tags(live: &Live, r: &Recorded) -> Reply {
    account_rows(live, r, "clubTag", |p| p.club_tag.clone())
}

/// E11.
fn serve_zone_list(live: &Live, _: &Recorded) -> Reply {
    Reply::ok(&live.now().zone_list())
}

/// E12: an object of account id to name.
fn serve_names(live: &Live, r: &Recorded) -> Reply {
    let world = live.now();
    let names: serde_json::Map<String, Value> = r
        .query_values("accountId[]")
        .into_iter()
        .filter_map(|id| world.player(&id).map(|p| (id, Value::from(p.name.clone()))))
        .collect();
    Reply::ok(&Value::Object(names))
}
