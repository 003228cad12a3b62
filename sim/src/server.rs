//! The HTTP server: scriptable routes, recorded requests, injected faults.
//!
//! - Routes are scriptable per method and path: a queue of replies (status,
//!   body, headers, delay), the last one repeating; or a handler function.
//! - Every request is recorded (path, query, headers, body, arrival time).
//! - [`Faults`] make a share of the requests fail before any route sees them.
//!
//! One server stands in for all four APIs, each under its own prefix.

use crate::faults::{Fault, FaultCounts, Faults, RETRY_AFTER_SECS};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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
    /// Requests are kept only while recording (a long-running simulator
    /// keeps only their count).
    not_recording: bool,
    served: u64,
    faults: Option<Faults>,
}

pub struct FakeApi {
    base: String,
    state: Arc<Mutex<State>>,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl FakeApi {
    /// A server on 127.0.0.1, on an ephemeral port.
    pub fn start() -> FakeApi {
        FakeApi::start_on(0).expect("bind 127.0.0.1")
    }

    /// A server on 127.0.0.1:`port` (0: any free port).
    pub fn start_on(port: u16) -> std::io::Result<FakeApi> {
        let server = tiny_http::Server::http(("127.0.0.1", port)).map_err(std::io::Error::other)?;
        let server = Arc::new(server);
        let port = server
            .server_addr()
            .to_ip()
            .map(|addr| addr.port())
            .ok_or_else(|| std::io::Error::other("not an IP socket"))?;
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
        Ok(FakeApi {
            base: format!("http://127.0.0.1:{port}"),
            state,
            server,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Makes a share of every later request fail (see [`Faults`]).
    pub fn inject(&self, faults: Faults) {
        self.state.lock().unwrap().faults = Some(faults);
    }

    /// Keeps no more requests (their count goes on).
    pub fn stop_recording(&self) {
        let mut state = self.state.lock().unwrap();
        state.not_recording = true;
        state.requests.clear();
    }

    /// Requests received so far, recorded or not.
    pub fn served(&self) -> u64 {
        self.state.lock().unwrap().served
    }

    /// How many faults of each kind were injected so far.
    pub fn fault_counts(&self) -> FaultCounts {
        self.state
            .lock()
            .unwrap()
            .faults
            .as_ref()
            .map(Faults::counts)
            .unwrap_or_default()
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
        state.served += 1;
        if !state.not_recording {
            state.requests.push(recorded.clone());
        }
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
    let fault = state.lock().unwrap().faults.as_mut().map(Faults::draw);
    if let Some(fault) = fault {
        if !fault.latency.is_zero() {
            std::thread::sleep(fault.latency);
        }
        if let Some(reply) = fault.failure.map(fault_reply) {
            respond(request, &reply);
            return;
        }
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

/// The answer a drawn fault gives instead of the route's.
fn fault_reply(fault: Fault) -> Reply {
    match fault {
        Fault::TooManyRequests => Reply::new(429, r#"{"error":"Too Many Requests"}"#)
            .header("Retry-After", &RETRY_AFTER_SECS.to_string()),
        Fault::ServerError => Reply::new(503, r#"{"error":"Service Unavailable"}"#),
        Fault::Malformed => Reply::new(200, r#"{"id": 1, "status": "COMPL"#),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_body_is_not_json() {
        let body = fault_reply(Fault::Malformed).body;
        assert!(serde_json::from_str::<serde_json::Value>(&body).is_err());
        let limited = fault_reply(Fault::TooManyRequests);
        assert_eq!(limited.status, 429);
        assert!(limited.headers.iter().any(|(n, _)| n == "Retry-After"));
    }
}
