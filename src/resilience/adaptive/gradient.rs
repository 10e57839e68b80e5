//! Gradient2: shrink the limit as latency rises above its long-term average.

use super::config::{check_limits, check_open_range, invalid};
use super::limiter::{AdaptiveLimiter, Algorithm, Sample};
use crate::resilience::ResilienceError;

/// Builds a gradient [`AdaptiveLimiter`]; from [`AdaptiveLimiter::gradient`].
///
/// Netflix's Gradient2, per sample:
/// - `long` is an exponential average of RTTs over about [`long_window`](Self::long_window)
///   samples (a plain mean for the first 10); the sample's RTT is the short-term RTT.
///   When `long > 2 × short` (latency has come back down after a long overload), `long`
///   is cut by 5 % per sample so it does not hold the limit down for minutes;
/// - while the limit is not in use (`in_flight × 2 < limit`) it is left alone;
/// - `gradient = clamp(rtt_tolerance × long / short, 0.5, 1.0)` (a drop counts as `0.5`);
/// - `new = limit × gradient + sqrt(limit)` (the square root is the queue allowed to
///   form, so a healthy limit keeps probing upwards);
/// - `limit = limit × (1 − smoothing) + new × smoothing`, clamped to `[min_limit, max_limit]`.
///
/// ```
/// use perfkit::resilience::{AdaptiveLimiter, Sample};
/// use std::time::Duration;
///
/// let limiter = AdaptiveLimiter::gradient()
///     .initial_limit(50)
///     .min_limit(10)
///     .max_limit(500)
///     .smoothing(0.2)
///     .rtt_tolerance(1.5)
///     .long_window(600)
///     .build()?;
/// let before = limiter.limit();
/// // Steady latency with the limit in use: the limit probes upwards.
/// for _ in 0..20 {
///     limiter.on_sample(Sample::new(Duration::from_millis(10), limiter.limit()));
/// }
/// assert!(limiter.limit() > before);
/// # Ok::<(), perfkit::resilience::ResilienceError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct GradientBuilder {
    initial: usize,
    min: usize,
    max: usize,
    smoothing: f64,
    rtt_tolerance: f64,
    long_window: usize,
}

/// Samples averaged plainly before the long-term average turns exponential, so the first
/// RTT does not weigh as much as 600 of them.
const WARMUP: u64 = 10;

impl GradientBuilder {
    pub(crate) fn new() -> Self {
        Self {
            initial: 20,
            min: 1,
            max: 200,
            smoothing: 0.2,
            rtt_tolerance: 1.5,
            long_window: 600,
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

    /// How far each sample moves the limit towards its new estimate. In `(0, 1]`;
    /// default `0.2`.
    pub fn smoothing(mut self, smoothing: f64) -> Self {
        self.smoothing = smoothing;
        self
    }

    /// How much slower than the long-term average a request may be before the limit
    /// shrinks. At least 1 and finite; default `1.5`. `1.0` gives the bare `long / short`.
    pub fn rtt_tolerance(mut self, tolerance: f64) -> Self {
        self.rtt_tolerance = tolerance;
        self
    }

    /// Samples in the long-term RTT average. At least 1; default `600`.
    pub fn long_window(mut self, samples: usize) -> Self {
        self.long_window = samples;
        self
    }

    /// The limiter, or [`ResilienceError::InvalidConfig`] for a setting outside its range.
    pub fn build(self) -> Result<AdaptiveLimiter, ResilienceError> {
        check_limits(self.initial, self.min, self.max)?;
        check_open_range("smoothing", self.smoothing, 0.0, 1.0, true)?;
        if !(self.rtt_tolerance >= 1.0 && self.rtt_tolerance.is_finite()) {
            return Err(invalid(
                "rtt_tolerance",
                format!("{} is not a finite number >= 1", self.rtt_tolerance),
            ));
        }
        if self.long_window == 0 {
            return Err(invalid("long_window", "must be at least 1".into()));
        }
        let gradient = Gradient {
            estimate: self.initial as f64,
            min: self.min as f64,
            max: self.max as f64,
            smoothing: self.smoothing,
            rtt_tolerance: self.rtt_tolerance,
            long_factor: 2.0 / (self.long_window as f64 + 1.0),
            long_rtt: 0.0,
            long_samples: 0,
        };
        Ok(AdaptiveLimiter::from_algorithm(
            self.initial,
            Algorithm::Gradient(gradient),
        ))
    }
}

/// Gradient state; updated under the limiter's mutex. RTTs are in seconds.
#[derive(Debug)]
pub(crate) struct Gradient {
    /// The limit as a real number: smoothing moves it by fractions, and truncating each
    /// step would stall growth at small limits.
    estimate: f64,
    min: f64,
    max: f64,
    smoothing: f64,
    rtt_tolerance: f64,
    /// The weight of a new sample in the long-term average: `2 / (window + 1)`.
    long_factor: f64,
    long_rtt: f64,
    long_samples: u64,
}

impl Gradient {
    pub(crate) fn update(&mut self, sample: Sample) -> usize {
        let short = sample.rtt.as_secs_f64();
        if !sample.dropped {
            // A dropped request's RTT is how long it took to fail, not a latency.
            if self.long_samples < WARMUP {
                let n = self.long_samples as f64;
                self.long_rtt = (self.long_rtt * n + short) / (n + 1.0);
            } else {
                self.long_rtt += (short - self.long_rtt) * self.long_factor;
            }
            self.long_samples += 1;
            if short > 0.0 && self.long_rtt / short > 2.0 {
                self.long_rtt *= 0.95;
            }
        }

        let in_use = sample.in_flight as f64 * 2.0 >= self.estimate;
        if in_use || sample.dropped {
            let gradient = if sample.dropped {
                0.5
            } else if short > 0.0 {
                (self.rtt_tolerance * self.long_rtt / short).clamp(0.5, 1.0)
            } else {
                // Faster than the clock can tell: no sign of queueing.
                1.0
            };
            let target = self.estimate * gradient + self.estimate.sqrt();
            let next = self.estimate * (1.0 - self.smoothing) + target * self.smoothing;
            // `max`/`min` (not `clamp`) so a NaN could never get in: it loses to the bounds.
            self.estimate = next.max(self.min).min(self.max);
        }
        self.estimate as usize
    }
}
