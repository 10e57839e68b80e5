//! Checking one measurement against one baseline.

use super::documented::{Baseline, Limit};
use super::unit::Unit;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How bad a miss or a regression is. Ordered: `Low < Medium < High < Critical`.
///
/// The thresholds are the documented regression policy, applied to the relative amount by
/// which a value is worse (see [`Severity::of_degradation`]):
///
/// | worse by | severity |
/// |---|---|
/// | more than 25 % | `Critical` |
/// | more than 15 % | `High` |
/// | more than 10 % | `Medium` |
/// | up to 10 % | `Low` for a missed baseline, none for a regression (noise) |
///
/// ```
/// use perfkit::baseline::Severity;
///
/// assert_eq!(Severity::of_degradation(0.10), None);
/// assert_eq!(Severity::of_degradation(0.1001), Some(Severity::Medium));
/// assert_eq!(Severity::of_degradation(0.20), Some(Severity::High));
/// assert_eq!(Severity::of_degradation(0.30), Some(Severity::Critical));
/// assert!(Severity::Critical > Severity::Low);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Missed, but by no more than 10 %.
    Low,
    /// Worse by more than 10 %.
    Medium,
    /// Worse by more than 15 %.
    High,
    /// Worse by more than 25 %.
    Critical,
}

impl Severity {
    /// Worse by more than this fraction is at least [`Severity::Medium`].
    pub const MEDIUM_ABOVE: f64 = 0.10;
    /// Worse by more than this fraction is at least [`Severity::High`].
    pub const HIGH_ABOVE: f64 = 0.15;
    /// Worse by more than this fraction is [`Severity::Critical`].
    pub const CRITICAL_ABOVE: f64 = 0.25;

    /// The severity of being worse by `degradation` (a fraction: `0.2` is 20 % worse), or
    /// `None` when it is within 10 % (or better, or NaN).
    ///
    /// The fraction is rounded to nine decimal places first, so that a value that is exactly
    /// 10 % over in decimal (0.55 against 0.5) is not pushed over the boundary by binary
    /// floating point.
    pub fn of_degradation(degradation: f64) -> Option<Severity> {
        let d = tidy(degradation);
        if d > Self::CRITICAL_ABOVE {
            Some(Severity::Critical)
        } else if d > Self::HIGH_ABOVE {
            Some(Severity::High)
        } else if d > Self::MEDIUM_ABOVE {
            Some(Severity::Medium)
        } else {
            None
        }
    }

    /// Upper-case name, as shown in reports: `LOW`, `MEDIUM`, `HIGH`, `CRITICAL`.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Rounds a relative amount to nine decimal places; large magnitudes are left alone because
/// the scaling would overflow and their rounding does not matter.
pub(crate) fn tidy(x: f64) -> f64 {
    if x.is_finite() && x.abs() < 1e6 {
        (x * 1e9).round() / 1e9
    } else {
        x
    }
}

/// What a check concluded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// The measurement is on the good side of the limit.
    Pass {
        /// How far inside the limit, as a fraction of the threshold (`0.4` = 40 % margin).
        headroom: f64,
    },
    /// The measurement is on the wrong side of the limit (or on a strict limit's line).
    Fail {
        /// How far past the limit, as a fraction of the threshold (`0.2` = 20 % over).
        degradation: f64,
        /// The severity of that degradation; at least [`Severity::Low`].
        severity: Severity,
    },
    /// The measurement (or the limit) cannot be judged: NaN, infinite, negative where the unit
    /// has no negatives, or a threshold that is not a positive finite number.
    Invalid,
}

