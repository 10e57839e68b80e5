//! Where a limiter gets `now` from, and the jitter added to `until_ready` waits.

use std::time::Duration;

use super::hash::mix64;

/// The clock of a limiter: the crate's cheap nanosecond clock (the clock read is most of a
/// `check`).
pub(crate) use crate::clock::NanoClock as TimeSource;

/// Spreads the wake-ups of `until_ready` waiters over `[0, max]`.
///
/// Deterministic for a given seed and salt (the waiter's reserved slot), so tests can predict
/// it, yet different for every waiter, so no two waiters share a deadline by construction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Jitter {
    pub(crate) max_nanos: u64,
    pub(crate) seed: u64,
}

impl Jitter {
    /// The default bound: half the emission interval, at most 1 ms. Staying below the interval
    /// keeps waiters waking in the order they were queued (consecutive slots are at least one
    /// interval apart); the 1 ms cap keeps slow limiters (one per minute) from adding seconds.
    pub(crate) fn default_max(t: u64) -> u64 {
        (t / 2).min(1_000_000)
    }

    #[inline]
    pub(crate) fn sample(&self, salt: u64) -> Duration {
        if self.max_nanos == 0 {
            return Duration::ZERO;
        }
        let r = mix64(self.seed ^ salt);
        // max_nanos < u64::MAX is guaranteed by the builders (it is at most 2^62).
        Duration::from_nanos(r % (self.max_nanos + 1))
    }
}
