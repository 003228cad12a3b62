//! Token lifecycle: when to refresh, and how (E1 Core refresh, E2 audience
//! exchange, E3 OAuth refresh, and the optional service-account login).
//!
//! A refresh holds the credentials file's exclusive lock from the re-read to
//! the write, and whatever tokens it obtained are written even if a later
//! step fails: a rotated refresh token must never be lost.

use crate::nadeo::credentials::{CredentialKey, Document, TokenSet};
use crate::nadeo::error::{NadeoError, NadeoResult};
use crate::nadeo::jwt;
use crate::nadeo::transport::{Body, HttpRequest, HttpResponse, Pace};
use crate::nadeo::NadeoClient;
use base64::Engine;
use chrono::{DateTime, Duration as ChronoDuration, NaiveDateTime};
use serde_json::{json, Value};
use std::time::Duration;

/// A token expiring within this margin is refreshed before use.
pub const REFRESH_MARGIN_SECS: i64 = 60;
/// Lifetime assumed when neither the JWT nor the response tells it.
pub const FALLBACK_LIFETIME_SECS: i64 = 55 * 60;
/// The reference refreshes Core this often to keep its refresh token alive.
pub const FORCED_CORE_REFRESH: Duration = Duration::from_secs(42_800);
/// Extra field of the NadeoCore entry (ignored by the reference).
const LAST_FORCED_REFRESH_FIELD: &str = "last_forced_refresh";
const LIVE_AUDIENCE: &str = "NadeoLiveServices";
const CORE_AUDIENCE: &str = "NadeoServices";

/// Why a token endpoint did not give tokens.
enum TokenFailure {
    /// Try again later (429, 5xx, network).
    Transient(NadeoError),
    /// The credential was refused or the answer unusable: try another one.
    Rejected { status: u16, reason: String },
}

impl TokenFailure {
    fn into_error(self, what: &str) -> NadeoError {
        match self {
            TokenFailure::Transient(e) => e,
            TokenFailure::Rejected { reason, .. } => {
                NadeoError::Credentials(format!("{what}: {reason}"))
            }
        }
    }
}

/// A fresh pair from a token endpoint.
struct Issued {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<i64>,
}

impl NadeoClient {
    /// A usable access token for `key`, refreshed first if it expires soon.
    pub fn access_token(&self, key: CredentialKey) -> NadeoResult<String> {
        let tokens = self.credentials.read()?.tokens(key, &self.zone);
        if self.is_fresh(&tokens) {
            return Ok(tokens.access_token);
        }
        self.refresh(key, None)
    }

    fn is_fresh(&self, tokens: &TokenSet) -> bool {
        let limit = self.zone.now() + ChronoDuration::seconds(REFRESH_MARGIN_SECS);
        !tokens.access_token.is_empty() && tokens.expire_time.is_some_and(|t| t > limit)
    }

    /// Refreshes `key` under the exclusive lock. With `rejected`, the API
    /// refused that access token: refresh unless another run already did.
    pub fn refresh(&self, key: CredentialKey, rejected: Option<&str>) -> NadeoResult<String> {
        let lock = self.credentials.lock()?;
        let original = lock.read()?;
        let current = original.tokens(key, &self.zone);
        if self.is_fresh(&current) && rejected.is_none_or(|r| r != current.access_token) {
            return Ok(current.access_token);
        }
        let mut document = original.clone();
        let result = match key {
            CredentialKey::Core => self.refresh_core(&mut document),
            CredentialKey::Live => self.refresh_live(&mut document),
            CredentialKey::Oauth => self.refresh_oauth(&mut document),
        };
        self.write_if_changed(&lock, &original, &document)?;
        result
    }

