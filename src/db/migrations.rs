//! Schema migrations: Diesel's embedded migrations, plus the adoption of a
//! database created by the reference (which tracks its own history in
//! `migratehistory`, a table mmstatus reads but never writes).

use crate::db::lock;
use crate::error::{Error, Result};
use diesel::migration::{Migration, MigrationConnection};
use diesel::mysql::Mysql;
use diesel::sql_types::Text;
use diesel::{sql_query, Connection, MysqlConnection, QueryableByName, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::collections::BTreeSet;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

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

/// Which Diesel migration carries the change of which reference migration:
/// (number of reference migrations that must be applied, Diesel version).
/// 0032 drops the unique index `game_id` and 0033 re-creates it: no equivalent.
const REFERENCE_EQUIVALENTS: [(usize, &str); 6] = [
    (31, BASELINE_VERSION),
    (34, "20260401000100"),
    (35, "20260404231400"),
    (36, "20260405000100"),
    (37, "20260405000200"),
    (38, "20260411172200"),
];

/// The reference's application tables, all created by the baseline.
pub const APP_TABLES: [&str; 8] = [
    "game",
    "map",
    "player",
    "playergame",
    "playerseason",
    "rankstatrollup",
    "season",
    "zone",
];

const DIESEL_TABLE: &str = "__diesel_schema_migrations";
const REFERENCE_HISTORY_TABLE: &str = "migratehistory";

pub const LIST_TABLES_SQL: &str = "SELECT table_name AS name FROM information_schema.tables \
     WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'";
pub const APPLIED_VERSIONS_SQL: &str = "SELECT version AS name FROM __diesel_schema_migrations";
pub const REFERENCE_HISTORY_SQL: &str = "SELECT name FROM migratehistory ORDER BY id";
pub const COLUMN_TYPE_SQL: &str = "SELECT data_type AS name FROM information_schema.columns \
     WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?";
pub const INDEX_EXISTS_SQL: &str =
    "SELECT DISTINCT index_name AS name FROM information_schema.statistics \
     WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ?";
/// What the reference's 0033 re-creates, needed when its history stops at 0032.
pub const CREATE_GAME_ID_INDEX_SQL: &str = "CREATE UNIQUE INDEX `game_id` ON `game` (`id`)";
pub const MARK_APPLIED_SQL: &str = "INSERT INTO __diesel_schema_migrations (version) VALUES (?)";

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

fn names(conn: &mut MysqlConnection, sql: &str) -> Result<Vec<String>> {
    let rows: Vec<Name> = sql_query(sql).load(conn)?;
    Ok(rows.into_iter().map(|r| r.name).collect())
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
    if applied < 31 {
        let state = if applied == 0 {
            "migratehistory is empty".to_string()
        } else {
            format!(
                "migratehistory stops at {}",
                REFERENCE_MIGRATIONS[applied - 1]
            )
        };
        return Err(Error::UnknownSchemaState(format!(
            "{state}; mmstatus adopts reference databases from 0031_migration_202507121050 on: \
             bring it there with the reference's own `pem migrate` first"
        )));
    }
    Ok(Adoption {
        reference_applied: applied,
        versions: REFERENCE_EQUIVALENTS
            .iter()
            .filter(|(needed, _)| applied >= *needed)
            .map(|(_, version)| *version)
            .collect(),
        recreate_game_id_index: applied == 32,
    })
}

/// What the database holds, as far as migrations are concerned.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaState {
    /// No mmstatus or reference tables: everything is to be run.
    Empty,
    /// Tracked by Diesel; these versions are applied.
    Managed { applied: Vec<String> },
    /// Created by the reference and not adopted yet.
    Reference(Adoption),
}

