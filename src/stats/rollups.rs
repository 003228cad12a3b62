//! `rankstatrollup`: the number of games of each rank tier in each closed
//! calendar period (stats.md §5), what the reference's web server sums for
//! `/status`.
//!
//! Periods are calendar periods of the stored naive local times: an hour is
//! `HH:00:00`–`HH:59:59` of the wall clock, whatever the daylight-saving
//! rules. In a zone with DST (Europe/Paris), the autumn hour that repeats
//! (02:00–02:59 on the last Sunday of October) is one period holding the games
//! of both real hours, since their stored times cannot be told apart; it is
//! written once 03:00 has passed, after both. The spring hour that does not
//! exist (02:00–02:59 on the last Sunday of March) still gets its rows, with
//! count 0: the reference's period arithmetic, and `/status`'s split, are
//! naive too. That day counts 23 real hours, the autumn one 25.
//!
//! Rows are only ever inserted, never updated: the unique key
//! `rankstatrollup_period_rank_start_end` makes each write an insert-if-absent.

use crate::db::schema::rankstatrollup;
use crate::error::{Error, Result};
use crate::time::LocalZone;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use diesel::sql_types::{BigInt, Datetime, Integer, Nullable};
use diesel::{
    insert_or_ignore_into, sql_query, Connection, Insertable, MysqlConnection, QueryableByName,
    RunQueryDsl,
};
use std::collections::BTreeMap;

/// The kinds of period, with the ids the reference stores in `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PeriodKind {
    Hourly,
    Daily,
    Weekly,
    Monthly,
}

impl PeriodKind {
    /// The order of the incremental maintenance (stats.md §5.3).
    pub const MAINTENANCE_ORDER: [PeriodKind; 4] = [
        PeriodKind::Hourly,
        PeriodKind::Daily,
        PeriodKind::Weekly,
        PeriodKind::Monthly,
    ];
    /// The order of the reference's backfill script.
    pub const BACKFILL_ORDER: [PeriodKind; 4] = [
        PeriodKind::Monthly,
        PeriodKind::Weekly,
        PeriodKind::Daily,
        PeriodKind::Hourly,
    ];

    /// The value of `rankstatrollup.period` (not sequential).
    pub fn id(self) -> i32 {
        match self {
            PeriodKind::Hourly => 0,
            PeriodKind::Weekly => 1,
            PeriodKind::Monthly => 2,
            PeriodKind::Daily => 3,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PeriodKind::Hourly => "hourly",
            PeriodKind::Daily => "daily",
            PeriodKind::Weekly => "weekly",
            PeriodKind::Monthly => "monthly",
        }
    }
}

/// One closed period: both bounds inclusive, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period {
    pub kind: PeriodKind,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

fn at_midnight(day: NaiveDate) -> NaiveDateTime {
    day.and_time(NaiveTime::MIN)
}

fn last_second_of(day: NaiveDate) -> NaiveDateTime {
    at_midnight(day) + Duration::days(1) - Duration::seconds(1)
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

fn first_of_next_month(day: NaiveDate) -> NaiveDate {
    let first = first_of_month(day);
    // Day 1 + 31 days is always in the next month; its first day follows.
    first_of_month(first + Duration::days(31))
}

impl Period {
    /// The period of `kind` that contains `t`.
    pub fn containing(kind: PeriodKind, t: NaiveDateTime) -> Period {
        let day = t.date();
        let (start, end) = match kind {
            PeriodKind::Hourly => {
                let start = at_midnight(day) + Duration::hours(i64::from(t.hour()));
                (start, start + Duration::seconds(3599))
            }
            PeriodKind::Daily => (at_midnight(day), last_second_of(day)),
            PeriodKind::Weekly => {
                let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
                (
                    at_midnight(monday),
                    last_second_of(monday + Duration::days(6)),
                )
            }
            PeriodKind::Monthly => {
                let next = first_of_next_month(day);
                (
                    at_midnight(first_of_month(day)),
                    at_midnight(next) - Duration::seconds(1),
                )
            }
        };
        Period { kind, start, end }
    }

    /// The last complete period of `kind` relative to `t` (stats.md §5.2):
    /// the hour before t's hour, yesterday, the last Monday–Sunday week that
    /// ended before t's day, the previous month.
    pub fn last_complete(kind: PeriodKind, t: NaiveDateTime) -> Period {
        let yesterday = t.date() - Duration::days(1);
        match kind {
            PeriodKind::Hourly => Period::containing(kind, t - Duration::hours(1)),
            PeriodKind::Daily => Period::containing(kind, at_midnight(yesterday)),
            PeriodKind::Weekly => {
                // Back from yesterday to a Sunday (itself when it is one).
                let back = yesterday.weekday().number_from_monday() % 7;
                let sunday = yesterday - Duration::days(i64::from(back));
                Period::containing(kind, at_midnight(sunday))
            }
            PeriodKind::Monthly => {
                let last_of_previous = first_of_month(t.date()) - Duration::days(1);
                Period::containing(kind, at_midnight(last_of_previous))
            }
        }
    }

    /// The period of the same kind right after this one.
    pub fn next(&self) -> Period {
        Period::containing(self.kind, self.end + Duration::seconds(1))
    }
}

/// The periods of `kind` from `first` to `last`, both included.
fn periods_between(first: Period, last: Period) -> Vec<Period> {
    let mut periods = Vec::new();
    let mut period = first;
    while period.start <= last.start {
        periods.push(period);
        period = period.next();
    }
    periods
}

/// A rank tier as P-overlap sees it (stats.md §1.3): a game counts when its
/// elo range meets `[min, max]` and its trackmaster limit is within
/// `[limit_min, limit_max]` (the X term, kept for fidelity).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tier {
    pub id: i32,
    pub min: i32,
    pub max: i32,
    pub limit_min: i32,
    pub limit_max: i32,
}

