//! Fault injection: latency, 429s, server errors and malformed bodies, each
//! drawn per request with its own probability, so operators can rehearse
//! failures against the simulator.

use crate::rng::Rng;
use std::time::Duration;

/// What to inject, and how many of each were injected.
#[derive(Debug, Clone)]
pub struct Faults {
    /// Added before every answer.
    pub latency: Duration,
    /// Probability (0 to 1) of a 429 with `Retry-After`.
    pub rate_429: f64,
    /// Probability of a 503.
    pub rate_5xx: f64,
    /// Probability of a 200 whose body is cut in the middle of its JSON.
    pub rate_malformed: f64,
    rng: Rng,
    counts: FaultCounts,
}

/// Faults injected so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    pub delayed: u64,
    pub too_many_requests: u64,
    pub server_errors: u64,
    pub malformed: u64,
}

/// A failure answered instead of the route's reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    TooManyRequests,
    ServerError,
    Malformed,
}

/// What one request gets.
#[derive(Debug, Clone, Copy)]
pub struct Drawn {
    pub latency: Duration,
    pub failure: Option<Fault>,
}

/// Seconds a 429 asks the client to wait.
pub const RETRY_AFTER_SECS: u64 = 1;

impl Faults {
    /// No fault at all; set the fields to add some. `seed` drives the draws.
    pub fn new(seed: u64) -> Faults {
        Faults {
            latency: Duration::ZERO,
            rate_429: 0.0,
            rate_5xx: 0.0,
            rate_malformed: 0.0,
            rng: Rng::new(seed),
            counts: FaultCounts::default(),
        }
    }

    pub fn counts(&self) -> FaultCounts {
        self.counts
    }

    /// Draws the fate of one request (at most one failure) and counts it.
    pub fn draw(&mut self) -> Drawn {
        if !self.latency.is_zero() {
            self.counts.delayed += 1;
        }
        let failure = [
            (Fault::TooManyRequests, self.rate_429),
            (Fault::ServerError, self.rate_5xx),
            (Fault::Malformed, self.rate_malformed),
        ]
        .into_iter()
        .find(|&(_, rate)| rate > 0.0 && self.rng.chance(rate))
        .map(|(fault, _)| fault);
        match failure {
            Some(Fault::TooManyRequests) => self.counts.too_many_requests += 1,
            Some(Fault::ServerError) => self.counts.server_errors += 1,
            Some(Fault::Malformed) => self.counts.malformed += 1,
            None => {}
        }
        Drawn {
            latency: self.latency,
            failure,
        }
    }
}

impl std::fmt::Display for FaultCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} delayed, {} answered 429, {} answered 503, {} malformed",
            self.delayed, self.too_many_requests, self.server_errors, self.malformed
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_of_one_always_fails_and_zero_never() {
        let mut faults = Faults::new(1);
        faults.rate_5xx = 1.0;
        for _ in 0..100 {
            assert_eq!(faults.draw().failure, Some(Fault::ServerError));
        }
        faults.rate_5xx = 0.0;
        for _ in 0..100 {
            assert_eq!(faults.draw().failure, None);
        }
        assert_eq!(faults.counts().server_errors, 100);
    }
}
