//! Validated settings (built by [`CircuitBreakerBuilder`](super::CircuitBreakerBuilder)).

use std::time::Duration;

use super::trial::MAX_TRIAL_CALLS;
use super::window::{MAX_COUNT_WINDOW, MAX_TIME_WINDOW_SECS};
use crate::resilience::ResilienceError;

/// The kind and size of the sliding window that closed-state outcomes are judged over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SlidingWindow {
    /// The last `n` calls (1 ≤ n ≤ 1 048 576).
    CountBased(u32),
    /// The calls of the last `n` seconds, in one-second buckets (1 ≤ n ≤ 86 400).
    TimeBased(u32),
}

/// How the wait in the open state grows when half-open trials fail again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Backoff {
    pub(crate) multiplier: f64,
    pub(crate) max: Duration,
}

#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) failure_rate_threshold: f32,
    pub(crate) slow_call_rate_threshold: f32,
    pub(crate) slow_call_duration: Option<Duration>,
    pub(crate) minimum_number_of_calls: u32,
    pub(crate) window: SlidingWindow,
    pub(crate) wait_in_open: Duration,
    pub(crate) backoff: Option<Backoff>,
    pub(crate) permitted_calls_in_half_open: u32,
}

impl Default for Config {
    fn default() -> Self {
        // resilience4j's defaults, except slow-call detection, which is off until a
        // duration is set: timing every call costs two clock reads.
        Self {
            failure_rate_threshold: 50.0,
            slow_call_rate_threshold: 100.0,
            slow_call_duration: None,
            minimum_number_of_calls: 100,
            window: SlidingWindow::CountBased(100),
            wait_in_open: Duration::from_secs(60),
            backoff: None,
            permitted_calls_in_half_open: 10,
        }
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> ResilienceError {
    ResilienceError::InvalidConfig {
        field,
        reason: reason.into(),
    }
}

fn check_percent(field: &'static str, value: f32) -> Result<(), ResilienceError> {
    // Written so NaN fails too: every comparison with NaN is false.
    if value > 0.0 && value <= 100.0 {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("{value} is not a percentage in (0, 100]"),
        ))
    }
}

impl Config {
    pub(crate) fn validate(&self) -> Result<(), ResilienceError> {
        check_percent("failure_rate_threshold", self.failure_rate_threshold)?;
        check_percent("slow_call_rate_threshold", self.slow_call_rate_threshold)?;
        if self.minimum_number_of_calls == 0 {
            return Err(invalid("minimum_number_of_calls", "must be at least 1"));
        }
        match self.window {
            SlidingWindow::CountBased(n) if n == 0 || n > MAX_COUNT_WINDOW => {
                return Err(invalid(
                    "sliding_window",
                    format!("count-based size {n} is not in 1..={MAX_COUNT_WINDOW}"),
                ));
            }
            SlidingWindow::TimeBased(n) if n == 0 || n > MAX_TIME_WINDOW_SECS => {
                return Err(invalid(
                    "sliding_window",
                    format!("time-based size {n} s is not in 1..={MAX_TIME_WINDOW_SECS}"),
                ));
            }
            _ => {}
        }
        if self.permitted_calls_in_half_open == 0
            || self.permitted_calls_in_half_open > MAX_TRIAL_CALLS
        {
            return Err(invalid(
                "permitted_calls_in_half_open",
                format!(
                    "{} is not in 1..={MAX_TRIAL_CALLS}",
                    self.permitted_calls_in_half_open
                ),
            ));
        }
        if let Some(b) = self.backoff {
            if !(b.multiplier.is_finite() && b.multiplier >= 1.0) {
                return Err(invalid(
                    "exponential_backoff",
                    format!("multiplier {} must be finite and at least 1", b.multiplier),
                ));
            }
            if b.max < self.wait_in_open {
                return Err(invalid(
                    "exponential_backoff",
                    format!(
                        "max {:?} is shorter than the wait in open {:?}",
                        b.max, self.wait_in_open
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The minimum number of calls, capped at a count window's size (as resilience4j
    /// does): a window of 10 can never hold 100 calls.
    pub(crate) fn effective_minimum(&self) -> u64 {
        let min = u64::from(self.minimum_number_of_calls);
        match self.window {
            SlidingWindow::CountBased(n) => min.min(u64::from(n)),
            SlidingWindow::TimeBased(_) => min,
        }
    }

    /// The wait for the `opens`-th consecutive opening (1 for the first since closing).
    pub(crate) fn wait_for(&self, opens: u32) -> Duration {
        let Some(b) = self.backoff else {
            return self.wait_in_open;
        };
        // Capped exponent: past a few hundred the result is `max` anyway, and powi of a
        // huge exponent is inf, which the `min` below absorbs.
        let exp = i32::try_from(opens.saturating_sub(1).min(1_000)).unwrap_or(1_000);
        // In nanoseconds, so integer multipliers of whole-nanosecond waits stay exact.
        let base = self.wait_in_open.as_nanos() as f64;
        let max = b.max.as_nanos() as f64;
        let nanos = (base * b.multiplier.powi(exp)).min(max).round();
        if nanos >= max || !nanos.is_finite() {
            return b.max;
        }
        // `nanos` is finite, non-negative and below `max`, so it fits in u64 nanoseconds
        // whenever `max` did not; `as` saturates in any case.
        Duration::from_nanos(nanos as u64)
    }
}