    /// Refreshes Core when the last forced refresh is older than `max_age`
    /// (the reference does it every 42 800 s so the refresh token, valid
    /// about a day, never lapses). Returns whether it refreshed.
    pub fn refresh_core_if_older_than(&self, max_age: Duration) -> NadeoResult<bool> {
        let lock = self.credentials.lock()?;
        let original = lock.read()?;
        let now = self.zone.now();
        let last = original
            .extra(CredentialKey::Core, LAST_FORCED_REFRESH_FIELD)
            .and_then(|t| NaiveDateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M:%S").ok());
        let max_age = ChronoDuration::from_std(max_age).unwrap_or(ChronoDuration::MAX);
        if last.is_some_and(|t| now - t < max_age && t <= now) {
            return Ok(false);
        }
        let mut document = original.clone();
        let result = self.refresh_core(&mut document).map(|_| {
            let stamp = now.format("%Y-%m-%dT%H:%M:%S").to_string();
            document.set_extra(CredentialKey::Core, LAST_FORCED_REFRESH_FIELD, stamp);
        });
        self.write_if_changed(&lock, &original, &document)?;
        result.map(|()| true)
    }

    fn write_if_changed(
        &self,
        lock: &crate::nadeo::credentials::ExclusiveLock,
        original: &Document,
        document: &Document,
    ) -> NadeoResult<()> {
        if document != original {
            lock.write(document)?;
        }
        Ok(())
    }

    /// The Core access token within a refresh already holding the lock.
    fn core_token_in(&self, document: &mut Document) -> NadeoResult<String> {
        let tokens = document.tokens(CredentialKey::Core, &self.zone);
        if self.is_fresh(&tokens) {
            return Ok(tokens.access_token);
        }
        self.refresh_core(document)
    }

    /// E1 with the stored refresh token, then with NADEO_REFRESH_TOKEN if it
    /// differs, then the service-account login if configured.
    fn refresh_core(&self, document: &mut Document) -> NadeoResult<String> {
        let key = CredentialKey::Core;
        let stored = document.tokens(key, &self.zone).refresh_token;
        let bootstrap = self.config.bootstrap.core_refresh_token.as_deref();
        let tried = candidates(&stored, bootstrap, "NADEO_REFRESH_TOKEN");
        let refusals = match first_accepted(key, tried, |token| {
            self.e1_refresh(token, "NadeoCore refresh")
        })? {
            Ok((issued, token)) => return Ok(self.store(document, key, issued, &token)),
            Err(refusals) => refusals,
        };
        if let Some((login, password)) = &self.config.bootstrap.service_login {
            let issued = self
                .basic_login(login, password, CORE_AUDIENCE)
                .map_err(|f| f.into_error("NadeoCore service-account login"))?;
            return Ok(self.store(document, key, issued, ""));
        }
        Err(rebootstrap(
            key,
            &refusals,
            "NADEO_REFRESH_TOKEN to a fresh refresh token (or NADEO_SERVICE_LOGIN and NADEO_SERVICE_PASSWORD)",
        ))
    }

    /// E1 with the stored Live refresh token; failing that, the E2 exchange
    /// with a Core token (retried once with a refreshed Core if refused).
    fn refresh_live(&self, document: &mut Document) -> NadeoResult<String> {
        let key = CredentialKey::Live;
        let stored = document.tokens(key, &self.zone).refresh_token;
        if !stored.is_empty() {
            match self.e1_refresh(&stored, "NadeoLive refresh") {
                Ok(issued) => return Ok(self.store(document, key, issued, &stored)),
                Err(TokenFailure::Rejected { reason, .. }) => {
                    log::warn!(
                        "NadeoLive refresh was refused ({reason}); exchanging a Core token instead"
                    )
                }
                Err(TokenFailure::Transient(e)) => return Err(e),
            }
        }
        let core = self.core_token_in(document)?;
        let issued = match self.e2_exchange(&core) {
            Err(TokenFailure::Rejected {
                status: 401 | 403, ..
            }) => {
                let core = self.refresh_core(document)?;
                self.e2_exchange(&core)
            }
            other => other,
        }
        .map_err(|f| f.into_error("NadeoLive token exchange"))?;
        Ok(self.store(document, key, issued, ""))
    }

    /// E3 with the stored OAuth refresh token, then the bootstrap one.
    fn refresh_oauth(&self, document: &mut Document) -> NadeoResult<String> {
        let key = CredentialKey::Oauth;
        let bootstrap = &self.config.bootstrap;
        let (Some(client_id), Some(client_secret)) =
            (&bootstrap.client_id, &bootstrap.client_secret)
        else {
            return Err(NadeoError::Credentials(
                "CLIENT_ID and CLIENT_SECRET must be set to use the public Trackmania API (display names)".into(),
            ));
        };
        let stored = document.tokens(key, &self.zone).refresh_token;
        let tried = candidates(
            &stored,
            bootstrap.oauth_refresh_token.as_deref(),
            "UBISOFT_OAUTH_REFRESH_TOKEN",
        );
        let attempt = |token: &str| {
            let request = HttpRequest {
                what: "NadeoOauth refresh",
                post: true,
                url: self.url(crate::nadeo::Service::Oauth, "access_token"),
                authorization: None,
                body: Body::Form(vec![
                    ("grant_type", "refresh_token".into()),
                    ("client_id", client_id.clone()),
                    ("client_secret", client_secret.clone()),
                    ("refresh_token", token.to_string()),
                ]),
                pace: Pace::Oauth,
            };
            self.token_call(&request, "access_token", "refresh_token")
        };
        match first_accepted(key, tried, attempt)? {
            Ok((issued, token)) => Ok(self.store(document, key, issued, &token)),
            Err(refusals) => Err(rebootstrap(
                key,
                &refusals,
                "UBISOFT_OAUTH_REFRESH_TOKEN to a fresh one",
            )),
        }
    }

    /// Writes a newly issued pair into the document; returns the access token.
    /// Without a new refresh token, `previous_refresh` is kept.
    fn store(
        &self,
        document: &mut Document,
        key: CredentialKey,
        issued: Issued,
        previous_refresh: &str,
    ) -> String {
        let expire_time = self.expiry_of(&issued);
        let tokens = TokenSet {
            refresh_token: issued
                .refresh_token
                .unwrap_or_else(|| previous_refresh.to_string()),
            access_token: issued.access_token,
            expire_time: Some(expire_time),
        };
        log::info!("{}: new token, valid until {expire_time}", key.name());
        document.set_tokens(key, &tokens);
        tokens.access_token
    }

    fn expiry_of(&self, issued: &Issued) -> NaiveDateTime {
        if let Some(at) =
            jwt::expiry(&issued.access_token).and_then(|exp| DateTime::from_timestamp(exp, 0))
        {
            return self.zone.from_utc(at);
        }
        let lifetime = issued.expires_in.unwrap_or(FALLBACK_LIFETIME_SECS);
        self.zone.now() + ChronoDuration::seconds(lifetime)
    }

    fn e1_refresh(&self, refresh_token: &str, what: &str) -> Result<Issued, TokenFailure> {
        let request = HttpRequest {
            what,
            post: true,
            url: self.url(
                crate::nadeo::Service::Core,
                "v2/authentication/token/refresh",
            ),
            authorization: Some(format!("nadeo_v1 t={refresh_token}")),
            body: Body::Empty,
            pace: Pace::Nadeo,
        };
        self.token_call(&request, "accessToken", "refreshToken")
    }

    /// E2, JSON body as Nadeo documents it; the form body the reference sends
    /// if JSON is refused as a bad request.
    fn e2_exchange(&self, core_access_token: &str) -> Result<Issued, TokenFailure> {
        let request = |body| HttpRequest {
            what: "NadeoLive token exchange",
            post: true,
            url: self.url(
                crate::nadeo::Service::Core,
                "v2/authentication/token/nadeoservices",
            ),
            authorization: Some(format!("nadeo_v1 t={core_access_token}")),
            body,
            pace: Pace::Nadeo,
        };
        match self.token_call(
            &request(Body::Json(json!({ "audience": LIVE_AUDIENCE }))),
            "accessToken",
            "refreshToken",
        ) {
            Err(TokenFailure::Rejected {
                status: 400 | 415, ..
            }) => self.token_call(
                &request(Body::Form(vec![("audience", LIVE_AUDIENCE.into())])),
                "accessToken",
                "refreshToken",
            ),
            other => other,
        }
    }

    fn basic_login(
        &self,
        login: &str,
        password: &str,
        audience: &str,
    ) -> Result<Issued, TokenFailure> {
        let credentials =
            base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"));
        let request = HttpRequest {
            what: "Nadeo service-account login",
            post: true,
            url: self.url(crate::nadeo::Service::Core, "v2/authentication/token/basic"),
            authorization: Some(format!("Basic {credentials}")),
            body: Body::Json(json!({ "audience": audience })),
            pace: Pace::Nadeo,
        };
        self.token_call(&request, "accessToken", "refreshToken")
    }

    /// Sends a token request and reads the two token fields, never putting
    /// the response body (it holds tokens) into a message.
    fn token_call(
        &self,
        request: &HttpRequest,
        access: &str,
        refresh: &str,
    ) -> Result<Issued, TokenFailure> {
        let response = self
            .transport
            .send(request)
            .map_err(TokenFailure::Transient)?;
        match response.status {
            200..=299 => read_tokens(&response, access, refresh).ok_or(TokenFailure::Rejected {
                status: response.status,
                reason: format!("the answer has no {access}"),
            }),
            429 | 500..=599 => Err(TokenFailure::Transient(NadeoError::Transient {
                what: request.what.to_string(),
                reason: format!("HTTP {}", response.status),
                retry_after: response.retry_after,
            })),
            status => Err(TokenFailure::Rejected {
                status,
                reason: format!("HTTP {status}{}", error_message(&response.body)),
            }),
        }
    }
}

fn read_tokens(response: &HttpResponse, access: &str, refresh: &str) -> Option<Issued> {
    let body: Value = serde_json::from_str(&response.body).ok()?;
    let text = |field: &str| {
        body.get(field)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Some(Issued {
        access_token: text(access)?,
        refresh_token: text(refresh),
        expires_in: body
            .get("expires_in")
            .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))),
    })
}

