//! Delivery health as Truora judges it: a subscription is disabled when more than
//! 80% of the delivery attempts within 60 minutes fail (non-2xx, timeout, no connection).

use std::collections::VecDeque;
use std::time::Duration;

/// The window Truora looks at.
pub const WINDOW: Duration = Duration::from_secs(60 * 60);
/// Above this failure ratio Truora disables the subscription.
pub const DISABLE_ABOVE: f64 = 0.8;
/// Above this ratio the GUI turns amber.
pub const WARN_ABOVE: f64 = 0.5;

/// Attempts within the rolling window, counted per second so the window stays
/// small (at most 3,600 buckets) however many deliveries there are. Times are
/// caller-supplied seconds on any monotonic scale, so tests can drive the clock.
#[derive(Debug, Clone, Default)]
pub struct Health {
    /// (whole second, attempts, failures), oldest first.
    buckets: VecDeque<(u64, usize, usize)>,
    attempts: usize,
    failures: usize,
}

/// How the window looks now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snapshot {
    pub attempts: usize,
    pub failures: usize,
    pub ratio: f64,
}

impl Snapshot {
    /// True when Truora would disable the subscription.
    pub fn would_disable(&self) -> bool {
        self.attempts > 0 && self.ratio > DISABLE_ABOVE
    }

    /// True past the amber line.
    pub fn is_warning(&self) -> bool {
        self.attempts > 0 && self.ratio > WARN_ABOVE
    }
}

/// True for the statuses Truora counts as delivered.
pub fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

impl Health {
    /// Records one attempt at time `at` (seconds).
    pub fn record(&mut self, at: f64, ok: bool) {
        let second = at.max(0.0) as u64;
        let failed = usize::from(!ok);
        match self.buckets.back_mut() {
            Some((s, attempts, failures)) if *s >= second => {
                *attempts += 1;
                *failures += failed;
            }
            _ => self.buckets.push_back((second, 1, failed)),
        }
        self.attempts += 1;
        self.failures += failed;
        self.expire(at);
    }

    fn expire(&mut self, now: f64) {
        let window = WINDOW.as_secs();
        let now = now.max(0.0) as u64;
        while let Some(&(second, attempts, failures)) = self.buckets.front() {
            if now < second + window {
                break;
            }
            self.buckets.pop_front();
            self.attempts -= attempts;
            self.failures -= failures;
        }
    }

    /// The window as of `now` (seconds).
    pub fn snapshot(&mut self, now: f64) -> Snapshot {
        self.expire(now);
        Snapshot {
            attempts: self.attempts,
            failures: self.failures,
            ratio: if self.attempts == 0 {
                0.0
            } else {
                self.failures as f64 / self.attempts as f64
            },
        }
    }
}

/// A line for people: what the window says about the subscription.
pub fn describe(snapshot: &Snapshot) -> String {
    let percent = snapshot.ratio * 100.0;
    if snapshot.would_disable() {
        format!(
            "{percent:.0}% of {} deliveries in the last 60 minutes failed: Truora would disable this subscription (over 80%)",
            snapshot.attempts
        )
    } else {
        format!(
            "{percent:.0}% of {} deliveries in the last 60 minutes failed: the subscription stays enabled (Truora disables it over 80%)",
            snapshot.attempts
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossing_the_80_percent_line() {
        let mut health = Health::default();
        // 2 successes, then 8 failures: exactly 80% is not over the line.
        health.record(0.0, true);
        health.record(1.0, true);
        for i in 0..8 {
            health.record(2.0 + i as f64, false);
        }
        let at = health.snapshot(10.0);
        assert_eq!((at.attempts, at.failures), (10, 8));
        assert!(!at.would_disable());
        assert!(at.is_warning());
        health.record(11.0, false);
        assert!(health.snapshot(11.0).would_disable());
    }

    #[test]
    fn old_attempts_leave_the_window() {
        let mut health = Health::default();
        for i in 0..10 {
            health.record(i as f64, false);
        }
        assert!(health.snapshot(100.0).would_disable());
        health.record(3_605.0, true);
        // Attempts at 0..=5 s have left the 60-minute window at 3605 s.
        let at = health.snapshot(3_605.0);
        assert_eq!((at.attempts, at.failures), (5, 4));
        assert!(!at.would_disable());
        assert_eq!(health.snapshot(10_000.0).attempts, 0);
        assert!(!health.snapshot(10_000.0).would_disable());
    }

    #[test]
    fn a_busy_hour_stays_small() {
        let mut health = Health::default();
        for i in 0..1_000_000u64 {
            health.record(i as f64 / 1_000.0, i % 10 != 0);
        }
        assert!(health.buckets.len() <= 1_000);
        let at = health.snapshot(1_000.0);
        assert_eq!(at.attempts, 1_000_000);
        assert!((at.ratio - 0.1).abs() < 1e-9);
    }

    #[test]
    fn success_is_2xx() {
        assert!(is_success(200) && is_success(204));
        assert!(!is_success(302) && !is_success(500) && !is_success(199));
    }
}