/// Lower bounds of the tiers b1 … tm (ids 0 … 12).
const TIER_MINS: [i32; 13] = [
    0, 300, 600, 1000, 1300, 1600, 2000, 2300, 2600, 3000, 3300, 3600, 4000,
];
const TRACKMASTER_MAX: i32 = 999_999;

/// The 13 tiers in ascending order: `max` is the next tier's min − 1 (tm:
/// 999999); X is `trackmaster_limit <= 999999` for tm, `>= min` otherwise.
pub fn tiers() -> Vec<Tier> {
    (0..TIER_MINS.len())
        .map(|i| {
            let tm = i + 1 == TIER_MINS.len();
            let min = TIER_MINS[i];
            Tier {
                id: i as i32,
                min,
                max: TIER_MINS
                    .get(i + 1)
                    .map_or(TRACKMASTER_MAX, |next| next - 1),
                limit_min: if tm { i32::MIN } else { min },
                limit_max: if tm { TRACKMASTER_MAX } else { i32::MAX },
            }
        })
        .collect()
}

/// Per stored hour and tier: how many games of `[?, ?]` satisfy P-overlap,
/// and the latest one's time. The tiers are a derived table joined to each
/// game, so one pass over the games counts all 13.
pub fn hour_counts_sql() -> String {
    let tiers: Vec<String> = tiers()
        .iter()
        .map(|t| {
            format!(
                "SELECT {} AS id, {} AS lo, {} AS hi, {} AS tl_lo, {} AS tl_hi",
                t.id, t.min, t.max, t.limit_min, t.limit_max
            )
        })
        .collect();
    format!(
        "SELECT CAST(DATE_FORMAT(g.`time`, '%Y-%m-%d %H:00:00') AS DATETIME) AS hour, \
         t.id AS tier, CAST(COUNT(*) AS SIGNED) AS games, MAX(g.`time`) AS last_time \
         FROM `game` g JOIN ({}) t \
           ON g.`min_elo` <= t.hi AND g.`max_elo` >= t.lo \
          AND g.`trackmaster_limit` BETWEEN t.tl_lo AND t.tl_hi \
         WHERE g.`time` BETWEEN ? AND ? \
         GROUP BY hour, t.id",
        tiers.join(" UNION ALL ")
    )
}

pub const GAME_TIME_RANGE_SQL: &str =
    "SELECT MIN(`time`) AS oldest, MAX(`time`) AS newest FROM `game`";

pub const EXISTING_TIERS_SQL: &str = "SELECT CAST(COUNT(*) AS SIGNED) AS found \
     FROM `rankstatrollup` WHERE `period` = ? AND `start_time` = ? AND `end_time` = ?";

#[derive(QueryableByName)]
struct HourCount {
    #[diesel(sql_type = Datetime)]
    hour: NaiveDateTime,
    #[diesel(sql_type = Integer)]
    tier: i32,
    #[diesel(sql_type = BigInt)]
    games: i64,
    #[diesel(sql_type = Datetime)]
    last_time: NaiveDateTime,
}

#[derive(QueryableByName)]
struct TimeRange {
    #[diesel(sql_type = Nullable<Datetime>)]
    oldest: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Datetime>)]
    newest: Option<NaiveDateTime>,
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = BigInt)]
    found: i64,
}

