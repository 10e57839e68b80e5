//! [`RateLimiter`]: one quota shared by every caller, in one atomic word.

use crate::clock::Clock;
use crate::resilience::ResilienceError;
use crossbeam_utils::CachePadded;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::error::{InsufficientCapacity, RateLimitError, RateLimited};
use super::gcra::{Gcra, invalid, saturating_nanos};
use super::hash::random_seed;
use super::keyed::KeyedRateLimiterBuilder;
use super::time::{Jitter, TimeSource};

/// A GCRA rate limiter: `n` cells per period with a burst, lock-free, one atomic word of state.
///
/// Cloning is cheap (an `Arc`); clones share the quota. `check` reads the clock once and does
/// one compare-and-swap (retried only when another thread won the race), so concurrent callers
/// are never admitted beyond the quota.
///
/// ```
/// use perfkit::resilience::RateLimiter;
/// use perfkit::clock::ManualClock;
/// use std::{sync::Arc, time::Duration};
///
/// let clock = ManualClock::new();
/// // 10 per second, at most 3 at once; time is driven by hand here.
/// let limiter = RateLimiter::per_second(10).burst(3).clock(Arc::new(clock.clone())).build()?;
///
/// assert!(limiter.check().is_ok());
/// assert!(limiter.check().is_ok());
/// assert!(limiter.check().is_ok());
/// let denied = limiter.check().unwrap_err();
/// assert_eq!(denied.retry_after(), Duration::from_millis(100));
///
/// clock.advance(Duration::from_millis(100));
/// assert!(limiter.check().is_ok());
/// # Ok::<(), perfkit::resilience::ResilienceError>(())
/// ```
#[derive(Clone)]
pub struct RateLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    gcra: Gcra,
    clock: TimeSource,
    jitter: Jitter,
    /// The theoretical arrival time, ns since the clock's origin. Padded so that the CAS
    /// traffic on it does not evict the read-only fields above from other cores' caches.
    tat: CachePadded<AtomicU64>,
}

impl RateLimiter {
    /// `n` cells per second; the burst defaults to `n`.
    pub fn per_second(n: u32) -> RateLimiterBuilder {
        RateLimiterBuilder::new(n, Duration::from_secs(1), None)
    }

    /// `n` cells per minute; the burst defaults to `n`.
    pub fn per_minute(n: u32) -> RateLimiterBuilder {
        RateLimiterBuilder::new(n, Duration::from_secs(60), None)
    }

    /// `n` cells per `period`; the burst defaults to `n`.
    pub fn per_period(n: u32, period: Duration) -> RateLimiterBuilder {
        RateLimiterBuilder::new(n, period, None)
    }

    /// One cell every `interval`; the burst defaults to 1 (strict spacing).
    pub fn with_period(interval: Duration) -> RateLimiterBuilder {
        RateLimiterBuilder::new(1, interval, Some(1))
    }

    /// Admits one cell now, or says how long until it would be admitted.
    #[inline]
    pub fn check(&self) -> Result<(), RateLimited> {
        let inner = &*self.inner;
        let weight = inner.gcra.t;
        inner.admit(weight).map_err(RateLimited::from_nanos)
    }

    /// Admits `cost` cells at once, or none of them.
    ///
    /// A cost of 0 always passes and changes nothing. A cost above the burst can never pass:
    /// it is [`RateLimitError::InsufficientCapacity`], not a wait.
    ///
    /// ```
    /// use perfkit::resilience::{RateLimiter, RateLimitError};
    ///
    /// let limiter = RateLimiter::per_second(100).burst(10).build()?;
    /// assert!(limiter.check_n(8).is_ok());
    /// assert!(matches!(limiter.check_n(8), Err(RateLimitError::RateLimited(_))));
    /// assert!(matches!(limiter.check_n(11), Err(RateLimitError::InsufficientCapacity(_))));
    /// # Ok::<(), perfkit::resilience::ResilienceError>(())
    /// ```
    #[inline]
    pub fn check_n(&self, cost: u32) -> Result<(), RateLimitError> {
        let inner = &*self.inner;
        let weight = inner.gcra.weight(cost)?;
        if weight == 0 {
            return Ok(());
        }
        inner
            .admit(weight)
            .map_err(|n| RateLimited::from_nanos(n).into())
    }