/// The `message` of a JSON error body, if any (never the whole body).
fn error_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
        .map(|m| format!(" ({})", m.chars().take(200).collect::<String>()))
        .unwrap_or_default()
}

/// Tries each candidate refresh token in turn: a refusal moves on to the
/// next, a transient failure stops. Gives the tokens issued with the refresh
/// token that worked, or every refusal.
fn first_accepted(
    key: CredentialKey,
    candidates: Vec<(String, String)>,
    attempt: impl Fn(&str) -> Result<Issued, TokenFailure>,
) -> NadeoResult<Result<(Issued, String), Vec<String>>> {
    let mut refusals = Vec::new();
    for (source, token) in candidates {
        match attempt(&token) {
            Ok(issued) => return Ok(Ok((issued, token))),
            Err(TokenFailure::Rejected { reason, .. }) => {
                log::warn!(
                    "{} refresh with the {source} was refused: {reason}",
                    key.name()
                );
                refusals.push(format!("{source}: {reason}"));
            }
            Err(TokenFailure::Transient(e)) => return Err(e),
        }
    }
    Ok(Err(refusals))
}

fn rebootstrap(key: CredentialKey, refusals: &[String], what_to_set: &str) -> NadeoError {
    let found = if refusals.is_empty() {
        "none stored or configured".to_string()
    } else {
        refusals.join("; ")
    };
    NadeoError::Rebootstrap(format!(
        "{} has no usable refresh token ({found}); set {what_to_set} and run again",
        key.name()
    ))
}

