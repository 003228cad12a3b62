//! What can go wrong talking to Nadeo, sorted by what the caller does next.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum NadeoError {
    /// 404, or the match endpoint's `exception` body: nothing at this id (yet).
    #[error("{what}: not found")]
    NotFound { what: String },

    /// 401 that a fresh token did not cure.
    #[error("{what}: the API refused the token (HTTP {status}) even after a refresh")]
    Unauthorized { what: String, status: u16 },

    /// 403 that one fresh token per run did not cure: the account lacks
    /// permission for this endpoint. Not retried, not refreshed again.
    #[error(
        "{what}: the API refused access (HTTP 403): the account lacks permission for this endpoint"
    )]
    Forbidden { what: String },

    /// Worth trying again on a later run: 429, 5xx, timeouts, connection failures.
    #[error("{what}: temporary failure: {reason}")]
    Transient {
        what: String,
        reason: String,
        retry_after: Option<Duration>,
    },

    /// Any other status.
    #[error("{what}: unexpected HTTP {status}: {body}")]
    Status {
        what: String,
        status: u16,
        body: String,
    },

    /// A 2xx answer whose body is not what the endpoint promises.
    #[error("{what}: unexpected response: {reason}")]
    Malformed { what: String, reason: String },

    /// A token chain is lost: the operator must provide a new refresh token.
    #[error("{0}")]
    Rebootstrap(String),

    /// The credentials file cannot be used, or configuration is missing.
    #[error("{0}")]
    Credentials(String),
}

impl NadeoError {
    /// Whether a later run may well succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, NadeoError::Transient { .. })
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, NadeoError::NotFound { .. })
    }

    pub(crate) fn malformed(what: &str, reason: impl Into<String>) -> NadeoError {
        NadeoError::Malformed {
            what: what.to_string(),
            reason: reason.into(),
        }
    }
}

pub type NadeoResult<T> = Result<T, NadeoError>;
