//! Live API (NadeoLive token): map info (E8).

use crate::nadeo::error::NadeoResult;
use crate::nadeo::{NadeoClient, Service};
use serde::Deserialize;

/// What mmstatus reads of a map (E8): its name. Other fields may be absent.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MapInfo {
    pub name: String,
    #[serde(default)]
    pub uid: Option<String>,
}

impl NadeoClient {
    /// E8. An unknown UID is answered with HTTP 500, so it comes back as a
    /// transient error and is simply asked again later, as in the reference.
    pub fn map_info(&self, uid: &str) -> NadeoResult<MapInfo> {
        let what = format!("map {uid}");
        self.get_json(Service::Live, &what, &format!("token/map/{uid}"))
    }
}
