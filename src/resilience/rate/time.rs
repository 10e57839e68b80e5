//! Where a limiter gets `now` from, and the jitter added to `until_ready` waits.

use crate::clock::Clock;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::gcra::saturating_nanos;
use super::hash::mix64;

/// The clock of a limiter. The default is matched directly rather than through
/// `Arc<dyn Clock>`, so the common case pays for one clock read and nothing else (the clock
/// read is most of a `check`).
#[derive(Clone)]
pub(crate) enum TimeSource {
    /// The default: `quanta`'s clock, which reads the CPU's invariant time-stamp counter where
    /// it has one (about 15 ns here, where `Instant::now()` takes about 44 ns on these VMs) and
    /// falls back to the OS monotonic clock where it has not. Measured from the limiter's
    /// construction.
    Tsc(quanta::Clock, u64),
    /// An injected clock (tests, a coarse clock, a TSC clock).
    Custom(Arc<dyn Clock>),
}

impl TimeSource {
    pub(crate) fn new(clock: Option<Arc<dyn Clock>>) -> Self {
        match clock {
            Some(c) => Self::Custom(c),
            None => {
                let clock = quanta::Clock::new();
                let origin = clock.raw();
                Self::Tsc(clock, origin)
            }
        }
    }

    /// Nanoseconds since the clock's origin.
    #[inline(always)]
    pub(crate) fn now(&self) -> u64 {
        match self {
            // Raw counter ticks scaled by a multiply and a shift: going through `Instant` and
            // `Duration` would add a division by 10^9 to every check.
            Self::Tsc(clock, origin) => clock.delta_as_nanos(*origin, clock.raw()),
            Self::Custom(clock) => saturating_nanos(clock.now()),
        }
    }
}

impl fmt::Debug for TimeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tsc(..) => f.write_str("Tsc"),
            Self::Custom(c) => f.debug_tuple("Custom").field(c).finish(),
        }
    }
}

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
