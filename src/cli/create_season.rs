//! `mmstatus create-season`: add a ranked season, or list the seasons.

use crate::config::Config;
use crate::db::models::{NewSeason, Season};
use crate::db::{self, lock, migrations, season};
use crate::error::Error;
use crate::time::{LocalZone, DATETIME_FORMAT};
use chrono::NaiveDateTime;
use diesel::Connection;

/// `season.name` is varchar(32).
pub const MAX_NAME_CHARS: usize = 32;

/// Create a season (a time window, both ends included), or list seasons.
///
/// Times are local times in MMSTATUS_TZ ('YYYY-MM-DD HH:MM:SS'), or RFC 3339
/// times, which are converted to that zone. The season is refused, and nothing
/// written, if the end is not after the start, the name is empty or longer than
/// 32 characters, or the window overlaps an existing season (unless
/// --allow-overlap). Creating a season that already exists with the same name
/// and window changes nothing and succeeds.
#[derive(Debug, clap::Args)]
pub struct Opts {
    /// Display name, 1 to 32 characters.
    #[arg(long, required_unless_present = "list")]
    pub name: Option<String>,

    /// First second of the season: 'YYYY-MM-DD HH:MM:SS' or RFC 3339.
    #[arg(long, value_name = "WHEN", required_unless_present = "list")]
    pub start: Option<String>,

    /// Last second of the season: 'YYYY-MM-DD HH:MM:SS' or RFC 3339.
    #[arg(long, value_name = "WHEN", required_unless_present = "list")]
    pub end: Option<String>,

    /// Accept a window that overlaps existing seasons.
    #[arg(long)]
    pub allow_overlap: bool,

    /// List existing seasons and mark the current one, instead of creating one.
    #[arg(long, conflicts_with_all = ["name", "start", "end", "allow_overlap"])]
    pub list: bool,
}

/// A season request that passed every check not needing the database.
#[derive(Debug, PartialEq)]
pub struct SeasonRequest {
    pub name: String,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

pub fn run(opts: Opts, config: &Config) -> anyhow::Result<()> {
    if opts.list {
        let mut conn = db::connect(&config.database_url)?;
        migrations::ensure_up_to_date(&mut conn)?;
        let seasons = season::all(&mut conn)?;
        print_list(&seasons, config.zone.now(), &config.zone);
        return Ok(());
    }
    let request = validate(
        opts.name.as_deref().unwrap_or_default(),
        opts.start.as_deref().unwrap_or_default(),
        opts.end.as_deref().unwrap_or_default(),
        &config.zone,
    )
    .map_err(Error::Invalid)?;

    let mut conn = db::connect(&config.database_url)?;
    migrations::ensure_up_to_date(&mut conn)?;
    let database = config.database_url.database_name().unwrap_or_default();
    lock::try_lock(
        &mut conn,
        &lock::lock_name(&database, "season"),
        "creating a season",
    )?;
    let outcome = conn.transaction(|conn| create(conn, &request, opts.allow_overlap))?;
    match outcome {
        Created::New(id) => println!(
            "created season {id} \"{}\": {} to {} ({})",
            request.name,
            request.start.format(DATETIME_FORMAT),
            request.end.format(DATETIME_FORMAT),
            config.zone.describe()
        ),
        Created::AlreadyThere(existing) => println!(
            "season {} \"{}\" already exists with this window; nothing to do",
            existing.id, existing.name
        ),
    }
    Ok(())
}

/// Checks a request without the database.
pub fn validate(
    name: &str,
    start: &str,
    end: &str,
    zone: &LocalZone,
) -> Result<SeasonRequest, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("the season name is empty".to_string());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "the season name has {} characters; at most {MAX_NAME_CHARS} fit",
            name.chars().count()
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("the season name contains control characters".to_string());
    }
    let start = zone
        .parse_datetime(start)
        .map_err(|e| format!("--start: {e}"))?;
    let end = zone
        .parse_datetime(end)
        .map_err(|e| format!("--end: {e}"))?;
    if end <= start {
        return Err(format!(
            "the season ends ({}) before or when it starts ({})",
            end.format(DATETIME_FORMAT),
            start.format(DATETIME_FORMAT)
        ));
    }
    Ok(SeasonRequest {
        name: name.to_string(),
        start,
        end,
    })
}

