//! `compute-stats`: the statistics of stats.md, one module per family, each
//! with its SQL and its JSON shape side by side. The job list is the
//! reference's (§2.2, 139 jobs per season, in order).

pub mod activity;
pub mod h2h;
pub mod hot;
pub mod ladder;
pub mod leaderboards;
pub mod map_ranks;
pub mod maps;
pub mod one_off;
pub mod output;
pub mod players;
pub mod rank_history;
pub mod rollups;
pub mod scan;
pub mod season_rows;
pub mod tiers;
pub mod top100;
pub mod weekly;

use crate::db::models::Season;
use diesel::MysqlConnection;
use output::Document;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a job computes: its documents, the main one last. Nothing is
/// written when it fails.
pub type Produce = fn(&mut MysqlConnection, &str, &Season) -> anyhow::Result<Vec<Document>>;

/// The `<elo>` variants: every tier's min_elo, RANKS order.
const ALL_TIERS: &[i32] = &[
    4000, 3600, 3300, 3000, 2600, 2300, 2000, 1600, 1300, 1000, 600, 300, 0,
];
/// The `<elo>` variants of the hot lists.
const HOT_TIERS: &[i32] = &[4000, 3600, 3300, 3000];
/// The `<elo>` variants of the country head-to-head (ascending, as the
/// reference runs them).
const H2H_TIERS: &[i32] = &[3000, 3300, 3600, 4000];

/// How a statistic's job names are made from its base name.
#[derive(Debug, Clone, Copy)]
enum Variants {
    /// One job, named as the base.
    One,
    /// `<base>_<elo>` for each elo.
    Elo(&'static [i32]),
    /// `<base>_<suffix>` for each suffix.
    Suffix(&'static [&'static str]),
}

/// One statistic of stats.md §3.
#[derive(Debug, Clone, Copy)]
pub struct Statistic {
    /// S01 … S19.
    pub code: &'static str,
    /// The job name, or its stem before the variant.
    pub base: &'static str,
    pub description: &'static str,
    variants: Variants,
    pub produce: Produce,
}

const fn stat(
    code: &'static str,
    base: &'static str,
    description: &'static str,
    variants: Variants,
    produce: Produce,
) -> Statistic {
    Statistic {
        code,
        base,
        description,
        variants,
        produce,
    }
}

/// The statistics in the reference's order of jobs (§2.2).
pub const STATISTICS: [Statistic; 19] = [
    stat(
        "S01",
        "get_clubs_leaderboard",
        "clubs by their ten best-ranked members (position points)",
        Variants::One,
        leaderboards::clubs,
    ),
    stat(
        "S02",
        "get_countries_leaderboard",
        "countries by their ten best-ranked members (position points)",
        Variants::One,
        leaderboards::countries,
    ),
    stat(
        "S03",
        "get_maps_statistics",
        "games played per map in the season",
        Variants::One,
        maps::statistics,
    ),
    stat(
        "S04",
        "get_top_100_per_country_0",
        "the 100 best players of each country by season points (index + one file per country)",
        Variants::One,
        top100::per_country,
    ),
    stat(
        "S05",
        "get_maps_rank_distribution_0",
        "finished games per map and rank tier (index + one file per map)",
        Variants::One,
        map_ranks::distribution,
    ),
    stat(
        "S06",
        "get_country_h2h",
        "country against country results (index + one file per country)",
        Variants::Elo(H2H_TIERS),
        h2h::country_h2h,
    ),
    stat(
        "S07",
        "get_activity_per_rank_distribution",
        "active players per rank tier, one sample every 12 h",
        Variants::One,
        rank_history::distribution,
    ),
    stat(
        "S08",
        "get_activity_per_country",
        "participations and wins per country",
        Variants::Elo(ALL_TIERS),
        activity::per_country,
    ),
    stat(
        "S09",
        "get_activity_per_players_per_country",
        "qualified active players per country",
        Variants::Elo(ALL_TIERS),
        activity::players_per_country,
    ),
    stat(
        "S10",
        "get_activity_per_country_and_hour",
        "participations per country and hour of the day",
        Variants::Elo(ALL_TIERS),
        activity::per_country_and_hour,
    ),
    stat(
        "S11",
        "get_activity_per_hour",
        "games per hour of the day",
        Variants::Elo(ALL_TIERS),
        activity::per_hour,
    ),
    stat(
        "S12",
        "get_activity_heatmap",
        "games per day of the week and hour",
        Variants::Elo(ALL_TIERS),
        activity::heatmap,
    ),
    stat(
        "S13",
        "get_activity_per_day_of_the_week",
        "games per day of the week",
        Variants::Elo(ALL_TIERS),
        activity::per_day_of_the_week,
    ),
    stat(
        "S14",
        "get_player_retention",
        "players of a week back the next week",
        Variants::Elo(ALL_TIERS),
        weekly::player_retention,
    ),
    stat(
        "S15",
        "get_hot_this_week",
        "most wins in the last 7 days",
        Variants::Elo(HOT_TIERS),
        hot::this_week,
    ),
    stat(
        "S16",
        "get_hot_this_week_by_points_delta",
        "most points gained in the last 7 days",
        Variants::Elo(HOT_TIERS),
        hot::by_points_delta,
    ),
    stat(
        "S17",
        "get_new_players_per_week",
        "players' first game of the tier, per week",
        Variants::Elo(ALL_TIERS),
        weekly::new_players_per_week,
    ),
    stat(
        "S18",
        "get_cross_rank_frequency",
        "games per elo spread",
        Variants::Elo(ALL_TIERS),
        weekly::cross_rank_frequency,
    ),
    stat(
        "S19",
        "get_players_matches",
        "the 100 players with the most games played, wins, losses, MVPs",
        Variants::Suffix(&players::ORDERS),
        players::matches,
    ),
];

