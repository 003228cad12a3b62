//! Public Trackmania API (OAuth bearer token): display names (E12).

use crate::ids::AccountId;
use crate::nadeo::error::NadeoError;
use crate::nadeo::{in_batches, parse, repeated_param, Batched, NadeoClient, Service};
use serde_json::Value;

/// Ids per display-names call: the API's documented maximum.
pub const NAMES_BATCH: usize = 50;

impl NadeoClient {
    /// E12: `(account, display name)` pairs. Accounts without a name are
    /// absent. Only a JSON object (or an empty list) counts as an answer.
    pub fn display_names(&self, accounts: &[AccountId]) -> Batched<(AccountId, String)> {
        in_batches(accounts, NAMES_BATCH, |batch| {
            let what = format!("display names of {} accounts", batch.len());
            let path = format!("display-names?{}", repeated_param("accountId", batch));
            let body = self.get(Service::Oauth, &what, &path)?;
            match parse::<Value>(&what, &body)? {
                Value::Object(names) => Ok(names
                    .into_iter()
                    .filter_map(|(id, name)| {
                        Some((AccountId::parse(&id)?, name.as_str()?.to_string()))
                    })
                    .collect()),
                Value::Array(list) if list.is_empty() => Ok(Vec::new()),
                _ => Err(NadeoError::malformed(
                    &what,
                    "expected an object of account id → name",
                )),
            }
        })
    }
}
