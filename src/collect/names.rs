//! `names` (`mmstatus resolve-names`; the reference's UpdatePlayersThread,
//! collection.md §2.5): display names from the public Trackmania API (E12)
//! and club tags from the Core API (E10), together, for the players whose
//! `last_name_update` is over a day old and who have points or were never
//! named. One iteration is one batch, all or nothing: both calls first, then
//! one transaction writes every player of the batch. A failed call writes
//! nothing, so the same players come first again on the next run.
//!
//! The club-tags job reuses the tag half ([`club_tags_of`], [`tags_for`],
//! [`sync_current_season`]).

use crate::collect::{Context, Job, JobName, Pace};
use crate::db::names::{self, DuePlayer, NamedPlayer, PlayerTag};
use crate::db::{lock_retry, season};
use crate::error::Error;
use crate::ids::AccountId;
use crate::nadeo::NadeoClient;
use chrono::NaiveDateTime;
use diesel::MysqlConnection;
use std::collections::HashMap;

/// The reference's batch: the display-names endpoint's maximum.
pub const DEFAULT_BATCH: usize = crate::nadeo::oauth::NAMES_BATCH;

/// Names and tags are refreshed once a day (the reference's 24 h).
pub const STALE_AFTER: chrono::Duration = chrono::Duration::hours(24);

/// What a player without a display name is called when it has no name yet.
pub const NAME_UNKNOWN: &str = "Name unknown";

pub struct Names {
    batch: usize,
    /// Players written by this job's iterations so far.
    pub players: usize,
    /// Batches written so far.
    pub batches: usize,
}

impl Names {
    /// `batch`: players per iteration, 1 to [`DEFAULT_BATCH`].
    pub fn new(batch: usize) -> Names {
        Names {
            batch: batch.clamp(1, DEFAULT_BATCH),
            players: 0,
            batches: 0,
        }
    }
}

/// The account ids of `players` (a uuid that is not one is left out of the
/// API calls, and then counts as unanswered).
pub fn account_ids(players: &[DuePlayer]) -> Vec<AccountId> {
    players
        .iter()
        .filter_map(|p| AccountId::parse(&p.uuid))
        .collect()
}

/// E10 for `ids`: tag by account. Any failure fails the whole call.
pub fn club_tags_of(
    api: &NadeoClient,
    ids: &[AccountId],
) -> anyhow::Result<HashMap<AccountId, String>> {
    Ok(api
        .club_tags(ids)
        .into_result()?
        .into_iter()
        .map(|t| (t.account_id, t.club_tag))
        .collect())
}

/// E12 for `ids`: display name by account. Only a JSON object (or `[]`)
/// answered with a 2xx status counts.
pub fn display_names_of(
    api: &NadeoClient,
    ids: &[AccountId],
) -> anyhow::Result<HashMap<AccountId, String>> {
    Ok(api.display_names(ids).into_result()?.into_iter().collect())
}

fn lookup<'a>(answers: &'a HashMap<AccountId, String>, uuid: &str) -> Option<&'a str> {
    AccountId::parse(uuid)
        .and_then(|id| answers.get(&id))
        .map(String::as_str)
}

/// The name a player gets: the API's when it gave a non-empty one, else the
/// stored one when not empty, else [`NAME_UNKNOWN`].
pub fn chosen_name(from_api: Option<&str>, stored: &str) -> String {
    match from_api {
        Some(name) if !name.is_empty() => name.to_string(),
        _ if !stored.is_empty() => stored.to_string(),
        _ => NAME_UNKNOWN.to_string(),
    }
}

/// The tag of each player: the API's (`''` included), or none when the API
/// did not list the player.
pub fn tags_for(players: &[DuePlayer], tags: &HashMap<AccountId, String>) -> Vec<PlayerTag> {
    players
        .iter()
        .map(|p| PlayerTag {
            uuid: p.uuid.clone(),
            club_tag: lookup(tags, &p.uuid).map(str::to_string),
        })
        .collect()
}

