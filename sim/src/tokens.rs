//! Nadeo's token endpoints (E1, E2, E3) with rotating refresh tokens, and
//! the unsigned JWTs they issue.

use crate::server::{FakeApi, Recorded, Reply};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
        .map_or(0, |d| d.as_secs() as i64)
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
