//! The report as plain text: aligned tables, and bar charts drawn in
//! Braille characters by `textplots`. No colours, so that a pipe or a log
//! gets the same text as a terminal.

use super::cache::{CacheReport, Cached, LeaderRow, StatisticFiles};
use super::{age, HourRow, JobHealth, Report, TierRow, STALE_AFTER, WEEK_DAYS};
use crate::time::DATETIME_FORMAT;
use chrono::{Duration, NaiveDateTime};
use std::fmt::Write;
use textplots::{Chart, LabelBuilder, LabelFormat, Plot, Shape};

/// Said where a statistic's file does not exist.
pub const NOT_COMPUTED: &str = "not computed yet";

/// Text from the database or a file with control characters shown as `?`,
/// so that none reaches the terminal.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// The whole report.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "mmstatus report, {} ({})",
        report.now.format(DATETIME_FORMAT),
        report.zone
    );
    out.push('\n');
    out.push_str(&season_and_totals(report));
    if report.is_empty() {
        out.push_str("\nThe database holds no games and no players yet: run `mmstatus fetch` (see the crontab).\n");
    } else {
        out.push('\n');
        out.push_str(&games_per_hour(&report.hours));
        out.push('\n');
        out.push_str(&active_players(&report.tiers));
    }
    out.push('\n');
    out.push_str(&collector_health(&report.jobs, report.now));
    out.push('\n');
    out.push_str(&cache(&report.cache));
    out
}

fn season_and_totals(report: &Report) -> String {
    let season = match &report.season {
        Some(s) => format!(
            "Season: {} \"{}\", {} to {}",
            s.id,
            printable(&s.name),
            s.start_time.format(DATETIME_FORMAT),
            s.end_time.format(DATETIME_FORMAT)
        ),
        None => "Season: none current (create one with `mmstatus create-season`)".to_string(),
    };
    let t = &report.totals;
    format!(
        "{season}\nTotals: {} games, {} players ({} named, {} with a zone)\n",
        t.games, t.players, t.named_players, t.zoned_players
    )
}

fn games_per_hour(hours: &[HourRow]) -> String {
    let finished: i64 = hours.iter().map(|h| h.finished).sum();
    let unfinished: i64 = hours.iter().map(|h| h.unfinished).sum();
    let mut out = format!(
        "Games in the last 24 hours: {} ({finished} finished, {unfinished} not finished)\n",
        finished + unfinished
    );
    let _ = writeln!(
        out,
        "{:<16} {:>9} {:>13}",
        "hour", "finished", "not finished"
    );
    for h in hours {
        let _ = writeln!(
            out,
            "{:<16} {:>9} {:>13}",
            h.start.format("%Y-%m-%d %H:00"),
            h.finished,
            h.unfinished
        );
    }
    let totals: Vec<i64> = hours.iter().map(HourRow::total).collect();
    let first = hours
        .first()
        .map_or(0, |h| h.start.format("%H").to_string().parse().unwrap_or(0));
    out.push_str(&bar_chart(&totals, move |x| {
        format!("{:02}h", (first + x.max(0.0) as u32) % 24)
    }));
    out
}

fn active_players(tiers: &[TierRow]) -> String {
    let mut out = format!(
        "Active players per rank tier (current points; last match within 24 h / {WEEK_DAYS} days)\n"
    );
    let _ = writeln!(out, "{:<12} {:>8} {:>8}", "tier", "24 h", "7 days");
    for t in tiers {
        let _ = writeln!(out, "{:<12} {:>8} {:>8}", t.tier.name, t.day, t.week);
    }
    let (day, week) = tiers
        .iter()
        .fold((0, 0), |(d, w), t| (d + t.day, w + t.week));
    let _ = writeln!(out, "{:<12} {:>8} {:>8}", "all", day, week);
    out
}

fn collector_health(jobs: &[JobHealth], now: NaiveDateTime) -> String {
    let mut out = format!(
        "Collector health (stale: no success for {} min)\n",
        STALE_AFTER.num_minutes()
    );
    if jobs.is_empty() {
        out.push_str("no collector job has run yet\n");
        return out;
    }
    let _ = writeln!(
        out,
        "{:<15} {:<19} {:>13} {:<19} {:>6}  state",
        "job", "last success", "age", "last error", "errors"
    );
    for j in jobs {
        let when = |t: Option<NaiveDateTime>| {
            t.map_or("never".to_string(), |t| {
                t.format(DATETIME_FORMAT).to_string()
            })
        };
        let success_age = j
            .last_success
            .map_or("-".to_string(), |t| age(now.signed_duration_since(t)));
        let _ = writeln!(
            out,
            "{:<15} {:<19} {:>13} {:<19} {:>6}  {}",
            printable(&j.job),
            when(j.last_success),
            success_age,
            when(j.last_error),
            j.errors,
            if j.stale { "STALE" } else { "ok" }
        );
    }
    out
}

fn cache(cache: &CacheReport) -> String {
    let Some(season) = cache.season else {
        return format!(
            "Statistics files ({}): no current season, none looked at\n",
            cache.dir.display()
        );
    };
    let mut out = format!(
        "Statistics files ({}, season {season})\n",
        cache.dir.display()
    );
    let _ = writeln!(
        out,
        "{:<4} {:>7} {:>13} {:>13}  about",
        "stat", "files", "newest", "oldest"
    );
    for s in &cache.statistics {
        out.push_str(&statistic_line(s));
    }
    out.push('\n');
    out.push_str(&leaderboard("Clubs leaderboard (S01)", &cache.clubs));
    out.push('\n');
    out.push_str(&leaderboard(
        "Countries leaderboard (S02)",
        &cache.countries,
    ));
    out.push('\n');
    out.push_str(&activity(&cache.activity));
    out
}

