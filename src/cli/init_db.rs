//! `mmstatus init-db`: create the database, migrate it, optionally load zones.

use crate::cli::migrate::{print_progress, print_summary};
use crate::config::Config;
use crate::db::{self, migrations, zone::load_zone_tree};
use crate::error::Error;
use crate::zones::parse_zone_tree;
use anyhow::Context;
use diesel::sql_types::Text;
use diesel::{sql_query, MysqlConnection, QueryableByName, RunQueryDsl};
use std::path::{Path, PathBuf};

/// The collation every reference database and table uses.
pub const COLLATION: &str = "utf8mb4_general_ci";

pub const DATABASE_COLLATION_SQL: &str = "SELECT default_collation_name AS name \
     FROM information_schema.schemata WHERE schema_name = ?";

/// Create the database if it does not exist, then apply every pending migration.
///
/// Needs only server credentials: the database named in the URL is created with
/// character set utf8mb4 and collation utf8mb4_general_ci. A database created by
/// the reference backend is adopted as `migrate` does. Running it again is a
/// no-op that says the database is up to date.
#[derive(Debug, clap::Args)]
pub struct Opts {
    /// Also load the Nadeo zone tree from this JSON file: an array of {id, uuid,
    /// name, parent_id, country_alpha3, file_name}. Zones are matched by uuid;
    /// new ones are inserted, changed ones updated, ids kept as given.
    #[arg(long, value_name = "PATH")]
    pub zones_file: Option<PathBuf>,
}

#[derive(QueryableByName)]
struct Collation {
    #[diesel(sql_type = Text)]
    name: String,
}

pub fn run(opts: Opts, config: &Config) -> anyhow::Result<()> {
    // Read the zone file first: a bad file must stop the run before any change.
    let zones = opts
        .zones_file
        .as_deref()
        .map(read_zones_file)
        .transpose()?;
    let url = &config.database_url;
    let database = url.database_name().ok_or_else(|| {
        Error::invalid(format!(
            "the database URL {url} names no database; add /<database> at its end"
        ))
    })?;

    let mut server = db::connect_server(url)?;
    ensure_database(&mut server, &database)?;
    drop(server);

    let mut conn = db::connect(url)?;
    let ran = migrations::run_pending(&mut conn, &database, print_progress)?;
    print_summary(&database, ran.len());

    if let Some(zones) = zones {
        let count = zones.len();
        let loaded = load_zone_tree(&mut conn, zones)?;
        println!(
            "zones: {count} in the file; {} inserted, {} updated, {} unchanged",
            loaded.inserted, loaded.updated, loaded.unchanged
        );
    }
    Ok(())
}

fn read_zones_file(path: &Path) -> anyhow::Result<Vec<crate::db::models::Zone>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let zones = parse_zone_tree(&text)
        .map_err(|e| Error::invalid(format!("zones file {}: {e}", path.display())))?;
    Ok(zones)
}

/// `CREATE DATABASE` for a name already checked to need no escaping.
pub fn create_database_sql(name: &str) -> String {
    format!("CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE {COLLATION}")
}

fn ensure_database(server: &mut MysqlConnection, name: &str) -> anyhow::Result<()> {
    let existing: Option<Collation> = sql_query(DATABASE_COLLATION_SQL)
        .bind::<Text, _>(name)
        .get_result(server)
        .map(Some)
        .or_else(|e| match e {
            diesel::result::Error::NotFound => Ok(None),
            other => Err(other),
        })
        .map_err(Error::from)?;
    match existing {
        Some(found) => {
            if !found.name.eq_ignore_ascii_case(COLLATION) {
                log::warn!(
                    "database `{name}` has default collation {}; mmstatus tables set {COLLATION} themselves",
                    found.name
                );
            }
            println!("database `{name}` exists");
        }
        None => {
            sql_query(create_database_sql(name))
                .execute(server)
                .map_err(Error::from)
                .with_context(|| format!("cannot create database `{name}` (does the user have the CREATE privilege?)"))?;
            println!("created database `{name}` ({COLLATION})");
        }
    }
    Ok(())
}
