//! The reference's migration history (its peewee-migrations names), which
//! Diesel migration stands for which of them, and how a reference database's
//! history maps onto mmstatus's migrations when it is adopted.

use crate::error::{Error, Result};
use std::collections::BTreeSet;
use std::ops::RangeInclusive;

/// The Diesel version of the baseline: the reference schema after its 0031.
pub const BASELINE_VERSION: &str = "20250712105000";

/// The reference's migration names, in the order it applies them.
pub const REFERENCE_MIGRATIONS: [&str; 38] = [
    "0001_migration_202403301513",
    "0002_migration_202404031759",
    "0003_migration_202404031802",
    "0004_migration_202404031823",
    "0005_migration_202404031827",
    "0006_migration_202404031832",
    "0007_migration_202404041051",
    "0008_migration_202404041100",
    "0009_migration_202404052129",
    "0010_migration_202404060927",
    "0011_migration_202404061947",
    "0012_migration_202404062004",
    "0013_migration_202404120844",
    "0014_migration_202404122008",
    "0015_migration_202404151845",
    "0016_migration_202404191113",
    "0017_migration_202404201600",
    "0018_migration_202404280910",
    "0019_migration_202405011019",
    "0020_migration_202405011631",
    "0021_migration_202405041124",
    "0022_migration_202405041356",
    "0023_migration_202405121707",
    "0024_migration_202410082131",
    "0025_migration_202412271346",
    "0026_migration_202507050847",
    "0027_migration_202507050855",
    "0028_migration_202507050918",
    "0029_migration_202507050944",
    "0030_migration_202507092145",
    "0031_migration_202507121050",
    "0032_migration_202603280001",
    "0033_migration_202603281041",
    "0034_migration_202604010001",
    "0035_migration_202604042314",
    "0036_migration_202604050001",
    "0037_migration_202604050002",
    "0038_migration_202604111722",
];

/// The oldest history mmstatus adopts: the state init_tables.sql creates.
pub const OLDEST_ADOPTABLE: usize = 31;

/// One Diesel migration and the reference migrations it stands for.
pub struct Equivalent {
    pub version: &'static str,
    /// Reference migration numbers (1-based) whose change it carries.
    pub reference: RangeInclusive<usize>,
    /// How many reference migrations a history must record for the
    /// database to hold this migration's change.
    pub adopted_at: usize,
}

/// Every Diesel migration that has a reference counterpart. 0032 drops the
/// unique index `game_id` and 0033 re-creates it: no net change, which the
/// baseline (holding the index, restored by adoption) stands for.
pub const EQUIVALENTS: [Equivalent; 6] = [
    Equivalent {
        version: BASELINE_VERSION,
        reference: 1..=33,
        adopted_at: 31,
    },
    Equivalent {
        version: "20260401000100",
        reference: 34..=34,
        adopted_at: 34,
    },
    Equivalent {
        version: "20260404231400",
        reference: 35..=35,
        adopted_at: 35,
    },
    Equivalent {
        version: "20260405000100",
        reference: 36..=36,
        adopted_at: 36,
    },
    Equivalent {
        version: "20260405000200",
        reference: 37..=37,
        adopted_at: 37,
    },
    Equivalent {
        version: "20260411172200",
        reference: 38..=38,
        adopted_at: 38,
    },
];

/// The reference migrations whose change the recorded Diesel versions carry,
/// in the reference's order.
pub fn reference_migrations_carried_by(recorded: &BTreeSet<String>) -> Vec<&'static str> {
    EQUIVALENTS
        .iter()
        .filter(|e| recorded.contains(e.version))
        .flat_map(|e| e.reference.clone())
        .map(|number| REFERENCE_MIGRATIONS[number - 1])
        .collect()
}

/// How a reference database maps onto mmstatus's migrations.
#[derive(Debug, Clone, PartialEq)]
pub struct Adoption {
    /// How many reference migrations its history records (31 to 38).
    pub reference_applied: usize,
    /// The Diesel versions to record as applied without running them.
    pub versions: Vec<&'static str>,
    /// History stops at 0032: the unique index `game_id` is currently missing.
    pub recreate_game_id_index: bool,
}

impl Adoption {
    pub fn last_reference_migration(&self) -> &'static str {
        REFERENCE_MIGRATIONS[self.reference_applied - 1]
    }
}

