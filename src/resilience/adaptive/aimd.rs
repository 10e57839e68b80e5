//! Additive increase, multiplicative decrease.

use std::time::Duration;

use super::config::{check_limits, check_open_range, invalid};
use super::limiter::{AdaptiveLimiter, Algorithm, Sample};
use crate::resilience::ResilienceError;

/// Builds an AIMD [`AdaptiveLimiter`]; from [`AdaptiveLimiter::aimd`].
///
/// The rule, per sample (as in Netflix's `AIMDLimit`, plus a success window):
/// - a drop, or an RTT at or above [`timeout`](Self::timeout): `limit = floor(limit × backoff_ratio)`;
/// - otherwise, if the limit is in use (`in_flight × 2 >= limit`; an idle limit says nothing
///   about capacity): count a success, and after [`success_window`](Self::success_window)
///   of them, `limit += 1`;
/// - and the result is clamped to `[min_limit, max_limit]`.
///
/// ```
/// use perfkit::resilience::AdaptiveLimiter;
/// use std::time::Duration;
///
/// let limiter = AdaptiveLimiter::aimd()
///     .initial_limit(20)
///     .min_limit(5)
///     .max_limit(200)
///     .backoff_ratio(0.9)
///     .timeout(Duration::from_secs(1))
///     .build()?;
/// assert_eq!(limiter.limit(), 20);
/// # Ok::<(), perfkit::resilience::ResilienceError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct AimdBuilder {
    initial: usize,
    min: usize,
    max: usize,
    backoff_ratio: f64,
    timeout: Duration,
    success_window: usize,
}

impl AimdBuilder {
    pub(crate) fn new() -> Self {
        Self {
            initial: 20,
            min: 1,
            max: 200,
            backoff_ratio: 0.9,
            timeout: Duration::from_secs(5),
            success_window: 1,
        }
    }

    /// The limit before any sample. In `[min_limit, max_limit]`; default `20`.
    pub fn initial_limit(mut self, limit: usize) -> Self {
        self.initial = limit;
        self
    }

    /// The floor. At least 1; default `1`.
    pub fn min_limit(mut self, limit: usize) -> Self {
        self.min = limit;
        self
    }

    /// The ceiling. At least `min_limit`; default `200`.
    pub fn max_limit(mut self, limit: usize) -> Self {
        self.max = limit;
        self
    }

    /// The factor applied to the limit on a drop or timeout. In `(0, 1)`; default `0.9`.
    pub fn backoff_ratio(mut self, ratio: f64) -> Self {
        self.backoff_ratio = ratio;
        self
    }

    /// A sample with an RTT at or above this counts as a drop. Above zero; default 5 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Healthy samples (with the limit in use) per `+1`. At least 1; default `1` (Netflix's
    /// rule). Set it near the typical limit for TCP-like growth of about +1 per round trip.
    pub fn success_window(mut self, samples: usize) -> Self {
        self.success_window = samples;
        self
    }

    /// The limiter, or [`ResilienceError::InvalidConfig`] for a setting outside its range.
    pub fn build(self) -> Result<AdaptiveLimiter, ResilienceError> {
        check_limits(self.initial, self.min, self.max)?;
        check_open_range("backoff_ratio", self.backoff_ratio, 0.0, 1.0, false)?;
        if self.timeout.is_zero() {
            return Err(invalid("timeout", "must be above zero".into()));
        }
        if self.success_window == 0 {
            return Err(invalid("success_window", "must be at least 1".into()));
        }
        let aimd = Aimd {
            limit: self.initial,
            min: self.min,
            max: self.max,
            backoff_ratio: self.backoff_ratio,
            timeout: self.timeout,
            success_window: self.success_window,
            successes: 0,
        };
        Ok(AdaptiveLimiter::from_algorithm(
            self.initial,
            Algorithm::Aimd(aimd),
        ))
    }
}

/// AIMD state; updated under the limiter's mutex.
#[derive(Debug)]
pub(crate) struct Aimd {
    limit: usize,
    min: usize,
    max: usize,
    backoff_ratio: f64,
    timeout: Duration,
    success_window: usize,
    /// Healthy samples since the last increase or decrease.
    successes: usize,
}

impl Aimd {
    pub(crate) fn update(&mut self, sample: Sample) -> usize {
        if sample.dropped || sample.rtt >= self.timeout {
            // `as` saturates, and the ratio is in (0, 1): no overflow, and the limit strictly
            // falls (down to the floor) on every drop.
            self.limit = (self.limit as f64 * self.backoff_ratio) as usize;
            self.successes = 0;
        } else if sample.in_flight.saturating_mul(2) >= self.limit {
            self.successes += 1;
            if self.successes >= self.success_window {
                self.successes = 0;
                self.limit = self.limit.saturating_add(1);
            }
        }
        self.limit = self.limit.clamp(self.min, self.max);
        self.limit
    }
}
