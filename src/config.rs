//! Configuration: the database URL and the time zone of stored datetimes.
//!
//! Values come from the process environment, which `main` first fills from a
//! `.env` file (variables already set win), then from global flags.

use crate::env::{self, Lookup};
use crate::error::{Error, Result};
use crate::time::LocalZone;
use std::fmt;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use url::{Host, Url};

/// Ports `DATABASE_PORT` and a URL may name (0 would make the client library
/// silently pick 3306).
pub const PORT_RANGE: RangeInclusive<u16> = 1..=65535;

/// Defaults the reference applies to its `DATABASE_*` variables.
const DEFAULT_HOST: &str = "db";
const DEFAULT_PORT: u16 = 3306;
const DEFAULT_NAME: &str = "mmstatus";
const DEFAULT_USER: &str = "root";
const DEFAULT_PASSWORD: &str = "doweneedpasswordindocker";

/// What every subcommand needs to know about its surroundings.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub zone: LocalZone,
}

impl Config {
    /// Reads the configuration from the process environment; `database_url_flag`
    /// (the global `--database-url`) wins over the environment.
    pub fn load(database_url_flag: Option<&str>) -> Result<Config> {
        Config::from_env(database_url_flag, &env::process_var)
    }

    /// Reads the configuration through `env`; see [`Config::load`].
    pub fn from_env(database_url_flag: Option<&str>, env: Lookup) -> Result<Config> {
        Ok(Config {
            database_url: resolve_database_url(database_url_flag, env)?,
            zone: LocalZone::from_setting(env::setting(env, "MMSTATUS_TZ")?.as_deref())?,
        })
    }
}

/// The reference's cache folder (`CACHE_DIR`), relative to the working folder.
pub const DEFAULT_CACHE_DIR: &str = "cache/";

/// `CACHE_DIR` (default `cache/`): where the statistics and the health file go.
pub fn cache_dir(env: Lookup) -> Result<PathBuf> {
    Ok(env::setting(env, "CACHE_DIR")?
        .unwrap_or_else(|| DEFAULT_CACHE_DIR.to_string())
        .into())
}

/// Picks the database URL: the flag, else `DATABASE_URL`, else one built from
/// the reference's `DATABASE_HOST`/`_PORT`/`_NAME`/`_USER`/`_PASSWORD`
/// (unset ones take the reference's defaults; none set at all is an error).
pub fn resolve_database_url(flag: Option<&str>, env: Lookup) -> Result<DatabaseUrl> {
    if let Some(url) = flag {
        return DatabaseUrl::parse(url).map_err(|e| Error::invalid(format!("--database-url: {e}")));
    }
    if let Some(url) = env::setting(env, "DATABASE_URL")? {
        return DatabaseUrl::parse(&url).map_err(|e| Error::invalid(format!("DATABASE_URL: {e}")));
    }
    reference_database_url(env)?.ok_or(Error::NoDatabaseConfigured)
}

/// The URL the reference's variables give, `None` when none is set. As in the
/// reference, an empty `DATABASE_PASSWORD` is an empty password; the other
/// four name something and must not be empty.
fn reference_database_url(env: Lookup) -> Result<Option<DatabaseUrl>> {
    let host = env::setting(env, "DATABASE_HOST")?;
    let port = env("DATABASE_PORT")?;
    let name = env::setting(env, "DATABASE_NAME")?;
    let user = env::setting(env, "DATABASE_USER")?;
    let password = env("DATABASE_PASSWORD")?;
    if host.is_none() && port.is_none() && name.is_none() && user.is_none() && password.is_none() {
        return Ok(None);
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some(text) => env::parse_in_range("DATABASE_PORT", "a port number", &PORT_RANGE, &text)?,
    };
    DatabaseUrl::from_parts(
        host.as_deref().unwrap_or(DEFAULT_HOST),
        port,
        user.as_deref().unwrap_or(DEFAULT_USER),
        password.as_deref().unwrap_or(DEFAULT_PASSWORD),
        name.as_deref().unwrap_or(DEFAULT_NAME),
    )
    .map(Some)
    .map_err(Error::Invalid)
}

/// A `mysql://` URL. It holds a password, so `Display` masks it.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(Url);

impl DatabaseUrl {
    pub fn parse(text: &str) -> std::result::Result<DatabaseUrl, String> {
        let url = Url::parse(text).map_err(|e| {
            format!("not a URL ({e}); expected mysql://user:password@host:port/database")
        })?;
        if url.scheme() != "mysql" {
            return Err(format!("scheme must be mysql://, not {}://", url.scheme()));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("the URL names no host".to_string());
        }
        if url.port().is_some_and(|port| !PORT_RANGE.contains(&port)) {
            return Err(format!(
                "the port must be from {} to {}",
                PORT_RANGE.start(),
                PORT_RANGE.end()
            ));
        }
        let url = DatabaseUrl(url);
        if url.0.path_segments().is_some_and(|s| s.count() > 1) {
            return Err(format!(
                "the path must be just the database name, not {}",
                url.0.path()
            ));
        }
        if let Some(name) = url.database_name() {
            check_database_name(&name)?;
        }
        Ok(url)
    }

