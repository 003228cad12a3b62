//! Opening connections, with failures turned into errors that say what to do.

use crate::config::DatabaseUrl;
use crate::error::{Error, Result};
use diesel::{Connection, ConnectionError, MysqlConnection};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long to wait for the server to accept a TCP connection. The client
/// library has no connect timeout of its own here, and a firewalled host would
/// otherwise hang a cron run for minutes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to the database the URL names.
pub fn connect(url: &DatabaseUrl) -> Result<MysqlConnection> {
    if url.database_name().is_none() {
        return Err(Error::invalid(format!(
            "the database URL {url} names no database; add /<database> at its end"
        )));
    }
    establish(url)
}

/// Connects to the server with no database selected (to create one).
pub fn connect_server(url: &DatabaseUrl) -> Result<MysqlConnection> {
    establish(&url.without_database())
}

fn establish(url: &DatabaseUrl) -> Result<MysqlConnection> {
    if !url.uses_socket() {
        probe_tcp(url)?;
    }
    log::debug!("connecting to {url}");
    MysqlConnection::establish(url.expose_secret()).map_err(|e| classify(e, url))
}

fn probe_tcp(url: &DatabaseUrl) -> Result<()> {
    let unreachable = |detail: String| Error::DatabaseUnreachable {
        target: url.server(),
        detail,
    };
    let addresses = (url.host(), url.port())
        .to_socket_addrs()
        .map_err(|e| unreachable(format!("cannot resolve the host name ({e})")))?;
    let mut last_error = None;
    for address in addresses {
        match TcpStream::connect_timeout(&address, CONNECT_TIMEOUT) {
            Ok(_) => return Ok(()),
            Err(e) => last_error = Some(e),
        }
    }
    Err(unreachable(match last_error {
        Some(e) if e.kind() == std::io::ErrorKind::TimedOut => {
            format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())
        }
        Some(e) => e.to_string(),
        None => "the host name resolves to no address".to_string(),
    }))
}

/// Sorts a connection failure by what the user has to fix. The client library
/// reports only text, so this matches the messages MySQL and MariaDB use.
fn classify(error: ConnectionError, url: &DatabaseUrl) -> Error {
    let detail = match &error {
        ConnectionError::BadConnection(message) => message.clone(),
        other => other.to_string(),
    };
    let lower = detail.to_lowercase();
    let target = url.server();
    if lower.contains("access denied") {
        Error::DatabaseAccessDenied { target, detail }
    } else if lower.contains("unknown database") {
        Error::UnknownDatabase {
            name: url.database_name().unwrap_or_default(),
            target,
        }
    } else if lower.contains("can't connect")
        || lower.contains("unknown server host")
        || lower.contains("unknown mysql server host")
        || lower.contains("lost connection")
        || lower.contains("connection refused")
    {
        Error::DatabaseUnreachable { target, detail }
    } else {
        Error::DatabaseConnection { target, detail }
    }
}