impl Statistic {
    /// This statistic's job names, in order.
    pub fn job_names(&self) -> Vec<String> {
        match self.variants {
            Variants::One => vec![self.base.to_string()],
            Variants::Elo(elos) => elos.iter().map(|e| format!("{}_{e}", self.base)).collect(),
            Variants::Suffix(suffixes) => suffixes
                .iter()
                .map(|s| format!("{}_{s}", self.base))
                .collect(),
        }
    }
}

/// One job: a statistic's document(s) for one variant.
#[derive(Debug, Clone)]
pub struct Job {
    pub name: String,
    pub statistic: Statistic,
}

impl Job {
    /// The main file the job writes for `season`, under the cache folder.
    pub fn main_file(&self, season: i32) -> PathBuf {
        Document::main(&self.name, season, serde_json::Value::Null).path
    }

    /// The per-entity folder (one file per country or map) the job also
    /// writes into for `season`, if any.
    pub fn entity_folder(&self, season: i32) -> Option<PathBuf> {
        let folder = match self.statistic.code {
            "S04" => top100::FOLDER.to_string(),
            "S05" => map_ranks::FOLDER.to_string(),
            // country_h2h_<elo>, as the job's name says.
            "S06" => self.name.strip_prefix("get_")?.to_string(),
            _ => return None,
        };
        Some(Path::new(&folder).join(season.to_string()))
    }
}

/// Every job of a season, in the reference's order (139).
pub fn all_jobs() -> Vec<Job> {
    STATISTICS
        .iter()
        .flat_map(|s| {
            s.job_names().into_iter().map(|name| Job {
                name,
                statistic: *s,
            })
        })
        .collect()
}

/// The reference's filter: a job runs when one of `names` is a substring of
/// its name. An error names the first filter matching no job.
pub fn select_jobs(names: &[String]) -> Result<Vec<Job>, String> {
    let jobs = all_jobs();
    if let Some(unknown) = names
        .iter()
        .find(|n| !jobs.iter().any(|j| j.name.contains(n.as_str())))
    {
        return Err(unknown.clone());
    }
    Ok(jobs
        .into_iter()
        .filter(|j| names.iter().any(|n| j.name.contains(n.as_str())))
        .collect())
}

/// How one job of one season went.
#[derive(Debug)]
pub struct JobReport {
    pub season: i32,
    pub job: String,
    pub duration: Duration,
    /// The number of files written, or the error.
    pub outcome: Result<usize, String>,
}