/// The result of checking one measurement against one [`Baseline`]. Plain data.
///
/// ```
/// use perfkit::baseline::{self, Outcome, Severity};
///
/// let hit_ratio = baseline::find("cache.hit_ratio").unwrap();
/// let v = hit_ratio.check(0.70); // limit is > 85 %
/// assert!(!v.passed());
/// assert_eq!(v.severity(), Some(Severity::High)); // 17.6 % short
/// assert!(matches!(hit_ratio.check(f64::NAN).outcome, Outcome::Invalid));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Verdict {
    /// The id of the baseline checked against.
    pub id: &'static str,
    /// The measured value, in `unit`.
    pub measured: f64,
    /// The limit it was checked against.
    pub limit: Limit,
    /// The unit of `measured` and of the limit.
    pub unit: Unit,
    /// The conclusion.
    pub outcome: Outcome,
}

impl Verdict {
    /// Whether the measurement met the baseline.
    pub fn passed(&self) -> bool {
        matches!(self.outcome, Outcome::Pass { .. })
    }

    /// The severity of a failure; `None` when it passed or was invalid.
    pub fn severity(&self) -> Option<Severity> {
        match self.outcome {
            Outcome::Fail { severity, .. } => Some(severity),
            _ => None,
        }
    }

    /// Whether the measurement could not be judged.
    pub fn is_invalid(&self) -> bool {
        matches!(self.outcome, Outcome::Invalid)
    }

    /// The measured value as a fraction of the threshold (`1.0` is on the line); `None` for
    /// an invalid verdict. Used to draw bars.
    pub fn fraction_of_limit(&self) -> Option<f64> {
        if self.is_invalid() {
            return None;
        }
        let f = self.measured / self.limit.threshold();
        f.is_finite().then_some(f)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let measured = self.unit.format(self.measured);
        let target = self.limit.format(self.unit);
        match self.outcome {
            Outcome::Pass { .. } => write!(f, "PASS {}: {measured} ({target})", self.id),
            Outcome::Fail {
                degradation,
                severity,
            } => write!(
                f,
                "{severity} {}: {measured} ({target}, {} % past the limit)",
                self.id,
                super::unit::number(degradation * 100.0)
            ),
            Outcome::Invalid => write!(f, "INVALID {}: {measured} ({target})", self.id),
        }
    }
}

impl Baseline {
    /// Checks a measurement (in this baseline's [`unit`](Baseline::unit)) against the
    /// limit. Never panics; impossible inputs give [`Outcome::Invalid`].
    ///
    /// Degradation is the relative amount by which the limit is missed: for `Below(t)` and
    /// `AtMost(t)` it is `(m - t) / t`, for `Above(t)` and `AtLeast(t)` it is `(t - m) / t`.
    /// A measurement exactly on a strict limit (`Below`, `Above`) fails with degradation 0
    /// and severity [`Severity::Low`].
    pub fn check(&self, measured: f64) -> Verdict {
        Verdict {
            id: self.id,
            measured,
            limit: self.limit,
            unit: self.unit,
            outcome: judge(self.limit, self.unit, measured),
        }
    }
}

fn judge(limit: Limit, unit: Unit, m: f64) -> Outcome {
    let t = limit.threshold();
    // Relative amounts need a positive scale; a zero or negative threshold has no meaningful
    // "10 % worse".
    if !m.is_finite() || !t.is_finite() || t <= 0.0 || (m < 0.0 && !unit.allows_negative()) {
        return Outcome::Invalid;
    }
    // Pass or fail is decided on the raw values; only the reported amount is rounded, so a
    // value a hair inside a strict line still passes.
    let (over, fails) = match limit {
        Limit::Below(_) => ((m - t) / t, m >= t),
        Limit::AtMost(_) => ((m - t) / t, m > t),
        Limit::Above(_) => ((t - m) / t, m <= t),
        Limit::AtLeast(_) => ((t - m) / t, m < t),
    };
    // Overflow (a huge measurement against a tiny threshold) gives an infinity, which
    // `of_degradation` ranks as critical.
    let over = tidy(over);
    if fails {
        Outcome::Fail {
            degradation: over,
            severity: Severity::of_degradation(over).unwrap_or(Severity::Low),
        }
    } else {
        Outcome::Pass {
            // `0.0 - x` rather than `-x` so a value on an inclusive line reports +0, not -0.
            headroom: 0.0 - over,
        }
    }
}
