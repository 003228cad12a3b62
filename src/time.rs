//! The local time zone every stored datetime is expressed in.
//!
//! The reference stores naive local datetimes of its process (Europe/Paris in
//! production). mmstatus does the same, in the zone named by `MMSTATUS_TZ`, or
//! the process's local zone when unset. "Now" is always computed here, never
//! with SQL `NOW()`: Diesel's MySQL sessions run in UTC.

use crate::error::{Error, Result};
use chrono::{
    DateTime, FixedOffset, Local, LocalResult, NaiveDateTime, SubsecRound, TimeZone, Utc,
};
use chrono_tz::Tz;

/// The format of naive local datetimes on the command line and in output.
pub const DATETIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LocalZone {
    /// An IANA zone from `MMSTATUS_TZ`.
    Named(Tz),
    /// The process's local zone (`TZ`, else /etc/localtime), like the reference.
    System,
}

impl LocalZone {
    /// Interprets the `MMSTATUS_TZ` setting; `None` means the system zone.
    pub fn from_setting(setting: Option<&str>) -> Result<LocalZone> {
        match setting {
            None => Ok(LocalZone::System),
            Some(name) => name.parse::<Tz>().map(LocalZone::Named).map_err(|_| {
                Error::invalid(format!(
                    "MMSTATUS_TZ={name:?} is not an IANA time zone name (for example Europe/Paris)"
                ))
            }),
        }
    }

    /// A name for messages.
    pub fn describe(&self) -> String {
        match self {
            LocalZone::Named(tz) => tz.name().to_string(),
            LocalZone::System => "the system's local time zone".to_string(),
        }
    }

    /// The current local time, to the second (the columns hold no fractions).
    pub fn now(&self) -> NaiveDateTime {
        self.from_utc(Utc::now())
    }

    /// The local wall-clock time of an instant, to the second.
    pub fn from_utc(&self, instant: DateTime<Utc>) -> NaiveDateTime {
        let local = match self {
            LocalZone::Named(tz) => instant.with_timezone(tz).naive_local(),
            LocalZone::System => instant.with_timezone(&Local).naive_local(),
        };
        local.trunc_subsecs(0)
    }

    /// The local time of a Unix timestamp (an API's `startDate`), to the
    /// second; `None` for a timestamp chrono cannot represent.
    pub fn from_epoch(&self, seconds: i64) -> Option<NaiveDateTime> {
        DateTime::<Utc>::from_timestamp(seconds, 0).map(|t| self.from_utc(t))
    }

    /// The reference's "never" (`datetime.fromtimestamp(0)`): Unix time 0 in
    /// local time, `1970-01-01 01:00:00` in Europe/Paris. Stored in
    /// `player.last_points_update` and `last_name_update` to mean "fetch as
    /// soon as possible", and compared with equality.
    pub fn sentinel(&self) -> NaiveDateTime {
        self.from_utc(DateTime::<Utc>::UNIX_EPOCH)
    }

    /// Whether a wall-clock time exists in this zone (a time skipped by a
    /// daylight-saving jump does not).
    pub fn exists(&self, local: NaiveDateTime) -> bool {
        match self {
            LocalZone::Named(tz) => matches_some(tz.from_local_datetime(&local)),
            LocalZone::System => matches_some(Local.from_local_datetime(&local)),
        }
    }

    /// Reads a point in time given as `YYYY-MM-DD HH:MM:SS` (local time in
    /// this zone) or RFC 3339 (converted to this zone).
    pub fn parse_datetime(&self, text: &str) -> std::result::Result<NaiveDateTime, String> {
        let text = text.trim();
        if let Ok(local) = NaiveDateTime::parse_from_str(text, DATETIME_FORMAT) {
            if !self.exists(local) {
                return Err(format!(
                    "{text} does not exist in {} (skipped by a daylight-saving change)",
                    self.describe()
                ));
            }
            return Ok(local);
        }
        if let Ok(instant) = DateTime::<FixedOffset>::parse_from_rfc3339(text) {
            return Ok(self.from_utc(instant.with_timezone(&Utc)));
        }
        Err(format!(
            "cannot read {text:?} as a date and time: use 'YYYY-MM-DD HH:MM:SS' (local time in {}) \
             or RFC 3339 such as 2026-01-01T00:00:00+01:00",
            self.describe()
        ))
    }
}

fn matches_some<T>(result: LocalResult<T>) -> bool {
    !matches!(result, LocalResult::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> LocalZone {
        LocalZone::from_setting(Some("Europe/Paris")).unwrap()
    }

    fn naive(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, DATETIME_FORMAT).unwrap()
    }

    #[test]
    fn unknown_zone_is_refused() {
        let err = LocalZone::from_setting(Some("Mars/Olympus")).unwrap_err();
        assert!(err.to_string().contains("Mars/Olympus"));
        assert_eq!(LocalZone::from_setting(None).unwrap(), LocalZone::System);
    }

    #[test]
    fn local_format_is_kept_as_written() {
        assert_eq!(
            paris().parse_datetime("2026-07-01 12:30:00").unwrap(),
            naive("2026-07-01 12:30:00")
        );
    }

    #[test]
    fn rfc3339_is_converted_to_the_zone() {
        // Summer: UTC+2; winter: UTC+1.
        assert_eq!(
            paris().parse_datetime("2026-07-01T10:30:00Z").unwrap(),
            naive("2026-07-01 12:30:00")
        );
        assert_eq!(
            paris().parse_datetime("2026-01-01T00:00:00+01:00").unwrap(),
            naive("2026-01-01 00:00:00")
        );
        assert_eq!(
            paris()
                .parse_datetime("2026-01-01T00:00:00.900-05:00")
                .unwrap(),
            naive("2026-01-01 06:00:00")
        );
    }

    #[test]
    fn epoch_is_the_reference_sentinel_in_paris() {
        let epoch = DateTime::<Utc>::from_timestamp(0, 0).unwrap();
        assert_eq!(paris().from_utc(epoch), naive("1970-01-01 01:00:00"));
    }

    #[test]
    fn api_timestamps_and_the_sentinel_in_paris() {
        assert_eq!(
            paris().from_epoch(1767261600),
            Some(naive("2026-01-01 11:00:00"))
        );
        assert_eq!(
            paris().from_epoch(1751364000),
            Some(naive("2025-07-01 12:00:00"))
        );
        assert_eq!(paris().from_epoch(i64::MAX), None);
        assert_eq!(paris().sentinel(), naive("1970-01-01 01:00:00"));
    }

    #[test]
    fn skipped_local_time_is_refused() {
        // 2026-03-29 02:00 → 03:00 in Paris.
        let err = paris().parse_datetime("2026-03-29 02:30:00").unwrap_err();
        assert!(err.contains("does not exist"), "{err}");
        assert!(paris().parse_datetime("2026-03-29 03:30:00").is_ok());
    }

    #[test]
    fn garbage_is_refused_with_the_accepted_formats() {
        for bad in [
            "",
            "tomorrow",
            "2026-13-01 00:00:00",
            "2026-01-01",
            "01/02/2026 10:00:00",
        ] {
            let err = paris().parse_datetime(bad).unwrap_err();
            assert!(err.contains("YYYY-MM-DD HH:MM:SS"), "{bad}: {err}");
        }
    }
}
