//! `compute-stats --dry-run` of a statistics run: the jobs that would run
//! per season and the files they would write; nothing is written and no
//! lock is taken.

use crate::db::models::Season;
use crate::stats::Job;
use std::path::Path;

/// The listing: per season its jobs, each with its main file and its
/// per-entity folder.
pub fn listing(cache: &Path, seasons: &[Season], jobs: &[Job], rollups: bool) -> String {
    let mut text = String::new();
    if rollups {
        text.push_str(
            "rollups: the missing rankstatrollup rows of the last complete hour, day, week and \
             month would be added (not listed)\n",
        );
    }
    text.push_str(&format!("files under {}:\n", cache.display()));
    for season in seasons {
        text.push_str(&format!(
            "season {} ({}): {} job(s)\n",
            season.id,
            season.name,
            jobs.len()
        ));
        for job in jobs {
            text.push_str(&format!(
                "  {}: {}",
                job.name,
                job.main_file(season.id).display()
            ));
            if let Some(folder) = job.entity_folder(season.id) {
                text.push_str(&format!(", {}/*.txt", folder.display()));
            }
            text.push('\n');
        }
    }
    text.push_str(&format!(
        "dry run: {} job(s) over {} season(s) listed; nothing was written\n",
        jobs.len() * seasons.len(),
        seasons.len()
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    #[test]
    fn each_job_names_its_files() {
        let at = |t| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").unwrap();
        let season = Season {
            id: 4,
            name: "Winter".to_string(),
            start_time: at("2026-01-01 00:00:00"),
            end_time: at("2026-04-01 00:00:00"),
            is_aggregated: false,
        };
        let jobs =
            crate::stats::select_jobs(&["clubs".to_string(), "top_100".to_string()]).unwrap();
        assert_eq!(
            listing(Path::new("cache"), &[season], &jobs, false),
            "files under cache:\nseason 4 (Winter): 2 job(s)\n  \
             get_clubs_leaderboard: get_clubs_leaderboard_4.txt\n  \
             get_top_100_per_country_0: get_top_100_per_country_0_4.txt, \
             top_100_by_country/4/*.txt\n\
             dry run: 2 job(s) over 1 season(s) listed; nothing was written\n"
        );
    }
}
