//! Meet API (NadeoLive token): matches, their participants and teams, and
//! matchmaking ranks (E4–E7).

use crate::ids::AccountId;
use crate::nadeo::error::{NadeoError, NadeoResult};
use crate::nadeo::num::{int, opt_int};
use crate::nadeo::{in_batches, parse, repeated_param, Batched, NadeoClient, Service};
use serde::Deserialize;
use serde_json::Value;

/// Ids per leaderboard call (the reference's; the URI limit allows ~150).
pub const RANKS_BATCH: usize = 100;

/// A match (E4). Fields the collectors do not read are left out.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NadeoMatch {
    #[serde(deserialize_with = "int")]
    pub id: i64,
    pub name: String,
    /// Seconds since the epoch.
    #[serde(deserialize_with = "int")]
    pub start_date: i64,
    #[serde(default, deserialize_with = "opt_int")]
    pub end_date: Option<i64>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub server_status: Option<String>,
    pub public_config: PublicConfig,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PublicConfig {
    #[serde(default)]
    pub maps: Vec<String>,
}

impl NadeoMatch {
    /// Ranked matchmaking, as the reference recognises it by name.
    pub fn is_official_matchmaking(&self) -> bool {
        self.name.contains("Official 3v3") || self.name.contains("Official 2v2")
    }

    pub fn is_completed(&self) -> bool {
        self.status.as_deref() == Some("COMPLETED")
    }

    /// The map UID (`publicConfig.maps[0]`).
    pub fn map_uid(&self) -> Option<&str> {
        self.public_config.maps.first().map(String::as_str)
    }
}

/// A player in a match (E5). `rank` and `score` are null while it runs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    pub participant: AccountId,
    /// 0-based slot.
    #[serde(default, deserialize_with = "opt_int")]
    pub position: Option<i64>,
    #[serde(default, deserialize_with = "opt_int")]
    pub team_position: Option<i64>,
    #[serde(default, deserialize_with = "opt_int")]
    pub rank: Option<i64>,
    #[serde(default, deserialize_with = "opt_int")]
    pub score: Option<i64>,
    #[serde(default)]
    pub mvp: Option<bool>,
    #[serde(default)]
    pub leaver: Option<bool>,
}

/// A team's result (E6). The team with rank 1 won; scores add up to rounds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Team {
    #[serde(deserialize_with = "int")]
    pub position: i64,
    #[serde(deserialize_with = "int")]
    pub score: i64,
    #[serde(deserialize_with = "int")]
    pub rank: i64,
}

/// A player's matchmaking standing (E7).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PlayerRank {
    pub player: AccountId,
    /// Matchmaking points.
    #[serde(deserialize_with = "int")]
    pub score: i64,
    /// World position.
    #[serde(deserialize_with = "int")]
    pub rank: i64,
}

#[derive(Deserialize)]
struct RanksPage {
    results: Vec<PlayerRank>,
}

impl NadeoClient {
    /// E4. `None` when there is no match at this id (yet): HTTP 404, or a
    /// body with an `exception` key as the reference recognises it.
    pub fn get_match(&self, id: i64) -> NadeoResult<Option<NadeoMatch>> {
        let what = format!("match {id}");
        let body = match self.get(Service::Meet, &what, &format!("matches/{id}")) {
            Ok(body) => body,
            Err(NadeoError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let value: Value = parse(&what, &body)?;
        if value.get("exception").is_some() {
            return Ok(None);
        }
        serde_json::from_value(value)
            .map(Some)
            .map_err(|e| NadeoError::malformed(&what, e.to_string()))
    }

    /// E5, in the API's order.
    pub fn match_participants(&self, id: i64) -> NadeoResult<Vec<Participant>> {
        let what = format!("participants of match {id}");
        self.get_json(Service::Meet, &what, &format!("matches/{id}/participants"))
    }

    /// E6.
    pub fn match_teams(&self, id: i64) -> NadeoResult<Vec<Team>> {
        let what = format!("teams of match {id}");
        self.get_json(Service::Meet, &what, &format!("matches/{id}/teams"))
    }

    /// E7, for the configured matchmaking id, [`RANKS_BATCH`] players a call.
    /// Players without a ranking are simply absent from the result.
    pub fn player_ranks(&self, players: &[AccountId]) -> Batched<PlayerRank> {
        let path_start = format!(
            "matchmaking/{}/leaderboard/players?",
            self.config.matchmaking_id
        );
        in_batches(players, RANKS_BATCH, |batch| {
            let what = format!("ranks of {} players", batch.len());
            let path = format!("{path_start}{}", repeated_param("players", batch));
            self.get_json::<RanksPage>(Service::Meet, &what, &path)
                .map(|page| page.results)
        })
    }
}
