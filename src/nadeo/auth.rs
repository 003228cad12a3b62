//! Token lifecycle: when to refresh, and how (E1 Core refresh, E2 audience
//! exchange, E3 OAuth refresh, and the optional service-account login).
//!
//! Every token call runs in a lock section of its own: wait for the rate
//! limiter, take the credentials file's exclusive lock, re-read the file
//! (another run may have refreshed meanwhile), make at most one call (with
//! the short token timeout), write what it gave, release. The lock is thus
//! never held across a wait, a refresh token is never spent twice, and a
//! rotated refresh token is on disk before anything else is attempted. A
//! refresh needing several calls (Core then the Live exchange, the stored
//! then the bootstrap refresh token) makes them in successive sections.

use crate::nadeo::credentials::{CredentialKey, Document, TokenSet};
use crate::nadeo::error::{NadeoError, NadeoResult};
use crate::nadeo::jwt;
use crate::nadeo::transport::{Body, HttpRequest, HttpResponse, Pace, MAX_RETRY_WAIT};
use crate::nadeo::{NadeoClient, Service};
use base64::Engine;
use chrono::{Duration as ChronoDuration, NaiveDateTime, Utc};
use serde_json::{json, Value};
use std::time::Duration;

/// A token expiring within this margin is refreshed before use.
pub const REFRESH_MARGIN_SECS: i64 = 60;
/// Lifetime assumed when neither the JWT nor the response tells it.
pub const FALLBACK_LIFETIME_SECS: i64 = 55 * 60;
/// Longest lifetime believed from a token answer (JWT `exp` or
/// `expires_in`); a shorter real one shows as a 401, which refreshes. A
/// negative lifetime means the token is already expired.
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 24 * 3600;
/// The reference refreshes Core this often to keep its refresh token alive.
pub const FORCED_CORE_REFRESH: Duration = Duration::from_secs(42_800);
/// Extra field of the NadeoCore entry (ignored by the reference).
const LAST_FORCED_REFRESH_FIELD: &str = "last_forced_refresh";
const STAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";
const LIVE_AUDIENCE: &str = "NadeoLiveServices";
const CORE_AUDIENCE: &str = "NadeoServices";

/// Why a token endpoint did not give tokens.
enum TokenFailure {
    /// Try again later (5xx, network).
    Transient(NadeoError),
    /// 429: may be tried once more, after releasing the lock.
    RateLimited {
        error: NadeoError,
        retry_after: Option<Duration>,
    },
    /// The credential was refused or the answer unusable: try another one.
    Rejected { status: u16, reason: String },
    /// A 2xx answer with a new refresh token but no access token: the old
    /// refresh token is spent, the new one must be kept.
    NoAccessToken { refresh_token: String },
}

/// A fresh pair from a token endpoint.
struct Issued {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<i64>,
}

/// One token request, made in a lock section.
struct TokenCall {
    request: HttpRequest<'static>,
    access_field: &'static str,
    refresh_field: &'static str,
    /// The refresh token it spends, if any: kept when the answer carries no
    /// new one.
    spends: Option<String>,
    /// What it uses, for messages (never the token itself).
    source: &'static str,
}

/// What a lock section found or did.
enum Outcome {
    /// The stored access token can be used (another run refreshed it).
    Usable(String),
    /// The call gave a token, now on disk.
    Issued(String),
    /// The call was refused.
    Refused {
        spends: Option<String>,
        source: &'static str,
        status: u16,
        reason: String,
    },
    /// There was nothing (left) to try.
    Exhausted,
}

