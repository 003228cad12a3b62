//! A fake of the Nadeo and Trackmania APIs on 127.0.0.1 (ephemeral port),
//! for the client and collector tests. Nothing here reaches the internet.
//!
//! - Routes are scriptable per method and path: a queue of replies (status,
//!   body, headers, delay), the last one repeating; or a handler function.
//! - Every request is recorded (path, query, headers, body, arrival time).
//! - [`TokenAuthority`] plays Nadeo's token endpoints (E1, E2, E3) with
//!   rotating refresh tokens, and can check access tokens on API calls.
//! - [`Scenario`] plays the data endpoints: matches that appear over time,
//!   their participants and teams, players' ranks, zones, tags and names.
//!
//! One server stands in for all four APIs, each under its own prefix.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const CORE: &str = "/core/";
pub const LIVE: &str = "/live/api/";
pub const MEET: &str = "/meet/api/";
pub const OAUTH: &str = "/oauth/api/";

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
    pub delay: Duration,
}

impl Reply {
    pub fn new(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            body: body.into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            delay: Duration::ZERO,
        }
    }

    pub fn json(status: u16, body: &Value) -> Reply {
        Reply::new(status, body.to_string())
    }

    pub fn ok(body: &Value) -> Reply {
        Reply::json(200, body)
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Waits before answering (to outlast a client timeout, say).
    pub fn delayed(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

/// A request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub authorization: Option<String>,
    pub user_agent: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
    pub at: Instant,
    /// The client's address: one per TCP connection it opened.
    pub peer: Option<std::net::SocketAddr>,
}

impl Recorded {
    /// Values of a query parameter, in order (`players[]` for repeated ones).
    pub fn query_values(&self, name: &str) -> Vec<String> {
        self.query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .filter(|(k, _)| *k == name || percent_decode(k) == name)
            .map(|(_, v)| percent_decode(v))
            .collect()
    }

    /// A field of a form-encoded body.
    pub fn form(&self, name: &str) -> Option<String> {
        self.body
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| percent_decode(&v.replace('+', " ")))
    }

    /// The token of a `nadeo_v1 t=` or `Bearer` header.
    pub fn token(&self) -> Option<String> {
        let auth = self.authorization.as_deref()?;
        auth.strip_prefix("nadeo_v1 t=")
            .or_else(|| auth.strip_prefix("Bearer "))
            .map(str::to_string)
    }
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

type Handler = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

enum Route {
    Queue(Vec<Reply>),
    Handler(Handler),
}

#[derive(Default)]
struct State {
    routes: HashMap<(String, String), Route>,
    /// One-off answers served before the route's own (see `interject`).
    interjections: HashMap<(String, String), VecDeque<Reply>>,
    prefix_routes: Vec<(String, String, Handler)>,
    /// Paths (prefixes) whose requests wait while their flag is set.
    holds: Vec<(String, Arc<AtomicBool>)>,
    requests: Vec<Recorded>,
}

pub struct FakeApi {
    base: String,
    state: Arc<Mutex<State>>,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl FakeApi {
    pub fn start() -> FakeApi {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
        let port = server.server_addr().to_ip().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let thread = {
            let (server, state) = (server.clone(), state.clone());
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    let state = state.clone();
                    std::thread::spawn(move || answer(request, &state));
                }
            })
        };
        FakeApi {
            base: format!("http://127.0.0.1:{port}"),
            state,
            server,
            thread: Some(thread),
        }
    }

    /// The base URL the client should use for a service prefix.
    pub fn url(&self, prefix: &str) -> String {
        format!("{}{prefix}", self.base)
    }

    /// The four MMSTATUS_*_URL settings pointing here.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("MMSTATUS_CORE_URL".into(), self.url(CORE)),
            ("MMSTATUS_LIVE_URL".into(), self.url(LIVE)),
            ("MMSTATUS_MEET_URL".into(), self.url(MEET)),
            ("MMSTATUS_OAUTH_URL".into(), self.url(OAUTH)),
        ]
    }

    /// Answers `method path` with `replies` in turn, the last one repeating.
    pub fn on(&self, method: &str, path: &str, replies: Vec<Reply>) {
        assert!(!replies.is_empty());
        self.state
            .lock()
            .unwrap()
            .routes
            .insert((method.into(), path.into()), Route::Queue(replies));
    }

    /// The next requests to `method path` get `replies`, one each; then the
    /// route answers again as before (a fault in the middle of a scenario).
    pub fn interject(&self, method: &str, path: &str, replies: Vec<Reply>) {
        self.state
            .lock()
            .unwrap()
            .interjections
            .entry((method.into(), path.into()))
            .or_default()
            .extend(replies);
    }

    pub fn on_fn(
        &self,
        method: &str,
        path: &str,
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) {
        self.state.lock().unwrap().routes.insert(
            (method.into(), path.into()),
            Route::Handler(Arc::new(handler)),
        );
    }

    /// A handler for every path starting with `prefix` (exact routes win).
    pub fn on_prefix(
        &self,
        method: &str,
        prefix: &str,
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) {
        self.state.lock().unwrap().prefix_routes.push((
            method.into(),
            prefix.into(),
            Arc::new(handler),
        ));
    }

    /// Requests whose path starts with `prefix` are held (recorded, then
    /// left waiting, at most a minute) until the flag returned is cleared;
    /// then they are answered as usual. A request held while its client is
    /// killed or gives up is simply dropped.
    pub fn hold(&self, prefix: &str) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(true));
        self.state
            .lock()
            .unwrap()
            .holds
            .push((prefix.into(), flag.clone()));
        flag
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Requests whose path is `path`.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    pub fn count(&self, path: &str) -> usize {
        self.requests_to(path).len()
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn answer(mut request: tiny_http::Request, state: &Mutex<State>) {
    let (path, query) = match request.url().split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (request.url().to_string(), String::new()),
    };
    let header = |name: &str| {
        request
            .headers()
            .iter()
            .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str().to_string())
    };
    let (authorization, user_agent, content_type) = (
        header("Authorization"),
        header("User-Agent"),
        header("Content-Type"),
    );
    let mut body = String::new();
    let _ = request.as_reader().read_to_string(&mut body);
    let recorded = Recorded {
        method: request.method().as_str().to_string(),
        path,
        query,
        authorization,
        user_agent,
        content_type,
        body,
        at: Instant::now(),
        peer: request.remote_addr().copied(),
    };
    let holds: Vec<Arc<AtomicBool>> = {
        let mut state = state.lock().unwrap();
        state.requests.push(recorded.clone());
        state
            .holds
            .iter()
            .filter(|(prefix, _)| recorded.path.starts_with(prefix.as_str()))
            .map(|(_, flag)| flag.clone())
            .collect()
    };
    let until = Instant::now() + Duration::from_secs(60);
    while holds.iter().any(|flag| flag.load(Ordering::SeqCst)) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    let reply = {
        let mut state = state.lock().unwrap();
        let key = (recorded.method.clone(), recorded.path.clone());
        let interjected = state
            .interjections
            .get_mut(&key)
            .and_then(VecDeque::pop_front);
        match (interjected, state.routes.get_mut(&key)) {
            (Some(reply), _) => Ok(reply),
            (None, Some(Route::Queue(replies))) => Ok(if replies.len() > 1 {
                replies.remove(0)
            } else {
                replies[0].clone()
            }),
            (None, Some(Route::Handler(handler))) => Err(handler.clone()),
            (None, None) => match state.prefix_routes.iter().find(|(m, prefix, _)| {
                *m == recorded.method && recorded.path.starts_with(prefix.as_str())
            }) {
                Some((_, _, handler)) => Err(handler.clone()),
                None => Ok(Reply::json(
                    404,
                    &json!({"error": "no route in the fake API"}),
                )),
            },
        }
    };
    // Handlers run outside the state lock: they may take their own locks.
    let reply = reply.unwrap_or_else(|handler| handler(&recorded));
    if !reply.delay.is_zero() {
        std::thread::sleep(reply.delay);
    }
    respond(request, &reply);
}

