//! One probe per embedded migration: does the schema already hold its
//! change, none of it, or part of it? MySQL commits DDL at once, so a run
//! killed between a migration's DDL and its version row leaves the change in
//! place unrecorded, and a multi-statement change (the baseline, or one of the
//! reference's own migrations) can stop halfway. Running a pending migration
//! and verifying an adopted history both ask these probes.

use super::introspect::{self, Column};
use super::reference::BASELINE_VERSION;
use crate::error::Result;
use diesel::MysqlConnection;

/// The baseline's tables, in the order its up.sql creates them.
pub const BASELINE_TABLES: [&str; 8] = [
    "map",
    "zone",
    "game",
    "player",
    "playergame",
    "season",
    "playerseason",
    "rankstatrollup",
];

/// How a column looks, in [`introspect::Column`]'s normalised form.
pub struct Shape {
    pub column_type: &'static str,
    pub nullable: bool,
    pub default: Option<&'static str>,
}

impl Shape {
    fn matches(&self, column: &Column) -> bool {
        column.column_type == self.column_type
            && column.nullable == self.nullable
            && column.default.as_deref() == self.default
    }
}

/// One thing a migration adds to an existing table.
pub enum Part {
    Column {
        table: &'static str,
        column: &'static str,
        /// What the migration leaves.
        after: Shape,
        /// What the migration starts from; None: the column does not exist.
        before: Option<Shape>,
        /// The column definition that gives `after`.
        definition: &'static str,
        /// For a NOT NULL column found nullable: the value NULLs take first.
        fill_nulls_with: Option<&'static str>,
    },
    Index {
        table: &'static str,
        name: &'static str,
        unique: bool,
        /// Comma-separated, in index order.
        columns: &'static str,
        /// A statement the index needs first: the rows a unique key would
        /// refuse, deleted.
        prepare: Option<&'static str>,
    },
    /// Whatever its name; `name` is the one the repair gives it.
    ForeignKey {
        table: &'static str,
        column: &'static str,
        references: (&'static str, &'static str),
        name: &'static str,
    },
}

/// How to tell whether a migration's change is in the schema.
pub enum Probe {
    /// Creates these tables, in this order, and nothing else.
    Tables(&'static [&'static str]),
    /// Adds these parts to tables that exist before it.
    Parts(&'static [Part]),
    /// Changes data only, in a transaction with its version row: when it is
    /// not recorded it is not applied.
    DataOnly,
}

/// Every embedded migration's probe, by Diesel version. A new migration
/// needs a line here (a unit test checks it).
pub const PROBES: [(&str, Probe); 8] = [
    (BASELINE_VERSION, Probe::Tables(&BASELINE_TABLES)),
    (
        "20260401000100",
        Probe::Parts(&[
            Part::Column {
                table: "player",
                column: "name",
                after: Shape {
                    column_type: "varchar(64)",
                    nullable: false,
                    default: Some("''"),
                },
                before: Some(Shape {
                    column_type: "text",
                    nullable: false,
                    default: None,
                }),
                definition: "varchar(64) NOT NULL DEFAULT ''",
                fill_nulls_with: None,
            },
            Part::Index {
                table: "player",
                name: "player_name",
                unique: false,
                columns: "name",
                prepare: None,
            },
        ]),
    ),
    (
        "20260404231400",
        Probe::Parts(&[
            Part::Column {
                table: "player",
                column: "region_id",
                after: Shape {
                    column_type: "int",
                    nullable: true,
                    default: None,
                },
                before: None,
                definition: "int(11) DEFAULT NULL",
                fill_nulls_with: None,
            },
            Part::Index {
                table: "player",
                name: "player_region_id",
                unique: false,
                columns: "region_id",
                prepare: None,
            },
            Part::ForeignKey {
                table: "player",
                column: "region_id",
                references: ("zone", "id"),
                name: "player_ibfk_4",
            },
        ]),
    ),
    (
        "20260405000100",
        Probe::Parts(&[Part::Column {
            table: "playerseason",
            column: "club_tag",
            after: Shape {
                column_type: "varchar(64)",
                nullable: true,
                default: None,
            },
            before: None,
            definition: "varchar(64) DEFAULT NULL",
            fill_nulls_with: None,
        }]),
    ),
    ("20260405000200", Probe::DataOnly),
    (
        "20260411172200",
        Probe::Parts(&[Part::Column {
            table: "player",
            column: "points_fetch_retries",
            after: Shape {
                column_type: "int",
                nullable: false,
                default: None,
            },
            before: None,
            definition: "int(11) NOT NULL",
            fill_nulls_with: Some("0"),
        }]),
    ),
    ("20261129000100", Probe::Tables(&["collector_state"])),
    (
        ROLLUP_UNIQUE_VERSION,
        Probe::Parts(&[Part::Index {
            table: "rankstatrollup",
            name: "rankstatrollup_period_rank_start_end",
            unique: true,
            columns: "period,rank,start_time,end_time",
            prepare: Some(DELETE_DUPLICATE_ROLLUPS_SQL),
        }]),
    ),
];

