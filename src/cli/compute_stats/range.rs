//! The time range of the range-based repairs: `--hours N`, or `--start`
//! [`--end`], naive local times as stored.

use crate::error::Error;
use chrono::{NaiveDate, NaiveDateTime};

/// `[start, end]`, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

/// The range the flags give: the last `hours` hours up to `now`, or
/// `start` to `end` (`now` when absent). An unparsable date, a start after
/// the end, or no range at all is a usage error naming the flags.
pub fn from_flags(
    hours: Option<u32>,
    start: Option<&str>,
    end: Option<&str>,
    now: NaiveDateTime,
    what: &str,
) -> Result<Range, Error> {
    if let Some(hours) = hours {
        let start = now
            .checked_sub_signed(chrono::Duration::hours(i64::from(hours)))
            .ok_or_else(|| Error::invalid(format!("--hours {hours}: too far back")))?;
        return Ok(Range { start, end: now });
    }
    let Some(start) = start else {
        return Err(Error::invalid(format!(
            "{what} needs a time range: give --hours N (the last N hours) or --start DATETIME \
             [--end DATETIME] (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)"
        )));
    };
    let start = parse("--start", start)?;
    let end = end.map_or(Ok(now), |end| parse("--end", end))?;
    if start > end {
        return Err(Error::invalid(format!(
            "--start {} is after the end of the range, {}",
            start.format(crate::time::DATETIME_FORMAT),
            end.format(crate::time::DATETIME_FORMAT)
        )));
    }
    Ok(Range { start, end })
}

/// `YYYY-MM-DD` (midnight, as the reference reads it) or
/// `YYYY-MM-DD HH:MM:SS`.
fn parse(flag: &str, text: &str) -> Result<NaiveDateTime, Error> {
    let text = text.trim();
    NaiveDateTime::parse_from_str(text, crate::time::DATETIME_FORMAT)
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|d| d.and_time(Default::default()))
        })
        .map_err(|_| {
            Error::invalid(format!(
                "{flag} {text:?}: not a date; use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (local time, \
                 as stored)"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::exit;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn ranges_come_from_hours_or_from_start_and_end() {
        let now = at("2026-03-10 12:00:00");
        assert_eq!(
            from_flags(Some(2), None, None, now, "x").unwrap(),
            Range {
                start: at("2026-03-10 10:00:00"),
                end: now
            }
        );
        assert_eq!(
            from_flags(None, Some("2026-03-01"), None, now, "x").unwrap(),
            Range {
                start: at("2026-03-01 00:00:00"),
                end: now
            }
        );
        assert_eq!(
            from_flags(
                None,
                Some("2026-03-01 08:30:00"),
                Some("2026-03-02"),
                now,
                "x"
            )
            .unwrap(),
            Range {
                start: at("2026-03-01 08:30:00"),
                end: at("2026-03-02 00:00:00")
            }
        );
        let same = from_flags(None, Some("2026-03-01"), Some("2026-03-01"), now, "x").unwrap();
        assert_eq!(same.start, same.end);
    }

    #[test]
    fn bad_ranges_are_usage_errors() {
        let now = at("2026-03-10 12:00:00");
        for (start, end, says) in [
            (
                Some("2026-13-01"),
                None,
                "--start \"2026-13-01\": not a date",
            ),
            (Some("yesterday"), None, "--start \"yesterday\": not a date"),
            (Some("2026-03-01"), Some("2026-03-01 25:00:00"), "--end"),
            (Some("2026-03-02"), Some("2026-03-01"), "is after the end"),
            (Some("2026-03-11"), None, "is after the end"),
            (None, None, "needs a time range: give --hours N"),
        ] {
            let err = from_flags(None, start, end, now, "--repair match-elo").unwrap_err();
            assert_eq!(err.exit_code(), exit::USAGE);
            assert!(err.to_string().contains(says), "{err}");
        }
        let err = from_flags(Some(u32::MAX), None, None, now, "x").unwrap_err();
        assert!(err.to_string().contains("too far back"), "{err}");
    }
}
