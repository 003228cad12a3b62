//! How every admin one-off runs: its changes listed, then (not with
//! --dry-run) confirmed on a terminal or by --yes, then written one unit per
//! transaction, under the statistics lock.

use crate::cli::collector;
use crate::config::Config;
use crate::db::{self, migrations};
use crate::error::Error;
use crate::stats::one_off::{OneOff, Unit};
use diesel::{Connection, MysqlConnection};
use std::io::{BufRead, IsTerminal, Write};

/// Whether to write, and how the writing is agreed to.
#[derive(Debug, Clone, Copy)]
pub struct Mode {
    pub dry_run: bool,
    pub yes: bool,
}

/// Lists `kind`'s changes; unless it is a dry run, asks for them to be
/// confirmed and writes them. A dry run takes no lock (it writes nothing).
pub fn run<K: OneOff>(kind: &K, config: &Config, lock: &str, mode: Mode) -> anyhow::Result<()> {
    let mut conn = if mode.dry_run {
        let mut conn = db::connect(&config.database_url)?;
        migrations::ensure_up_to_date(&mut conn)?;
        conn
    } else {
        collector::connect_locked(config, lock, "computing statistics", true)?
            .ok_or_else(|| Error::Busy("computing statistics".to_string()))?
    };
    let units = kind.plan(&mut conn)?;
    let total = print_plan(kind, &units);
    if total == 0 {
        return Ok(());
    }
    if mode.dry_run {
        println!("dry run: {total} change(s) listed; nothing was changed");
        return Ok(());
    }
    if !confirmed(total, mode.yes)? {
        println!("not confirmed; nothing was changed");
        return Ok(());
    }
    apply(kind, &mut conn, &units)?;
    collector::release_lock(&mut conn, config, lock);
    println!("done: {total} change(s) written");
    Ok(())
}

/// Prints each unit and its changes; the number of changes.
fn print_plan<K: OneOff>(kind: &K, units: &[Unit<K::Change>]) -> usize {
    if units.is_empty() {
        println!("{}", kind.nothing_to_do());
        return 0;
    }
    print!("{}", plan_text(units));
    units.iter().map(|u| u.changes.len()).sum()
}

fn plan_text<C: std::fmt::Display>(units: &[Unit<C>]) -> String {
    let mut text = String::new();
    for unit in units {
        if unit.changes.is_empty() {
            text.push_str(&format!("{}: {}\n", unit.label, unit.unchanged));
            continue;
        }
        text.push_str(&format!(
            "{}: {} change(s)\n",
            unit.label,
            unit.changes.len()
        ));
        for line in &unit.context {
            text.push_str(&format!("  {line}\n"));
        }
        for change in &unit.changes {
            text.push_str(&format!("  {change}\n"));
        }
    }
    text
}

/// --yes, or "y" typed on a terminal. Without either there is nobody to
/// ask: a usage error.
fn confirmed(total: usize, yes: bool) -> anyhow::Result<bool> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::invalid(format!(
            "refusing to write {total} change(s) without confirmation (standard input is not a \
             terminal): add --yes to write them, or --dry-run to only list them; nothing was changed"
        ))
        .into());
    }
    eprint!("apply these {total} changes? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(is_yes(&answer))
}

fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Writes the units with changes, each in its own transaction; the first
/// failure stops the run, the units before it staying written.
fn apply<K: OneOff>(
    kind: &K,
    conn: &mut MysqlConnection,
    units: &[Unit<K::Change>],
) -> anyhow::Result<()> {
    let mut written = 0;
    for unit in units.iter().filter(|u| !u.changes.is_empty()) {
        let outcome = conn.transaction(|conn| kind.apply(conn, unit));
        match outcome {
            Ok(summary) => {
                println!("{}: {summary}", unit.label);
                written += 1;
            }
            Err(e) => return Err(e.context(failure(&unit.label, written))),
        }
    }
    Ok(())
}

/// What a failed unit's error is prefixed with: which unit, and that the
/// units written before it stay written.
fn failure(label: &str, written: usize) -> String {
    if written == 0 {
        format!("{label}: failed, nothing written for it")
    } else {
        format!(
            "{label}: failed, nothing written for it ({written} unit(s) before it were written \
             and stay so)"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_y_or_yes_confirms() {
        for yes in ["y", "Y\n", " yes \n", "YES"] {
            assert!(is_yes(yes), "{yes:?}");
        }
        for no in ["", "\n", "n", "no", "q", "yep", "oui"] {
            assert!(!is_yes(no), "{no:?}");
        }
    }

    #[test]
    fn the_plan_lists_changes_under_their_unit() {
        let mut merge = Unit::new("maps named \"A\"", 0, vec!["merge B"], "nothing");
        merge.context.push("keep A".to_string());
        let units = vec![
            Unit::new("season 1", 1, vec!["x -> y", "z -> w"], "up to date"),
            Unit::new("season 2", 2, Vec::new(), "up to date"),
            merge,
        ];
        assert_eq!(
            plan_text(&units),
            "season 1: 2 change(s)\n  x -> y\n  z -> w\nseason 2: up to date\n\
             maps named \"A\": 1 change(s)\n  keep A\n  merge B\n"
        );
    }

    #[test]
    fn a_failed_unit_says_the_earlier_ones_stay_written() {
        assert_eq!(
            failure("season 2", 0),
            "season 2: failed, nothing written for it"
        );
        assert_eq!(
            failure("season 3", 2),
            "season 3: failed, nothing written for it (2 unit(s) before it were written and \
             stay so)"
        );
    }
}