/// The migration adding the unique key on rankstatrollup.
pub const ROLLUP_UNIQUE_VERSION: &str = "20261129153000";

/// Deletes every rankstatrollup row whose (period, rank, start_time,
/// end_time) a row of lower id already has: what the unique key refuses.
pub const DELETE_DUPLICATE_ROLLUPS_SQL: &str = "DELETE `dup` FROM `rankstatrollup` `dup` \
     JOIN `rankstatrollup` `kept` ON `kept`.`period` = `dup`.`period` \
     AND `kept`.`rank` = `dup`.`rank` AND `kept`.`start_time` = `dup`.`start_time` \
     AND `kept`.`end_time` = `dup`.`end_time` AND `kept`.`id` < `dup`.`id`;";

pub fn probe_for(version: &str) -> Option<&'static Probe> {
    PROBES
        .iter()
        .find(|(v, _)| *v == version)
        .map(|(_, probe)| probe)
}

/// The verdict of a probe.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// None of the change is there: run the migration.
    Absent,
    /// All of it is there: record the migration without running it.
    Present,
    /// Some of it is there: refuse, with the repair.
    Partial,
}

/// What a probe found, in words, and how to complete or undo a partial change.
#[derive(Debug, Clone, PartialEq)]
pub struct Findings {
    pub there: Vec<String>,
    pub missing: Vec<String>,
    /// Parts there in another form than the migration's, described.
    pub differing: Vec<String>,
    pub repair: Repair,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Repair {
    /// SQL that completes the change, each statement ending with `;`.
    Complete(String),
    /// SQL that removes what was done of the change (a partly created set
    /// of empty tables), so that the migration can run whole.
    Undo(String),
    /// No safe repair; why (possibly nothing to say).
    Unavailable(String),
}

impl Findings {
    pub fn outcome(&self) -> Outcome {
        if !self.differing.is_empty() {
            Outcome::Partial
        } else if self.missing.is_empty() {
            Outcome::Present
        } else if self.there.is_empty() {
            Outcome::Absent
        } else {
            Outcome::Partial
        }
    }

    /// "x there, y missing, z is …", leaving out what is empty.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.there.is_empty() {
            parts.push(format!("{} there", self.there.join(", ")));
        }
        if !self.missing.is_empty() {
            parts.push(format!("{} missing", self.missing.join(", ")));
        }
        parts.extend(self.differing.iter().cloned());
        parts.join(", ")
    }

    /// What to tell the user about a change that is not (fully) there.
    pub fn repair_advice(&self) -> String {
        match &self.repair {
            Repair::Complete(sql) | Repair::Undo(sql) => {
                format!("to repair, run this SQL, then `mmstatus migrate` again: {sql}")
            }
            Repair::Unavailable(why) => why.clone(),
        }
    }

    /// The refusal for a partial change of migration `name`.
    pub fn partial_message(&self, name: &str) -> String {
        with_advice(
            format!(
                "migration {name} is only partly in the schema (an earlier run was probably \
                 interrupted): {}",
                self.describe()
            ),
            self,
        )
    }
}

/// `message`, then the findings' repair advice when there is one.
pub fn with_advice(message: String, findings: &Findings) -> String {
    match findings.repair_advice() {
        advice if advice.is_empty() => message,
        advice => format!("{message}; {advice}"),
    }
}

