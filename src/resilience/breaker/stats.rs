//! Counters, and the plain snapshot of them.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::state::State;

/// A snapshot of a breaker's counts, from [`CircuitBreaker::stats`](super::CircuitBreaker::stats).
///
/// Lifetime counts run from construction or the last
/// [`reset`](super::CircuitBreaker::reset); the `window_*` counts and rates describe the
/// sliding window (or, in half-open, the trial calls so far).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct BreakerStats {
    /// The state when the snapshot was taken.
    pub state: State,
    /// Calls that ran and reported an outcome (`successes + failures`).
    pub calls: u64,
    /// Calls recorded as successes (including errors the predicate did not count).
    pub successes: u64,
    /// Calls recorded as failures.
    pub failures: u64,
    /// Calls slower than the slow-call duration (successes and failures alike).
    pub slow: u64,
    /// Calls the breaker refused (open, forced-open, or half-open with no trial left).
    pub rejected: u64,
    /// Permits finished with [`Permit::ignore`](super::Permit::ignore).
    pub ignored: u64,
    /// Permits dropped without an outcome (for instance a `call` future dropped mid-way).
    pub cancelled: u64,
    /// Outcomes in the current window (or half-open trial).
    pub window_calls: u64,
    /// Failures among them.
    pub window_failures: u64,
    /// Slow calls among them.
    pub window_slow: u64,
    /// `window_failures / window_calls` in percent, once the window holds the minimum
    /// number of calls; `None` before.
    pub failure_rate: Option<f32>,
    /// `window_slow / window_calls` in percent, on the same terms as `failure_rate`.
    pub slow_call_rate: Option<f32>,
}

/// Lifetime counters off the success path: a healthy call touches none of them (its count
/// is the window's ticket counter), so they cost nothing until something goes wrong.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Outcomes recorded outside the closed-state window (half-open, disabled, stale).
    pub(crate) other_calls: AtomicU64,
    pub(crate) failures: AtomicU64,
    pub(crate) slow: AtomicU64,
    pub(crate) rejected: AtomicU64,
    pub(crate) ignored: AtomicU64,
    pub(crate) cancelled: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }

    pub(crate) fn clear(&self) {
        for c in [
            &self.other_calls,
            &self.failures,
            &self.slow,
            &self.rejected,
            &self.ignored,
            &self.cancelled,
        ] {
            c.store(0, Relaxed);
        }
    }
}

/// `part / whole` in percent.
pub(crate) fn percent(part: u64, whole: u64) -> f32 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 * 100.0 / whole as f64) as f32
    }
}