/// Works out the adoption from the names in `migratehistory`: they must be
/// exactly the first N reference migrations, N at least 31.
pub fn plan_adoption(history: &[String]) -> Result<Adoption> {
    let recorded: BTreeSet<&str> = history.iter().map(String::as_str).collect();
    let unknown: Vec<&str> = recorded
        .iter()
        .copied()
        .filter(|name| !REFERENCE_MIGRATIONS.contains(name))
        .collect();
    if !unknown.is_empty() {
        return Err(Error::UnknownSchemaState(format!(
            "migratehistory lists migrations mmstatus does not know ({}); the reference may be \
             newer than this mmstatus",
            unknown.join(", ")
        )));
    }
    let applied = REFERENCE_MIGRATIONS
        .iter()
        .take_while(|name| recorded.contains(*name))
        .count();
    if applied < recorded.len() {
        let missing = REFERENCE_MIGRATIONS[applied];
        return Err(Error::UnknownSchemaState(format!(
            "migratehistory is incomplete: {missing} is missing although later reference \
             migrations are recorded"
        )));
    }
    if applied < OLDEST_ADOPTABLE {
        let state = match applied {
            0 => "migratehistory is empty".to_string(),
            n => format!("migratehistory stops at {}", REFERENCE_MIGRATIONS[n - 1]),
        };
        return Err(Error::UnknownSchemaState(format!(
            "{state}; mmstatus adopts reference databases from {} on: bring it there with the \
             reference's own `pem migrate` first",
            REFERENCE_MIGRATIONS[OLDEST_ADOPTABLE - 1]
        )));
    }
    Ok(Adoption {
        reference_applied: applied,
        versions: EQUIVALENTS
            .iter()
            .filter(|e| applied >= e.adopted_at)
            .map(|e| e.version)
            .collect(),
        recreate_game_id_index: applied == 32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(n: usize) -> Vec<String> {
        REFERENCE_MIGRATIONS[..n]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn recorded(versions: &[&str]) -> BTreeSet<String> {
        versions.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn every_equivalent_is_an_embedded_migration() {
        let embedded: Vec<String> = crate::db::migrations::known_migrations()
            .iter()
            .map(|m| m.name().version().to_string())
            .collect();
        for e in &EQUIVALENTS {
            assert!(embedded.contains(&e.version.to_string()), "{}", e.version);
        }
    }

    #[test]
    fn every_reference_migration_has_exactly_one_equivalent() {
        let mut numbers: Vec<usize> = EQUIVALENTS
            .iter()
            .flat_map(|e| e.reference.clone())
            .collect();
        numbers.sort();
        assert_eq!(numbers, (1..=38).collect::<Vec<_>>());
        for e in &EQUIVALENTS {
            assert!(e.adopted_at <= *e.reference.end(), "{}", e.version);
        }
    }

    #[test]
    fn the_baseline_carries_0001_to_0033() {
        let carried = reference_migrations_carried_by(&recorded(&[BASELINE_VERSION]));
        assert_eq!(carried.len(), 33);
        assert_eq!(carried[32], "0033_migration_202603281041");
        let all: Vec<&str> = EQUIVALENTS.iter().map(|e| e.version).collect();
        assert_eq!(
            reference_migrations_carried_by(&recorded(&all)),
            REFERENCE_MIGRATIONS
        );
    }

    #[test]
    fn full_history_adopts_everything() {
        let plan = plan_adoption(&history(38)).unwrap();
        assert_eq!(plan.versions.len(), 6);
        assert!(!plan.recreate_game_id_index);
        assert_eq!(
            plan.last_reference_migration(),
            "0038_migration_202604111722"
        );
    }

    #[test]
    fn history_at_0031_adopts_only_the_baseline() {
        let plan = plan_adoption(&history(31)).unwrap();
        assert_eq!(plan.versions, vec![BASELINE_VERSION]);
    }

    #[test]
    fn history_at_0032_needs_the_game_id_index_back() {
        let plan = plan_adoption(&history(32)).unwrap();
        assert_eq!(plan.versions, vec![BASELINE_VERSION]);
        assert!(plan.recreate_game_id_index);
        assert!(!plan_adoption(&history(33)).unwrap().recreate_game_id_index);
    }

    #[test]
    fn history_at_0036_stops_before_the_backfill() {
        let plan = plan_adoption(&history(36)).unwrap();
        assert_eq!(
            plan.versions,
            vec![
                BASELINE_VERSION,
                "20260401000100",
                "20260404231400",
                "20260405000100"
            ]
        );
    }

    #[test]
    fn order_and_duplicates_of_history_rows_do_not_matter() {
        let mut rows = history(38);
        rows.reverse();
        rows.push(rows[0].clone());
        assert_eq!(plan_adoption(&rows).unwrap().reference_applied, 38);
    }

    #[test]
    fn refuses_short_gapped_or_unknown_histories() {
        assert!(plan_adoption(&[]).is_err());
        assert!(plan_adoption(&history(30)).is_err());
        let mut gapped = history(38);
        gapped.remove(33);
        let err = plan_adoption(&gapped).unwrap_err().to_string();
        assert!(err.contains("0034_migration_202604010001"), "{err}");
        let mut unknown = history(38);
        unknown.push("0039_migration_202701010000".into());
        let err = plan_adoption(&unknown).unwrap_err().to_string();
        assert!(err.contains("0039"), "{err}");
    }
}