/// Sends `reply` in one write: tiny_http's own responses go out as two TCP
/// segments once they outgrow its 1 KiB buffer (head, then body), and with
/// Nagle's algorithm on its sockets the body then waits for the client's
/// delayed acknowledgement, about 40 ms, which no real API adds.
fn respond(request: tiny_http::Request, reply: &Reply) {
    use std::io::Write;
    let reason = tiny_http::StatusCode(reply.status).default_reason_phrase();
    let mut message = format!("HTTP/1.1 {} {reason}\r\n", reply.status);
    for (name, value) in &reply.headers {
        message.push_str(&format!("{name}: {value}\r\n"));
    }
    message.push_str(&format!(
        "Content-Length: {}\r\n\r\n{}",
        reply.body.len(),
        reply.body
    ));
    let mut writer = request.into_writer();
    let _ = writer.write_all(message.as_bytes());
    let _ = writer.flush();
}

/// A JWT (unsigned) whose payload holds `exp` and a unique id.
pub fn jwt(exp: i64, audience: &str) -> String {
    jwt_with_exp(json!(exp), audience)
}

/// A JWT whose `exp` claim is any JSON value (a float, a huge number…).
pub fn jwt_with_exp(exp: Value, audience: &str) -> String {
    static SERIAL: AtomicUsize = AtomicUsize::new(0);
    let payload = json!({
        "jti": format!("jti-{}", SERIAL.fetch_add(1, Ordering::SeqCst)),
        "aud": audience,
        "exp": exp,
    });
    format!(
        "{}.{}.c2lnbmF0dXJl",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    )
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Lifetime of the access tokens the authority issues.
pub const TOKEN_LIFETIME_SECS: i64 = 3600;

/// How the authority's answers for one audience look, to play a server
/// sending odd numbers.
#[derive(Debug, Clone, Default)]
pub struct AnswerShape {
    /// The `exp` claim of issued JWTs (default: now + [`TOKEN_LIFETIME_SECS`]).
    pub exp: Option<Value>,
    /// Issue opaque access tokens (not JWTs): the client must rely on
    /// `expires_in` or its fallback.
    pub opaque: bool,
    /// Fields added to every token answer (`expires_in`, say).
    pub extra: serde_json::Map<String, Value>,
}

/// Nadeo's token endpoints with rotating refresh tokens: each refresh token
/// works once, and the access tokens it issues are the only valid ones.
#[derive(Default)]
pub struct TokenAuthority {
    /// refresh token → audience
    refresh: Mutex<HashMap<String, String>>,
    /// access token → audience
    access: Mutex<HashMap<String, String>>,
    serial: AtomicUsize,
    /// How long E1 takes to answer.
    pub delay: Mutex<Duration>,
    /// audience → shape of its answers (default shape when absent)
    shapes: Mutex<HashMap<String, AnswerShape>>,
}

impl TokenAuthority {
    pub fn new() -> Arc<TokenAuthority> {
        Arc::new(TokenAuthority::default())
    }

    /// Makes a refresh token valid (what a bootstrap variable would hold).
    pub fn grant_refresh(&self, token: &str, audience: &str) {
        self.refresh
            .lock()
            .unwrap()
            .insert(token.into(), audience.into());
    }

    /// Makes an access token valid.
    pub fn grant_access(&self, token: &str, audience: &str) {
        self.access
            .lock()
            .unwrap()
            .insert(token.into(), audience.into());
    }

    /// Invalidates every access token (the API answers 401 until a refresh).
    pub fn revoke_access(&self) {
        self.access.lock().unwrap().clear();
    }

    pub fn refresh_is_valid(&self, token: &str) -> bool {
        self.refresh.lock().unwrap().contains_key(token)
    }

    pub fn access_audience(&self, token: &str) -> Option<String> {
        self.access.lock().unwrap().get(token).cloned()
    }

    /// Shapes every later answer for `audience` (NadeoServices,
    /// NadeoLiveServices, OAuth).
    pub fn shape(&self, audience: &str, shape: AnswerShape) {
        self.shapes.lock().unwrap().insert(audience.into(), shape);
    }

    fn shape_of(&self, audience: &str) -> AnswerShape {
        self.shapes
            .lock()
            .unwrap()
            .get(audience)
            .cloned()
            .unwrap_or_default()
    }

    fn issue(&self, audience: &str) -> (String, String) {
        let shape = self.shape_of(audience);
        let serial = self.serial.fetch_add(1, Ordering::SeqCst);
        let access = match (shape.opaque, shape.exp) {
            (true, _) => format!("opaque-access-{audience}-{serial}"),
            (false, Some(exp)) => jwt_with_exp(exp, audience),
            (false, None) => jwt(unix_now() + TOKEN_LIFETIME_SECS, audience),
        };
        let refresh = format!("rt-{audience}-{serial}");
        self.grant_access(&access, audience);
        self.grant_refresh(&refresh, audience);
        (access, refresh)
    }

    /// A token answer: `fields` plus the shape's extra fields.
    fn answer(&self, audience: &str, fields: Value) -> Reply {
        let mut body = fields;
        for (name, value) in self.shape_of(audience).extra {
            body[name] = value;
        }
        Reply::ok(&body)
    }

    /// Spends a refresh token (rotation): `Some(audience)` if it was valid.
    fn spend(&self, token: &str) -> Option<String> {
        self.refresh.lock().unwrap().remove(token)
    }

    /// Installs E1, E2 and E3 on the fake.
    pub fn install(self: &Arc<TokenAuthority>, fake: &FakeApi) {
        let me = self.clone();
        fake.on_fn("POST", "/core/v2/authentication/token/refresh", move |r| {
            me.answer_refresh(r)
        });
        let me = self.clone();
        fake.on_fn(
            "POST",
            "/core/v2/authentication/token/nadeoservices",
            move |r| me.answer_exchange(r),
        );
        let me = self.clone();
        fake.on_fn("POST", "/oauth/api/access_token", move |r| {
            me.answer_oauth(r)
        });
    }

    /// E1: spends the refresh token of the `nadeo_v1` header.
    pub fn answer_refresh(&self, r: &Recorded) -> Reply {
        std::thread::sleep(*self.delay.lock().unwrap());
        match r.token().and_then(|t| self.spend(&t)) {
            Some(audience) => {
                let (access, refresh) = self.issue(&audience);
                self.answer(
                    &audience,
                    json!({"accessToken": access, "refreshToken": refresh}),
                )
            }
            None => Reply::json(
                401,
                &json!({"code": "C-AA-00-01", "message": "Invalid refresh token"}),
            ),
        }
    }

    /// E2: a Live pair for a valid Core access token.
    pub fn answer_exchange(&self, r: &Recorded) -> Reply {
        let core_ok =
            r.token().and_then(|t| self.access_audience(&t)).as_deref() == Some("NadeoServices");
        let audience = serde_json::from_str::<Value>(&r.body)
            .ok()
            .and_then(|v| v["audience"].as_str().map(str::to_string))
            .or_else(|| r.form("audience"));
        match (core_ok, audience.as_deref()) {
            (false, _) => Reply::json(401, &json!({"message": "Invalid token"})),
            (true, Some("NadeoLiveServices")) => {
                let (access, refresh) = self.issue("NadeoLiveServices");
                self.answer(
                    "NadeoLiveServices",
                    json!({"accessToken": access, "refreshToken": refresh}),
                )
            }
            (true, _) => Reply::json(400, &json!({"message": "audience required"})),
        }
    }

    /// E3: spends the form's refresh token if the client is the known one.
    pub fn answer_oauth(&self, r: &Recorded) -> Reply {
        let valid_client = r.form("client_id").as_deref() == Some("client-id")
            && r.form("client_secret").as_deref() == Some("client-secret");
        let spent = r.form("refresh_token").and_then(|t| self.spend(&t));
        match (r.form("grant_type").as_deref(), valid_client, spent) {
            (Some("refresh_token"), true, Some(_)) => {
                let (access, refresh) = self.issue("OAuth");
                self.answer(
                    "OAuth",
                    json!({"token_type": "bearer", "expires_in": 3600,
                           "access_token": access, "refresh_token": refresh}),
                )
            }
            _ => Reply::json(
                401,
                &json!({"error": "invalid_grant", "message": "Invalid refresh token"}),
            ),
        }
    }

    /// Whether a request carries a valid access token of `audience`.
    pub fn authorizes(&self, request: &Recorded, audience: &str) -> bool {
        request
            .token()
            .and_then(|t| self.access_audience(&t))
            .as_deref()
            == Some(audience)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_keep_the_connection_and_their_headers() {
        let fake = FakeApi::start();
        let body = json!({"text": "x".repeat(3000)});
        fake.on(
            "GET",
            "/big",
            vec![Reply::json(429, &body).header("Retry-After", "2")],
        );
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        for _ in 0..2 {
            let mut response = agent.get(&format!("{}/big", fake.base)).call().unwrap();
            assert_eq!(response.status().as_u16(), 429);
            assert_eq!(response.headers()["retry-after"], "2");
            assert_eq!(response.headers()["content-type"], "application/json");
            let text = response.body_mut().read_to_string().unwrap();
            assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), body);
        }
        let requests = fake.requests_to("/big");
        assert_eq!(requests.len(), 2);
        assert!(requests[0].peer.is_some());
        assert_eq!(requests[0].peer, requests[1].peer, "one connection, reused");
    }
}