/// Computes and writes one job; its files are written only once it has
/// computed them all, the main document last.
pub fn run_job(conn: &mut MysqlConnection, cache: &Path, job: &Job, season: &Season) -> JobReport {
    let started = Instant::now();
    let outcome = compute_and_write(conn, cache, job, season).map_err(|e| format!("{e:#}"));
    let report = JobReport {
        season: season.id,
        job: job.name.clone(),
        duration: started.elapsed(),
        outcome,
    };
    log::debug!(
        "season {}: {} took {:.3} s",
        report.season,
        report.job,
        report.duration.as_secs_f64()
    );
    match &report.outcome {
        Ok(files) => log::info!(
            "season {}: {}: {files} file(s) written in {:.3} s",
            report.season,
            report.job,
            report.duration.as_secs_f64()
        ),
        Err(e) => log::error!(
            "season {}: {} failed, its previous files are kept: {e}",
            report.season,
            report.job
        ),
    }
    report
}

fn compute_and_write(
    conn: &mut MysqlConnection,
    cache: &Path,
    job: &Job,
    season: &Season,
) -> anyhow::Result<usize> {
    let documents = (job.statistic.produce)(conn, &job.name, season)?;
    for document in &documents {
        output::write(cache, document).map_err(|e| {
            anyhow::anyhow!("cannot write {}: {e}", cache.join(&document.path).display())
        })?;
    }
    Ok(documents.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_list_is_the_references() {
        let names: Vec<String> = all_jobs().into_iter().map(|j| j.name).collect();
        assert_eq!(names.len(), 139);
        assert_eq!(names[0], "get_clubs_leaderboard");
        assert_eq!(names[3], "get_top_100_per_country_0");
        assert_eq!(names[5], "get_country_h2h_3000");
        assert_eq!(names[8], "get_country_h2h_4000");
        assert_eq!(names[9], "get_activity_per_rank_distribution");
        assert_eq!(names[10], "get_activity_per_country_4000");
        assert_eq!(names[22], "get_activity_per_country_0");
        assert_eq!(names[134], "get_cross_rank_frequency_0");
        assert_eq!(
            names[135..],
            [
                "get_players_matches_played",
                "get_players_matches_wins",
                "get_players_matches_losses",
                "get_players_matches_mvps"
            ]
        );
        let hot = names
            .iter()
            .filter(|n| n.starts_with("get_hot_this_week_"))
            .count();
        assert_eq!(hot, 8);
    }

    #[test]
    fn filters_are_substrings_and_unknown_ones_are_named() {
        let top: Vec<String> = select_jobs(&["top_100".to_string()])
            .unwrap()
            .into_iter()
            .map(|j| j.name)
            .collect();
        assert_eq!(top, ["get_top_100_per_country_0"]);
        let leaderboards = select_jobs(&["leaderboard".to_string(), "wins".to_string()]).unwrap();
        assert_eq!(leaderboards.len(), 3);
        assert_eq!(
            select_jobs(&["maps".to_string(), "nope".to_string()]).unwrap_err(),
            "nope"
        );
    }

    #[test]
    fn dry_runs_name_each_jobs_main_file_and_entity_folder() {
        let jobs = all_jobs();
        let job = |name: &str| jobs.iter().find(|j| j.name == name).unwrap();
        assert_eq!(
            job("get_clubs_leaderboard").main_file(3),
            PathBuf::from("get_clubs_leaderboard_3.txt")
        );
        assert_eq!(job("get_clubs_leaderboard").entity_folder(3), None);
        assert_eq!(
            job("get_top_100_per_country_0").entity_folder(3),
            Some(PathBuf::from("top_100_by_country/3"))
        );
        assert_eq!(
            job("get_maps_rank_distribution_0").entity_folder(3),
            Some(PathBuf::from("maps_rank_distribution/3"))
        );
        assert_eq!(
            job("get_country_h2h_3300").entity_folder(3),
            Some(Path::new(&format!("{}_3300", h2h::FOLDER_PREFIX)).join("3"))
        );
        let with_folders = jobs.iter().filter(|j| j.entity_folder(1).is_some()).count();
        assert_eq!(with_folders, 6);
    }
}
