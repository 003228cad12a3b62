//! `update-matches`: finish the games the walker recorded (collection.md
//! §2.2, the reference's UpdateMatches). Each unfinished game older than
//! `--update-matches-min-age` (those of the last 24 h first, then older
//! ones; by id within each) is asked about (E4); a
//! completed one gets its teams (E6): when rounds were played, its results
//! (E5) are written by one statement (game finished with its rounds, each
//! participation's mvp, win, position and score, its players queued for a
//! points refresh); when none were (the server never started), the game and
//! its participations are deleted in one transaction and its players'
//! `last_match_id` goes back to their newest other game (§2.2 [REC]). The
//! API is called before anything is written; any failure leaves the game
//! unfinished, to be tried again on the next pass.

use crate::collect::runner::is_connection_lost;
use crate::collect::{Context, Job, JobName, Pace};
use crate::db::game::{self, PlayerResult};
use crate::db::lock_retry;
use crate::nadeo::meet::{Participant, Team};
use anyhow::{anyhow, bail};
use std::collections::{BTreeMap, HashMap};

/// The reference's age before a game is first asked about (4 min).
pub const DEFAULT_MIN_AGE_SECS: i64 = 240;
/// Games asked about at most per pass (collection.md §5.3).
pub const DEFAULT_LIMIT: i64 = 500;
/// Games that started within this many seconds are asked about before older
/// ones (which mostly never complete: purged, or their server lost).
pub const RECENT_SECS: i64 = 86_400;

#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
#[command(next_help_heading = "Job update-matches")]
pub struct Flags {
    /// update-matches: seconds after its start before a game is asked about.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_MIN_AGE_SECS,
          value_parser = clap::value_parser!(i64).range(0..=2_592_000))]
    pub update_matches_min_age: i64,

    /// update-matches: unfinished games asked about at most per pass (those
    /// of the last 24 h first, then older ones; oldest first within each).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LIMIT,
          value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub update_matches_limit: i64,
}

pub struct UpdateMatches {
    min_age: chrono::Duration,
    limit: i64,
}

impl UpdateMatches {
    pub fn new(flags: &Flags) -> UpdateMatches {
        UpdateMatches {
            min_age: chrono::Duration::seconds(flags.update_matches_min_age),
            limit: flags.update_matches_limit,
        }
    }
}

/// What became of one game.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Outcome {
    Finished,
    Deleted,
    Running,
    /// The API no longer knows the match (Nadeo keeps about a month).
    Unknown,
}

impl Job for UpdateMatches {
    fn name(&self) -> JobName {
        JobName::UpdateMatches
    }

    fn iterate(&mut self, ctx: &mut Context) -> anyhow::Result<Pace> {
        let now = ctx.zone.now();
        let recent_since = now - chrono::Duration::seconds(RECENT_SECS);
        let pending = game::pending(ctx.conn, now - self.min_age, recent_since, self.limit)?;
        let mut tally: HashMap<Outcome, usize> = HashMap::new();
        for id in pending {
            if ctx.deadline.passed() {
                break;
            }
            match update(ctx, id) {
                Ok(outcome) => *tally.entry(outcome).or_default() += 1,
                Err(e) if is_connection_lost(&e) => return Err(e),
                Err(e) => ctx.unit_failed(
                    JobName::UpdateMatches,
                    format!("match {id}: {e:#}; it stays unfinished and is asked about again"),
                ),
            }
        }
        let count = |o| tally.get(&o).copied().unwrap_or(0);
        if count(Outcome::Finished) + count(Outcome::Deleted) > 0 {
            log::info!(
                "update-matches: {} finished, {} deleted (no round played), {} still running",
                count(Outcome::Finished),
                count(Outcome::Deleted),
                count(Outcome::Running)
            );
        }
        Ok(Pace::Normal)
    }
}

/// One game: E4; if completed, E6 and (rounds played) E5; then one
/// statement (or, for a bugged game, one transaction).
fn update(ctx: &mut Context, id: i32) -> anyhow::Result<Outcome> {
    let Some(found) = ctx.api.get_match(i64::from(id))? else {
        log::warn!("update-matches: match {id} is unknown to the API; it stays unfinished");
        return Ok(Outcome::Unknown);
    };
    if !found.is_completed() {
        return Ok(Outcome::Running);
    }
    let teams = ctx.api.match_teams(i64::from(id))?;
    let rounds = rounds(&teams)?;
    if rounds == 0 {
        lock_retry::transaction(ctx.conn, |conn| game::delete_bugged(conn, id))?;
        log::info!("update-matches: match {id} completed without a round: deleted");
        return Ok(Outcome::Deleted);
    }
    let participants = ctx.api.match_participants(i64::from(id))?;
    let results = Results::new(&teams, &participants)?;
    let sentinel = ctx.zone.sentinel();
    let listed = results.listed();
    lock_retry::statement(ctx.conn, |conn| {
        game::finish(conn, id, rounds, &listed, results.absent(), sentinel)
    })?;
    Ok(Outcome::Finished)
}

