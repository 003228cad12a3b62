//! Settings of the Nadeo client, read from the environment.

use crate::env::{self, Lookup};
use crate::error::{Error, Result};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;
use url::Url;

pub const DEFAULT_CORE_URL: &str = "https://prod.trackmania.core.nadeo.online/";
pub const DEFAULT_LIVE_URL: &str = "https://live-services.trackmania.nadeo.live/api/";
pub const DEFAULT_MEET_URL: &str = "https://meet.trackmania.nadeo.club/api/";
pub const DEFAULT_OAUTH_URL: &str = "https://api.trackmania.com/api/";
/// Nadeo's informal guidance is about 2 requests/s in short bursts; 5/s is
/// what keeps the collector up with live traffic (nadeo-api.md §2.3).
pub const DEFAULT_MAX_RPS: f64 = 5.0;
pub const DEFAULT_OAUTH_MAX_RPS: f64 = 2.0;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Ranked 2v2, the reference's hard-coded matchmaking id.
pub const DEFAULT_MATCHMAKING_ID: u32 = 5;
/// Accepted requests per second (`MMSTATUS_MAX_RPS`, `MMSTATUS_OAUTH_MAX_RPS`).
/// The top is far above what Nadeo tolerates: it lets a benchmark against a
/// local fake API measure the collector rather than the limiter.
pub const RPS_RANGE: RangeInclusive<f64> = 0.01..=10_000.0;
/// Accepted timeouts in seconds (`MMSTATUS_HTTP_TIMEOUT`, `MMSTATUS_HTTP_CONNECT_TIMEOUT`).
pub const TIMEOUT_RANGE: RangeInclusive<f64> = 0.1..=600.0;
/// Accepted matchmaking ids (`MMSTATUS_MATCHMAKING_ID`).
pub const MATCHMAKING_ID_RANGE: RangeInclusive<u32> = 1..=1_000_000;
pub const DEFAULT_CREDENTIALS_FILE: &str = "nadeo_credentials.json";
/// The reference's legacy bootstrap files, read from the working directory.
pub const LEGACY_CORE_TOKEN_FILE: &str = "nd_tk.txt";
pub const LEGACY_OAUTH_TOKEN_FILE: &str = "tk.txt";

pub fn default_user_agent() -> String {
    format!(
        "mmstatus/{} (Trackmania matchmaking tracker; operator contact not configured)",
        env!("CARGO_PKG_VERSION")
    )
}

/// Base URLs of the four services, each ending with `/`.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseUrls {
    pub core: Url,
    pub live: Url,
    pub meet: Url,
    pub oauth: Url,
}

/// Refresh tokens used only while the credentials file holds none.
#[derive(Clone, Default, PartialEq)]
pub struct Bootstrap {
    pub core_refresh_token: Option<String>,
    pub oauth_refresh_token: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Nadeo "service account" login, the replacement of the defunct ticket flow.
    pub service_login: Option<(String, String)>,
}

impl std::fmt::Debug for Bootstrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |v: bool| if v { "set" } else { "unset" };
        f.debug_struct("Bootstrap")
            .field(
                "core_refresh_token",
                &set(self.core_refresh_token.is_some()),
            )
            .field(
                "oauth_refresh_token",
                &set(self.oauth_refresh_token.is_some()),
            )
            .field("client_id", &self.client_id)
            .field("client_secret", &set(self.client_secret.is_some()))
            .field(
                "service_login",
                &self.service_login.as_ref().map(|(login, _)| login),
            )
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct NadeoConfig {
    pub urls: BaseUrls,
    pub user_agent: String,
    pub max_rps: f64,
    pub oauth_max_rps: f64,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub matchmaking_id: u32,
    pub credentials_file: PathBuf,
    pub bootstrap: Bootstrap,
}

