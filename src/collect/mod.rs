//! The collector: every job the reference runs as a long-lived thread,
//! turned into a bounded, restartable part of one `fetch` (or
//! `resolve-names`) run. One module per job; this one names the jobs and
//! gives them what an iteration needs ([`Context`]); `runner` runs them once
//! or in a loop until the deadline; `health` writes the health file.

pub mod club_tags;
pub mod geo;
pub mod health;
pub mod maps;
pub mod match_elo;
pub mod matches;
pub mod names;
pub mod ranks;
pub mod recompute_elo;
pub mod runner;
pub mod token;
pub mod top_positions;
pub mod update_matches;
pub mod watchdog;
pub mod zones;
pub mod zones_sync;

use crate::nadeo::NadeoClient;
use crate::time::LocalZone;
use diesel::MysqlConnection;
use std::fmt::Display;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Every collector job, in the order `fetch --once` runs them
/// (collection.md §5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum JobName {
    /// The forced Core token refresh (every 42 800 s).
    Token,
    /// Walk new match ids and insert official matches.
    Matches,
    /// Finish matches: results, or delete a bugged one.
    UpdateMatches,
    /// Matchmaking points and ranks, season rows, points after match.
    Ranks,
    /// Min, average and max elo of new games.
    MatchElo,
    /// Repair elo stored too high, from points after match.
    RecomputeElo,
    /// Exact ranks of the top 200.
    TopPositions,
    /// Map names, and the seasons they open.
    Maps,
    /// Load the zone tree from the API (when the zone table is empty, or when
    /// asked for by name).
    ZonesSync,
    /// Account zones.
    Zones,
    /// Countries, from the zone tree.
    Countries,
    /// Regions, from the zone tree.
    Regions,
    /// Club tags, when resolve-names does not run (ENABLE_OAUTH not True).
    ClubTags,
    /// Is the newest game recent?
    Watchdog,
    /// Display names and club tags (`resolve-names`, not a `fetch` job).
    #[value(skip)]
    Names,
}

impl JobName {
    /// The jobs of `fetch`, in `--once` order.
    pub const FETCH: [JobName; 14] = [
        JobName::Token,
        JobName::Matches,
        JobName::UpdateMatches,
        JobName::Ranks,
        JobName::MatchElo,
        JobName::RecomputeElo,
        JobName::TopPositions,
        JobName::Maps,
        JobName::ZonesSync,
        JobName::Zones,
        JobName::Countries,
        JobName::Regions,
        JobName::ClubTags,
        JobName::Watchdog,
    ];

    /// Its name on the command line and in `collector_state.job`.
    pub fn key(self) -> &'static str {
        match self {
            JobName::Token => "token",
            JobName::Matches => "matches",
            JobName::UpdateMatches => "update-matches",
            JobName::Ranks => "ranks",
            JobName::MatchElo => "match-elo",
            JobName::RecomputeElo => "recompute-elo",
            JobName::TopPositions => "top-positions",
            JobName::Maps => "maps",
            JobName::ZonesSync => "zones-sync",
            JobName::Zones => "zones",
            JobName::Countries => "countries",
            JobName::Regions => "regions",
            JobName::ClubTags => "club-tags",
            JobName::Watchdog => "watchdog",
            JobName::Names => "names",
        }
    }

    /// The reference thread it replaces: its key in the health file, which
    /// the reference's web server reports.
    pub fn thread_name(self) -> &'static str {
        match self {
            JobName::Token => "UpdateMainNadeoTokenThread",
            JobName::Matches => "GetMatchesThread",
            JobName::UpdateMatches => "UpdateMatchesThread",
            JobName::Ranks => "UpdatePlayerRanksThread",
            JobName::MatchElo => "UpdateMatchEloThread",
            JobName::RecomputeElo => "RecomputeMatchEloThread",
            JobName::TopPositions => "UpdateTopPlayersPositionThread",
            JobName::Maps => "UpdateMapsThread",
            JobName::ZonesSync => "SyncZonesThread",
            JobName::Zones => "UpdatePlayerZonesThread",
            JobName::Countries => "UpdatePlayerCountriesThread",
            JobName::Regions => "UpdatePlayerRegionsThread",
            JobName::ClubTags => "UpdateClubTagsThread",
            JobName::Watchdog => "WatchdogThread",
            JobName::Names => "UpdatePlayersThread",
        }
    }

    /// Pause between two iterations in loop mode: the reference thread's
    /// sleep. `None`: once per run.
    pub fn interval(self) -> Option<Duration> {
        let seconds = match self {
            JobName::Token | JobName::ZonesSync | JobName::Watchdog => return None,
            JobName::Matches | JobName::UpdateMatches | JobName::Maps => 30,
            JobName::Ranks
            | JobName::Zones
            | JobName::Countries
            | JobName::Regions
            | JobName::ClubTags
            | JobName::Names => 10,
            JobName::MatchElo => 5,
            JobName::RecomputeElo | JobName::TopPositions => 60,
        };
        Some(Duration::from_secs(seconds))
    }
}

