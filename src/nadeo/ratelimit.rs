//! Request pacing shared by every call to one group of hosts.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Spaces requests at least `1 / rate` apart (a token bucket holding one
/// token), and can be paused, e.g. for a 429's Retry-After.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    next_slot: Mutex<Instant>,
}

/// The spacing a rate may ask for: the configuration's bounds on
/// MMSTATUS_MAX_RPS and MMSTATUS_OAUTH_MAX_RPS (10 000/s down to 0.01/s).
const MIN_INTERVAL: Duration = Duration::from_micros(100);
const MAX_INTERVAL: Duration = Duration::from_secs(100);

impl RateLimiter {
    /// `per_second` requests a second, held within the configuration's
    /// bounds; a rate that is not a positive number means the slowest.
    pub fn new(per_second: f64) -> RateLimiter {
        let interval = Duration::try_from_secs_f64(1.0 / per_second)
            .ok()
            .filter(|_| per_second > 0.0)
            .map_or(MAX_INTERVAL, |i| i.clamp(MIN_INTERVAL, MAX_INTERVAL));
        RateLimiter {
            interval,
            next_slot: Mutex::new(Instant::now()),
        }
    }

    /// Blocks until this caller may send a request.
    pub fn acquire(&self) {
        let wait = {
            let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.interval;
            slot - now
        };
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }

    /// Holds every caller back until at least `until`.
    pub fn pause_until(&self, until: Instant) {
        let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
        *next = (*next).max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_calls_by_the_interval() {
        let limiter = RateLimiter::new(20.0);
        let mut stamps = Vec::new();
        for _ in 0..4 {
            limiter.acquire();
            stamps.push(Instant::now());
        }
        for pair in stamps.windows(2) {
            assert!(
                pair[1] - pair[0] >= Duration::from_millis(45),
                "{:?}",
                pair[1] - pair[0]
            );
        }
    }

    #[test]
    fn any_rate_gives_a_bounded_interval() {
        for (rate, interval) in [
            (5.0, Duration::from_millis(200)),
            (10_000.0, MIN_INTERVAL),
            (1e300, MIN_INTERVAL),
            (1e-300, MAX_INTERVAL),
            (0.0, MAX_INTERVAL),
            (-3.0, MAX_INTERVAL),
            (f64::NAN, MAX_INTERVAL),
            (f64::INFINITY, MIN_INTERVAL),
        ] {
            assert_eq!(RateLimiter::new(rate).interval, interval, "{rate}");
        }
    }

    #[test]
    fn pause_delays_the_next_call() {
        let limiter = RateLimiter::new(1000.0);
        let start = Instant::now();
        limiter.pause_until(start + Duration::from_millis(80));
        limiter.acquire();
        assert!(start.elapsed() >= Duration::from_millis(80));
    }
}