enum Created {
    New(i32),
    AlreadyThere(Season),
}

fn create(
    conn: &mut diesel::MysqlConnection,
    request: &SeasonRequest,
    allow_overlap: bool,
) -> Result<Created, Error> {
    let overlapping = season::overlapping(conn, request.start, request.end)?;
    if let Some(same) = overlapping.iter().find(|s| {
        s.name == request.name && s.start_time == request.start && s.end_time == request.end
    }) {
        return Ok(Created::AlreadyThere(same.clone()));
    }
    if !overlapping.is_empty() && !allow_overlap {
        let list: Vec<String> = overlapping.iter().map(describe).collect();
        return Err(Error::invalid(format!(
            "the window overlaps {} (seasons include both ends); pick another window or pass --allow-overlap",
            list.join(", ")
        )));
    }
    let id = season::insert(
        conn,
        &NewSeason {
            name: &request.name,
            start_time: request.start,
            end_time: request.end,
            is_aggregated: false,
        },
    )?;
    Ok(Created::New(id))
}

fn describe(s: &Season) -> String {
    format!(
        "season {} \"{}\" ({} to {})",
        s.id,
        s.name,
        s.start_time.format(DATETIME_FORMAT),
        s.end_time.format(DATETIME_FORMAT)
    )
}

fn print_list(seasons: &[Season], now: NaiveDateTime, zone: &LocalZone) {
    if seasons.is_empty() {
        println!(
            "no seasons yet; create one with: mmstatus create-season --name NAME --start WHEN --end WHEN"
        );
        return;
    }
    let current = season::current(seasons, now).map(|s| s.id);
    println!(
        "{:>5}  {:<32}  {:<19}  {:<19}",
        "id", "name", "start", "end"
    );
    for s in seasons {
        println!(
            "{:>5}  {:<32}  {}  {}{}",
            s.id,
            s.name,
            s.start_time.format(DATETIME_FORMAT),
            s.end_time.format(DATETIME_FORMAT),
            if Some(s.id) == current {
                "  <- current"
            } else {
                ""
            }
        );
    }
    if current.is_none() {
        println!(
            "no season contains now ({} in {}); statistics need a current season",
            now.format(DATETIME_FORMAT),
            zone.describe()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> LocalZone {
        LocalZone::from_setting(Some("Europe/Paris")).unwrap()
    }

    #[test]
    fn accepts_a_good_request_and_trims_the_name() {
        let r = validate(
            "  Fall 2026 ",
            "2026-09-01 00:00:00",
            "2026-11-30T22:59:59Z",
            &paris(),
        )
        .unwrap();
        assert_eq!(r.name, "Fall 2026");
        assert_eq!(
            r.end.format(DATETIME_FORMAT).to_string(),
            "2026-11-30 23:59:59"
        );
    }

    #[test]
    fn refuses_bad_requests() {
        let long = "x".repeat(33);
        let cases = [
            ("", "2026-01-01 00:00:00", "2026-02-01 00:00:00", "empty"),
            ("   ", "2026-01-01 00:00:00", "2026-02-01 00:00:00", "empty"),
            (
                long.as_str(),
                "2026-01-01 00:00:00",
                "2026-02-01 00:00:00",
                "at most 32",
            ),
            (
                "a\tb",
                "2026-01-01 00:00:00",
                "2026-02-01 00:00:00",
                "control",
            ),
            ("S", "yesterday", "2026-02-01 00:00:00", "--start"),
            ("S", "2026-01-01 00:00:00", "2026-02-30 00:00:00", "--end"),
            (
                "S",
                "2026-02-01 00:00:00",
                "2026-02-01 00:00:00",
                "before or when",
            ),
            (
                "S",
                "2026-02-01 00:00:00",
                "2026-01-01 00:00:00",
                "before or when",
            ),
        ];
        for (name, start, end, expected) in cases {
            let err = validate(name, start, end, &paris()).unwrap_err();
            assert!(err.contains(expected), "{name:?} {start} {end}: {err}");
        }
    }

    #[test]
    fn thirty_two_characters_of_any_script_fit() {
        let name = "é".repeat(32);
        assert!(validate(
            &name,
            "2026-01-01 00:00:00",
            "2026-02-01 00:00:00",
            &paris()
        )
        .is_ok());
    }
}
