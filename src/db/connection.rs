//! Opening connections, with failures turned into errors that say what to do.

use crate::config::DatabaseUrl;
use crate::error::{Error, Result};
use diesel::{Connection, ConnectionError, ConnectionResult, MysqlConnection};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// How long a connection attempt may take, handshake included: a firewalled
/// host must not hang a cron run for minutes.
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
    log::debug!("connecting to {url}");
    establish_within(url, CONNECT_TIMEOUT)?.map_err(|e| classify(e, url))
}

/// Runs the connection attempt on a thread of its own and gives up after
/// `limit`: Diesel sets no connect timeout on the client library, whose own
/// wait is unbounded. An abandoned attempt ends with the process, or closes
/// its connection if it succeeds late.
fn establish_within(
    url: &DatabaseUrl,
    limit: Duration,
) -> Result<ConnectionResult<MysqlConnection>> {
    let secret = url.expose_secret().to_string();
    let (sender, receiver) = mpsc::channel();
    std::thread::Builder::new()
        .name("db-connect".to_string())
        .spawn(move || {
            let _ = sender.send(MysqlConnection::establish(&secret));
        })
        .map_err(|e| Error::DatabaseConnection {
            target: url.server(),
            detail: format!("cannot start the connection attempt ({e})"),
        })?;
    receiver.recv_timeout(limit).map_err(|e| match e {
        RecvTimeoutError::Timeout => Error::DatabaseUnreachable {
            target: url.server(),
            detail: format!("no answer within {} s", limit.as_secs()),
        },
        RecvTimeoutError::Disconnected => Error::DatabaseConnection {
            target: url.server(),
            detail: "the connection attempt failed without a reason".to_string(),
        },
    })
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
