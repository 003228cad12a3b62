//! The Nadeo and Trackmania API client: what `fetch` and `resolve-names` call.
//!
//! [`NadeoClient`] is synchronous (ureq) and may be shared between threads.
//! Every call obtains its token from the credentials file (refreshing it when
//! it expires within a minute, and once more if the API refuses it: on every
//! 401, on the first 403 of a run per credential), waits
//! for the shared rate limiter, and sorts the answer into a typed result or a
//! [`NadeoError`]. Batch endpoints take any number of ids and split them.
//!
//! - Meet (`meet.rs`): matches, participants, teams, matchmaking ranks (E4–E7)
//! - Live (`live.rs`): map info (E8)
//! - Core (`core_api.rs`): account zones, club tags, zone list (E9–E11)
//! - OAuth (`oauth.rs`): display names (E12)
//! - Tokens (`auth.rs`, `credentials.rs`, `jwt.rs`): E1–E3 and the file

pub mod auth;
pub mod config;
pub mod core_api;
pub mod credentials;
pub mod error;
pub mod jwt;
pub mod live;
pub mod meet;
mod num;
pub mod oauth;
pub mod ratelimit;
pub mod transport;

pub use config::NadeoConfig;
pub use credentials::CredentialKey;
pub use error::{NadeoError, NadeoResult};

use crate::ids::AccountId;
use crate::time::LocalZone;
use credentials::CredentialFile;
use serde::de::DeserializeOwned;
use std::collections::HashSet;
use std::sync::Mutex;
use transport::{classify, Body, HttpRequest, Pace, Transport};
use url::Url;

/// The four APIs, with the token each one takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Core,
    Live,
    Meet,
    Oauth,
}

impl Service {
    fn credential(self) -> CredentialKey {
        match self {
            Service::Core => CredentialKey::Core,
            Service::Live | Service::Meet => CredentialKey::Live,
            Service::Oauth => CredentialKey::Oauth,
        }
    }

    fn authorization(self, token: &str) -> String {
        match self {
            Service::Oauth => format!("Bearer {token}"),
            _ => format!("nadeo_v1 t={token}"),
        }
    }

    fn pace(self) -> Pace {
        match self {
            Service::Oauth => Pace::Oauth,
            _ => Pace::Nadeo,
        }
    }
}

pub struct NadeoClient {
    config: NadeoConfig,
    zone: LocalZone,
    transport: Transport,
    credentials: CredentialFile,
    /// Credentials already refreshed once because of a 403: later 403s for
    /// them are permission errors, with no more refreshes (each one spends
    /// a refresh token under the exclusive lock).
    refreshed_for_403: Mutex<HashSet<CredentialKey>>,
}

impl NadeoClient {
    /// `zone` is the local zone `expire_time` values are written in.
    pub fn new(config: NadeoConfig, zone: LocalZone) -> NadeoClient {
        NadeoClient {
            transport: Transport::new(&config),
            credentials: CredentialFile::new(config.credentials_file.clone()),
            config,
            zone,
            refreshed_for_403: Mutex::new(HashSet::new()),
        }
    }

    fn base(&self, service: Service) -> &Url {
        let urls = &self.config.urls;
        match service {
            Service::Core => &urls.core,
            Service::Live => &urls.live,
            Service::Meet => &urls.meet,
            Service::Oauth => &urls.oauth,
        }
    }

    /// `path` has no leading slash and may carry a query string.
    fn url(&self, service: Service, path: &str) -> String {
        format!("{}{path}", self.base(service))
    }

    /// An authenticated GET returning the body of a 2xx answer. A 401 is
    /// answered by a refresh and one more request; so is a 403, but only the
    /// first one of the run for this credential (a 403 usually means the
    /// account lacks permission, which no token cures).
    fn get(&self, service: Service, what: &str, path: &str) -> NadeoResult<String> {
        let key = service.credential();
        let request = |token: &str| HttpRequest {
            what,
            post: false,
            url: self.url(service, path),
            authorization: Some(service.authorization(token)),
            body: Body::Empty,
            pace: service.pace(),
        };
        let token = self.access_token(key)?;
        let response = self.transport.send(&request(&token))?;
        let refresh = match response.status {
            401 => true,
            403 => self.first_403(key),
            _ => false,
        };
        if !refresh {
            return classify(what, response);
        }
        log::info!(
            "{what}: token refused (HTTP {}); refreshing {}",
            response.status,
            key.name()
        );
        let token = self.refresh(key, Some(&token))?;
        classify(what, self.transport.send(&request(&token))?)
    }

