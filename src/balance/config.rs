//! Settings for passive health (outlier ejection) and slow start, with Envoy's defaults.

use std::time::Duration;

use super::error::{BalanceError, invalid};

/// Passive health: eject a backend that keeps failing, Envoy-style.
///
/// A backend is ejected after `consecutive_failures` failures in a row, or when at least
/// `failure_rate_minimum_requests` requests finished in one `window` and the share of failures
/// among them reached `failure_rate_threshold` percent. It stays out for
/// `base_ejection_time × times ejected`, capped at `max_ejection_time`; the multiplier starts
/// over once a backend has stayed in for `max_ejection_time`. At most `max_ejection_percent`
/// of the backends are out at once, though one may always be (as in Envoy).
///
/// ```
/// use perfkit::balance::OutlierDetection;
/// use std::time::Duration;
///
/// let od = OutlierDetection::new()
///     .consecutive_failures(3)
///     .base_ejection_time(Duration::from_secs(10));
/// assert_eq!(od.get_consecutive_failures(), 3);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct OutlierDetection {
    pub(crate) consecutive_failures: u32,
    pub(crate) failure_rate_threshold: f64,
    pub(crate) failure_rate_minimum_requests: u32,
    pub(crate) window: Duration,
    pub(crate) base_ejection_time: Duration,
    pub(crate) max_ejection_time: Duration,
    pub(crate) max_ejection_percent: f64,
}

impl Default for OutlierDetection {
    fn default() -> Self {
        Self::new()
    }
}

impl OutlierDetection {
    /// Envoy's defaults: 5 consecutive failures; 85 % failures over 50+ requests in a 10 s
    /// window; 30 s base ejection, 300 s at most; at most 10 % of backends ejected.
    pub fn new() -> Self {
        Self {
            consecutive_failures: 5,
            failure_rate_threshold: 85.0,
            failure_rate_minimum_requests: 50,
            window: Duration::from_secs(10),
            base_ejection_time: Duration::from_secs(30),
            max_ejection_time: Duration::from_secs(300),
            max_ejection_percent: 10.0,
        }
    }

    /// Failures in a row that eject a backend; 0 turns this rule off. Default 5.
    pub fn consecutive_failures(mut self, n: u32) -> Self {
        self.consecutive_failures = n;
        self
    }

    /// The configured consecutive-failure count.
    pub fn get_consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    /// Failure share, in percent (0, 100], over one window that ejects a backend. Default 85.
    pub fn failure_rate_threshold(mut self, percent: f64) -> Self {
        self.failure_rate_threshold = percent;
        self
    }

    /// Requests a backend must finish in a window before its failure rate counts; 0 turns the
    /// failure-rate rule off. Default 50.
    pub fn failure_rate_minimum_requests(mut self, n: u32) -> Self {
        self.failure_rate_minimum_requests = n;
        self
    }

    /// The window the failure rate is measured over (tumbling). Default 10 s.
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Ejection time for the first ejection; the n-th lasts n times this. Default 30 s.
    pub fn base_ejection_time(mut self, d: Duration) -> Self {
        self.base_ejection_time = d;
        self
    }

    /// The longest an ejection lasts. Default 300 s.
    pub fn max_ejection_time(mut self, d: Duration) -> Self {
        self.max_ejection_time = d;
        self
    }

    /// Most backends out at once, in percent of all. Default 10 (one may always be out).
    pub fn max_ejection_percent(mut self, percent: f64) -> Self {
        self.max_ejection_percent = percent;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), BalanceError> {
        if !(self.failure_rate_threshold > 0.0 && self.failure_rate_threshold <= 100.0) {
            return Err(invalid("failure_rate_threshold", "must be in (0, 100]"));
        }
        if self.window.is_zero() {
            return Err(invalid("window", "must be above zero"));
        }
        if self.base_ejection_time.is_zero() {
            return Err(invalid("base_ejection_time", "must be above zero"));
        }
        if self.max_ejection_time < self.base_ejection_time {
            return Err(invalid(
                "max_ejection_time",
                "must be at least base_ejection_time",
            ));
        }
        if !(0.0..=100.0).contains(&self.max_ejection_percent) {
            return Err(invalid("max_ejection_percent", "must be in [0, 100]"));
        }
        Ok(())
    }
}

/// Slow start: a backend that joins, or returns from ejection, takes a growing share of its
/// weight over `window` (Envoy's slow-start mode).
///
/// Its weight factor at time `t` into the window is
/// `max(min_weight_percent / 100, (t / window) ^ (1 / aggression))`. It applies to the
/// weighted strategies (smooth weighted round robin, least connections, weighted random,
/// health score, P2C); plain round robin and consistent hashing ignore weights.
///
/// ```
/// use perfkit::balance::SlowStart;
/// use std::time::Duration;
///
/// let ss = SlowStart::new(Duration::from_secs(30)).aggression(2.0);
/// assert_eq!(ss.get_window(), Duration::from_secs(30));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct SlowStart {
    pub(crate) window: Duration,
    pub(crate) aggression: f64,
    pub(crate) min_weight_percent: f64,
}

impl SlowStart {
    /// Ramp over `window`, linearly (aggression 1.0), from at least 10 % of the weight.
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            aggression: 1.0,
            min_weight_percent: 10.0,
        }
    }

    /// The ramp window.
    pub fn get_window(&self) -> Duration {
        self.window
    }

    /// Curve of the ramp: 1.0 is linear, above 1 ramps faster early. Default 1.0.
    pub fn aggression(mut self, a: f64) -> Self {
        self.aggression = a;
        self
    }

    /// The lowest weight share, in percent (0, 100], during the ramp. Default 10.
    pub fn min_weight_percent(mut self, percent: f64) -> Self {
        self.min_weight_percent = percent;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), BalanceError> {
        if self.window.is_zero() {
            return Err(invalid("slow_start.window", "must be above zero"));
        }
        if !(self.aggression.is_finite() && self.aggression > 0.0) {
            return Err(invalid("slow_start.aggression", "must be finite and > 0"));
        }
        if !(self.min_weight_percent > 0.0 && self.min_weight_percent <= 100.0) {
            return Err(invalid(
                "slow_start.min_weight_percent",
                "must be in (0, 100]",
            ));
        }
        Ok(())
    }

    /// The weight factor `elapsed` into the ramp.
    #[inline]
    pub(crate) fn factor(&self, elapsed: Duration) -> f64 {
        let t = (elapsed.as_secs_f64() / self.window.as_secs_f64()).clamp(0.0, 1.0);
        let f = if self.aggression == 1.0 {
            t
        } else {
            t.powf(1.0 / self.aggression)
        };
        f.max(self.min_weight_percent / 100.0)
    }
}
