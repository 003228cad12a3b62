//! `zones`: each player's zone, from the API (collection.md §2.6).
//!
//! Players whose zone the API does not give, or gives but the zone table
//! lacks, keep no zone and are asked again, forever. The reference asks for
//! "the first 50 players without a zone", so 50 such players block everyone
//! else; here players are taken in uuid order from a cursor that goes round
//! (`collector_state.cursor_text` of the job: the last player asked about),
//! so each player without a zone is asked in turn.

use crate::collect::{Context, Job, JobName, Pace};
use crate::db::{collector_state, lock_retry, player_geo};
use crate::ids::AccountId;
use crate::nadeo::core_api::AccountZone;
use anyhow::Context as _;
use std::collections::BTreeMap;

/// The reference's batch: 50 players every 10 s.
pub const DEFAULT_ZONES_BATCH: i64 = 50;
/// Batches per iteration in `--once` mode.
pub const DEFAULT_ZONES_BATCHES: u32 = 3;

#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
#[command(next_help_heading = "Job zones")]
pub struct Flags {
    /// zones: players per batch (one call per 50; the API limits the URL's
    /// length).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_ZONES_BATCH,
          value_parser = clap::value_parser!(i64).range(1..=200))]
    pub zones_batch: i64,

    /// zones: batches per iteration with --once (one otherwise).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_ZONES_BATCHES,
          value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub zones_batches: u32,
}

pub struct Zones {
    batch: i64,
    batches: u32,
}

impl Zones {
    pub fn new(flags: &Flags, once: bool) -> Zones {
        Zones {
            batch: flags.zones_batch,
            batches: if once { flags.zones_batches } else { 1 },
        }
    }
}

/// One iteration's walk over the players without a zone, in uuid order:
/// from the cursor to the last one, then from the first one back to where
/// the walk began, so each is asked at most once per iteration.
struct Round {
    /// Where the iteration began (the stored cursor).
    start: Option<String>,
    /// The last player taken.
    after: Option<String>,
    /// Past the end and back at the first player: stop at `start`.
    wrapped: bool,
}

impl Round {
    fn new(start: Option<String>) -> Round {
        Round {
            after: start.clone(),
            start,
            wrapped: false,
        }
    }

    /// Up to `size` players, and whether the round is complete with them.
    fn next(
        &mut self,
        conn: &mut diesel::MysqlConnection,
        size: i64,
    ) -> crate::error::Result<(Vec<String>, bool)> {
        let up_to = if self.wrapped {
            self.start.as_deref()
        } else {
            None
        };
        let mut players =
            player_geo::without_zone_between(conn, self.after.as_deref(), up_to, size)?;
        let mut done = len(&players) < size;
        if let (true, false, Some(start)) = (done, self.wrapped, self.start.as_deref()) {
            self.wrapped = true;
            let left = size - len(&players);
            let more = player_geo::without_zone_between(conn, None, Some(start), left)?;
            done = len(&more) < left;
            players.extend(more);
        }
        if let Some(last) = players.last() {
            self.after = Some(last.clone());
        }
        Ok((players, done))
    }
}

fn len(items: &[String]) -> i64 {
    i64::try_from(items.len()).unwrap_or(i64::MAX)
}

/// The zone the API gave each of `players` (stored forms), the last answer
/// for an account winning, answers about other accounts ignored.
fn zones_of(players: &[AccountId], answers: Vec<AccountZone>) -> Vec<(String, String)> {
    let asked: std::collections::BTreeSet<&AccountId> = players.iter().collect();
    let by_player: BTreeMap<String, String> = answers
        .into_iter()
        .filter(|a| asked.contains(&a.account_id))
        .map(|a| {
            (
                a.account_id.stored().to_string(),
                a.zone_id.stored().to_string(),
            )
        })
        .collect();
    by_player.into_iter().collect()
}

impl Job for Zones {
    fn name(&self) -> JobName {
        JobName::Zones
    }

    /// Up to `batches` batches: one API call (per 50) and one transaction
    /// each, which writes the zones found and moves the cursor past the
    /// batch. A failed call writes nothing and ends the iteration; the same
    /// players are asked next time.
    fn iterate(&mut self, ctx: &mut Context) -> anyhow::Result<Pace> {
        let key = JobName::Zones.key();
        let cursor = collector_state::get(ctx.conn, key)?.and_then(|s| s.cursor_text);
        let mut round = Round::new(cursor);
        for _ in 0..self.batches {
            if ctx.deadline.passed() {
                break;
            }
            let (players, done) = round.next(ctx.conn, self.batch)?;
            let Some(last) = players.last().cloned() else {
                break;
            };
            let accounts: Vec<AccountId> = players
                .iter()
                .filter_map(|uuid| AccountId::parse(uuid))
                .collect();
            let answers = if accounts.is_empty() {
                Vec::new()
            } else {
                ctx.api
                    .account_zones(&accounts)
                    .into_result()
                    .with_context(|| format!("zones of {} players", accounts.len()))?
            };
            let zones = zones_of(&accounts, answers);
            let placed = lock_retry::transaction(ctx.conn, |conn| {
                let placed = player_geo::set_zones(conn, &zones)?;
                collector_state::set_cursor_text(conn, key, Some(&last))?;
                Ok::<_, crate::error::Error>(placed)
            })?;
            log::debug!("zones: {placed} of {} players placed", players.len());
            if done {
                break;
            }
        }
        Ok(Pace::Normal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> AccountId {
        AccountId::parse(&format!("{n:032x}")).unwrap()
    }

    #[test]
    fn answers_about_other_accounts_are_ignored_and_the_last_one_wins() {
        let answers = vec![
            AccountZone {
                account_id: id(1),
                zone_id: id(10),
            },
            AccountZone {
                account_id: id(9),
                zone_id: id(10),
            },
            AccountZone {
                account_id: id(1),
                zone_id: id(11),
            },
        ];
        let zones = zones_of(&[id(1), id(2)], answers);
        assert_eq!(
            zones,
            vec![(id(1).stored().to_string(), id(11).stored().to_string())]
        );
    }
}