impl NadeoConfig {
    /// Reads every setting; `env` looks a variable up (`None`: absent from
    /// the environment) and `workdir` is where the legacy token files are
    /// looked for.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>, workdir: &Path) -> Result<NadeoConfig> {
        NadeoConfig::from_lookup(&env::infallible(env), workdir)
    }

    /// The configuration the process environment gives, legacy files read
    /// from the current directory.
    pub fn from_process_env() -> Result<NadeoConfig> {
        let workdir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        NadeoConfig::from_lookup(&env::process_var, &workdir)
    }

    /// Reads every setting through `env`. Empty tokens, secrets and service
    /// account mean none configured; any other empty setting is refused.
    pub fn from_lookup(env: Lookup, workdir: &Path) -> Result<NadeoConfig> {
        let url = |name: &str, default: &str| match env::setting(env, name)? {
            Some(text) => base_url(name, &text),
            None => base_url(name, default),
        };
        let urls = BaseUrls {
            core: url("MMSTATUS_CORE_URL", DEFAULT_CORE_URL)?,
            live: url("MMSTATUS_LIVE_URL", DEFAULT_LIVE_URL)?,
            meet: url("MMSTATUS_MEET_URL", DEFAULT_MEET_URL)?,
            oauth: url("MMSTATUS_OAUTH_URL", DEFAULT_OAUTH_URL)?,
        };
        let rps = |name: &str, default: f64| {
            env::number(
                env,
                name,
                "a number of requests per second",
                RPS_RANGE,
                default,
            )
        };
        let seconds = |name: &str, default: Duration| {
            env::number(
                env,
                name,
                "a number of seconds",
                TIMEOUT_RANGE,
                default.as_secs_f64(),
            )
            .map(Duration::from_secs_f64)
        };
        Ok(NadeoConfig {
            urls,
            user_agent: user_agent(env)?,
            max_rps: rps("MMSTATUS_MAX_RPS", DEFAULT_MAX_RPS)?,
            oauth_max_rps: rps("MMSTATUS_OAUTH_MAX_RPS", DEFAULT_OAUTH_MAX_RPS)?,
            timeout: seconds("MMSTATUS_HTTP_TIMEOUT", DEFAULT_TIMEOUT)?,
            connect_timeout: seconds("MMSTATUS_HTTP_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT)?,
            matchmaking_id: env::number(
                env,
                "MMSTATUS_MATCHMAKING_ID",
                "a whole number",
                MATCHMAKING_ID_RANGE,
                DEFAULT_MATCHMAKING_ID,
            )?,
            credentials_file: env::setting(env, "NADEO_CREDENTIALS_FILE")?
                .unwrap_or_else(|| DEFAULT_CREDENTIALS_FILE.to_string())
                .into(),
            bootstrap: bootstrap(env, workdir)?,
        })
    }
}

/// `MMSTATUS_USER_AGENT`, refused when it holds characters an HTTP header
/// cannot carry (the HTTP client would panic on them).
fn user_agent(env: Lookup) -> Result<String> {
    match env::setting(env, "MMSTATUS_USER_AGENT")? {
        None => Ok(default_user_agent()),
        Some(agent) if agent.chars().any(char::is_control) => Err(Error::invalid(
            "MMSTATUS_USER_AGENT contains control characters (a line break?); \
             it goes into an HTTP header",
        )),
        Some(agent) => Ok(agent),
    }
}

/// The bootstrap tokens: a legacy file wins over its variable.
fn bootstrap(env: Lookup, workdir: &Path) -> Result<Bootstrap> {
    let token =
        |name: &str| env::credential(env, name).map(|token| token.map(|t| t.trim().to_string()));
    let service_login = match (
        env::credential(env, "NADEO_SERVICE_LOGIN")?,
        env::credential(env, "NADEO_SERVICE_PASSWORD")?,
    ) {
        (Some(login), Some(password)) => Some((login, password)),
        (None, None) => None,
        _ => {
            return Err(Error::invalid(
                "set both NADEO_SERVICE_LOGIN and NADEO_SERVICE_PASSWORD, or neither",
            ))
        }
    };
    Ok(Bootstrap {
        core_refresh_token: match legacy_file(&workdir.join(LEGACY_CORE_TOKEN_FILE))? {
            Some(token) => Some(token),
            None => token("NADEO_REFRESH_TOKEN")?,
        },
        oauth_refresh_token: match legacy_file(&workdir.join(LEGACY_OAUTH_TOKEN_FILE))? {
            Some(token) => Some(token),
            None => token("UBISOFT_OAUTH_REFRESH_TOKEN")?,
        },
        client_id: env::credential(env, "CLIENT_ID")?,
        client_secret: env::credential(env, "CLIENT_SECRET")?,
        service_login,
    })
}

