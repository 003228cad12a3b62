//! `mmstatus init-db`: create the database, migrate it, optionally load zones.

use crate::cli::output::{print_progress, print_summary};
use crate::config::Config;
use crate::db::database::{ensure_database, Database, COLLATION};
use crate::db::models::Zone;
use crate::db::zone_tree::{parse_zone_tree, SHIPPED_ZONE_TREE};
use crate::db::{self, migrations, zone::load_zone_tree};
use crate::error::Error;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// Create the database if it does not exist, then apply every pending migration.
///
/// Needs only server credentials: the database named in the URL is created with
/// character set utf8mb4 and collation utf8mb4_general_ci. A database created by
/// the reference backend is adopted as `migrate` does. Running it again is a
/// no-op that says the database is up to date.
#[derive(Debug, clap::Args)]
pub struct Opts {
    /// Also load the Nadeo zone tree that ships with mmstatus (1199 zones:
    /// World, continents, countries, regions; the reference's zone table).
    /// Without zones, players get no zone, country or region. Safe to repeat:
    /// zones are matched by uuid, new ones inserted, changed ones updated.
    #[arg(long, conflicts_with = "zones_file")]
    pub zones: bool,

    /// Also load a Nadeo zone tree from this JSON file instead: an array of
    /// {id, uuid, name, parent_id, country_alpha3, file_name}. Zones are
    /// matched by uuid; new ones are inserted, changed ones updated, ids kept
    /// as given.
    #[arg(long, value_name = "PATH")]
    pub zones_file: Option<PathBuf>,
}

pub fn run(opts: Opts, config: &Config) -> anyhow::Result<()> {
    // Read the zone tree first: a bad file must stop the run before any change.
    let zones = zones_to_load(&opts)?;
    let url = &config.database_url;
    let database = url.database_name().ok_or_else(|| {
        Error::invalid(format!(
            "the database URL {url} names no database; add /<database> at its end"
        ))
    })?;

    let mut server = db::connect_server(url)?;
    report_database(ensure_database(&mut server, &database), &database)?;
    drop(server);

    let mut conn = db::connect(url)?;
    let outcome = migrations::run_pending(&mut conn, &database, print_progress)?;
    print_summary(&database, &outcome);

    if let Some(zones) = zones {
        let count = zones.len();
        let loaded = load_zone_tree(&mut conn, zones)?;
        println!(
            "zones: {count} in the tree; {} inserted, {} updated, {} unchanged",
            loaded.inserted, loaded.updated, loaded.unchanged
        );
    }
    Ok(())
}

fn zones_to_load(opts: &Opts) -> anyhow::Result<Option<Vec<Zone>>> {
    if opts.zones {
        let zones = parse_zone_tree(SHIPPED_ZONE_TREE)
            .map_err(|e| Error::invalid(format!("the shipped zone tree: {e}")))?;
        return Ok(Some(zones));
    }
    opts.zones_file.as_deref().map(read_zones_file).transpose()
}

fn read_zones_file(path: &Path) -> anyhow::Result<Vec<Zone>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let zones = parse_zone_tree(&text)
        .map_err(|e| Error::invalid(format!("zones file {}: {e}", path.display())))?;
    Ok(zones)
}

fn report_database(result: crate::error::Result<Database>, name: &str) -> anyhow::Result<()> {
    match result.with_context(|| {
        format!(
            "cannot look up or create database `{name}` (does the user have the CREATE privilege?)"
        )
    })? {
        Database::Existed { collation } => {
            if !collation.eq_ignore_ascii_case(COLLATION) {
                log::warn!(
                    "database `{name}` has default collation {collation}; mmstatus tables set \
                     {COLLATION} themselves"
                );
            }
            println!("database `{name}` exists");
        }
        Database::Created => println!("created database `{name}` ({COLLATION})"),
    }
    Ok(())
}