impl Probe {
    /// Whether the schema shows the change (a data-only change does not).
    pub fn shows_in_schema(&self) -> bool {
        !matches!(self, Probe::DataOnly)
    }

    pub fn check(&self, conn: &mut MysqlConnection) -> Result<Findings> {
        match self {
            Probe::Tables(tables) => check_tables(conn, tables),
            Probe::Parts(parts) => check_parts(conn, parts),
            Probe::DataOnly => Ok(Findings {
                there: Vec::new(),
                missing: vec!["its data change (not recorded, so not applied)".to_string()],
                differing: Vec::new(),
                repair: Repair::Unavailable(String::new()),
            }),
        }
    }
}

fn check_tables(conn: &mut MysqlConnection, tables: &[&str]) -> Result<Findings> {
    let existing = introspect::tables(conn)?;
    let (created, missing): (Vec<&str>, Vec<&str>) =
        tables.iter().partition(|t| existing.contains(**t));
    let mut holding_rows = Vec::new();
    if !missing.is_empty() {
        for table in &created {
            if introspect::has_rows(conn, table)? {
                holding_rows.push(*table);
            }
        }
    }
    let repair = if created.is_empty() {
        Repair::Unavailable(String::new())
    } else if holding_rows.is_empty() {
        Repair::Undo(drop_tables_sql(&created))
    } else {
        Repair::Unavailable(format!(
            "table(s) {} hold rows, so mmstatus proposes no repair: find out what created them",
            holding_rows.join(", ")
        ))
    };
    let describe = |tables: Vec<&str>| tables.iter().map(|t| format!("table {t}")).collect();
    Ok(Findings {
        there: describe(created),
        missing: describe(missing),
        differing: Vec::new(),
        repair,
    })
}

/// Drops tables created in the given order, the last created first (foreign
/// keys point from later tables to earlier ones).
pub fn drop_tables_sql(created: &[&str]) -> String {
    let tables: Vec<String> = created.iter().rev().map(|t| format!("`{t}`")).collect();
    format!("DROP TABLE {};", tables.join(", "))
}

/// How one part stands: as the migration leaves it, as it was before the
/// migration, or in some other form (described).
enum PartState {
    Right,
    Missing,
    Wrong(String),
}

fn check_parts(conn: &mut MysqlConnection, parts: &[Part]) -> Result<Findings> {
    let tables = introspect::tables(conn)?;
    let mut findings = Findings {
        there: Vec::new(),
        missing: Vec::new(),
        differing: Vec::new(),
        repair: Repair::Complete(String::new()),
    };
    let mut fixes: Vec<(&str, String)> = Vec::new();
    let mut fills: Vec<String> = Vec::new();
    for part in parts {
        let table = part.table();
        let (state, found) = if tables.contains(table) {
            part_state(conn, part)?
        } else {
            (PartState::Missing, None)
        };
        match &state {
            PartState::Right => findings.there.push(part.describe()),
            PartState::Missing => findings.missing.push(part.describe()),
            PartState::Wrong(what) => findings
                .differing
                .push(format!("{} is {what}", part.describe())),
        }
        if !matches!(state, PartState::Right) {
            if let Some(fill) = part.fill_nulls_sql(found.as_ref()) {
                fills.push(fill);
            }
            if let Part::Index {
                prepare: Some(sql), ..
            } = part
            {
                fills.push(sql.to_string());
            }
            let replace = matches!(state, PartState::Wrong(_));
            fixes.push((table, part.fix_clause(found.as_ref(), replace)));
        }
    }
    let mut statements = fills;
    statements.extend(alter_statements(&fixes));
    findings.repair = Repair::Complete(statements.join(" "));
    Ok(findings)
}

