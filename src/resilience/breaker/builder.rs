//! Settings of a [`CircuitBreaker`], with their defaults.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::circuit_breaker::CircuitBreaker;
use super::config::{Backoff, Config, SlidingWindow};
use super::listener::{Listener, Transition};
use crate::clock::{Clock, MonotonicClock};
use crate::resilience::ResilienceError;

/// Builds a [`CircuitBreaker`]; from [`CircuitBreaker::builder`].
///
/// Defaults follow resilience4j's, except that slow-call detection is off until
/// [`slow_call_duration`](Self::slow_call_duration) is set.
///
/// ```
/// use perfkit::resilience::{CircuitBreaker, SlidingWindow};
/// use std::time::Duration;
///
/// let breaker = CircuitBreaker::builder()
///     .sliding_window(SlidingWindow::TimeBased(30))
///     .failure_rate_threshold(25.0)
///     .minimum_number_of_calls(20)
///     .slow_call_duration(Duration::from_millis(500))
///     .slow_call_rate_threshold(50.0)
///     .wait_duration_in_open(Duration::from_secs(5))
///     .exponential_backoff(2.0, Duration::from_secs(300))
///     .permitted_calls_in_half_open(3)
///     .on_state_change(|t| eprintln!("breaker: {} -> {}", t.from, t.to))
///     .build()?;
/// # let _ = breaker;
/// # Ok::<(), perfkit::resilience::ResilienceError>(())
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct CircuitBreakerBuilder {
    config: Config,
    clock: Arc<dyn Clock>,
    listeners: Vec<Listener>,
}

impl CircuitBreakerBuilder {
    pub(crate) fn new() -> Self {
        Self {
            config: Config::default(),
            clock: Arc::new(MonotonicClock::new()),
            listeners: Vec::new(),
        }
    }

    /// Failure rate, in percent of the window's calls, at or above which the breaker opens
    /// (and at or above which half-open trials re-open it). In `(0, 100]`; default `50`.
    pub fn failure_rate_threshold(mut self, percent: f32) -> Self {
        self.config.failure_rate_threshold = percent;
        self
    }

    /// Slow-call rate, in percent, at or above which the breaker opens. In `(0, 100]`;
    /// default `100` (open only when every call is slow). Has no effect unless
    /// [`slow_call_duration`](Self::slow_call_duration) is set.
    pub fn slow_call_rate_threshold(mut self, percent: f32) -> Self {
        self.config.slow_call_rate_threshold = percent;
        self
    }

    /// Calls that take at least this long count as slow. Default: off (no call is timed;
    /// resilience4j's default is 60 s, but timing costs two clock reads per call).
    pub fn slow_call_duration(mut self, duration: Duration) -> Self {
        self.config.slow_call_duration = Some(duration);
        self
    }

    /// Calls the window must hold before its rates are judged. At least 1; default `100`.
    /// For a count-based window, a minimum above the window's size means the window's size.
    pub fn minimum_number_of_calls(mut self, calls: u32) -> Self {
        self.config.minimum_number_of_calls = calls;
        self
    }

    /// The closed-state window. Default [`SlidingWindow::CountBased(100)`](SlidingWindow::CountBased).
    pub fn sliding_window(mut self, window: SlidingWindow) -> Self {
        self.config.window = window;
        self
    }

    /// Shorthand for `sliding_window(SlidingWindow::CountBased(calls))`.
    pub fn count_based_window(self, calls: u32) -> Self {
        self.sliding_window(SlidingWindow::CountBased(calls))
    }

    /// Shorthand for `sliding_window(SlidingWindow::TimeBased(seconds))`.
    pub fn time_based_window(self, seconds: u32) -> Self {
        self.sliding_window(SlidingWindow::TimeBased(seconds))
    }

    /// How long the breaker stays open before letting trial calls through (the first
    /// time, with [`exponential_backoff`](Self::exponential_backoff)). Default 60 s.
    pub fn wait_duration_in_open(mut self, wait: Duration) -> Self {
        self.config.wait_in_open = wait;
        self
    }

    /// Grows the open wait each time half-open trials fail: the `n`-th consecutive
    /// opening waits `wait_duration_in_open × multiplier^(n-1)`, at most `max`. Closing
    /// starts over. `multiplier` must be finite and at least 1, `max` at least the wait.
    /// Default: off (a fixed wait).
    pub fn exponential_backoff(mut self, multiplier: f64, max: Duration) -> Self {
        self.config.backoff = Some(Backoff { multiplier, max });
        self
    }

    /// Trial calls let through in half-open; when all have reported, their failure and
    /// slow rates decide. In `1..=10_000`; default `10`.
    pub fn permitted_calls_in_half_open(mut self, calls: u32) -> Self {
        self.config.permitted_calls_in_half_open = calls;
        self
    }

    /// The clock for open waits, slow calls and the time-based window. Default:
    /// [`MonotonicClock`].
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Calls `listener` on every change of state, once per change, in order, on the
    /// thread that caused it (after the change is visible to other callers). A listener
    /// may use the breaker, including changing its state. Default: none.
    pub fn on_state_change(
        mut self,
        listener: impl Fn(Transition) + Send + Sync + 'static,
    ) -> Self {
        self.listeners.push(Box::new(listener));
        self
    }

    /// Checks the settings and builds the breaker, closed.
    ///
    /// # Errors
    /// [`ResilienceError::InvalidConfig`] naming the first setting out of range.
    pub fn build(self) -> Result<CircuitBreaker, ResilienceError> {
        self.config.validate()?;
        Ok(CircuitBreaker::from_parts(
            self.config,
            self.clock,
            self.listeners,
        ))
    }
}

impl fmt::Debug for CircuitBreakerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreakerBuilder")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .field("listeners", &self.listeners.len())
            .finish()
    }
}
