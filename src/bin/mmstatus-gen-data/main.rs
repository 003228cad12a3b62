//! `mmstatus-gen-data`: fills a database with synthetic, deterministic
//! matchmaking seasons for the statistics' tests and benchmarks
//! (`scripts/gen-data` builds and runs it). A binary of its own, so the
//! `mmstatus` binary carries none of it.

mod model;
// The simulator's SplitMix64 (sim/src/rng.rs): one generator for both.
#[path = "../../../sim/src/rng.rs"]
mod rng;
mod write;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Parser;
use mmstatus::config::Config;
use mmstatus::db::{self, database::ensure_database, migrations, zone, zone_tree};
use std::time::Instant;

/// Fills a database with synthetic Trackmania matchmaking seasons: players
/// (a points ladder, zones, club tags), maps, 3v3 and 2v2 games with daily and
/// weekly cycles, participations and season rows, as mmstatus's collector
/// would have written them. The same flags and seed give the same rows.
///
/// The database (DATABASE_URL, the DATABASE_* variables or --database-url) is
/// created and migrated when needed, and given the shipped zone tree when its
/// zone table is empty. One that already holds games, players, maps or
/// seasons is refused unless --force, which empties those tables first.
#[derive(Debug, Parser)]
#[command(name = "mmstatus-gen-data", version)]
struct Opts {
    /// Games to generate (1 to 5000000).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=5_000_000))]
    games: u32,

    /// Players (6 to 10000000; default: 3 per 10 games, at least 6).
    #[arg(long, value_parser = clap::value_parser!(u32).range(6..=10_000_000))]
    players: Option<u32>,

    /// Seasons (1 to 40): the first from --start to the end of its calendar
    /// quarter, then one per quarter.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=40))]
    seasons: u32,

    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// First day of the first season, YYYY-MM-DD (local time, MMSTATUS_TZ).
    #[arg(long, default_value = "2026-01-01", value_parser = parse_date)]
    start: NaiveDate,

    /// Delete the games, players, maps, seasons and their rows already in the
    /// database first.
    #[arg(long)]
    force: bool,

    /// MySQL database URL, mysql://user:password@host:port/database. Overrides
    /// DATABASE_URL and the DATABASE_* variables.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a date YYYY-MM-DD"))?;
    if !(2000..=2100).contains(&chrono::Datelike::year(&date)) {
        return Err(format!("{text}: the year must be from 2000 to 2100"));
    }
    Ok(date)
}

fn main() {
    let _ = dotenvy::dotenv();
    let opts = Opts::parse();
    if let Err(e) = run(opts) {
        eprintln!("mmstatus-gen-data: error: {e:#}");
        let code = e
            .downcast_ref::<mmstatus::error::Error>()
            .map_or(1, |e| e.exit_code());
        std::process::exit(code);
    }
}

fn run(opts: Opts) -> anyhow::Result<()> {
    let config = Config::load(opts.database_url.as_deref())?;
    let url = &config.database_url;
    let name = url.database_name().ok_or_else(|| {
        mmstatus::error::Error::invalid(format!(
            "the database URL {url} names no database; add /<database> at its end"
        ))
    })?;
    let began = Instant::now();
    let mut server = db::connect_server(url)?;
    ensure_database(&mut server, &name)?;
    drop(server);
    let mut conn = db::connect(url)?;
    write::refuse_existing_data(&mut conn, &name, opts.force)?;
    migrations::run_pending(&mut conn, &name, |_| {})?;
    if zone::is_empty(&mut conn)? {
        let zones = zone_tree::parse_zone_tree(zone_tree::SHIPPED_ZONE_TREE)
            .map_err(|e| anyhow::anyhow!("the shipped zone tree: {e}"))?;
        zone::load_zone_tree(&mut conn, zones)?;
    }
    if opts.force {
        write::delete_generated_tables(&mut conn)?;
    }
    let zones = write::zone_nodes(&mut conn)?;
    let params = model::Params {
        games: opts.games as usize,
        players: opts
            .players
            .map_or((opts.games as usize * 3 / 10).max(6), |p| p as usize),
        seasons: opts.seasons as usize,
        seed: opts.seed,
        start: opts.start,
    };
    let generated = Instant::now();
    let data = model::generate(&params, &zones, |t| config.zone.exists(t));
    let generation = generated.elapsed();
    let inserting = Instant::now();
    let counts = write::insert_all(&mut conn, &data).context("inserting the generated rows")?;
    print_summary(
        &params,
        &data,
        &counts,
        generation,
        inserting.elapsed(),
        began.elapsed(),
    );
    Ok(())
}

fn print_summary(
    params: &model::Params,
    data: &model::Dataset,
    counts: &write::Counts,
    generation: std::time::Duration,
    insertion: std::time::Duration,
    total: std::time::Duration,
) {
    let finished = data.games.iter().filter(|g| g.is_finished).count();
    let no_zone = data.players.iter().filter(|p| p.zone_id.is_none()).count();
    let seasons: Vec<String> = data.seasons.iter().map(|s| s.name.clone()).collect();
    let plural = if data.seasons.len() == 1 { "" } else { "s" };
    println!(
        "seed {}: {} season{plural} ({})",
        params.seed,
        data.seasons.len(),
        seasons.join(", ")
    );
    println!(
        "games: {} ({} finished, {} unfinished; {} bugged ones deleted), {} maps",
        data.games.len(),
        finished,
        data.games.len() - finished,
        data.bugged,
        data.maps.len()
    );
    println!(
        "players: {} ({} without zone), {} participations, {} season rows",
        data.players.len(),
        no_zone,
        counts.participations,
        counts.player_seasons
    );
    let seconds = total.as_secs_f64();
    println!(
        "time: {:.1} s ({:.1} s generating, {:.1} s inserting), {:.0} games/s",
        seconds,
        generation.as_secs_f64(),
        insertion.as_secs_f64(),
        data.games.len() as f64 / seconds.max(0.001)
    );
}
