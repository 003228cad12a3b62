//! What the statistics write: documents under the cache folder (CACHE_DIR),
//! each file replaced atomically, and the JSON conventions of stats.md §1.4
//! (epoch-float timestamps, the country object, dashed UUIDs).

use crate::time::LocalZone;
use chrono::{LocalResult, NaiveDateTime, TimeZone};
use diesel::sql_types::{Nullable, Text};
use diesel::QueryableByName;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// One file a statistic produces: its path under the cache folder and its content.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub path: PathBuf,
    pub content: Value,
}

impl Document {
    /// The main document of job `job` for season `season`: `get_<…>_<S>.txt`
    /// (`job` already starts with `get_`).
    pub fn main(job: &str, season: i32, content: Value) -> Document {
        Document {
            path: PathBuf::from(format!("{job}_{season}.txt")),
            content,
        }
    }

    /// A file of a per-entity sub-folder: `<folder>/<S>/<name>.txt`.
    pub fn entity(folder: &str, season: i32, name: &str, content: Value) -> Document {
        Document {
            path: Path::new(folder)
                .join(season.to_string())
                .join(format!("{name}.txt")),
            content,
        }
    }
}

/// Writes `document` under `root`, creating its folders; the previous file
/// stays whole until the new one replaces it.
pub fn write(root: &Path, document: &Document) -> std::io::Result<()> {
    let path = root.join(&document.path);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let text = serde_json::to_string(&document.content)?;
    crate::atomic_file::write(&path, text.as_bytes())
}

/// Now as Unix epoch seconds with fractions (every `last_updated`).
pub fn now_epoch() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The time zone of stored datetimes. A job's signature carries no
/// configuration, so it is read here as `Config` reads it.
pub fn stored_zone() -> anyhow::Result<LocalZone> {
    let setting = crate::env::setting(&crate::env::process_var, "MMSTATUS_TZ")?;
    Ok(LocalZone::from_setting(setting.as_deref())?)
}

/// Epoch seconds of a stored naive local time in `zone`. An ambiguous time
/// (the hour repeated when daylight saving ends) is its first occurrence;
/// a time skipped when it starts is read with the offset in force before
/// the jump, as the reference's Python does.
pub fn epoch(zone: LocalZone, local: NaiveDateTime) -> f64 {
    match zone {
        LocalZone::Named(tz) => epoch_in(&tz, local),
        LocalZone::System => epoch_in(&chrono::Local, local),
    }
}

fn epoch_in<Z: TimeZone>(zone: &Z, local: NaiveDateTime) -> f64 {
    let seconds = match zone.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.timestamp(),
        LocalResult::None => {
            let before = local - chrono::Duration::hours(3);
            match zone.from_local_datetime(&before) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.timestamp() + 3 * 3600,
                LocalResult::None => local.and_utc().timestamp(),
            }
        }
    };
    seconds as f64
}

/// A player as the player lists (S15, S16, S19) print him first; the
/// query's columns carry these names.
#[derive(QueryableByName, Debug)]
pub struct PlayerIdentity {
    #[diesel(sql_type = Text)]
    pub uuid: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub club_tag: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub country_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub country_file_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub alpha3: Option<String>,
}

impl PlayerIdentity {
    /// `name`, `uuid` (dashed), `club_tag`, `country`: the first keys of a
    /// player list's row, in the reference's order.
    pub fn fields(&self) -> Map<String, Value> {
        let mut fields = Map::new();
        fields.insert("name".into(), json!(self.name));
        fields.insert("uuid".into(), json!(dashed_uuid(&self.uuid)));
        fields.insert("club_tag".into(), json!(self.club_tag));
        let country = country(
            self.country_name.as_deref(),
            self.country_file_name.as_deref(),
            self.alpha3.as_deref(),
        );
        fields.insert("country".into(), country);
        fields
    }
}

/// The country object: `{"name", "file_name", "alpha3"}`, or null without a
/// country or without an alpha3.
pub fn country(name: Option<&str>, file_name: Option<&str>, alpha3: Option<&str>) -> Value {
    match (name, alpha3) {
        (Some(name), Some(alpha3)) => {
            json!({"name": name, "file_name": file_name, "alpha3": alpha3})
        }
        _ => Value::Null,
    }
}

/// A stored UUID (32 hex characters) in its dashed form; anything else as stored.
pub fn dashed_uuid(stored: &str) -> String {
    if stored.len() != 32 || !stored.is_ascii() {
        return stored.to_string();
    }
    let lower = stored.to_ascii_lowercase();
    format!(
        "{}-{}-{}-{}-{}",
        &lower[..8],
        &lower[8..12],
        &lower[12..16],
        &lower[16..20],
        &lower[20..]
    )
}

/// A file name from an entity key (alpha3, map uid) with `/`, `\` and `~`
/// removed, as the reference's web server removes them from what it is asked.
pub fn safe_file_stem(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '/' | '\\' | '~'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> LocalZone {
        LocalZone::from_setting(Some("Europe/Paris")).unwrap()
    }

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn epochs_read_local_time_in_the_zone() {
        assert_eq!(epoch(paris(), at("2024-01-01 00:00:00")), 1_704_063_600.0);
        assert_eq!(epoch(paris(), at("2024-07-01 00:00:00")), 1_719_784_800.0);
        // 02:30 on 2024-10-27 happens twice: the first (summer time, UTC+2).
        assert_eq!(epoch(paris(), at("2024-10-27 02:30:00")), 1_729_989_000.0);
        // 02:30 on 2024-03-31 never happens: read at UTC+1.
        assert_eq!(epoch(paris(), at("2024-03-31 02:30:00")), 1_711_848_600.0);
    }

    #[test]
    fn country_object_or_null() {
        assert_eq!(
            country(Some("France"), Some("FRA.png"), Some("FRA")),
            json!({"name": "France", "file_name": "FRA.png", "alpha3": "FRA"})
        );
        assert_eq!(country(None, None, None), Value::Null);
        assert_eq!(country(Some("Europe"), Some("x"), None), Value::Null);
    }

    #[test]
    fn uuids_get_their_dashes() {
        assert_eq!(
            dashed_uuid("aaaaaaaa000000000000000000000001"),
            "aaaaaaaa-0000-0000-0000-000000000001"
        );
        assert_eq!(dashed_uuid("short"), "short");
        assert_eq!(dashed_uuid("é".repeat(16).as_str()), "é".repeat(16));
    }

    #[test]
    fn file_names_lose_path_characters() {
        assert_eq!(safe_file_stem("../a\\b~c"), "..abc");
        assert_eq!(
            Document::entity("top_100_by_country", 3, "FRA", json!({})).path,
            PathBuf::from("top_100_by_country/3/FRA.txt")
        );
        assert_eq!(
            Document::main("get_maps_statistics", 3, json!({})).path,
            PathBuf::from("get_maps_statistics_3.txt")
        );
    }
}