    /// Waits until one cell is admitted. See [`until_n_ready`](Self::until_n_ready).
    pub async fn until_ready(&self) {
        // A cost of 1 never exceeds the burst (which is at least 1).
        let _ = self.until_n_ready(1).await;
    }

    /// Waits until `cost` cells are admitted.
    ///
    /// The cells are booked at once (the TAT moves forward) and the future sleeps until the
    /// booking conforms, plus a jitter in `[0, jitter]` (see
    /// [`RateLimiterBuilder::jitter`]). Booking instead of polling serves waiters in arrival
    /// order with one CAS each, and no two waiters share a deadline. If the future is dropped
    /// before it completes and no one has booked after it, the booking is undone; otherwise
    /// the slot is forfeited (the limiter admits less, never more).
    ///
    /// Sleeps with `tokio::time::sleep`, so it must run inside a Tokio runtime with the time
    /// driver enabled when it has to wait (tokio panics otherwise). It does not sleep at all
    /// when the cells conform immediately. The wait is computed from the limiter's clock and
    /// slept on Tokio's clock.
    ///
    /// ```
    /// use perfkit::resilience::RateLimiter;
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), perfkit::resilience::ResilienceError> {
    /// let limiter = RateLimiter::with_period(Duration::from_millis(2)).build()?;
    /// let start = std::time::Instant::now();
    /// for _ in 0..3 {
    ///     limiter.until_ready().await;
    /// }
    /// assert!(start.elapsed() >= Duration::from_millis(4));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn until_n_ready(&self, cost: u32) -> Result<(), InsufficientCapacity> {
        let inner = &*self.inner;
        let weight = inner.gcra.weight(cost)?;
        if weight == 0 {
            return Ok(());
        }
        let now = inner.clock.now();
        let mut tat = inner.tat.load(Ordering::Relaxed);
        let (prev, booked, wait) = loop {
            let (booked, wait) = inner.gcra.reserve(tat, now, weight);
            match inner
                .tat
                .compare_exchange_weak(tat, booked, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => break (tat, booked, wait),
                Err(actual) => tat = actual,
            }
        };
        if wait == 0 {
            return Ok(());
        }
        let booking = Booking {
            inner,
            prev,
            booked,
            done: false,
        };
        let delay = Duration::from_nanos(wait) + inner.jitter.sample(booked);
        tokio::time::sleep(delay).await;
        booking.finish();
        Ok(())
    }

    /// The most cells one request can get (the burst).
    pub fn burst(&self) -> u32 {
        self.inner.gcra.burst
    }

    /// The time one cell takes to replenish.
    pub fn emission_interval(&self) -> Duration {
        Duration::from_nanos(self.inner.gcra.t)
    }
}

impl Inner {
    /// The CAS loop. `now` is read once, before the first load: a thread that loses a race
    /// retries against the newer TAT with its own `now`, which can only make it stricter.
    #[inline(always)]
    fn admit(&self, weight: u64) -> Result<(), u64> {
        let now = self.clock.now();
        let mut tat = self.tat.load(Ordering::Relaxed);
        loop {
            let next = self.gcra.decide(tat, now, weight)?;
            // Relaxed is enough: the TAT is the only shared datum and the CAS orders all
            // updates to it; nothing else is published through it.
            match self
                .tat
                .compare_exchange_weak(tat, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return Ok(()),
                Err(actual) => tat = actual,
            }
        }
    }
}

/// Undoes an `until_n_ready` booking whose future was dropped while sleeping.
struct Booking<'a> {
    inner: &'a Inner,
    prev: u64,
    booked: u64,
    done: bool,
}

impl Booking<'_> {
    fn finish(mut self) {
        self.done = true;
    }
}

