//! Configuration: the database URL and the time zone of stored datetimes.
//!
//! Values come from the process environment, which `main` first fills from a
//! `.env` file (variables already set win), then from global flags.

use crate::error::{Error, Result};
use crate::time::LocalZone;
use std::fmt;
use url::Url;

/// Defaults the reference applies to its `DATABASE_*` variables.
const REFERENCE_DB_DEFAULTS: [(&str, &str); 5] = [
    ("DATABASE_HOST", "db"),
    ("DATABASE_PORT", "3306"),
    ("DATABASE_NAME", "mmstatus"),
    ("DATABASE_USER", "root"),
    ("DATABASE_PASSWORD", "doweneedpasswordindocker"),
];

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
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Ok(Config {
            database_url: resolve_database_url(database_url_flag, &env)?,
            zone: LocalZone::from_setting(env("MMSTATUS_TZ").as_deref())?,
        })
    }
}

/// Picks the database URL: the flag, else `DATABASE_URL`, else one built from
/// the reference's `DATABASE_HOST`/`_PORT`/`_NAME`/`_USER`/`_PASSWORD`
/// (missing ones take the reference's defaults; none set at all is an error).
pub fn resolve_database_url(
    flag: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<DatabaseUrl> {
    if let Some(url) = flag {
        return DatabaseUrl::parse(url).map_err(|e| Error::invalid(format!("--database-url: {e}")));
    }
    if let Some(url) = env("DATABASE_URL") {
        return DatabaseUrl::parse(&url).map_err(|e| Error::invalid(format!("DATABASE_URL: {e}")));
    }
    if REFERENCE_DB_DEFAULTS
        .iter()
        .all(|(name, _)| env(name).is_none())
    {
        return Err(Error::NoDatabaseConfigured);
    }
    let get = |name: &str| {
        env(name).unwrap_or_else(|| {
            let (_, default) = REFERENCE_DB_DEFAULTS
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap();
            default.to_string()
        })
    };
    let port: u16 = get("DATABASE_PORT").parse().map_err(|_| {
        Error::invalid(format!(
            "DATABASE_PORT must be a port number, not {:?}",
            get("DATABASE_PORT")
        ))
    })?;
    DatabaseUrl::from_parts(
        &get("DATABASE_HOST"),
        port,
        &get("DATABASE_USER"),
        &get("DATABASE_PASSWORD"),
        &get("DATABASE_NAME"),
    )
    .map_err(|e| Error::invalid(format!("DATABASE_* variables: {e}")))
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

    pub fn from_parts(
        host: &str,
        port: u16,
        user: &str,
        password: &str,
        database: &str,
    ) -> std::result::Result<DatabaseUrl, String> {
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        let mut url = Url::parse(&format!("mysql://{host}:{port}/"))
            .map_err(|e| format!("bad host {host:?}: {e}"))?;
        url.set_username(user)
            .and_then(|_| url.set_password(Some(password)))
            .map_err(|_| "cannot put the user and password in a URL".to_string())?;
        check_database_name(database)?;
        url.path_segments_mut()
            .map_err(|_| "cannot put the database name in a URL".to_string())?
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

    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or("")
    }

    pub fn port(&self) -> u16 {
        self.0.port().unwrap_or(3306)
    }

    /// Whether the client library will use a Unix socket instead of TCP.
    pub fn uses_socket(&self) -> bool {
        self.host() == "localhost" || self.0.query_pairs().any(|(k, _)| k == "unix_socket")
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

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
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
