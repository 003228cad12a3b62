//! HTTP for every Nadeo call: timeouts, User-Agent, pacing, and the sorting
//! of responses into success and the [`NadeoError`] kinds.

use crate::nadeo::config::NadeoConfig;
use crate::nadeo::error::{NadeoError, NadeoResult};
use crate::nadeo::ratelimit::RateLimiter;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};
use ureq::Agent;

/// A 429 without a usable Retry-After waits this long before its one retry.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);
/// Longer Retry-After values are not waited for within a run.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);
/// Retry-After values beyond a day are read as a day: the next run will ask
/// again anyway, and nothing downstream has to handle absurd durations.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);
/// Token calls run under the credentials file's exclusive lock, which the
/// reference's web server waits for to read: they give up after this long
/// (or the configured timeout, if shorter).
pub const TOKEN_CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of an error body goes into a message.
const BODY_EXCERPT: usize = 300;

/// Which rate limiter a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Core, Live and Meet share one budget.
    Nadeo,
    /// The public OAuth API has its own.
    Oauth,
}

#[derive(Debug, Clone)]
pub enum Body {
    Empty,
    Form(Vec<(&'static str, String)>),
    Json(serde_json::Value),
}

/// One request. `authorization` is a secret and is never logged.
pub struct HttpRequest<'a> {
    pub what: &'a str,
    pub post: bool,
    pub url: String,
    pub authorization: Option<String>,
    pub body: Body,
    pub pace: Pace,
}

#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<Duration>,
}

pub struct Transport {
    agent: Agent,
    /// The same, with the shorter timeouts of token calls.
    token_agent: Agent,
    nadeo: RateLimiter,
    oauth: RateLimiter,
}

impl Transport {
    pub fn new(config: &NadeoConfig) -> Transport {
        let (token_timeout, token_connect_timeout) = token_timeouts(config);
        Transport {
            agent: agent(config, config.timeout, config.connect_timeout),
            token_agent: agent(config, token_timeout, token_connect_timeout),
            nadeo: RateLimiter::new(config.max_rps),
            oauth: RateLimiter::new(config.oauth_max_rps),
        }
    }

    /// Waits for a slot of `pace`'s limiter, for a token call about to be
    /// sent with [`Transport::send_token`]. Called before taking the
    /// credentials lock, so the lock is never held while waiting.
    pub fn wait_for_slot(&self, pace: Pace) {
        self.limiter(pace).acquire();
    }

    /// Sends a token request once, without waiting for the limiter (the
    /// caller did, with [`Transport::wait_for_slot`]), with the token
    /// timeouts. A 429 pauses the limiter and is returned, not retried: the
    /// caller holds the credentials lock and must release it first.
    pub fn send_token(&self, request: &HttpRequest) -> NadeoResult<HttpResponse> {
        let response = self.dispatch(&self.token_agent, request)?;
        if response.status == 429 {
            self.pause_for(request.pace, &response);
        }
        Ok(response)
    }

    /// Holds the limiter back for a 429's Retry-After (at most
    /// [`MAX_RETRY_WAIT`]); returns how long the server asked to wait.
    fn pause_for(&self, pace: Pace, response: &HttpResponse) -> Duration {
        let wait = response.retry_after.unwrap_or(DEFAULT_RETRY_AFTER);
        self.limiter(pace)
            .pause_until(Instant::now() + wait.min(MAX_RETRY_WAIT));
        wait
    }

    fn limiter(&self, pace: Pace) -> &RateLimiter {
        match pace {
            Pace::Nadeo => &self.nadeo,
            Pace::Oauth => &self.oauth,
        }
    }

    /// Sends the request after its rate limiter allows it. A 429 pauses that
    /// limiter for Retry-After (when short enough) and is retried once.
    /// Connection failures and timeouts come back as [`NadeoError::Transient`];
    /// every status comes back as a response, for [`classify`].
    pub fn send(&self, request: &HttpRequest) -> NadeoResult<HttpResponse> {
        let response = self.send_paced(request)?;
        if response.status != 429 {
            return Ok(response);
        }
        let wait = self.pause_for(request.pace, &response);
        if wait > MAX_RETRY_WAIT {
            return Ok(response);
        }
        log::info!(
            "{}: rate limited (429), retrying in {} ms",
            request.what,
            wait.as_millis()
        );
        self.send_paced(request)
    }