type Check<'a> = &'a dyn Fn(&Document) -> Option<String>;
type Plan<'a> = &'a dyn Fn(&Document) -> Option<TokenCall>;
type Stamp<'a> = Option<&'a dyn Fn(&mut Document)>;

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

    /// The access token of `key` in `document` if it can be used: fresh,
    /// and not the one the API refused.
    fn usable(
        &self,
        document: &Document,
        key: CredentialKey,
        rejected: Option<&str>,
    ) -> Option<String> {
        let tokens = document.tokens(key, &self.zone);
        (self.is_fresh(&tokens) && rejected.is_none_or(|r| r != tokens.access_token))
            .then_some(tokens.access_token)
    }

    /// Refreshes `key`. With `rejected`, the API refused that access token:
    /// refresh unless another run already did.
    pub fn refresh(&self, key: CredentialKey, rejected: Option<&str>) -> NadeoResult<String> {
        let usable = |document: &Document| self.usable(document, key, rejected);
        match key {
            CredentialKey::Core => self.renew_core(&usable, None).map(|(token, _)| token),
            CredentialKey::Live => self.refresh_live(&usable),
            CredentialKey::Oauth => self.refresh_oauth(&usable),
        }
    }

    /// Refreshes Core when the last forced refresh is older than `max_age`
    /// (the reference does it every 42 800 s so the refresh token, valid
    /// about a day, never lapses). Returns whether it refreshed.
    pub fn refresh_core_if_older_than(&self, max_age: Duration) -> NadeoResult<bool> {
        let max_age = ChronoDuration::from_std(max_age).unwrap_or(ChronoDuration::MAX);
        let recent = |document: &Document| {
            let now = self.zone.now();
            let last = document
                .extra(CredentialKey::Core, LAST_FORCED_REFRESH_FIELD)
                .and_then(|t| NaiveDateTime::parse_from_str(&t, STAMP_FORMAT).ok());
            last.is_some_and(|t| t <= now && now - t < max_age)
                .then(|| {
                    document
                        .tokens(CredentialKey::Core, &self.zone)
                        .access_token
                })
        };
        let stamp = |document: &mut Document| {
            let now = self.zone.now().format(STAMP_FORMAT).to_string();
            document.set_extra(CredentialKey::Core, LAST_FORCED_REFRESH_FIELD, now);
        };
        self.renew_core(&recent, Some(&stamp))
            .map(|(_, issued)| issued)
    }

    /// One lock section: unless `usable` finds a token, makes the call
    /// `plan` picks and writes its tokens (and `stamp`) before releasing the
    /// lock. The rate-limiter slot is taken before the lock; a 429 releases
    /// the lock and, if its Retry-After is short, the call is made once more
    /// in a new section.
    fn section(
        &self,
        key: CredentialKey,
        usable: Check,
        plan: Plan,
        stamp: Stamp,
    ) -> NadeoResult<Outcome> {
        let mut retried = false;
        loop {
            let peek = self.credentials.read()?;
            if let Some(token) = usable(&peek) {
                return Ok(Outcome::Usable(token));
            }
            let Some(pace) = plan(&peek).map(|call| call.request.pace) else {
                return Ok(Outcome::Exhausted);
            };
            self.transport.wait_for_slot(pace);
            let lock = self.credentials.lock()?;
            let mut document = lock.read()?;
            if let Some(token) = usable(&document) {
                return Ok(Outcome::Usable(token));
            }
            let Some(call) = plan(&document) else {
                return Ok(Outcome::Exhausted);
            };
            match self.token_call(&call) {
                Ok(issued) => {
                    let previous = call.spends.as_deref().unwrap_or_default();
                    let token = self.store(&mut document, key, issued, previous);
                    if let Some(stamp) = stamp {
                        stamp(&mut document);
                    }
                    lock.write(&document)?;
                    return Ok(Outcome::Issued(token));
                }
                Err(TokenFailure::NoAccessToken { refresh_token }) => {
                    let mut tokens = document.tokens(key, &self.zone);
                    tokens.refresh_token = refresh_token;
                    document.set_tokens(key, &tokens);
                    lock.write(&document)?;
                    return Err(NadeoError::malformed(
                        call.request.what,
                        "a new refresh token (kept) but no access token",
                    ));
                }
                Err(TokenFailure::Rejected { status, reason }) => {
                    return Ok(Outcome::Refused {
                        spends: call.spends,
                        source: call.source,
                        status,
                        reason,
                    })
                }
                Err(TokenFailure::RateLimited { retry_after, .. })
                    if !retried && retry_after.is_none_or(|wait| wait <= MAX_RETRY_WAIT) =>
                {
                    log::info!(
                        "{}: rate limited (429); trying again once the lock is released and the wait is over",
                        call.request.what
                    );
                    retried = true;
                }
                Err(TokenFailure::RateLimited { error, .. } | TokenFailure::Transient(error)) => {
                    return Err(error)
                }
            }
        }
    }

    /// E1 with the stored refresh token, then with NADEO_REFRESH_TOKEN if it
    /// differs, then the service-account login if configured; each in a
    /// section of its own. Gives the access token and whether it is new.
    fn renew_core(&self, usable: Check, stamp: Stamp) -> NadeoResult<(String, bool)> {
        let key = CredentialKey::Core;
        let bootstrap = &self.config.bootstrap;
        let mut refused: Vec<String> = Vec::new();
        let mut refusals: Vec<String> = Vec::new();
        loop {
            let plan = |document: &Document| {
                let stored = document.tokens(key, &self.zone).refresh_token;
                let next = candidates(
                    &stored,
                    bootstrap.core_refresh_token.as_deref(),
                    "NADEO_REFRESH_TOKEN",
                )
                .into_iter()
                .find(|(_, token)| !refused.contains(token));
                match (next, &bootstrap.service_login) {
                    (Some((source, token)), _) => {
                        Some(self.e1_call(token, source, "NadeoCore refresh"))
                    }
                    (None, Some((login, password))) => {
                        Some(self.basic_login_call(login, password, CORE_AUDIENCE))
                    }
                    (None, None) => None,
                }
            };
            match self.section(key, usable, &plan, stamp)? {
                Outcome::Usable(token) => return Ok((token, false)),
                Outcome::Issued(token) => return Ok((token, true)),
                Outcome::Refused {
                    spends: Some(token),
                    source,
                    reason,
                    ..
                } => {
                    log::warn!("NadeoCore refresh with the {source} was refused: {reason}");
                    refusals.push(format!("{source}: {reason}"));
                    refused.push(token);
                }
                Outcome::Refused {
                    spends: None,
                    reason,
                    ..
                } => {
                    return Err(NadeoError::Credentials(format!(
                        "NadeoCore service-account login: {reason}"
                    )))
                }
                Outcome::Exhausted => {
                    return Err(rebootstrap(
                        key,
                        &refusals,
                        "NADEO_REFRESH_TOKEN to a fresh refresh token (or NADEO_SERVICE_LOGIN and NADEO_SERVICE_PASSWORD)",
                    ))
                }
            }
        }
    }

    /// E1 with the stored Live refresh token; failing that, the E2 exchange
    /// with a Core token (obtained in sections of its own first, and
    /// refreshed once if the exchange refuses it).
    fn refresh_live(&self, usable: Check) -> NadeoResult<String> {
        let key = CredentialKey::Live;
        let plan = |document: &Document| {
            let stored = document.tokens(key, &self.zone).refresh_token;
            (!stored.is_empty())
                .then(|| self.e1_call(stored, "stored refresh token", "NadeoLive refresh"))
        };
        match self.section(key, usable, &plan, None)? {
            Outcome::Usable(token) | Outcome::Issued(token) => return Ok(token),
            Outcome::Refused { reason, .. } => log::warn!(
                "NadeoLive refresh was refused ({reason}); exchanging a Core token instead"
            ),
            Outcome::Exhausted => {}
        }
        let mut core = self.access_token(CredentialKey::Core)?;
        let (mut form_body, mut core_refreshed) = (false, false);
        loop {
            let plan = |_: &Document| Some(self.e2_call(&core, form_body));
            match self.section(key, usable, &plan, None)? {
                Outcome::Usable(token) | Outcome::Issued(token) => return Ok(token),
                Outcome::Refused {
                    status: 400 | 415, ..
                } if !form_body => form_body = true,
                Outcome::Refused {
                    status: 401 | 403, ..
                } if !core_refreshed => {
                    core = self.refresh(CredentialKey::Core, Some(&core))?;
                    core_refreshed = true;
                }
                Outcome::Refused { reason, .. } => {
                    return Err(NadeoError::Credentials(format!(
                        "NadeoLive token exchange: {reason}"
                    )))
                }
                Outcome::Exhausted => {
                    return Err(NadeoError::Credentials(
                        "NadeoLive token exchange: nothing to exchange".into(),
                    ))
                }
            }
        }
    }

    /// E3 with the stored OAuth refresh token, then the bootstrap one, each
    /// in a section of its own.
    fn refresh_oauth(&self, usable: Check) -> NadeoResult<String> {
        let key = CredentialKey::Oauth;
        let bootstrap = &self.config.bootstrap;
        let (Some(client_id), Some(client_secret)) =
            (&bootstrap.client_id, &bootstrap.client_secret)
        else {
            let missing = |_: &Document| None;
            return match self.section(key, usable, &missing, None)? {
                Outcome::Usable(token) => Ok(token),
                _ => Err(NadeoError::Credentials(
                    "CLIENT_ID and CLIENT_SECRET must be set to use the public Trackmania API (display names)".into(),
                )),
            };
        };
        let mut refused: Vec<String> = Vec::new();
        let mut refusals: Vec<String> = Vec::new();
        loop {
            let plan = |document: &Document| {
                let stored = document.tokens(key, &self.zone).refresh_token;
                let (source, token) = candidates(
                    &stored,
                    bootstrap.oauth_refresh_token.as_deref(),
                    "UBISOFT_OAUTH_REFRESH_TOKEN",
                )
                .into_iter()
                .find(|(_, token)| !refused.contains(token))?;
                Some(self.oauth_call(client_id, client_secret, token, source))
            };
            match self.section(key, usable, &plan, None)? {
                Outcome::Usable(token) | Outcome::Issued(token) => return Ok(token),
                Outcome::Refused {
                    spends,
                    source,
                    reason,
                    ..
                } => {
                    log::warn!("NadeoOauth refresh with the {source} was refused: {reason}");
                    refusals.push(format!("{source}: {reason}"));
                    refused.extend(spends);
                }
                Outcome::Exhausted => {
                    return Err(rebootstrap(
                        key,
                        &refusals,
                        "UBISOFT_OAUTH_REFRESH_TOKEN to a fresh one",
                    ))
                }
            }
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

    /// Local time at which an issued token expires (see [`token_lifetime`]).
    fn expiry_of(&self, issued: &Issued) -> NaiveDateTime {
        let now = Utc::now();
        let lifetime = ChronoDuration::seconds(token_lifetime(issued, now.timestamp()));
        self.zone
            .from_utc(now.checked_add_signed(lifetime).unwrap_or(now))
    }

    fn e1_call(
        &self,
        refresh_token: String,
        source: &'static str,
        what: &'static str,
    ) -> TokenCall {
        TokenCall {
            request: HttpRequest {
                what,
                post: true,
                url: self.url(Service::Core, "v2/authentication/token/refresh"),
                authorization: Some(format!("nadeo_v1 t={refresh_token}")),
                body: Body::Empty,
                pace: Pace::Nadeo,
            },
            access_field: "accessToken",
            refresh_field: "refreshToken",
            spends: Some(refresh_token),
            source,
        }
    }

    /// E2, JSON body as Nadeo documents it, or the form body the reference
    /// sends (used when JSON is refused as a bad request).
    fn e2_call(&self, core_access_token: &str, form_body: bool) -> TokenCall {
        let body = if form_body {
            Body::Form(vec![("audience", LIVE_AUDIENCE.into())])
        } else {
            Body::Json(json!({ "audience": LIVE_AUDIENCE }))
        };
        TokenCall {
            request: HttpRequest {
                what: "NadeoLive token exchange",
                post: true,
                url: self.url(Service::Core, "v2/authentication/token/nadeoservices"),
                authorization: Some(format!("nadeo_v1 t={core_access_token}")),
                body,
                pace: Pace::Nadeo,
            },
            access_field: "accessToken",
            refresh_field: "refreshToken",
            spends: None,
            source: "NadeoCore access token",
        }
    }

    fn basic_login_call(&self, login: &str, password: &str, audience: &str) -> TokenCall {
        let credentials =
            base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"));
        TokenCall {
            request: HttpRequest {
                what: "Nadeo service-account login",
                post: true,
                url: self.url(Service::Core, "v2/authentication/token/basic"),
                authorization: Some(format!("Basic {credentials}")),
                body: Body::Json(json!({ "audience": audience })),
                pace: Pace::Nadeo,
            },
            access_field: "accessToken",
            refresh_field: "refreshToken",
            spends: None,
            source: "service account",
        }
    }

    fn oauth_call(
        &self,
        client_id: &str,
        client_secret: &str,
        refresh_token: String,
        source: &'static str,
    ) -> TokenCall {
        TokenCall {
            request: HttpRequest {
                what: "NadeoOauth refresh",
                post: true,
                url: self.url(Service::Oauth, "access_token"),
                authorization: None,
                body: Body::Form(vec![
                    ("grant_type", "refresh_token".into()),
                    ("client_id", client_id.to_string()),
                    ("client_secret", client_secret.to_string()),
                    ("refresh_token", refresh_token.clone()),
                ]),
                pace: Pace::Oauth,
            },
            access_field: "access_token",
            refresh_field: "refresh_token",
            spends: Some(refresh_token),
            source,
        }
    }

    /// Sends a token request once and reads the two token fields, never
    /// putting the response body (it holds tokens) into a message.
    fn token_call(&self, call: &TokenCall) -> Result<Issued, TokenFailure> {
        let request = &call.request;
        let response = self
            .transport
            .send_token(request)
            .map_err(TokenFailure::Transient)?;
        let transient = || NadeoError::Transient {
            what: request.what.to_string(),
            reason: format!("HTTP {}", response.status),
            retry_after: response.retry_after,
        };
        match response.status {
            200..=299 => read_tokens(&response, call.access_field, call.refresh_field),
            429 => Err(TokenFailure::RateLimited {
                error: transient(),
                retry_after: response.retry_after,
            }),
            500..=599 => Err(TokenFailure::Transient(transient())),
            status => Err(TokenFailure::Rejected {
                status,
                reason: format!("HTTP {status}{}", error_message(&response.body)),
            }),
        }
    }
}

/// Seconds an issued token stays valid, from now (`now`, seconds since the
/// epoch): the JWT's `exp`, else `expires_in`, else the fallback; negative
/// counts as zero (expired), and no more than [`MAX_TOKEN_LIFETIME_SECS`].
fn token_lifetime(issued: &Issued, now: i64) -> i64 {
    let claimed = match jwt::expiry(&issued.access_token) {
        Some(exp) => exp.saturating_sub(now),
        None => issued.expires_in.unwrap_or(FALLBACK_LIFETIME_SECS),
    };
    claimed.clamp(0, MAX_TOKEN_LIFETIME_SECS)
}

/// The tokens of a 2xx answer. Numbers that are not whole seconds are cut
/// (saturating); anything else in `expires_in` is ignored.
fn read_tokens(
    response: &HttpResponse,
    access: &str,
    refresh: &str,
) -> Result<Issued, TokenFailure> {
    let body: Value = serde_json::from_str(&response.body).unwrap_or_default();
    let text = |field: &str| {
        body.get(field)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let refresh_token = text(refresh);
    let Some(access_token) = text(access) else {
        return Err(match refresh_token {
            Some(refresh_token) => TokenFailure::NoAccessToken { refresh_token },
            None => TokenFailure::Rejected {
                status: response.status,
                reason: format!("the answer has no {access}"),
            },
        });
    };
    Ok(Issued {
        access_token,
        refresh_token,
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
    bootstrap_name: &'static str,
) -> Vec<(&'static str, String)> {
    let mut list = Vec::new();
    if !stored.is_empty() {
        list.push(("stored refresh token", stored.to_string()));
    }
    if let Some(token) = bootstrap.filter(|t| !t.is_empty() && *t != stored) {
        list.push((bootstrap_name, token.to_string()));
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_prefer_the_stored_token_and_skip_duplicates() {
        let names =
            |list: Vec<(&str, String)>| list.into_iter().map(|(_, t)| t).collect::<Vec<_>>();
        assert_eq!(names(candidates("s", Some("b"), "ENV")), ["s", "b"]);
        assert_eq!(names(candidates("s", Some("s"), "ENV")), ["s"]);
        assert_eq!(names(candidates("", Some("b"), "ENV")), ["b"]);
        assert!(candidates("", None, "ENV").is_empty());
        assert!(candidates("", Some(""), "ENV").is_empty());
    }

    fn issued(access_token: &str, expires_in: Option<i64>) -> Issued {
        Issued {
            access_token: access_token.into(),
            refresh_token: None,
            expires_in,
        }
    }

    #[test]
    fn lifetimes_are_clamped() {
        let now = 1_800_000_000;
        let day = MAX_TOKEN_LIFETIME_SECS;
        assert_eq!(token_lifetime(&issued("opaque", Some(7200)), now), 7200);
        assert_eq!(
            token_lifetime(&issued("opaque", None), now),
            FALLBACK_LIFETIME_SECS
        );
        for (expires_in, lifetime) in [(i64::MAX, day), (i64::MIN, 0), (-5, 0), (0, 0)] {
            assert_eq!(
                token_lifetime(&issued("opaque", Some(expires_in)), now),
                lifetime
            );
        }
        let jwt = |exp: i64| {
            use base64::engine::general_purpose::URL_SAFE_NO_PAD;
            format!(
                "h.{}.s",
                URL_SAFE_NO_PAD.encode(format!("{{\"exp\":{exp}}}"))
            )
        };
        assert_eq!(
            token_lifetime(&issued(&jwt(now + 3600), Some(1)), now),
            3600
        );
        for (exp, lifetime) in [(i64::MAX, day), (i64::MIN, 0), (-1, 0), (now - 10, 0)] {
            assert_eq!(token_lifetime(&issued(&jwt(exp), None), now), lifetime);
        }
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