/// One row of `rankstatrollup`.
#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = rankstatrollup)]
pub struct Rollup {
    pub start_time: NaiveDateTime,
    pub end_time: NaiveDateTime,
    pub period: i32,
    pub rank: i32,
    pub count: i32,
    pub last_game_time: Option<NaiveDateTime>,
}

/// Count and latest time of one tier in one period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tally {
    games: i64,
    last: Option<NaiveDateTime>,
}

impl Tally {
    fn add(&mut self, games: i64, last: NaiveDateTime) {
        self.games += games;
        self.last = self.last.max(Some(last));
    }
}

/// What a run inserted, per kind of period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// (kind, periods that gained rows, rows inserted), in the run's order;
    /// a backfill counts periods as rows / 13, rounded up.
    pub kinds: Vec<(PeriodKind, usize, usize)>,
}

impl Report {
    pub fn rows_inserted(&self) -> usize {
        self.kinds.iter().map(|(_, _, rows)| rows).sum()
    }

    /// "hourly 1 period (13 rows), daily 0 periods (0 rows), …".
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .kinds
            .iter()
            .map(|(kind, periods, rows)| {
                format!("{} {periods} period(s) ({rows} rows)", kind.name())
            })
            .collect();
        format!("rollups: {}", parts.join(", "))
    }
}

/// Periods inserted in one transaction at most: whole periods, so a period's
/// 13 rows are always written together.
const PERIODS_PER_INSERT: usize = 100;

/// The incremental maintenance (stats.md §5.3): for each kind (hourly,
/// daily, weekly, monthly), the last complete period relative to `now`
/// (local time) gets its 13 rows if it lacks them. Rows already there are
/// left as they are.
pub fn maintain(
    conn: &mut MysqlConnection,
    zone: &LocalZone,
    now: NaiveDateTime,
) -> Result<Report> {
    let mut report = Report::default();
    for kind in PeriodKind::MAINTENANCE_ORDER {
        let period = Period::last_complete(kind, now);
        let rows = if has_every_tier(conn, &period)? {
            0
        } else {
            note_skipped_hour(zone, &period);
            let tallies = tally(conn, &[period], period.start, period.end)?;
            insert(conn, &rows_of(&[period], &tallies))?
        };
        report.kinds.push((kind, usize::from(rows > 0), rows));
    }
    Ok(report)
}

/// Creates every missing period, of each kind (monthly, weekly, daily,
/// hourly), from the last complete one relative to the oldest game to the
/// last complete one relative to `now`: the rows running [`maintain`] at
/// least once an hour over that time would have made. One pass over the
/// games, grouped by hour, feeds all four kinds. Nothing when there is no
/// game.
pub fn backfill(
    conn: &mut MysqlConnection,
    zone: &LocalZone,
    now: NaiveDateTime,
) -> Result<Report> {
    let range: TimeRange = sql_query(GAME_TIME_RANGE_SQL).get_result(conn)?;
    let mut report = Report::default();
    let Some(oldest) = range.oldest else {
        return Ok(report);
    };
    log::debug!(
        "rollups: backfill from {oldest} (newest game {:?}) to {now}",
        range.newest
    );
    let plan: Vec<(PeriodKind, Vec<Period>)> = PeriodKind::BACKFILL_ORDER
        .iter()
        .map(|&kind| {
            let first = Period::last_complete(kind, oldest);
            let last = Period::last_complete(kind, now);
            (kind, periods_between(first, last))
        })
        .collect();
    let all = plan.iter().flat_map(|(_, periods)| periods);
    let (Some(from), Some(to)) = (all.clone().map(|p| p.start).min(), all.map(|p| p.end).max())
    else {
        return Ok(report);
    };
    let every: Vec<Period> = plan.iter().flat_map(|(_, p)| p.iter().copied()).collect();
    let tallies = tally(conn, &every, from, to)?;
    for (kind, periods) in &plan {
        let mut gained = 0;
        let mut rows = 0;
        for chunk in periods.chunks(PERIODS_PER_INSERT) {
            chunk.iter().for_each(|p| note_skipped_hour(zone, p));
            let inserted = insert(conn, &rows_of(chunk, &tallies))?;
            rows += inserted;
            gained += inserted.div_ceil(TIER_MINS.len());
        }
        report.kinds.push((*kind, gained, rows));
    }
    Ok(report)
}

fn has_every_tier(conn: &mut MysqlConnection, period: &Period) -> Result<bool> {
    let found: Found = sql_query(EXISTING_TIERS_SQL)
        .bind::<Integer, _>(period.kind.id())
        .bind::<Datetime, _>(period.start)
        .bind::<Datetime, _>(period.end)
        .get_result(conn)?;
    Ok(found.found >= TIER_MINS.len() as i64)
}