    fn send_paced(&self, request: &HttpRequest) -> NadeoResult<HttpResponse> {
        self.limiter(request.pace).acquire();
        self.dispatch(&self.agent, request)
    }

    fn dispatch(&self, agent: &Agent, request: &HttpRequest) -> NadeoResult<HttpResponse> {
        log::debug!(
            "{} {}",
            if request.post { "POST" } else { "GET" },
            request.url
        );
        let result = if request.post {
            let mut builder = agent.post(&request.url);
            if let Some(auth) = &request.authorization {
                builder = builder.header("Authorization", auth);
            }
            match &request.body {
                Body::Empty => builder.send_empty(),
                Body::Form(fields) => {
                    builder.send_form(fields.iter().map(|(k, v)| (*k, v.as_str())))
                }
                Body::Json(value) => builder.send_json(value),
            }
        } else {
            let mut builder = agent.get(&request.url);
            if let Some(auth) = &request.authorization {
                builder = builder.header("Authorization", auth);
            }
            builder.call()
        };
        let mut response = result.map_err(|e| transport_failure(request.what, e))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = response
            .body_mut()
            .read_to_string()
            .map_err(|e| transport_failure(request.what, e))?;
        Ok(HttpResponse {
            status,
            body,
            retry_after,
        })
    }
}

fn agent(config: &NadeoConfig, timeout: Duration, connect_timeout: Duration) -> Agent {
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .timeout_connect(Some(connect_timeout))
        .user_agent(config.user_agent.as_str())
        .max_redirects(0)
        .build();
    Agent::with_parts(
        config,
        DefaultConnector::new(),
        RememberingResolver::default(),
    )
}

/// How long a host's addresses are reused before it is resolved again.
const RESOLVED_FOR: Duration = Duration::from_secs(60);

type Known = HashMap<String, (Instant, ResolvedSocketAddrs)>;

/// Resolves each host at most once per `resolved_for`: ureq resolves the
/// host of every call, a pooled connection or not, and its own resolver
/// starts a thread for each lookup when a timeout is set (ours always is).
#[derive(Debug)]
struct RememberingResolver<R = DefaultResolver> {
    inner: R,
    resolved_for: Duration,
    known: Mutex<Known>,
}

impl Default for RememberingResolver {
    fn default() -> Self {
        RememberingResolver {
            inner: DefaultResolver::default(),
            resolved_for: RESOLVED_FOR,
            known: Mutex::default(),
        }
    }
}

impl<R: Resolver> Resolver for RememberingResolver<R> {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or_default(),
            uri.authority().map_or("", |a| a.as_str())
        );
        let fresh = |(at, _): &&(Instant, ResolvedSocketAddrs)| at.elapsed() < self.resolved_for;
        if let Some((_, addrs)) = self.lock().get(&host).filter(fresh) {
            return Ok(addrs.clone());
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        self.lock().insert(host, (Instant::now(), addrs.clone()));
        Ok(addrs)
    }
}

impl<R> RememberingResolver<R> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Total and connect timeouts of token calls: the configured ones, capped
/// at [`TOKEN_CALL_TIMEOUT`].
fn token_timeouts(config: &NadeoConfig) -> (Duration, Duration) {
    (
        config.timeout.min(TOKEN_CALL_TIMEOUT),
        config.connect_timeout.min(TOKEN_CALL_TIMEOUT),
    )
}

fn transport_failure(what: &str, error: ureq::Error) -> NadeoError {
    let reason = match &error {
        ureq::Error::Timeout(kind) => format!("timed out ({kind})"),
        ureq::Error::HostNotFound => "host not found".to_string(),
        ureq::Error::ConnectionFailed => "connection failed".to_string(),
        other => other.to_string(),
    };
    NadeoError::Transient {
        what: what.to_string(),
        reason,
        retry_after: None,
    }
}

/// Retry-After in seconds, at most [`MAX_RETRY_AFTER`] (the HTTP-date form
/// is not worth supporting here).
fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds = value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)?;
    Some(
        Duration::try_from_secs_f64(seconds)
            .unwrap_or(MAX_RETRY_AFTER)
            .min(MAX_RETRY_AFTER),
    )
}