/// Seconds as a short age, `-` when unknown.
pub fn file_age(seconds: Option<f64>) -> String {
    seconds.map_or("-".to_string(), |s| {
        age(Duration::try_seconds(s.clamp(-1e15, 1e15) as i64).unwrap_or(Duration::MAX))
    })
}

/// When a file says it was computed: `updated 5 min ago`.
pub fn updated(age_seconds: Option<f64>) -> String {
    match age_seconds {
        Some(_) => format!("updated {} ago", file_age(age_seconds)),
        None => "without a last_updated".to_string(),
    }
}

fn statistic_line(s: &StatisticFiles) -> String {
    let files = format!("{}/{}", s.present, s.expected);
    if s.present == 0 {
        return format!(
            "{:<4} {files:>7} {NOT_COMPUTED:>27}  {}\n",
            s.code, s.description
        );
    }
    let mut about = s.description.to_string();
    if s.unreadable > 0 {
        about = format!("{} unreadable; {about}", s.unreadable);
    }
    format!(
        "{:<4} {files:>7} {:>13} {:>13}  {about}\n",
        s.code,
        file_age(s.newest_age),
        file_age(s.oldest_age)
    )
}

/// `title`, then a notice or the file's age and rows.
fn cached_heading<T>(title: &str, cached: &Cached<T>) -> (String, Option<T>)
where
    T: Clone,
{
    match cached {
        Cached::NotComputed => (format!("{title}: {NOT_COMPUTED}\n"), None),
        Cached::Unreadable(why) => (format!("{title}: unreadable ({why})\n"), None),
        Cached::Read { value, age } => {
            (format!("{title}, {}\n", updated(*age)), Some(value.clone()))
        }
    }
}

fn leaderboard(title: &str, cached: &Cached<Vec<LeaderRow>>) -> String {
    let (mut out, rows) = cached_heading(&format!("{title}, top 5"), cached);
    let Some(rows) = rows else {
        return out;
    };
    if rows.is_empty() {
        out.push_str("(empty)\n");
    }
    for (i, row) in rows.iter().enumerate() {
        let _ = writeln!(
            out,
            "{:>2}. {:<32} {:>8} points {:>3} players",
            i + 1,
            printable(&row.name),
            row.points,
            row.count
        );
    }
    out
}

fn activity(cached: &Cached<Vec<i64>>) -> String {
    let (mut out, hours) = cached_heading(
        "Games per hour of the day this season (S11, every tier)",
        cached,
    );
    let Some(hours) = hours else {
        return out;
    };
    let _ = writeln!(
        out,
        "{}",
        hours
            .iter()
            .enumerate()
            .map(|(h, n)| format!("{h:02}h {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    out.push_str(&bar_chart(&hours, |x| format!("{:02}h", x.max(0.0) as u32)));
    out
}

/// Columns and rows of a chart, in Braille dots (2 by 4 per character).
const CHART_WIDTH: u32 = 120;
const CHART_HEIGHT: u32 = 32;

/// One bar per value; negative values drawn as 0.
fn bar_chart(values: &[i64], x_label: impl Fn(f32) -> String + 'static) -> String {
    let points: Vec<(f32, f32)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (i as f32, (*v).max(0) as f32))
        .collect();
    let ymax = points.iter().map(|p| p.1).fold(1.0_f32, f32::max);
    let shape = Shape::Bars(&points);
    let mut chart = Chart::new_with_y_range(
        CHART_WIDTH,
        CHART_HEIGHT,
        0.0,
        values.len() as f32,
        0.0,
        ymax,
    );
    let chart = chart
        .x_label_format(LabelFormat::Custom(Box::new(x_label)))
        .y_label_format(LabelFormat::Custom(Box::new(|y| format!("{}", y.round()))))
        .lineplot(&shape);
    chart.axis();
    chart.figures();
    format!("{chart}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(printable("a\u{1b}[31mb\nc\u{7f}"), "a?[31mb?c?");
        assert_eq!(printable("Équipe $f00"), "Équipe $f00");
    }

    #[test]
    fn file_ages_say_when_unknown() {
        assert_eq!(updated(Some(310.0)), "updated 5 min ago");
        assert_eq!(updated(None), "without a last_updated");
        assert_eq!(file_age(Some(f64::MAX)), file_age(Some(1e15)));
        assert_eq!(file_age(Some(-3.0)), "in the future");
    }

    #[test]
    fn charts_take_any_counts_a_file_may_hold() {
        for values in [
            vec![0; 24],
            vec![i64::MAX, 1, i64::MIN],
            vec![-5, 3, 0],
            vec![],
        ] {
            let chart = bar_chart(&values, |x| format!("{x}"));
            assert!(chart.lines().count() >= 3, "{chart}");
        }
        let chart = bar_chart(&[1, 7, 3], |x| format!("{x}"));
        assert!(chart.lines().next().unwrap().ends_with(" 7"), "{chart}");
    }
}