impl Drop for Booking<'_> {
    fn drop(&mut self) {
        if !self.done {
            // Only the latest booking can be undone exactly: if anything was admitted or
            // booked after it, the TAT has moved on and the slot is left unused instead
            // (undoing it then could admit two requests in one slot).
            let _ = self.inner.tat.compare_exchange(
                self.booked,
                self.prev,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("emission_interval", &self.emission_interval())
            .field("burst", &self.burst())
            .field("clock", &self.inner.clock)
            .field("tat_nanos", &self.inner.tat.load(Ordering::Relaxed))
            .finish()
    }
}

/// Settings of a [`RateLimiter`] (or, via [`keyed`](Self::keyed), a
/// [`KeyedRateLimiter`](super::KeyedRateLimiter)).
///
/// Defaults: burst = the number of cells per period (1 for `with_period`); the real monotonic
/// clock; jitter = half the emission interval, at most 1 ms; a random jitter seed.
#[must_use = "a builder does nothing until `build()` is called"]
#[derive(Clone)]
pub struct RateLimiterBuilder {
    pub(crate) cells: u32,
    pub(crate) period: Duration,
    pub(crate) burst: Option<u32>,
    pub(crate) clock: Option<Arc<dyn Clock>>,
    pub(crate) jitter: Option<Duration>,
    pub(crate) jitter_seed: Option<u64>,
}

impl RateLimiterBuilder {
    fn new(cells: u32, period: Duration, burst: Option<u32>) -> Self {
        Self {
            cells,
            period,
            burst,
            clock: None,
            jitter: None,
            jitter_seed: None,
        }
    }

    /// The most cells admitted at once after a quiet spell. Default: the cells per period
    /// (1 for [`RateLimiter::with_period`]). Must be at least 1.
    pub fn burst(mut self, burst: u32) -> Self {
        self.burst = Some(burst);
        self
    }

    /// The clock decisions are made against. Default: a monotonic clock read from the CPU's
    /// invariant time-stamp counter through the `quanta` crate where the CPU has one (the OS
    /// monotonic clock otherwise), read directly without dynamic dispatch: on the VMs we
    /// measure on it costs about 15 ns where `Instant::now()` costs about 44 ns. Inject a
    /// [`ManualClock`](crate::clock::ManualClock) for deterministic tests, or a
    /// [`CoarseClock`](super::CoarseClock) where even that is too much.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The bound of the random delay added to each `until_ready` wait. Default: half the
    /// emission interval, at most 1 ms. A bound below the emission interval keeps waiters
    /// waking in booking order; `Duration::ZERO` turns jitter off.
    pub fn jitter(mut self, max: Duration) -> Self {
        self.jitter = Some(max);
        self
    }

    /// The seed of the jitter. Default: random per limiter. With a fixed seed the jitter of
    /// each booking is a pure function of the seed and the booked slot.
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }

    /// The same quota applied per key.
    pub fn keyed<K>(self) -> KeyedRateLimiterBuilder<K> {
        KeyedRateLimiterBuilder::from_base(self)
    }

    /// Checks the settings and builds the limiter.
    ///
    /// Errors ([`ResilienceError::InvalidConfig`]): zero cells (`rate`), a zero `period`, a
    /// zero `burst`, a window (burst × emission interval) or jitter over 2^62 ns (~146 years).
    pub fn build(self) -> Result<RateLimiter, ResilienceError> {
        let (gcra, clock, jitter) = self.parts()?;
        Ok(RateLimiter {
            inner: Arc::new(Inner {
                gcra,
                clock,
                jitter,
                tat: CachePadded::new(AtomicU64::new(0)),
            }),
        })
    }

    pub(crate) fn parts(&self) -> Result<(Gcra, TimeSource, Jitter), ResilienceError> {
        let gcra = Gcra::new(self.cells, self.period, self.burst.unwrap_or(self.cells))?;
        let max_nanos = match self.jitter {
            None => Jitter::default_max(gcra.t),
            Some(d) => {
                let n = saturating_nanos(d);
                if n > super::gcra::MAX_SPAN_NANOS {
                    return Err(invalid(
                        "jitter",
                        "the jitter bound must be under 146 years",
                    ));
                }
                n
            }
        };
        let jitter = Jitter {
            max_nanos,
            seed: self.jitter_seed.unwrap_or_else(random_seed),
        };
        Ok((gcra, TimeSource::new(self.clock.clone()), jitter))
    }
}

impl fmt::Debug for RateLimiterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiterBuilder")
            .field("cells", &self.cells)
            .field("period", &self.period)
            .field("burst", &self.burst)
            .field("clock", &self.clock)
            .field("jitter", &self.jitter)
            .field("jitter_seed", &self.jitter_seed)
            .finish()
    }
}
