//! A simulated Nadeo API on 127.0.0.1: the fake the mmstatus tests use, and
//! the `mmstatus-sim` program. Nothing here reaches the internet, and nothing
//! here knows mmstatus's database.
//!
//! - [`FakeApi`] is the server: scriptable routes, recorded requests, faults.
//! - [`TokenAuthority`] plays Nadeo's token endpoints (E1, E2, E3) with
//!   rotating refresh tokens, and can check access tokens on API calls.
//! - [`Scenario`] plays the data endpoints from scripted data.

pub mod api;
pub mod faults;
pub mod rng;
pub mod scenario;
pub mod server;
pub mod tokens;
pub mod world;

pub use faults::{FaultCounts, Faults};
pub use scenario::{Scenario, ScenarioMatch, PLAYERS};
pub use server::{FakeApi, Recorded, Reply, CORE, LIVE, MEET, OAUTH};
pub use tokens::{jwt, jwt_with_exp, unix_now, AnswerShape, TokenAuthority, TOKEN_LIFETIME_SECS};

/// The `NAME=value` pairs of the settings line the program prints first
/// (values hold no spaces: URLs, tokens, ids).
pub fn parse_settings_line(line: &str) -> Vec<(String, String)> {
    line.split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse_settings_line;

    #[test]
    fn a_settings_line_gives_its_pairs() {
        assert_eq!(
            parse_settings_line("A=http://x/y B=a.b.c=  \n"),
            [
                ("A".to_string(), "http://x/y".to_string()),
                ("B".to_string(), "a.b.c=".to_string())
            ]
        );
        assert!(parse_settings_line("no pairs here").is_empty());
    }
}