fn note_skipped_hour(zone: &LocalZone, period: &Period) {
    if period.kind == PeriodKind::Hourly && !zone.exists(period.start) {
        log::debug!(
            "rollups: hour {} does not exist in {} (daylight-saving jump): its rows count 0",
            period.start,
            zone.describe()
        );
    }
}

/// Per (period, tier): the P-overlap count and latest time of the games of
/// `[from, to]`, for the given periods (their kinds may differ).
fn tally(
    conn: &mut MysqlConnection,
    periods: &[Period],
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<BTreeMap<(Period, i32), Tally>> {
    let hours: Vec<HourCount> = sql_query(hour_counts_sql())
        .bind::<Datetime, _>(from)
        .bind::<Datetime, _>(to)
        .load(conn)?;
    let mut kinds: Vec<PeriodKind> = periods.iter().map(|p| p.kind).collect();
    kinds.sort();
    kinds.dedup();
    let mut tallies: BTreeMap<(Period, i32), Tally> = BTreeMap::new();
    for hour in hours {
        for &kind in &kinds {
            let period = Period::containing(kind, hour.hour);
            tallies
                .entry((period, hour.tier))
                .or_default()
                .add(hour.games, hour.last_time);
        }
    }
    Ok(tallies)
}

/// The 13 rows of each period, b1 … tm, zero where no game counted.
fn rows_of(periods: &[Period], tallies: &BTreeMap<(Period, i32), Tally>) -> Vec<Rollup> {
    let mut rows = Vec::with_capacity(periods.len() * TIER_MINS.len());
    for period in periods {
        for tier in tiers() {
            let tally = tallies
                .get(&(*period, tier.id))
                .copied()
                .unwrap_or_default();
            rows.push(Rollup {
                start_time: period.start,
                end_time: period.end,
                period: period.kind.id(),
                rank: tier.id,
                count: i32::try_from(tally.games).unwrap_or(i32::MAX),
                last_game_time: tally.last,
            });
        }
    }
    rows
}

/// Inserts the rows whose key is absent, in one transaction; the number
/// inserted.
fn insert(conn: &mut MysqlConnection, rows: &[Rollup]) -> Result<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    conn.transaction(|conn| {
        insert_or_ignore_into(rankstatrollup::table)
            .values(rows)
            .execute(conn)
            .map_err(Error::from)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::DATETIME_FORMAT;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, DATETIME_FORMAT).unwrap()
    }

    fn bounds(period: Period) -> (String, String) {
        (period.start.to_string(), period.end.to_string())
    }

    fn last(kind: PeriodKind, t: &str) -> (String, String) {
        bounds(Period::last_complete(kind, at(t)))
    }

    fn pair(a: &str, b: &str) -> (String, String) {
        (a.to_string(), b.to_string())
    }

    #[test]
    fn the_last_complete_hour_is_the_one_before_now() {
        assert_eq!(
            last(PeriodKind::Hourly, "2025-07-09 12:22:00"),
            pair("2025-07-09 11:00:00", "2025-07-09 11:59:59")
        );
        assert_eq!(
            last(PeriodKind::Hourly, "2025-07-09 00:00:00"),
            pair("2025-07-08 23:00:00", "2025-07-08 23:59:59")
        );
    }

    #[test]
    fn the_last_complete_day_is_yesterday() {
        assert_eq!(
            last(PeriodKind::Daily, "2025-07-09 12:22:00"),
            pair("2025-07-08 00:00:00", "2025-07-08 23:59:59")
        );
        assert_eq!(
            last(PeriodKind::Daily, "2025-03-01 00:00:00"),
            pair("2025-02-28 00:00:00", "2025-02-28 23:59:59")
        );
    }

    #[test]
    fn the_last_complete_week_ended_before_today() {
        let week = pair("2025-06-30 00:00:00", "2025-07-06 23:59:59");
        // Wednesday, then the Sunday ending the next week (not over yet).
        assert_eq!(last(PeriodKind::Weekly, "2025-07-09 12:22:00"), week);
        assert_eq!(last(PeriodKind::Weekly, "2025-07-13 23:59:59"), week);
        // Monday: the week that ended last night.
        assert_eq!(
            last(PeriodKind::Weekly, "2025-07-14 00:00:00"),
            pair("2025-07-07 00:00:00", "2025-07-13 23:59:59")
        );
        // Across a year.
        assert_eq!(
            last(PeriodKind::Weekly, "2025-01-01 08:00:00"),
            pair("2024-12-23 00:00:00", "2024-12-29 23:59:59")
        );
    }

    #[test]
    fn the_last_complete_month_is_the_previous_one() {
        assert_eq!(
            last(PeriodKind::Monthly, "2025-07-09 12:22:00"),
            pair("2025-06-01 00:00:00", "2025-06-30 23:59:59")
        );
        assert_eq!(
            last(PeriodKind::Monthly, "2024-03-01 00:00:00"),
            pair("2024-02-01 00:00:00", "2024-02-29 23:59:59")
        );
        assert_eq!(
            last(PeriodKind::Monthly, "2025-01-31 23:59:59"),
            pair("2024-12-01 00:00:00", "2024-12-31 23:59:59")
        );
    }

    #[test]
    fn periods_follow_each_other_without_gap() {
        for kind in PeriodKind::MAINTENANCE_ORDER {
            let mut period = Period::containing(kind, at("2024-12-20 10:00:00"));
            for _ in 0..500 {
                let next = period.next();
                assert_eq!(next.start, period.end + Duration::seconds(1), "{kind:?}");
                assert!(next.end > next.start);
                period = next;
            }
        }
    }

    #[test]
    fn daylight_saving_days_are_naive_calendar_periods() {
        // Paris: 2025-03-30 02:00 does not exist, 2025-10-26 02:00 repeats.
        assert_eq!(
            last(PeriodKind::Hourly, "2025-03-30 03:10:00"),
            pair("2025-03-30 02:00:00", "2025-03-30 02:59:59")
        );
        assert_eq!(
            last(PeriodKind::Hourly, "2025-10-26 03:00:00"),
            pair("2025-10-26 02:00:00", "2025-10-26 02:59:59")
        );
        assert_eq!(
            bounds(Period::containing(
                PeriodKind::Daily,
                at("2025-10-26 02:30:00")
            )),
            pair("2025-10-26 00:00:00", "2025-10-26 23:59:59")
        );
    }

    #[test]
    fn a_backfill_range_lists_every_period_once() {
        let first = Period::last_complete(PeriodKind::Daily, at("2025-07-01 10:00:00"));
        let last = Period::last_complete(PeriodKind::Daily, at("2025-07-05 00:00:01"));
        let days: Vec<String> = periods_between(first, last)
            .iter()
            .map(|p| p.start.date().to_string())
            .collect();
        assert_eq!(
            days,
            [
                "2025-06-30",
                "2025-07-01",
                "2025-07-02",
                "2025-07-03",
                "2025-07-04"
            ]
        );
        assert!(periods_between(last, first).is_empty());
    }

    #[test]
    fn period_ids_are_the_references() {
        let ids: Vec<i32> = PeriodKind::MAINTENANCE_ORDER
            .iter()
            .map(|k| k.id())
            .collect();
        assert_eq!(ids, [0, 3, 1, 2]);
    }

    #[test]
    fn tiers_are_p_overlap_bands() {
        let tiers = tiers();
        assert_eq!(tiers.len(), 13);
        assert_eq!((tiers[0].min, tiers[0].max), (0, 299));
        assert_eq!((tiers[11].min, tiers[11].max), (3600, 3999));
        assert_eq!((tiers[11].limit_min, tiers[11].limit_max), (3600, i32::MAX));
        let tm = tiers[12];
        assert_eq!((tm.id, tm.min, tm.max), (12, 4000, 999_999));
        assert_eq!((tm.limit_min, tm.limit_max), (i32::MIN, 999_999));
    }

    #[test]
    fn the_hour_query_joins_the_thirteen_tiers() {
        let sql = hour_counts_sql();
        assert_eq!(sql.matches("UNION ALL").count(), 12);
        assert!(sql.contains(
            "SELECT 12 AS id, 4000 AS lo, 999999 AS hi, -2147483648 AS tl_lo, 999999 AS tl_hi"
        ));
        assert!(sql.contains("SELECT 0 AS id, 0 AS lo, 299 AS hi, 0 AS tl_lo, 2147483647 AS tl_hi"));
        assert!(sql.contains("WHERE g.`time` BETWEEN ? AND ?"));
    }

    #[test]
    fn the_summary_lists_each_kind() {
        let report = Report {
            kinds: vec![(PeriodKind::Hourly, 1, 13), (PeriodKind::Daily, 0, 0)],
        };
        assert_eq!(report.rows_inserted(), 13);
        assert_eq!(
            report.summary(),
            "rollups: hourly 1 period(s) (13 rows), daily 0 period(s) (0 rows)"
        );
    }
}
