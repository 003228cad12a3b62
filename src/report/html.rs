//! The report as one static, self-contained HTML page: the text report's
//! tables as HTML tables, and its charts as inline SVG drawn by `plotters`.

use super::cache::{Cached, LeaderRow};
use super::text::{file_age, updated, NOT_COMPUTED};
use super::{age, Report, STALE_AFTER, WEEK_DAYS};
use crate::time::DATETIME_FORMAT;
use chrono::NaiveDateTime;
use plotters::prelude::*;
use std::fmt::Write;

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:0.5em 0}\
td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}\
td:first-child,th:first-child{text-align:left}.stale{color:#b00;font-weight:bold}";

/// The whole page.
pub fn render(report: &Report) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>mmstatus report</h1><p>{} ({})</p>",
        report.now.format(DATETIME_FORMAT),
        escape(&report.zone)
    );
    body.push_str(&summary(report));
    if report.is_empty() {
        body.push_str("<p>The database holds no games and no players yet.</p>");
    } else {
        body.push_str(&games_per_hour(report));
        body.push_str(&active_players(report));
    }
    body.push_str(&collector_health(report));
    body.push_str(&cache(report));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>mmstatus report</title><style>{STYLE}</style></head>\
         <body>{body}</body></html>\n"
    )
}

/// Text made safe inside HTML elements and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<table><tr>");
    for h in headers {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
    out
}

fn summary(report: &Report) -> String {
    let season = match &report.season {
        Some(s) => format!(
            "Season {} &quot;{}&quot;, {} to {}",
            s.id,
            escape(&s.name),
            s.start_time.format(DATETIME_FORMAT),
            s.end_time.format(DATETIME_FORMAT)
        ),
        None => "No current season".to_string(),
    };
    let t = &report.totals;
    format!(
        "<p>{season}</p><p>Totals: {} games, {} players ({} named, {} with a zone)</p>",
        t.games, t.players, t.named_players, t.zoned_players
    )
}

fn games_per_hour(report: &Report) -> String {
    let (finished, unfinished) = report.games_last_day();
    let rows: Vec<Vec<String>> = report
        .hours
        .iter()
        .map(|h| {
            vec![
                h.start.format("%Y-%m-%d %H:00").to_string(),
                h.finished.to_string(),
                h.unfinished.to_string(),
            ]
        })
        .collect();
    let labels: Vec<String> = report
        .hours
        .iter()
        .map(|h| h.start.format("%Hh").to_string())
        .collect();
    let totals: Vec<i64> = report.hours.iter().map(|h| h.total()).collect();
    format!(
        "<h2>Games in the last 24 hours: {} ({finished} finished, {unfinished} not finished)</h2>{}{}",
        finished + unfinished,
        bar_chart(&labels, &totals),
        table(&["hour", "finished", "not finished"], &rows)
    )
}

fn active_players(report: &Report) -> String {
    let rows: Vec<Vec<String>> = report
        .tiers
        .iter()
        .map(|t| {
            vec![
                t.tier.name.to_string(),
                t.day.to_string(),
                t.week.to_string(),
            ]
        })
        .collect();
    let labels: Vec<String> = report
        .tiers
        .iter()
        .map(|t| t.tier.key.to_string())
        .collect();
    let week: Vec<i64> = report.tiers.iter().map(|t| t.week).collect();
    format!(
        "<h2>Active players per rank tier</h2><p>Current points; last match within 24 h or \
         {WEEK_DAYS} days (the chart: {WEEK_DAYS} days).</p>{}{}",
        bar_chart(&labels, &week),
        table(&["tier", "24 h", "7 days"], &rows)
    )
}

fn when(t: Option<NaiveDateTime>) -> String {
    t.map_or("never".to_string(), |t| {
        t.format(DATETIME_FORMAT).to_string()
    })
}

fn collector_health(report: &Report) -> String {
    let rows: Vec<Vec<String>> = report
        .jobs
        .iter()
        .map(|j| {
            let state = if j.stale {
                "<span class=\"stale\">STALE</span>"
            } else {
                "ok"
            };
            vec![
                escape(&j.job),
                when(j.last_success),
                j.last_success.map_or("-".to_string(), |t| {
                    age(report.now.signed_duration_since(t))
                }),
                when(j.last_error),
                j.errors.to_string(),
                state.to_string(),
            ]
        })
        .collect();
    let heading = format!(
        "<h2>Collector health</h2><p>Stale: no success for {} min.</p>",
        STALE_AFTER.num_minutes()
    );
    if rows.is_empty() {
        return heading + "<p>No collector job has run yet.</p>";
    }
    heading
        + &table(
            &[
                "job",
                "last success",
                "age",
                "last error",
                "errors",
                "state",
            ],
            &rows,
        )
}

