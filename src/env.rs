//! Reading settings from the environment, the same way for every variable.
//!
//! A variable is *unset* only when it is absent from the environment; a
//! set-but-empty variable is a value, and each kind of setting says what an
//! empty value means: [`setting`] refuses it, [`credential`] reads it as "none
//! configured", [`number`] refuses it like any other non-number. A value that
//! is not UTF-8 is a usage error naming the variable.

use crate::error::{Error, Result};
use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;

/// Looks one variable up: `Ok(None)` when it is absent.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Result<Option<String>>;

/// Bad values are quoted in messages up to this many characters.
const MAX_QUOTED_CHARS: usize = 40;

/// The process environment, as a [`Lookup`].
pub fn process_var(name: &str) -> Result<Option<String>> {
    match std::env::var(name) {
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Error::invalid(format!("{name} is not valid UTF-8")))
        }
    }
}

/// A [`Lookup`] over a function that cannot fail (tests, maps).
pub fn infallible(
    env: &dyn Fn(&str) -> Option<String>,
) -> impl Fn(&str) -> Result<Option<String>> + '_ {
    move |name| Ok(env(name))
}

/// A setting that has no meaning when empty (a URL, a name, a path): `None`
/// when unset, a usage error when set to nothing but whitespace.
pub fn setting(env: Lookup, name: &str) -> Result<Option<String>> {
    match env(name)? {
        Some(value) if value.trim().is_empty() => Err(Error::invalid(format!(
            "{name} is set but empty; give it a value or unset it"
        ))),
        other => Ok(other),
    }
}

/// A token, secret or login: empty (or only whitespace) means none configured.
pub fn credential(env: Lookup, name: &str) -> Result<Option<String>> {
    Ok(env(name)?.filter(|value| !value.trim().is_empty()))
}

/// A switch of the reference (`ENABLE_THREADS`, `ENABLE_OAUTH`): on when
/// unset (the reference's default is the string `True`) or exactly `True`;
/// any other value, empty included, turns it off.
pub fn switch(env: Lookup, name: &str) -> Result<bool> {
    Ok(env(name)?.is_none_or(|value| value == "True"))
}

/// A number: `default` when unset; anything but a number within `range`
/// (empty included) is a usage error naming the variable, the range and the
/// value. `what` completes "must be …", e.g. "a number of seconds".
pub fn number<T>(
    env: Lookup,
    name: &str,
    what: &str,
    range: RangeInclusive<T>,
    default: T,
) -> Result<T>
where
    T: FromStr + PartialOrd + Display,
{
    match env(name)? {
        None => Ok(default),
        Some(text) => parse_in_range(name, what, &range, &text),
    }
}

/// Parses `text` as a number within `range`; see [`number`].
pub fn parse_in_range<T>(name: &str, what: &str, range: &RangeInclusive<T>, text: &str) -> Result<T>
where
    T: FromStr + PartialOrd + Display,
{
    match text.trim().parse::<T>() {
        Ok(value) if range.contains(&value) => Ok(value),
        _ => Err(Error::invalid(format!(
            "{name} must be {what} from {} to {}, not {}",
            range.start(),
            range.end(),
            quoted(text)
        ))),
    }
}

/// `text` in quotes and escaped, cut short when long.
fn quoted(text: &str) -> String {
    if text.chars().count() <= MAX_QUOTED_CHARS {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(MAX_QUOTED_CHARS).collect();
        format!("{head:?}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(name: &'static str, value: &'static str) -> impl Fn(&str) -> Result<Option<String>> {
        move |n| Ok((n == name).then(|| value.to_string()))
    }

    #[test]
    fn unset_is_absent_and_empty_is_a_value() {
        let env = one("X", "");
        assert!(setting(&env, "Y").unwrap().is_none());
        let err = setting(&env, "X").unwrap_err();
        assert_eq!(
            err.to_string(),
            "X is set but empty; give it a value or unset it"
        );
        assert!(setting(&one("X", "  "), "X").is_err());
        assert_eq!(credential(&env, "X").unwrap(), None);
        assert_eq!(
            credential(&one("X", " t "), "X").unwrap().as_deref(),
            Some(" t ")
        );
    }

    #[test]
    fn switches_are_on_only_when_unset_or_exactly_true() {
        assert!(switch(&one("X", "True"), "S").unwrap(), "unset");
        assert!(switch(&one("S", "True"), "S").unwrap());
        for off in ["False", "true", "1", "", " True"] {
            assert!(!switch(&one("S", off), "S").unwrap(), "{off:?}");
        }
    }

    #[test]
    fn numbers_are_checked_against_their_range() {
        let read = |value: &'static str| number(&one("N", value), "N", "a number", 0.5..=10.0, 1.0);
        assert_eq!(read("2.5").unwrap(), 2.5);
        assert_eq!(read(" 10 ").unwrap(), 10.0);
        assert_eq!(
            number(&one("M", "x"), "N", "a number", 0.5..=10.0, 1.0).unwrap(),
            1.0
        );
        for bad in ["", "0.4", "10.01", "1e300", "-1", "NaN", "inf", "ten"] {
            let err = read(bad).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("N must be a number from 0.5 to 10, not {bad:?}")
            );
            assert_eq!(err.exit_code(), crate::error::exit::USAGE);
        }
        let err = parse_in_range::<u16>("P", "a port", &(1..=65535), "65536").unwrap_err();
        assert_eq!(
            err.to_string(),
            "P must be a port from 1 to 65535, not \"65536\""
        );
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let long = "9".repeat(500);
        let err = parse_in_range::<u32>("N", "a number", &(1..=2), &long).unwrap_err();
        assert!(err.to_string().len() < 120, "{err}");
    }

    #[test]
    fn an_absent_process_variable_is_unset() {
        assert!(process_var("MMSTATUS_SURELY_NOT_SET_ANYWHERE")
            .unwrap()
            .is_none());
    }
}