/// Looks at the database and names its state, refusing states that no
/// migration can safely start from.
pub fn inspect(conn: &mut MysqlConnection) -> Result<SchemaState> {
    let tables: BTreeSet<String> = names(conn, LIST_TABLES_SQL)?
        .into_iter()
        .map(|t| t.to_lowercase())
        .collect();
    let app_tables: Vec<&str> = APP_TABLES
        .iter()
        .copied()
        .filter(|t| tables.contains(*t))
        .collect();

    let applied = if tables.contains(DIESEL_TABLE) {
        names(conn, APPLIED_VERSIONS_SQL)?
    } else {
        Vec::new()
    };
    // An empty Diesel table beside a reference history is an adoption that
    // was interrupted before it recorded anything: adopt again.
    let adoption_pending = applied.is_empty() && tables.contains(REFERENCE_HISTORY_TABLE);
    if tables.contains(DIESEL_TABLE) && !adoption_pending {
        if !applied.iter().any(|v| v == BASELINE_VERSION) && !app_tables.is_empty() {
            return Err(Error::UnknownSchemaState(format!(
                "the baseline migration is not recorded but tables {} exist; an earlier \
                 init-db was probably interrupted: drop those tables (or the database) and run \
                 `mmstatus init-db` again",
                app_tables.join(", ")
            )));
        }
        warn_about_unknown_versions(&applied);
        return Ok(SchemaState::Managed { applied });
    }
    if tables.contains(REFERENCE_HISTORY_TABLE) {
        let history = names(conn, REFERENCE_HISTORY_SQL)?;
        let adoption = plan_adoption(&history)?;
        verify_reference_schema(conn, &adoption)?;
        return Ok(SchemaState::Reference(adoption));
    }
    if !app_tables.is_empty() {
        return Err(Error::UnknownSchemaState(format!(
            "the database has tables {} but no migration history (neither {DIESEL_TABLE} nor \
             {REFERENCE_HISTORY_TABLE}); mmstatus cannot tell which schema they have",
            app_tables.join(", ")
        )));
    }
    Ok(SchemaState::Empty)
}

fn warn_about_unknown_versions(applied: &[String]) {
    let known: BTreeSet<String> = known_migrations()
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    for version in applied.iter().filter(|v| !known.contains(*v)) {
        log::warn!(
            "the database records migration {version}, which this mmstatus does not have; \
             it was migrated by a newer version"
        );
    }
}

/// A fact about the schema that one Diesel migration establishes.
struct Probe {
    version: &'static str,
    what: &'static str,
    present: fn(&mut MysqlConnection) -> Result<bool>,
}

const PROBES: [Probe; 5] = [
    Probe {
        version: BASELINE_VERSION,
        what: "the eight reference tables",
        present: |conn| {
            let tables: BTreeSet<String> = names(conn, LIST_TABLES_SQL)?
                .into_iter()
                .map(|t| t.to_lowercase())
                .collect();
            Ok(APP_TABLES.iter().all(|t| tables.contains(*t)))
        },
    },
    Probe {
        version: "20260401000100",
        what: "player.name as varchar",
        present: |conn| Ok(column_type(conn, "player", "name")?.as_deref() == Some("varchar")),
    },
    Probe {
        version: "20260404231400",
        what: "column player.region_id",
        present: |conn| Ok(column_type(conn, "player", "region_id")?.is_some()),
    },
    Probe {
        version: "20260405000100",
        what: "column playerseason.club_tag",
        present: |conn| Ok(column_type(conn, "playerseason", "club_tag")?.is_some()),
    },
    Probe {
        version: "20260411172200",
        what: "column player.points_fetch_retries",
        present: |conn| Ok(column_type(conn, "player", "points_fetch_retries")?.is_some()),
    },
];

fn column_type(conn: &mut MysqlConnection, table: &str, column: &str) -> Result<Option<String>> {
    let rows: Vec<Name> = sql_query(COLUMN_TYPE_SQL)
        .bind::<Text, _>(table)
        .bind::<Text, _>(column)
        .load(conn)?;
    Ok(rows.into_iter().next().map(|r| r.name.to_lowercase()))
}

fn index_exists(conn: &mut MysqlConnection, table: &str, index: &str) -> Result<bool> {
    let rows: Vec<Name> = sql_query(INDEX_EXISTS_SQL)
        .bind::<Text, _>(table)
        .bind::<Text, _>(index)
        .load(conn)?;
    Ok(!rows.is_empty())
}

/// Checks that the schema really is in the state the history claims: a
/// migration recorded must show, one not recorded must not (running it would
/// fail halfway, and MySQL cannot roll DDL back).
fn verify_reference_schema(conn: &mut MysqlConnection, adoption: &Adoption) -> Result<()> {
    for probe in &PROBES {
        let expected = adoption.versions.contains(&probe.version);
        let present = (probe.present)(conn)?;
        if expected != present {
            return Err(Error::UnknownSchemaState(format!(
                "migratehistory records the reference up to {} but {} {}",
                adoption.last_reference_migration(),
                probe.what,
                if present {
                    "is already there"
                } else {
                    "is missing"
                }
            )));
        }
    }
    Ok(())
}

fn known_migrations() -> Vec<Box<dyn Migration<Mysql>>> {
    diesel::migration::MigrationSource::<Mysql>::migrations(&MIGRATIONS)
        .expect("embedded migrations are readable")
}

/// One migration and whether it is applied.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationStatus {
    pub name: String,
    pub version: String,
    pub state: MigrationState,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MigrationState {
    Applied,
    /// Applied by the reference; `migrate` will record it without running it.
    AppliedByReference,
    Pending,
}