/// What an iteration asks of the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Wait the job's interval.
    Normal,
    /// More work is waiting (a full batch): go on after a short pause.
    Soon,
}

/// The pause after an iteration that returned [`Pace::Soon`].
pub const SOON: Duration = Duration::from_secs(1);

/// When a run stops: no iteration starts after `loop_end`, and work units
/// stop at `hard` (a unit checks [`Deadline::passed`] before it starts).
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub loop_end: Instant,
    pub hard: Instant,
}

impl Deadline {
    /// Whether the hard deadline has passed: start no new unit of work.
    pub fn passed(&self) -> bool {
        Instant::now() >= self.hard
    }

    /// Whether a new iteration may start.
    pub fn may_iterate(&self) -> bool {
        Instant::now() < self.loop_end
    }
}

/// Settings every job may read, from the environment (as the reference reads
/// them).
#[derive(Debug, Clone)]
pub struct Environment {
    /// `START_ID`: where the match walk starts on an empty database.
    pub start_id: i64,
    /// `CACHE_DIR`: where the health file goes.
    pub cache_dir: PathBuf,
}

/// The reference's first match id on an empty database (`START_ID`).
pub const DEFAULT_START_ID: i64 = 8_958_871;

impl Environment {
    /// `START_ID` (a match id, game.id being an int(11)) and `CACHE_DIR`.
    pub fn from_env(env: crate::env::Lookup) -> crate::error::Result<Environment> {
        Ok(Environment {
            start_id: crate::env::number(
                env,
                "START_ID",
                "a match id",
                0..=i64::from(i32::MAX),
                DEFAULT_START_ID,
            )?,
            cache_dir: crate::config::cache_dir(env)?,
        })
    }
}

/// What one iteration of a job works with.
pub struct Context<'a> {
    pub conn: &'a mut MysqlConnection,
    pub api: &'a NadeoClient,
    pub zone: LocalZone,
    pub deadline: Deadline,
    pub environment: &'a Environment,
    errors: u32,
}

impl<'a> Context<'a> {
    pub fn new(
        conn: &'a mut MysqlConnection,
        api: &'a NadeoClient,
        zone: LocalZone,
        deadline: Deadline,
        environment: &'a Environment,
    ) -> Context<'a> {
        Context {
            conn,
            api,
            zone,
            deadline,
            environment,
            errors: 0,
        }
    }

    /// Logs an error of one unit of work (a match, a batch, a map) that the
    /// iteration carries on after; it counts towards the job's errors.
    pub fn unit_failed(&mut self, job: JobName, what: impl Display) {
        log::error!("{}: {what}", job.key());
        self.errors += 1;
    }

    /// Errors counted by [`Context::unit_failed`] so far.
    pub fn errors(&self) -> u32 {
        self.errors
    }
}

/// One collector job. It keeps no state between iterations but what it
/// writes to the database (a run may be killed at any moment).
pub trait Job: Send {
    fn name(&self) -> JobName;

    /// One iteration: the reference thread's loop body, bounded (a batch,
    /// a pass over a capped selection). Each unit of work is written in a
    /// transaction of its own, through `db::lock_retry::transaction` (tried
    /// again when another writer's locks get in its way); an error that stops
    /// the whole iteration is returned, one that stops a unit is counted with
    /// [`Context::unit_failed`].
    fn iterate(&mut self, ctx: &mut Context) -> anyhow::Result<Pace>;
}