    /// The URL of the reference's variables; an error names the variable at fault.
    pub fn from_parts(
        host: &str,
        port: u16,
        user: &str,
        password: &str,
        database: &str,
    ) -> std::result::Result<DatabaseUrl, String> {
        check_database_name(database).map_err(|e| format!("DATABASE_NAME: {e}"))?;
        let bracketed = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        let not_a_host = || format!("DATABASE_HOST: {host:?} is not a host name or IP address");
        let mut url =
            Url::parse(&format!("mysql://{bracketed}:{port}/")).map_err(|_| not_a_host())?;
        // Characters such as @ or / would silently move the host elsewhere.
        let host_as_given = match url.host() {
            Some(Host::Domain(domain)) => domain == host,
            Some(Host::Ipv4(_) | Host::Ipv6(_)) => true,
            None => false,
        };
        if !host_as_given || url.port() != Some(port) {
            return Err(not_a_host());
        }
        url.set_username(user)
            .and_then(|_| url.set_password(Some(password)))
            .map_err(|_| not_a_host())?;
        url.path_segments_mut()
            .map_err(|_| not_a_host())?
            .push(database);
        Ok(DatabaseUrl(url))
    }

    /// The database the URL selects, percent-decoded.
    pub fn database_name(&self) -> Option<String> {
        let segment = self.0.path_segments()?.next()?;
        if segment.is_empty() {
            return None;
        }
        Some(percent_decode(segment))
    }

    /// The same server and credentials with no database selected.
    pub fn without_database(&self) -> DatabaseUrl {
        let mut url = self.0.clone();
        url.set_path("");
        DatabaseUrl(url)
    }

    /// The same server and credentials selecting another database.
    pub fn with_database(&self, name: &str) -> DatabaseUrl {
        let mut url = self.0.clone();
        url.set_path("");
        url.path_segments_mut()
            .expect("mysql URLs have a path")
            .push(name);
        DatabaseUrl(url)
    }