fn part_state(conn: &mut MysqlConnection, part: &Part) -> Result<(PartState, Option<Column>)> {
    Ok(match part {
        Part::Column {
            table,
            column,
            after,
            before,
            ..
        } => {
            let found = introspect::column(conn, table, column)?;
            let state = match (&found, before) {
                (Some(c), _) if after.matches(c) => PartState::Right,
                (Some(c), Some(b)) if b.matches(c) => PartState::Missing,
                (None, None) => PartState::Missing,
                (None, Some(_)) => PartState::Wrong("absent".to_string()),
                (Some(c), _) => PartState::Wrong(describe_column(c)),
            };
            (state, found)
        }
        Part::Index {
            table,
            name,
            unique,
            columns,
            ..
        } => {
            let state = match introspect::index(conn, table, name)? {
                None => PartState::Missing,
                Some(i) if i.unique == *unique && i.columns == *columns => PartState::Right,
                Some(i) => PartState::Wrong(format!(
                    "{} on {}",
                    if i.unique { "unique" } else { "non-unique" },
                    i.columns
                )),
            };
            (state, None)
        }
        Part::ForeignKey {
            table,
            column,
            references,
            ..
        } => {
            let state = match introspect::foreign_key(conn, (table, column), *references)? {
                None => PartState::Missing,
                Some(_) => PartState::Right,
            };
            (state, None)
        }
    })
}

fn describe_column(c: &Column) -> String {
    let null = if c.nullable { "NULL" } else { "NOT NULL" };
    match &c.default {
        Some(default) => format!("{} {null} DEFAULT {default}", c.column_type),
        None => format!("{} {null}", c.column_type),
    }
}

impl Part {
    fn table(&self) -> &'static str {
        match self {
            Part::Column { table, .. } | Part::Index { table, .. } => table,
            Part::ForeignKey { table, .. } => table,
        }
    }

    fn describe(&self) -> String {
        match self {
            Part::Column { table, column, .. } => format!("column {table}.{column}"),
            Part::Index { table, name, .. } => format!("index {name} on {table}"),
            Part::ForeignKey {
                table,
                column,
                references: (rt, rc),
                ..
            } => format!("a foreign key from {table}.{column} to {rt}.{rc}"),
        }
    }

    /// The ALTER TABLE clause that brings this part to its final form, given
    /// the column found (for a column part) and whether a wrong one is there.
    fn fix_clause(&self, found: Option<&Column>, replace: bool) -> String {
        match self {
            Part::Column {
                column, definition, ..
            } => match found {
                None => format!("ADD COLUMN `{column}` {definition}"),
                Some(_) => format!("MODIFY `{column}` {definition}"),
            },
            Part::Index { name, .. } if replace => {
                format!("DROP KEY `{name}`, {}", self.add_index_clause())
            }
            Part::Index { .. } => self.add_index_clause(),
            Part::ForeignKey {
                column,
                references: (rt, rc),
                name,
                ..
            } => format!(
                "ADD CONSTRAINT `{name}` FOREIGN KEY (`{column}`) REFERENCES `{rt}` (`{rc}`)"
            ),
        }
    }

    fn add_index_clause(&self) -> String {
        let Part::Index {
            name,
            unique,
            columns,
            ..
        } = self
        else {
            return String::new();
        };
        let columns: Vec<String> = columns.split(',').map(|c| format!("`{c}`")).collect();
        let kind = if *unique { "UNIQUE KEY" } else { "KEY" };
        format!("ADD {kind} `{name}` ({})", columns.join(", "))
    }

    /// An UPDATE giving NULLs a value before the column becomes NOT NULL.
    fn fill_nulls_sql(&self, found: Option<&Column>) -> Option<String> {
        match (self, found) {
            (
                Part::Column {
                    table,
                    column,
                    fill_nulls_with: Some(value),
                    ..
                },
                Some(c),
            ) if c.nullable => Some(format!(
                "UPDATE `{table}` SET `{column}` = {value} WHERE `{column}` IS NULL;"
            )),
            _ => None,
        }
    }
}

