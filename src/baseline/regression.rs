//! Regression detection: this run against the previous one.

use super::unit::number;
use super::verdict::{Severity, tidy};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which way a metric should move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Smaller is better: latencies, memory, error rates.
    LowerIsBetter,
    /// Larger is better: throughput, hit ratios.
    HigherIsBetter,
}

/// The change of one metric between two runs. Plain data.
///
/// ```
/// use perfkit::baseline::{compare, Direction, Severity};
///
/// // p95 latency went from 100 ms to 120 ms: 20 % worse.
/// let c = compare(0.100, 0.120, Direction::LowerIsBetter);
/// assert_eq!(c.severity, Some(Severity::High));
/// assert!((c.relative.unwrap() - 0.2).abs() < 1e-9);
///
/// // Throughput went up: an improvement, never an alert.
/// let c = compare(1000.0, 1300.0, Direction::HigherIsBetter);
/// assert_eq!(c.severity, None);
///
/// // Nothing to compare against.
/// let c = compare(0.0, 5.0, Direction::LowerIsBetter);
/// assert!(!c.is_comparable());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Change {
    /// The value in the previous run.
    pub previous: f64,
    /// The value in this run.
    pub current: f64,
    /// Which way is better.
    pub direction: Direction,
    /// `(current - previous) / |previous|`, rounded to nine decimal places: positive when
    /// the value went up, whichever way is better. `None` when the runs cannot be compared
    /// (a previous value of zero, or a NaN or infinite value on either side).
    pub relative: Option<f64>,
    /// The severity of a regression; `None` for an improvement, for a regression within
    /// 10 % (treated as noise) and for runs that cannot be compared.
    pub severity: Option<Severity>,
}

impl Change {
    /// Whether the two values could be compared at all. When not, `relative` and
    /// `severity` are `None`, and a report should say "n/a" rather than "no change".
    pub fn is_comparable(&self) -> bool {
        self.relative.is_some()
    }

    /// How much worse this run is, as a fraction (negative = better), taking the direction
    /// into account; `None` when not comparable.
    pub fn worsening(&self) -> Option<f64> {
        let r = self.relative?;
        Some(match self.direction {
            Direction::LowerIsBetter => r,
            Direction::HigherIsBetter => 0.0 - r,
        })
    }

    /// Whether this run is worse at all, by any amount.
    pub fn is_regression(&self) -> bool {
        self.worsening().is_some_and(|w| w > 0.0)
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.relative {
            Some(r) => {
                let sign = if r > 0.0 { "+" } else { "" };
                write!(f, "{sign}{} %", number(r * 100.0))
            }
            None => f.write_str("n/a"),
        }
    }
}

/// Compares a metric between the previous run and this one.
///
/// Severity uses the documented thresholds on the relative worsening: more than 10 %
/// `Medium`, more than 15 % `High`, more than 25 % `Critical`. A regression of up to 10 %
/// gets no severity, because run-to-run noise on shared machines is of that order.
/// A previous value of zero (no relative change exists) or a NaN or infinite value on either
/// side makes the change not comparable; that never panics.
pub fn compare(previous: f64, current: f64, direction: Direction) -> Change {
    let relative = if previous.is_finite() && current.is_finite() && previous != 0.0 {
        let r = tidy((current - previous) / previous.abs());
        r.is_finite().then_some(r)
    } else {
        None
    };
    let mut change = Change {
        previous,
        current,
        direction,
        relative,
        severity: None,
    };
    change.severity = change.worsening().and_then(Severity::of_degradation);
    change
}