    /// `host:port`, for messages.
    pub fn server(&self) -> String {
        let host = self.0.host_str().unwrap_or("?");
        match self.0.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        }
    }

    /// The full URL, password included: only for handing to the client library.
    pub fn expose_secret(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut url = self.0.clone();
        if url.password().is_some() {
            let _ = url.set_password(Some("****"));
        }
        f.write_str(url.as_str())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// Database names go into SQL quoted with backticks; keep them to the
/// characters MySQL allows unquoted so no quoting subtleties arise.
fn check_database_name(name: &str) -> std::result::Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "database name {name:?} must be 1 to 64 characters among letters, digits, _ $ -"
        ))
    }
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Result<Option<String>> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| Ok(map.get(name).cloned())
    }

    #[test]
    fn the_cache_folder_is_cache_dir_or_the_references() {
        assert_eq!(
            cache_dir(&env_of(&[])).unwrap(),
            PathBuf::from(DEFAULT_CACHE_DIR)
        );
        assert_eq!(
            cache_dir(&env_of(&[("CACHE_DIR", "/srv/cache")])).unwrap(),
            PathBuf::from("/srv/cache")
        );
        assert!(cache_dir(&env_of(&[("CACHE_DIR", "")])).is_err());
    }

    fn password_of(url: &DatabaseUrl) -> Option<String> {
        Url::parse(url.expose_secret())
            .unwrap()
            .password()
            .map(percent_decode)
    }

    #[test]
    fn flag_wins_over_environment() {
        let env = env_of(&[("DATABASE_URL", "mysql://a:b@envhost:1/envdb")]);
        let url = resolve_database_url(Some("mysql://u:p@flaghost:2/flagdb"), &env).unwrap();
        assert_eq!(url.server(), "flaghost:2");
        assert_eq!(url.database_name().as_deref(), Some("flagdb"));
    }

    #[test]
    fn database_url_wins_over_reference_variables() {
        let env = env_of(&[
            ("DATABASE_URL", "mysql://a:b@envhost:1/envdb"),
            ("DATABASE_HOST", "other"),
        ]);
        let url = resolve_database_url(None, &env).unwrap();
        assert_eq!(url.server(), "envhost:1");
    }

    #[test]
    fn reference_variables_build_a_url_and_honour_the_port() {
        let env = env_of(&[
            ("DATABASE_HOST", "10.0.0.5"),
            ("DATABASE_PORT", "3307"),
            ("DATABASE_NAME", "mm"),
            ("DATABASE_USER", "me"),
            ("DATABASE_PASSWORD", "p@ss:w/rd%"),
        ]);
        let url = resolve_database_url(None, &env).unwrap();
        assert_eq!(url.server(), "10.0.0.5:3307");
        assert_eq!(url.database_name().as_deref(), Some("mm"));
        let parsed = Url::parse(url.expose_secret()).unwrap();
        assert_eq!(parsed.username(), "me");
        assert_eq!(percent_decode(parsed.password().unwrap()), "p@ss:w/rd%");
    }

    #[test]
    fn missing_reference_variables_take_reference_defaults() {
        let env = env_of(&[("DATABASE_HOST", "dbhost")]);
        let url = resolve_database_url(None, &env).unwrap();
        assert_eq!(url.server(), "dbhost:3306");
        assert_eq!(url.database_name().as_deref(), Some("mmstatus"));
        assert!(url.expose_secret().starts_with("mysql://root:"));
    }

    #[test]
    fn an_empty_password_is_an_empty_password_and_unset_takes_the_default() {
        let env = env_of(&[("DATABASE_HOST", "h"), ("DATABASE_PASSWORD", "")]);
        let url = resolve_database_url(None, &env).unwrap();
        assert_eq!(password_of(&url).unwrap_or_default(), "");
        let url = resolve_database_url(None, &env_of(&[("DATABASE_HOST", "h")])).unwrap();
        assert_eq!(password_of(&url).as_deref(), Some(DEFAULT_PASSWORD));
        let url = resolve_database_url(None, &env_of(&[("DATABASE_PASSWORD", "")])).unwrap();
        assert_eq!(
            url.server(),
            "db:3306",
            "an empty variable is a set variable"
        );
    }

    #[test]
    fn empty_reference_variables_other_than_the_password_are_refused() {
        for name in [
            "DATABASE_HOST",
            "DATABASE_NAME",
            "DATABASE_USER",
            "DATABASE_URL",
        ] {
            let err = resolve_database_url(None, &env_of(&[(name, "")])).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("{name} is set but empty; give it a value or unset it")
            );
        }
        let err = resolve_database_url(None, &env_of(&[("DATABASE_PORT", "")])).unwrap_err();
        assert!(err.to_string().contains("DATABASE_PORT must be"), "{err}");
    }

    #[test]
    fn ports_are_bounded() {
        for bad in ["0", "65536", "-1", "1e300", " "] {
            let err = resolve_database_url(None, &env_of(&[("DATABASE_PORT", bad)])).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("DATABASE_PORT must be a port number from 1 to 65535, not {bad:?}")
            );
        }
        let url = resolve_database_url(None, &env_of(&[("DATABASE_PORT", "65535")])).unwrap();
        assert_eq!(url.server(), "db:65535");
        assert!(DatabaseUrl::parse("mysql://u:p@h:0/db").is_err());
        assert!(DatabaseUrl::parse("mysql://u:p@h:65536/db").is_err());
    }

    #[test]
    fn ipv6_hosts_are_bracketed_and_other_hosts_kept_as_given() {
        for host in ["::1", "[::1]"] {
            let url = resolve_database_url(None, &env_of(&[("DATABASE_HOST", host)])).unwrap();
            assert_eq!(url.server(), "[::1]:3306");
        }
        for bad in ["evil@h", "h/x", "h:99", "a b", "h?x=1"] {
            let err = resolve_database_url(None, &env_of(&[("DATABASE_HOST", bad)])).unwrap_err();
            assert!(
                err.to_string().starts_with("DATABASE_HOST: "),
                "{bad}: {err}"
            );
        }
        let err = resolve_database_url(None, &env_of(&[("DATABASE_NAME", "a b")])).unwrap_err();
        assert!(err.to_string().starts_with("DATABASE_NAME: "), "{err}");
    }

    #[test]
    fn the_time_zone_must_not_be_empty() {
        let env = env_of(&[("DATABASE_URL", "mysql://u:p@h/db"), ("MMSTATUS_TZ", "")]);
        let err = Config::from_env(None, &env).unwrap_err();
        assert!(
            err.to_string().starts_with("MMSTATUS_TZ is set but empty"),
            "{err}"
        );
        let env = env_of(&[("DATABASE_URL", "mysql://u:p@h/db")]);
        assert_eq!(
            Config::from_env(None, &env).unwrap().zone,
            LocalZone::System
        );
    }

    #[test]
    fn nothing_configured_is_an_error() {
        let err = resolve_database_url(None, &env_of(&[])).unwrap_err();
        assert!(matches!(err, Error::NoDatabaseConfigured));
    }

    #[test]
    fn bad_port_is_an_error() {
        let env = env_of(&[("DATABASE_PORT", "abc")]);
        let err = resolve_database_url(None, &env).unwrap_err();
        assert!(err.to_string().contains("DATABASE_PORT"), "{err}");
    }

    #[test]
    fn display_masks_the_password() {
        let url = DatabaseUrl::parse("mysql://root:s3cret@h:3306/db").unwrap();
        assert_eq!(url.to_string(), "mysql://root:****@h:3306/db");
        assert!(!format!("{url:?}").contains("s3cret"));
    }

    #[test]
    fn rejects_bad_urls() {
        for bad in [
            "postgres://u:p@h/db",
            "not a url",
            "mysql://u:p@h/db/extra",
            "mysql://u:p@h/bad%20name",
            "mysql:///db",
        ] {
            assert!(DatabaseUrl::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn with_and_without_database() {
        let url = DatabaseUrl::parse("mysql://u:p@h:1/db").unwrap();
        assert_eq!(url.without_database().database_name(), None);
        assert_eq!(
            url.with_database("other").database_name().as_deref(),
            Some("other")
        );
        assert_eq!(url.without_database().server(), "h:1");
    }
}
