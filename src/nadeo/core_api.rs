//! Core API (NadeoCore token): account zones, club tags, the zone list
//! (E9–E11).

use crate::ids::AccountId;
use crate::nadeo::error::NadeoResult;
use crate::nadeo::{comma_list, in_batches, Batched, NadeoClient, Service};
use serde::Deserialize;

/// Ids per zones or club-tags call (the reference's).
pub const ACCOUNTS_BATCH: usize = 50;

/// E9: an account's deepest zone. `zone_id` is in the stored (undashed) form.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountZone {
    pub account_id: AccountId,
    pub zone_id: AccountId,
}

/// E10: an account's club tag, raw (formatting codes, emoji).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClubTag {
    pub account_id: AccountId,
    pub club_tag: String,
}

/// E11: one node of Nadeo's zone tree.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiZone {
    pub zone_id: AccountId,
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<AccountId>,
    #[serde(default)]
    pub icon: Option<String>,
}

impl NadeoClient {
    /// E9. Accounts without a zone are absent.
    pub fn account_zones(&self, accounts: &[AccountId]) -> Batched<AccountZone> {
        in_batches(accounts, ACCOUNTS_BATCH, |batch| {
            let what = format!("zones of {} accounts", batch.len());
            let path = format!("accounts/zones/?accountIdList={}", comma_list(batch));
            self.get_json(Service::Core, &what, &path)
        })
    }

    /// E10. Accounts without a tag are absent; a `null` list reads as empty.
    pub fn club_tags(&self, accounts: &[AccountId]) -> Batched<ClubTag> {
        in_batches(accounts, ACCOUNTS_BATCH, |batch| {
            let what = format!("club tags of {} accounts", batch.len());
            let path = format!("accounts/clubTags/?accountIdList={}", comma_list(batch));
            self.get_json::<Option<Vec<ClubTag>>>(Service::Core, &what, &path)
                .map(Option::unwrap_or_default)
        })
    }

    /// E11 (unused by the reference's jobs; for diagnostics).
    pub fn zone_list(&self) -> NadeoResult<Vec<ApiZone>> {
        self.get_json(Service::Core, "zone list", "zones")
    }
}