fn cache(report: &Report) -> String {
    let cache = &report.cache;
    let dir = escape(&cache.dir.display().to_string());
    let Some(season) = cache.season else {
        return format!("<h2>Statistics files ({dir})</h2><p>No current season.</p>");
    };
    let rows: Vec<Vec<String>> = cache
        .statistics
        .iter()
        .map(|s| {
            let (newest, oldest) = if s.present == 0 {
                (NOT_COMPUTED.to_string(), String::new())
            } else {
                (file_age(s.newest_age), file_age(s.oldest_age))
            };
            vec![
                s.code.to_string(),
                format!("{}/{}", s.present, s.expected),
                newest,
                oldest,
                escape(s.description),
            ]
        })
        .collect();
    let mut out = format!(
        "<h2>Statistics files ({dir}, season {season})</h2>{}",
        table(&["stat", "files", "newest", "oldest", "about"], &rows)
    );
    out.push_str(&leaderboard("Clubs leaderboard (S01), top 5", &cache.clubs));
    out.push_str(&leaderboard(
        "Countries leaderboard (S02), top 5",
        &cache.countries,
    ));
    out.push_str(&activity(&cache.activity));
    out
}

fn notice<T>(title: &str, cached: &Cached<T>) -> Result<(String, T), String>
where
    T: Clone,
{
    match cached {
        Cached::NotComputed => Err(format!("<h3>{title}</h3><p>{NOT_COMPUTED}</p>")),
        Cached::Unreadable(why) => Err(format!(
            "<h3>{title}</h3><p>unreadable: {}</p>",
            escape(why)
        )),
        Cached::Read { value, age } => Ok((
            format!("<h3>{title}</h3><p>{}</p>", updated(*age)),
            value.clone(),
        )),
    }
}

fn leaderboard(title: &str, cached: &Cached<Vec<LeaderRow>>) -> String {
    match notice(title, cached) {
        Err(notice) => notice,
        Ok((heading, rows)) => {
            let rows: Vec<Vec<String>> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    vec![
                        (i + 1).to_string(),
                        escape(&r.name),
                        r.points.to_string(),
                        r.count.to_string(),
                    ]
                })
                .collect();
            heading + &table(&["#", "name", "points", "players"], &rows)
        }
    }
}

fn activity(cached: &Cached<Vec<i64>>) -> String {
    match notice(
        "Games per hour of the day this season (S11, every tier)",
        cached,
    ) {
        Err(notice) => notice,
        Ok((heading, hours)) => {
            let labels: Vec<String> = (0..hours.len()).map(|h| format!("{h:02}h")).collect();
            heading + &bar_chart(&labels, &hours)
        }
    }
}

const CHART_SIZE: (u32, u32) = (800, 260);

/// An SVG bar chart, one bar per value (negative values as 0); a chart that
/// plotters cannot draw becomes a note, never a failure of the report.
fn bar_chart(labels: &[String], values: &[i64]) -> String {
    let mut svg = String::new();
    match draw_bars(&mut svg, labels, values) {
        Ok(()) => svg,
        Err(e) => format!("<p>(chart not drawn: {})</p>", escape(&e.to_string())),
    }
}

fn draw_bars(
    svg: &mut String,
    labels: &[String],
    values: &[i64],
) -> Result<(), Box<dyn std::error::Error>> {
    let values: Vec<i64> = values.iter().map(|v| (*v).max(0)).collect();
    let ymax = values.iter().copied().max().unwrap_or(0).max(1);
    let count = values.len().max(1) as u32;
    {
        let root = SVGBackend::with_string(svg, CHART_SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d((0..count).into_segmented(), 0..ymax)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(labels.len().max(1))
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                    labels.get(*i as usize).cloned().unwrap_or_default()
                }
                SegmentValue::Last => String::new(),
            })
            .draw()?;
        chart.draw_series(
            Histogram::vertical(&chart)
                .style(BLUE.mix(0.6).filled())
                .margin(2)
                .data(values.iter().enumerate().map(|(i, v)| (i as u32, *v))),
        )?;
        root.present()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_html() {
        assert_eq!(
            escape("<b>\"Tom & Jerry's\"</b>"),
            "&lt;b&gt;&quot;Tom &amp; Jerry&#39;s&quot;&lt;/b&gt;"
        );
    }

    #[test]
    fn charts_take_any_counts_a_file_may_hold() {
        let labels: Vec<String> = (0..3).map(|i| i.to_string()).collect();
        for values in [
            vec![0, 0, 0],
            vec![i64::MAX, 1, i64::MIN],
            vec![-5, 3, 0],
            vec![],
        ] {
            let svg = bar_chart(&labels, &values);
            assert!(svg.starts_with("<svg") || svg.starts_with("<p>"), "{svg}");
        }
        assert!(bar_chart(&labels, &[1, 2, 3]).starts_with("<svg"));
    }
}
