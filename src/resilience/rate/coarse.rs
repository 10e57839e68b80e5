//! [`CoarseClock`]: time from an atomic that a background thread refreshes, for callers who
//! trade exactness for a cheaper `check`.
//!
//! `Instant::now()` (a vDSO `clock_gettime`) can cost 20–50 ns on virtual machines, which is
//! most of a rate-limit check. `unsafe` is forbidden in perfkit, so the TSC cannot be read
//! directly; a coarse clock is the remaining cheap source.

use crate::clock::Clock;
use crate::resilience::ResilienceError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::gcra::{invalid, saturating_nanos};

/// A monotonic clock read with one atomic load, refreshed every `resolution` by a background
/// thread (which exits once the last clone is dropped).
///
/// **Not exact.** It lags real time by up to `resolution` plus however long the OS delays the
/// refresher thread. A limiter on it never admits more than the exact one *at a decision*
/// (a late `now` only makes a decision stricter), but each admission is booked from that late
/// `now`, so across a window it can admit up to about `lag / emission_interval` extra cells.
/// Pick a resolution well below the emission interval, or keep the default exact clock.
///
/// ```
/// use perfkit::resilience::{CoarseClock, RateLimiter};
/// use std::{sync::Arc, time::Duration};
///
/// let clock = CoarseClock::start(Duration::from_millis(1))?;
/// let limiter = RateLimiter::per_second(100).clock(Arc::new(clock)).build()?;
/// assert!(limiter.check().is_ok());
/// # Ok::<(), perfkit::resilience::ResilienceError>(())
/// ```
#[derive(Debug, Clone)]
pub struct CoarseClock {
    nanos: Arc<AtomicU64>,
}

impl CoarseClock {
    /// Starts the refresher thread. `resolution` must be between 1 µs and 1 s.
    ///
    /// Errors: `InvalidConfig { field: "resolution" }` outside that range, or
    /// `InvalidConfig { field: "thread" }` if the OS refuses to start a thread.
    pub fn start(resolution: Duration) -> Result<Self, ResilienceError> {
        if resolution < Duration::from_micros(1) || resolution > Duration::from_secs(1) {
            return Err(invalid(
                "resolution",
                "the resolution must be between 1 µs and 1 s",
            ));
        }
        let nanos = Arc::new(AtomicU64::new(0));
        let weak: Weak<AtomicU64> = Arc::downgrade(&nanos);
        let origin = Instant::now();
        std::thread::Builder::new()
            .name("perfkit-coarse-clock".into())
            .spawn(move || {
                // Holding only a Weak lets the thread notice when every clone is gone.
                while let Some(nanos) = weak.upgrade() {
                    nanos.fetch_max(saturating_nanos(origin.elapsed()), Ordering::Relaxed);
                    drop(nanos);
                    std::thread::sleep(resolution);
                }
            })
            .map_err(|e| ResilienceError::InvalidConfig {
                field: "thread",
                reason: format!("could not start the refresher thread: {e}"),
            })?;
        Ok(Self { nanos })
    }
}

impl Clock for CoarseClock {
    #[inline]
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }
}