    /// Whether this is the first 403 of the run for `key` (and records it).
    fn first_403(&self, key: CredentialKey) -> bool {
        self.refreshed_for_403
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key)
    }

    fn get_json<T: DeserializeOwned>(
        &self,
        service: Service,
        what: &str,
        path: &str,
    ) -> NadeoResult<T> {
        parse(what, &self.get(service, what, path)?)
    }
}

fn parse<T: DeserializeOwned>(what: &str, body: &str) -> NadeoResult<T> {
    if body.trim().is_empty() {
        return Err(NadeoError::malformed(what, "empty body"));
    }
    serde_json::from_str(body).map_err(|e| NadeoError::malformed(what, e.to_string()))
}

/// Results of a batched call: the items of every batch that succeeded, and
/// the first failure, after which no further batch was sent.
#[derive(Debug)]
pub struct Batched<T> {
    pub items: Vec<T>,
    pub failure: Option<BatchFailure>,
}

#[derive(Debug)]
pub struct BatchFailure {
    pub error: NadeoError,
    /// The ids of the failed batch and of every batch not sent.
    pub unanswered: Vec<AccountId>,
}

impl<T> Batched<T> {
    /// All items, or the failure when there was one.
    pub fn into_result(self) -> NadeoResult<Vec<T>> {
        match self.failure {
            None => Ok(self.items),
            Some(f) => Err(f.error),
        }
    }
}

fn in_batches<T>(
    ids: &[AccountId],
    size: usize,
    mut call: impl FnMut(&[AccountId]) -> NadeoResult<Vec<T>>,
) -> Batched<T> {
    let mut items = Vec::new();
    for (index, batch) in ids.chunks(size).enumerate() {
        match call(batch) {
            Ok(found) => items.extend(found),
            Err(error) => {
                return Batched {
                    items,
                    failure: Some(BatchFailure {
                        error,
                        unanswered: ids[index * size..].to_vec(),
                    }),
                }
            }
        }
    }
    Batched {
        items,
        failure: None,
    }
}

/// `name[]=a&name[]=b…` with dashed ids (brackets literal, as the reference sends them).
fn repeated_param(name: &str, ids: &[AccountId]) -> String {
    ids.iter()
        .map(|id| format!("{name}[]={}", id.dashed()))
        .collect::<Vec<_>>()
        .join("&")
}

/// Dashed ids joined by commas, unencoded.
fn comma_list(ids: &[AccountId]) -> String {
    ids.iter()
        .map(AccountId::dashed)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<AccountId> {
        (0..n)
            .map(|i| AccountId::parse(&format!("{i:032x}")).unwrap())
            .collect()
    }

    #[test]
    fn batches_split_and_stop_at_the_first_failure() {
        let all = ids(120);
        let mut sizes = Vec::new();
        let outcome = in_batches(&all, 50, |batch| {
            sizes.push(batch.len());
            Ok(batch.to_vec())
        });
        assert_eq!(sizes, [50, 50, 20]);
        assert_eq!(outcome.items, all);

        let mut calls = 0;
        let outcome = in_batches(&all, 50, |batch| {
            calls += 1;
            if calls == 2 {
                Err(NadeoError::malformed("x", "boom"))
            } else {
                Ok(batch.to_vec())
            }
        });
        assert_eq!(calls, 2);
        assert_eq!(outcome.items, all[..50]);
        assert_eq!(outcome.failure.unwrap().unanswered, all[50..]);
    }

    #[test]
    fn query_forms() {
        let two = ids(2);
        assert_eq!(
            repeated_param("players", &two),
            "players[]=00000000-0000-0000-0000-000000000000&players[]=00000000-0000-0000-0000-000000000001"
        );
        assert_eq!(
            comma_list(&two),
            "00000000-0000-0000-0000-000000000000,00000000-0000-0000-0000-000000000001"
        );
    }
}