/// Rounds played: the teams' scores added up.
fn rounds(teams: &[Team]) -> anyhow::Result<i32> {
    let mut sum: i64 = 0;
    for team in teams {
        if team.score < 0 {
            bail!(
                "team {} has a negative score ({})",
                team.position,
                team.score
            );
        }
        sum = sum
            .checked_add(team.score)
            .ok_or_else(|| anyhow!("team scores overflow"))?;
    }
    i32::try_from(sum).map_err(|_| anyhow!("{sum} rounds do not fit game.rounds (int)"))
}

/// Each participation's result, by player (collection.md §2.2 step 3.3).
struct Results {
    /// team position → whether it won (rank 1); the last team listed wins a
    /// repeated position.
    winners: HashMap<i64, bool>,
    by_player: BTreeMap<String, PlayerResult>,
}

impl Results {
    fn new(teams: &[Team], participants: &[Participant]) -> anyhow::Result<Results> {
        let winners: HashMap<i64, bool> = teams.iter().map(|t| (t.position, t.rank == 1)).collect();
        let mut by_player = BTreeMap::new();
        for p in participants {
            let position = p
                .position
                .map(|slot| {
                    slot.checked_add(1)
                        .and_then(|n| i32::try_from(n).ok())
                        .ok_or_else(|| anyhow!("participant position {slot} out of range"))
                })
                .transpose()?;
            let points = p
                .score
                .map(|score| {
                    i32::try_from(score)
                        .map_err(|_| anyhow!("participant score {score} out of range"))
                })
                .transpose()?;
            let result = PlayerResult {
                is_mvp: p.mvp.unwrap_or(false),
                is_win: is_win(&winners, p.team_position),
                position,
                points,
            };
            by_player.insert(p.participant.stored().to_string(), result);
        }
        Ok(Results { winners, by_player })
    }

    /// Each listed player's result, by uuid.
    fn listed(&self) -> Vec<(&str, PlayerResult)> {
        self.by_player
            .iter()
            .map(|(player, result)| (player.as_str(), *result))
            .collect()
    }

    /// A player the API does not list: no mvp (the reference's NULL breaks
    /// its own update, §2.2 [REC]), the first team's result, no position nor
    /// score.
    fn absent(&self) -> PlayerResult {
        PlayerResult {
            is_mvp: false,
            is_win: is_win(&self.winners, Some(0)),
            position: None,
            points: None,
        }
    }

    #[cfg(test)]
    fn of(&self, player: &str) -> PlayerResult {
        self.by_player
            .get(player)
            .copied()
            .unwrap_or_else(|| self.absent())
    }
}

/// A team absent from the teams' answer counts as a winner, as in the
/// reference.
fn is_win(winners: &HashMap<i64, bool>, team: Option<i64>) -> bool {
    team.and_then(|t| winners.get(&t)).copied().unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(position: i64, score: i64, rank: i64) -> Team {
        Team {
            position,
            score,
            rank,
        }
    }

    #[test]
    fn rounds_add_up_and_refuse_impossible_scores() {
        assert_eq!(rounds(&[team(0, 5, 1), team(1, 3, 2)]).unwrap(), 8);
        assert_eq!(rounds(&[team(0, 0, 1), team(1, 0, 1)]).unwrap(), 0);
        assert_eq!(rounds(&[]).unwrap(), 0);
        assert!(rounds(&[team(0, -1, 1), team(1, 1, 2)]).is_err());
        assert!(rounds(&[team(0, i64::MAX, 1), team(1, 1, 2)]).is_err());
        assert!(rounds(&[team(0, i64::from(i32::MAX) + 1, 1)]).is_err());
    }

    #[test]
    fn a_missing_participant_gets_the_first_teams_result_and_no_mvp() {
        let participants: Vec<Participant> = serde_json::from_value(serde_json::json!([
            {"participant": "387daf87-6d15-44d1-a59f-d59eb4873516", "position": 2,
             "teamPosition": 1, "score": 21, "mvp": true},
            {"participant": "d9a8e973-3231-4e8b-8ed3-46810afe263e", "position": 0,
             "teamPosition": 7, "score": null, "mvp": null}
        ]))
        .unwrap();
        let results = Results::new(&[team(0, 5, 2), team(1, 3, 1)], &participants).unwrap();
        assert_eq!(
            results.of("387daf876d1544d1a59fd59eb4873516"),
            PlayerResult {
                is_mvp: true,
                is_win: true,
                position: Some(3),
                points: Some(21)
            }
        );
        // An unknown team counts as a winner; a null mvp as false.
        assert_eq!(
            results.of("d9a8e97332314e8b8ed346810afe263e"),
            PlayerResult {
                is_mvp: false,
                is_win: true,
                position: Some(1),
                points: None
            }
        );
        // Absent: team 0, which lost here.
        assert_eq!(
            results.of("00000000000000000000000000000001"),
            PlayerResult {
                is_mvp: false,
                is_win: false,
                position: None,
                points: None
            }
        );
    }

    #[test]
    fn out_of_range_numbers_are_refused() {
        let participants: Vec<Participant> = serde_json::from_value(serde_json::json!([
            {"participant": "387daf87-6d15-44d1-a59f-d59eb4873516", "position": 2147483647,
             "teamPosition": 0, "score": 1, "mvp": false}
        ]))
        .unwrap();
        assert!(Results::new(&[team(0, 1, 1)], &participants).is_err());
    }
}
