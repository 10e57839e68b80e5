//! Settings of a [`Bulkhead`], with their defaults.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use super::bulkhead::Bulkhead;
use super::capacity::Capacity;
use crate::clock::{Clock, MonotonicClock};
use crate::resilience::{AdaptiveLimiter, ResilienceError};

/// The default bound on calls waiting for a slot; see [`BulkheadBuilder::max_queue`].
pub const DEFAULT_MAX_QUEUE: usize = 1024;

enum Limit {
    Fixed(usize),
    Adaptive(AdaptiveLimiter),
}

/// Builds a [`Bulkhead`]; from [`Bulkhead::builder`] (a fixed limit) or
/// [`Bulkhead::adaptive`] (the limit of an [`AdaptiveLimiter`]).
///
/// ```
/// use perfkit::resilience::Bulkhead;
/// use std::time::Duration;
///
/// let bulkhead = Bulkhead::builder(16)
///     .max_wait(Duration::from_millis(50))
///     .max_queue(64)
///     .build()?;
/// assert_eq!(bulkhead.stats().limit, 16);
/// # Ok::<(), perfkit::resilience::ResilienceError>(())
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct BulkheadBuilder {
    limit: Limit,
    max_wait: Duration,
    max_queue: usize,
    clock: Arc<dyn Clock>,
}

impl BulkheadBuilder {
    fn new(limit: Limit) -> Self {
        Self {
            limit,
            max_wait: Duration::ZERO,
            max_queue: DEFAULT_MAX_QUEUE,
            clock: Arc::new(MonotonicClock::new()),
        }
    }

    pub(crate) fn fixed(max_concurrent: usize) -> Self {
        Self::new(Limit::Fixed(max_concurrent))
    }

    pub(crate) fn adaptive(limiter: AdaptiveLimiter) -> Self {
        Self::new(Limit::Adaptive(limiter))
    }

    /// How long [`acquire`](Bulkhead::acquire) and [`call`](Bulkhead::call) wait for a slot
    /// when the bulkhead is full. Default: zero — a full bulkhead rejects at once with
    /// [`BulkheadError::Full`](super::BulkheadError::Full), as resilience4j's does.
    /// `Duration::MAX` waits without a deadline (and then needs no tokio timer). Any other
    /// non-zero wait uses `tokio::time`, so it must run inside a tokio runtime with the
    /// time driver enabled.
    pub fn max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// How many calls may wait for a slot at once; the next is rejected with
    /// [`BulkheadError::QueueFull`](super::BulkheadError::QueueFull). Default
    /// [`DEFAULT_MAX_QUEUE`] (1024); `0` means nobody waits. Only matters with a non-zero
    /// [`max_wait`](Self::max_wait).
    pub fn max_queue(mut self, max_queue: usize) -> Self {
        self.max_queue = max_queue;
        self
    }

    /// The clock [`call`](Bulkhead::call) times calls with, for the adaptive limiter's
    /// samples. Default: [`MonotonicClock`]. A fixed-limit bulkhead never reads it.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The bulkhead, or [`ResilienceError::InvalidConfig`] for a fixed limit of zero or above
    /// `tokio::sync::Semaphore::MAX_PERMITS`. (An adaptive limiter's range was checked when
    /// it was built.)
    pub fn build(self) -> Result<Bulkhead, ResilienceError> {
        let capacity = match self.limit {
            Limit::Fixed(0) => {
                return Err(ResilienceError::InvalidConfig {
                    field: "max_concurrent",
                    reason: "must be at least 1 (a bulkhead of 0 admits nothing)".into(),
                });
            }
            Limit::Fixed(n) if n > Semaphore::MAX_PERMITS => {
                return Err(ResilienceError::InvalidConfig {
                    field: "max_concurrent",
                    reason: format!("{n} is above {}", Semaphore::MAX_PERMITS),
                });
            }
            Limit::Fixed(n) => Capacity::fixed(n),
            Limit::Adaptive(limiter) => Capacity::adaptive(limiter),
        };
        Ok(Bulkhead::from_parts(
            capacity,
            self.max_wait,
            self.max_queue,
            self.clock,
        ))
    }
}

impl fmt::Debug for BulkheadBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("BulkheadBuilder");
        match &self.limit {
            Limit::Fixed(n) => d.field("max_concurrent", n),
            Limit::Adaptive(l) => d.field("limiter", l),
        };
        d.field("max_wait", &self.max_wait)
            .field("max_queue", &self.max_queue)
            .finish()
    }
}