fn base_url(name: &str, text: &str) -> Result<Url> {
    let mut text = text.trim().to_string();
    if !text.ends_with('/') {
        text.push('/');
    }
    let url = Url::parse(&text)
        .map_err(|e| Error::invalid(format!("{name}: {text:?} is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::invalid(format!(
            "{name}: {text:?} must be an http(s) URL"
        )));
    }
    Ok(url)
}

/// A legacy token file's content, stripped; `None` when absent or empty.
fn legacy_file(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text.trim().to_string()).filter(|t| !t.is_empty())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)], workdir: &Path) -> Result<NadeoConfig> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        NadeoConfig::from_env(&move |name| map.get(name).cloned(), workdir)
    }

    fn empty_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "mmstatus-cfg-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn rand_suffix() -> u128 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    }

    #[test]
    fn defaults_are_production() {
        let c = config(&[], &empty_dir()).unwrap();
        assert_eq!(c.urls.core.as_str(), DEFAULT_CORE_URL);
        assert_eq!(c.urls.meet.as_str(), DEFAULT_MEET_URL);
        assert_eq!(c.matchmaking_id, 5);
        assert_eq!(c.timeout, Duration::from_secs(30));
        assert_eq!(c.max_rps, 5.0);
        assert!(c.user_agent.starts_with("mmstatus/"));
        assert_eq!(c.credentials_file, PathBuf::from("nadeo_credentials.json"));
    }

    #[test]
    fn urls_get_a_trailing_slash_and_bad_values_are_refused() {
        let c = config(
            &[("MMSTATUS_MEET_URL", "http://127.0.0.1:9/api")],
            &empty_dir(),
        )
        .unwrap();
        assert_eq!(
            c.urls.meet.join("matches/1").unwrap().as_str(),
            "http://127.0.0.1:9/api/matches/1"
        );
        for (name, value) in [
            ("MMSTATUS_CORE_URL", "ftp://x/"),
            ("MMSTATUS_LIVE_URL", "nope"),
            ("MMSTATUS_MAX_RPS", "0"),
            ("MMSTATUS_OAUTH_MAX_RPS", "-1"),
            ("MMSTATUS_HTTP_TIMEOUT", "soon"),
            ("MMSTATUS_MATCHMAKING_ID", "2v2"),
            ("NADEO_SERVICE_LOGIN", "only-login"),
        ] {
            let err = config(&[(name, value)], &empty_dir()).unwrap_err();
            assert!(err.to_string().contains(name), "{name}: {err}");
        }
    }

    #[test]
    fn legacy_files_win_over_environment_and_are_stripped() {
        let dir = empty_dir();
        let env = [
            ("NADEO_REFRESH_TOKEN", "from-env"),
            ("UBISOFT_OAUTH_REFRESH_TOKEN", "oauth-env"),
        ];
        let c = config(&env, &dir).unwrap();
        assert_eq!(c.bootstrap.core_refresh_token.as_deref(), Some("from-env"));
        std::fs::write(dir.join("nd_tk.txt"), "from-file\n").unwrap();
        std::fs::write(dir.join("tk.txt"), "  \n").unwrap();
        let c = config(&env, &dir).unwrap();
        assert_eq!(c.bootstrap.core_refresh_token.as_deref(), Some("from-file"));
        assert_eq!(
            c.bootstrap.oauth_refresh_token.as_deref(),
            Some("oauth-env"),
            "an empty file is no token"
        );
        assert!(
            !format!("{:?}", c.bootstrap).contains("from-file"),
            "Debug hides tokens"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
