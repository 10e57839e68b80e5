//! Time as a dependency.
//!
//! Everything in perfkit that depends on the passage of time (rolling windows, alert
//! cooldowns, rate samplers) reads it through [`Clock`], so tests can move time by hand
//! with [`ManualClock`] instead of sleeping.
//!
//! ```
//! use perfkit::clock::{Clock, ManualClock};
//! use std::time::Duration;
//!
//! let clock = ManualClock::new();
//! let start = clock.now();
//! clock.advance(Duration::from_secs(5));
//! assert_eq!(clock.now() - start, Duration::from_secs(5));
//! ```
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A monotonic source of time, measured from an arbitrary fixed origin.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Time elapsed since this clock's origin. Never goes backwards.
    fn now(&self) -> Duration;
}

/// The real monotonic clock ([`Instant`]), with its origin at construction.
#[derive(Debug, Clone, Copy)]
pub struct MonotonicClock {
    origin: Instant,
}

impl MonotonicClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for MonotonicClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for MonotonicClock {
    #[inline]
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// A clock that moves only when told to; clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock standing at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `by` (saturating at about 584 years).
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let mut cur = self.nanos.load(Ordering::Relaxed);
        loop {
            let next = cur.saturating_add(by);
            match self
                .nanos
                .compare_exchange_weak(cur, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }
}

/// Nanoseconds since an origin, cheap to read: the clock hot paths use inside perfkit.
///
/// The default is `quanta`'s clock, which reads the CPU's invariant time-stamp counter where
/// it has one (about 15 ns a read on these VMs, where `Instant::now()` takes about 45 ns)
/// and falls back to the OS monotonic clock where it has not. It is matched directly rather
/// than called through `Arc<dyn Clock>`, so the common case pays for one counter read and a
/// multiply. An injected [`Clock`] (tests, simulations) is the other case.
#[cfg(any(feature = "resilience", feature = "cache", feature = "balance"))]
#[derive(Clone)]
pub(crate) enum NanoClock {
    /// The TSC through quanta, and its reading at the origin.
    Tsc(quanta::Clock, u64),
    /// An injected clock.
    Custom(Arc<dyn Clock>),
}

#[cfg(any(feature = "resilience", feature = "cache", feature = "balance"))]
impl NanoClock {
    /// `clock` if one is given, else the TSC clock with its origin now.
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

    /// Nanoseconds since the origin (saturating).
    #[inline(always)]
    pub(crate) fn now(&self) -> u64 {
        match self {
            // Raw counter ticks scaled by a multiply and a shift: going through `Instant`
            // and `Duration` would add a division by 10^9 to every read.
            Self::Tsc(clock, origin) => clock.delta_as_nanos(*origin, clock.raw()),
            Self::Custom(clock) => u64::try_from(clock.now().as_nanos()).unwrap_or(u64::MAX),
        }
    }
}

#[cfg(any(feature = "resilience", feature = "cache", feature = "balance"))]
impl std::fmt::Debug for NanoClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tsc(..) => f.write_str("Tsc"),
            Self::Custom(c) => f.debug_tuple("Custom").field(c).finish(),
        }
    }
}