/// Sorts a response: the body of a 2xx, or the error its status means.
pub fn classify(what: &str, response: HttpResponse) -> NadeoResult<String> {
    let what = what.to_string();
    match response.status {
        200..=299 => Ok(response.body),
        404 => Err(NadeoError::NotFound { what }),
        401 => Err(NadeoError::Unauthorized { what, status: 401 }),
        403 => Err(NadeoError::Forbidden { what }),
        429 | 500..=599 => Err(NadeoError::Transient {
            what,
            reason: format!("HTTP {}", response.status),
            retry_after: response.retry_after,
        }),
        status => Err(NadeoError::Status {
            what,
            status,
            body: excerpt(&response.body),
        }),
    }
}

fn excerpt(body: &str) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(BODY_EXCERPT) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16) -> HttpResponse {
        HttpResponse {
            status,
            body: "{\"message\": \"x\"}".into(),
            retry_after: Some(Duration::from_secs(3)),
        }
    }

    #[test]
    fn statuses_are_sorted() {
        assert_eq!(
            classify("w", response(204)).unwrap(),
            "{\"message\": \"x\"}"
        );
        assert!(matches!(
            classify("w", response(404)),
            Err(NadeoError::NotFound { .. })
        ));
        assert!(matches!(
            classify("w", response(401)),
            Err(NadeoError::Unauthorized { status: 401, .. })
        ));
        assert!(matches!(
            classify("w", response(403)),
            Err(NadeoError::Forbidden { .. })
        ));
        for status in [429, 500, 502, 503] {
            let err = classify("w", response(status)).unwrap_err();
            assert!(err.is_transient(), "{status}");
        }
        match classify("w", response(429)) {
            Err(NadeoError::Transient { retry_after, .. }) => {
                assert_eq!(retry_after, Some(Duration::from_secs(3)))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify("w", response(400)),
            Err(NadeoError::Status { status: 400, .. })
        ));
    }

    #[test]
    fn retry_after_in_seconds() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
        for absurd in ["NaN", "inf", "-inf", "", "1e400"] {
            assert_eq!(parse_retry_after(absurd), None, "{absurd}");
        }
        for huge in ["1e20", "18446744073709551616", "1e308", "86401"] {
            assert_eq!(parse_retry_after(huge), Some(MAX_RETRY_AFTER), "{huge}");
        }
    }

    #[test]
    fn token_calls_time_out_within_ten_seconds() {
        let env = |name: &str| match name {
            "MMSTATUS_HTTP_TIMEOUT" => Some("30".to_string()),
            "MMSTATUS_HTTP_CONNECT_TIMEOUT" => Some("3".to_string()),
            _ => None,
        };
        let config = NadeoConfig::from_env(&env, std::path::Path::new("/nonexistent")).unwrap();
        assert_eq!(
            token_timeouts(&config),
            (TOKEN_CALL_TIMEOUT, Duration::from_secs(3))
        );
    }

    /// Counts the lookups it is asked for, and answers one address.
    #[derive(Debug, Default)]
    struct CountingResolver(std::sync::atomic::AtomicUsize);

    impl Resolver for CountingResolver {
        fn resolve(
            &self,
            _: &ureq::http::Uri,
            _: &ureq::config::Config,
            _: NextTimeout,
        ) -> Result<ResolvedSocketAddrs, ureq::Error> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut addrs = self.empty();
            addrs.push("127.0.0.1:9".parse().unwrap());
            Ok(addrs)
        }
    }

    fn lookups(resolved_for: Duration, uris: &[&str]) -> usize {
        let resolver = RememberingResolver {
            inner: CountingResolver::default(),
            resolved_for,
            known: Mutex::default(),
        };
        let config = ureq::config::Config::default();
        for uri in uris {
            let addrs = resolver
                .resolve(&uri.parse().unwrap(), &config, NextTimeout::default())
                .unwrap();
            assert_eq!(addrs.len(), 1);
        }
        resolver.inner.0.into_inner()
    }

    #[test]
    fn each_host_is_resolved_once() {
        let calls = [
            "https://meet.example/api/matches/1",
            "https://meet.example/api/matches/2",
            "https://core.example/accounts",
            "http://meet.example/api/matches/3",
            "https://meet.example:8443/api/matches/4",
            "https://core.example/accounts/zones",
        ];
        assert_eq!(lookups(RESOLVED_FOR, &calls), 4);
        assert_eq!(
            lookups(Duration::ZERO, &calls),
            6,
            "after their time, again"
        );
    }

    #[test]
    fn long_bodies_are_cut() {
        let body = "x".repeat(1000);
        assert_eq!(excerpt(&body).chars().count(), BODY_EXCERPT + 1);
        assert_eq!(excerpt("a\n  b"), "a b");
    }
}