/// One ALTER TABLE per table, its clauses in the given order.
fn alter_statements(fixes: &[(&str, String)]) -> Vec<String> {
    let mut tables: Vec<&str> = Vec::new();
    for (table, _) in fixes {
        if !tables.contains(table) {
            tables.push(table);
        }
    }
    tables
        .iter()
        .map(|table| {
            let clauses: Vec<&str> = fixes
                .iter()
                .filter(|(t, _)| t == table)
                .map(|(_, c)| c.as_str())
                .collect();
            format!("ALTER TABLE `{table}` {};", clauses.join(", "))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::migrations::known_migrations;

    #[test]
    fn every_embedded_migration_has_a_probe() {
        let mut embedded: Vec<String> = known_migrations()
            .iter()
            .map(|m| m.name().version().to_string())
            .collect();
        embedded.sort();
        let probed: Vec<String> = PROBES.iter().map(|(v, _)| v.to_string()).collect();
        assert_eq!(
            probed, embedded,
            "one probe per migration, in version order"
        );
    }

    #[test]
    fn the_rollup_key_migration_deletes_duplicates_as_its_repair_does() {
        let up = include_str!("../../../migrations/2026-11-29-153000_rankstatrollup_unique/up.sql");
        let statement = |sql: &str| sql.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            statement(up).contains(&statement(DELETE_DUPLICATE_ROLLUPS_SQL)),
            "up.sql deletes duplicates with the probe's statement"
        );
        let Probe::Parts([part]) = probe_for(ROLLUP_UNIQUE_VERSION).unwrap() else {
            panic!("the rollup key migration adds one index");
        };
        assert_eq!(
            part.fix_clause(None, true),
            "DROP KEY `rankstatrollup_period_rank_start_end`, ADD UNIQUE KEY \
             `rankstatrollup_period_rank_start_end` (`period`, `rank`, `start_time`, `end_time`)"
        );
    }

    #[test]
    fn a_partial_baseline_is_dropped_last_created_first() {
        assert_eq!(
            drop_tables_sql(&["map", "zone", "game"]),
            "DROP TABLE `game`, `zone`, `map`;"
        );
    }

    #[test]
    fn fix_clauses_add_what_is_missing() {
        let Probe::Parts(parts) = probe_for("20260404231400").unwrap() else {
            panic!("0035 adds parts");
        };
        let clauses: Vec<(&str, String)> = parts
            .iter()
            .map(|p| (p.table(), p.fix_clause(None, false)))
            .collect();
        assert_eq!(
            alter_statements(&clauses),
            [
                "ALTER TABLE `player` ADD COLUMN `region_id` int(11) DEFAULT NULL, \
              ADD KEY `player_region_id` (`region_id`), \
              ADD CONSTRAINT `player_ibfk_4` FOREIGN KEY (`region_id`) REFERENCES `zone` (`id`);"
            ]
        );
    }

    #[test]
    fn a_column_found_is_modified_and_its_nulls_filled_first() {
        let Probe::Parts([part]) = probe_for("20260411172200").unwrap() else {
            panic!("0038 adds one column");
        };
        let nullable = Column {
            column_type: "int".into(),
            nullable: true,
            default: None,
        };
        assert_eq!(
            part.fix_clause(Some(&nullable), true),
            "MODIFY `points_fetch_retries` int(11) NOT NULL"
        );
        assert_eq!(
            part.fill_nulls_sql(Some(&nullable)).as_deref(),
            Some(
                "UPDATE `player` SET `points_fetch_retries` = 0 \
                 WHERE `points_fetch_retries` IS NULL;"
            )
        );
        assert_eq!(part.fill_nulls_sql(None), None);
    }

    #[test]
    fn outcomes_follow_what_is_there() {
        let findings = |there: &[&str], missing: &[&str]| Findings {
            there: there.iter().map(|s| s.to_string()).collect(),
            missing: missing.iter().map(|s| s.to_string()).collect(),
            differing: Vec::new(),
            repair: Repair::Complete(String::new()),
        };
        assert_eq!(findings(&[], &["a"]).outcome(), Outcome::Absent);
        assert_eq!(findings(&["a"], &[]).outcome(), Outcome::Present);
        assert_eq!(findings(&["a"], &["b"]).outcome(), Outcome::Partial);
        let mut differing = findings(&[], &["a"]);
        differing.differing.push("column t.c is int NULL".into());
        assert_eq!(differing.outcome(), Outcome::Partial);
        assert_eq!(differing.describe(), "a missing, column t.c is int NULL");
    }
}