/// Refresh tokens to try, in order: the stored one, then the bootstrap one
/// if it is set and different.
fn candidates(
    stored: &str,
    bootstrap: Option<&str>,
    bootstrap_name: &str,
) -> Vec<(String, String)> {
    let mut list = Vec::new();
    if !stored.is_empty() {
        list.push(("stored refresh token".to_string(), stored.to_string()));
    }
    if let Some(token) = bootstrap.filter(|t| !t.is_empty() && *t != stored) {
        list.push((bootstrap_name.to_string(), token.to_string()));
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_prefer_the_stored_token_and_skip_duplicates() {
        let names =
            |list: Vec<(String, String)>| list.into_iter().map(|(_, t)| t).collect::<Vec<_>>();
        assert_eq!(names(candidates("s", Some("b"), "ENV")), ["s", "b"]);
        assert_eq!(names(candidates("s", Some("s"), "ENV")), ["s"]);
        assert_eq!(names(candidates("", Some("b"), "ENV")), ["b"]);
        assert!(candidates("", None, "ENV").is_empty());
        assert!(candidates("", Some(""), "ENV").is_empty());
    }

    #[test]
    fn error_messages_never_carry_the_body() {
        assert_eq!(
            error_message(r#"{"message": "bad token", "accessToken": "secret"}"#),
            " (bad token)"
        );
        assert_eq!(error_message("<html>secret</html>"), "");
    }
}