/// What a batch writes for each of its players.
pub fn resolve(
    players: &[DuePlayer],
    names: &HashMap<AccountId, String>,
    tags: &HashMap<AccountId, String>,
) -> Vec<NamedPlayer> {
    players
        .iter()
        .map(|p| NamedPlayer {
            uuid: p.uuid.clone(),
            name: chosen_name(lookup(names, &p.uuid), &p.name),
            club_tag: lookup(tags, &p.uuid).map(str::to_string),
        })
        .collect()
}

/// Copies the tags to the season current at `now`, if any (its existing
/// rows only).
pub fn sync_current_season(
    conn: &mut MysqlConnection,
    now: NaiveDateTime,
    tags: &[PlayerTag],
) -> Result<(), Error> {
    if let Some(current) = season::containing(conn, now)? {
        names::sync_season_club_tags(conn, current.id, tags)?;
    }
    Ok(())
}

/// One names batch's writes, in one transaction.
fn write_batch(
    conn: &mut MysqlConnection,
    resolved: &[NamedPlayer],
    now: NaiveDateTime,
) -> Result<(), Error> {
    let tags: Vec<PlayerTag> = resolved
        .iter()
        .map(|p| PlayerTag {
            uuid: p.uuid.clone(),
            club_tag: p.club_tag.clone(),
        })
        .collect();
    lock_retry::transaction(conn, |conn| {
        names::write_names(conn, resolved, now)?;
        sync_current_season(conn, now, &tags)
    })
}

impl Job for Names {
    fn name(&self) -> JobName {
        JobName::Names
    }

    fn iterate(&mut self, ctx: &mut Context) -> anyhow::Result<Pace> {
        let now = ctx.zone.now();
        let due =
            names::due_for_names(ctx.conn, now - STALE_AFTER, ctx.zone.sentinel(), self.batch)?;
        if due.is_empty() {
            log::debug!("names: no player is due");
            return Ok(Pace::Normal);
        }
        let ids = account_ids(&due);
        let display_names = display_names_of(ctx.api, &ids)?;
        let tags = club_tags_of(ctx.api, &ids)?;
        let resolved = resolve(&due, &display_names, &tags);
        write_batch(ctx.conn, &resolved, ctx.zone.now())?;
        self.players += resolved.len();
        self.batches += 1;
        log::info!(
            "names: {} players named ({} names and {} club tags from the APIs)",
            resolved.len(),
            display_names.len(),
            tags.len()
        );
        Ok(if due.len() == self.batch {
            Pace::Soon
        } else {
            Pace::Normal
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn player(uuid: &str, name: &str) -> DuePlayer {
        DuePlayer {
            uuid: uuid.to_string(),
            name: name.to_string(),
        }
    }

    #[test]
    fn the_api_name_wins_then_the_stored_one_then_name_unknown() {
        assert_eq!(chosen_name(Some("New"), "Old"), "New");
        assert_eq!(chosen_name(Some("New"), ""), "New");
        assert_eq!(chosen_name(Some(""), "Old"), "Old");
        assert_eq!(chosen_name(None, "Old"), "Old");
        assert_eq!(chosen_name(None, ""), NAME_UNKNOWN);
        assert_eq!(chosen_name(Some(""), ""), NAME_UNKNOWN);
    }

    #[test]
    fn answers_are_matched_by_account_and_absent_tags_are_none() {
        let a = "387daf876d1544d1a59fd59eb4873516";
        let b = "d9a8e97332314e8b8ed346810afe263e";
        let id = |s: &str| AccountId::parse(s).unwrap();
        let names = HashMap::from([(id(a), "Blizzard_TM".to_string())]);
        let tags = HashMap::from([(id(b), String::new())]);
        let out = resolve(
            &[player(a, ""), player(b, "Kept"), player("not-a-uuid", "")],
            &names,
            &tags,
        );
        assert_eq!(
            out,
            [
                NamedPlayer {
                    uuid: a.into(),
                    name: "Blizzard_TM".into(),
                    club_tag: None
                },
                NamedPlayer {
                    uuid: b.into(),
                    name: "Kept".into(),
                    club_tag: Some(String::new())
                },
                NamedPlayer {
                    uuid: "not-a-uuid".into(),
                    name: NAME_UNKNOWN.into(),
                    club_tag: None
                },
            ]
        );
        assert_eq!(account_ids(&[player(a, ""), player("x", "")]), [id(a)]);
    }
}