/// Lists every migration and its state, changing nothing.
pub fn status(conn: &mut MysqlConnection) -> Result<Vec<MigrationStatus>> {
    let state = inspect(conn)?;
    let mut migrations = known_migrations();
    migrations.sort_by(|a, b| a.name().version().cmp(&b.name().version()));
    Ok(migrations
        .iter()
        .map(|m| {
            let version = m.name().version().to_string();
            let state = match &state {
                SchemaState::Managed { applied } if applied.contains(&version) => {
                    MigrationState::Applied
                }
                SchemaState::Reference(adoption)
                    if adoption.versions.contains(&version.as_str()) =>
                {
                    MigrationState::AppliedByReference
                }
                _ => MigrationState::Pending,
            };
            MigrationStatus {
                name: m.name().to_string(),
                version,
                state,
            }
        })
        .collect())
}

/// Fails unless every migration is applied: the other subcommands run only
/// on a database whose schema they know. Changes nothing.
pub fn ensure_up_to_date(conn: &mut MysqlConnection) -> Result<()> {
    let tables = names(conn, LIST_TABLES_SQL)?;
    if !tables.iter().any(|t| t.eq_ignore_ascii_case(DIESEL_TABLE)) {
        return Err(Error::SchemaNotReady(
            "it has no mmstatus schema yet; run `mmstatus init-db` (or `mmstatus migrate` to \
             adopt a reference database)"
                .to_string(),
        ));
    }
    let applied: BTreeSet<String> = names(conn, APPLIED_VERSIONS_SQL)?.into_iter().collect();
    let pending: Vec<String> = known_migrations()
        .iter()
        .filter(|m| !applied.contains(&m.name().version().to_string()))
        .map(|m| m.name().to_string())
        .collect();
    if pending.is_empty() {
        Ok(())
    } else {
        Err(Error::SchemaNotReady(format!(
            "{} migration(s) pending ({}); run `mmstatus migrate`",
            pending.len(),
            pending.join(", ")
        )))
    }
}

/// Progress of [`run_pending`], reported as it happens.
pub enum Progress<'a> {
    Adopted(&'a Adoption),
    Applied(&'a str),
}

/// Brings the database up to date: adopts a reference database if needed,
/// then runs the pending migrations one by one, reporting each step to
/// `progress`; returns the names of the migrations run. Holds the schema lock
/// of `database` for the whole run.
pub fn run_pending(
    conn: &mut MysqlConnection,
    database: &str,
    mut progress: impl FnMut(Progress),
) -> Result<Vec<String>> {
    lock::try_lock(
        conn,
        &lock::lock_name(database, "schema"),
        "changing this database's schema (init-db or migrate)",
    )?;
    if let SchemaState::Reference(adoption) = inspect(conn)? {
        adopt(conn, &adoption)?;
        progress(Progress::Adopted(&adoption));
    }
    let pending = conn
        .pending_migrations(MIGRATIONS)
        .map_err(|e| Error::Migration(e.to_string()))?;
    let mut ran = Vec::with_capacity(pending.len());
    for migration in pending {
        let name = migration.name().to_string();
        log::debug!("running migration {name}");
        conn.run_migration(&migration)
            .map_err(|e| Error::Migration(format!("{name}: {e}")))?;
        progress(Progress::Applied(&name));
        ran.push(name);
    }
    Ok(ran)
}

/// Records the reference's applied migrations as Diesel versions. The
/// reference's own `migratehistory` is left as it is.
fn adopt(conn: &mut MysqlConnection, adoption: &Adoption) -> Result<()> {
    log::debug!(
        "adopting a reference database (history up to {})",
        adoption.last_reference_migration()
    );
    if adoption.recreate_game_id_index && !index_exists(conn, "game", "game_id")? {
        sql_query(CREATE_GAME_ID_INDEX_SQL).execute(conn)?;
    }
    conn.setup()?;
    conn.transaction(|conn| {
        for version in &adoption.versions {
            sql_query(MARK_APPLIED_SQL)
                .bind::<Text, _>(*version)
                .execute(conn)?;
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
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

    #[test]
    fn every_equivalent_is_an_embedded_migration() {
        let known: Vec<String> = known_migrations()
            .iter()
            .map(|m| m.name().version().to_string())
            .collect();
        for (_, version) in REFERENCE_EQUIVALENTS {
            assert!(known.contains(&version.to_string()), "{version}");
        }
        assert_eq!(known.len(), REFERENCE_EQUIVALENTS.len());
        for probe in &PROBES {
            assert!(known.contains(&probe.version.to_string()));
        }
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
