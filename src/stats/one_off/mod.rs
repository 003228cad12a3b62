//! What every admin one-off of compute-stats (the positions recompute, the
//! repairs) provides: a plan listing its changes unit by unit, and the
//! write of one unit, which the caller runs in a transaction of its own.
//! The command line lists, confirms and applies any of them the same way.
//! One module per one-off.

pub mod match_elo;
pub mod merge_maps;
pub mod pam_repair;
pub mod positions;

use diesel::MysqlConnection;
use std::fmt::Display;

/// One unit of work (a season, a batch of games, a map name): written in
/// one transaction, all of it or nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit<C> {
    /// What it is, for messages: `season 3`, `games 10-42`.
    pub label: String,
    /// What the one-off finds it by when it applies it (a season id).
    pub key: i64,
    /// Lines said before its changes (what a merge keeps, say).
    pub context: Vec<String>,
    /// What would change, one line each.
    pub changes: Vec<C>,
    /// Said when it has no change: `positions already up to date`.
    pub unchanged: String,
}

impl<C> Unit<C> {
    pub fn new(
        label: impl Into<String>,
        key: i64,
        changes: Vec<C>,
        unchanged: impl Into<String>,
    ) -> Self {
        Unit {
            label: label.into(),
            key,
            context: Vec::new(),
            changes,
            unchanged: unchanged.into(),
        }
    }
}

/// An admin one-off. `plan` reads only; `apply` writes the changes of one
/// unit `plan` listed, exactly those, inside the caller's transaction, and
/// fails (rolling the unit back) when the data no longer matches them.
pub trait OneOff {
    type Change: Display;

    /// The units and their changes, in the order they are applied.
    fn plan(&self, conn: &mut MysqlConnection) -> anyhow::Result<Vec<Unit<Self::Change>>>;

    /// Writes `unit`'s changes; what was done, for the output.
    fn apply(
        &self,
        conn: &mut MysqlConnection,
        unit: &Unit<Self::Change>,
    ) -> anyhow::Result<String>;

    /// Said when the plan has no unit at all.
    fn nothing_to_do(&self) -> String;
}

/// The error of a unit whose data changed between the listing and the write.
pub fn changed_since_listed(what: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{what} changed since it was listed, so nothing was written for it; run the command again"
    )
}
