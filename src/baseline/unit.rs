//! Units of measure, and how values in them are shown to people.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The unit a baseline or a measurement is expressed in.
///
/// Values are always stored in the base unit written on each variant (seconds, bytes, a
/// ratio in `0..=1`), never in milli-anything, so arithmetic on them needs no conversion;
/// [`Unit::format`] picks a readable scale for display.
///
/// Byte sizes are shown with binary multiples (1 MiB = 1024 × 1024 bytes), the convention of
/// `ps`, `top` and container memory limits, so the documented "256 MB" RSS limit is
/// 256 MiB.
///
/// ```
/// use perfkit::baseline::Unit;
///
/// assert_eq!(Unit::Seconds.format(0.5), "500 ms");
/// assert_eq!(Unit::Ratio.format(0.85), "85 %");
/// assert_eq!(Unit::Bytes.format(256.0 * 1024.0 * 1024.0), "256 MiB");
/// assert_eq!(Unit::BytesPerHour.format(10.0 * 1024.0 * 1024.0), "10 MiB/h");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Unit {
    /// A duration in seconds.
    Seconds,
    /// A duration in seconds for each 1000 items (bulk operations).
    SecondsPerThousand,
    /// A fraction, `1.0` being 100 %.
    Ratio,
    /// Events per second.
    PerSecond,
    /// Events per minute.
    PerMinute,
    /// A size in bytes.
    Bytes,
    /// A change of size, in bytes per hour (negative when shrinking).
    BytesPerHour,
    /// A plain count.
    Count,
}

impl Unit {
    /// Renders `value` (in this unit's base) with a readable scale and suffix.
    ///
    /// Non-finite values render as `NaN`, `inf` or `-inf` followed by the base suffix, so a
    /// broken measurement is visible rather than hidden.
    pub fn format(self, value: f64) -> String {
        if !value.is_finite() {
            return format!("{value} {}", self.base_suffix());
        }
        match self {
            Unit::Seconds => format_seconds(value),
            Unit::SecondsPerThousand => format!("{} / 1000", format_seconds(value)),
            Unit::Ratio => format!("{} %", number(value * 100.0)),
            Unit::PerSecond => format!("{}/s", number(value)),
            Unit::PerMinute => format!("{}/min", number(value)),
            Unit::Bytes => format_bytes(value),
            Unit::BytesPerHour => format!("{}/h", format_bytes(value)),
            Unit::Count => number(value),
        }
    }

    /// Whether a negative value can be a real measurement in this unit. Only a rate of
    /// change can be below zero; a negative latency, size or ratio is a broken measurement.
    pub fn allows_negative(self) -> bool {
        matches!(self, Unit::BytesPerHour)
    }

    fn base_suffix(self) -> &'static str {
        match self {
            Unit::Seconds => "s",
            Unit::SecondsPerThousand => "s / 1000",
            Unit::Ratio => "",
            Unit::PerSecond => "/s",
            Unit::PerMinute => "/min",
            Unit::Bytes => "B",
            Unit::BytesPerHour => "B/h",
            Unit::Count => "",
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Unit::Seconds => "seconds",
            Unit::SecondsPerThousand => "seconds per 1000",
            Unit::Ratio => "ratio",
            Unit::PerSecond => "per second",
            Unit::PerMinute => "per minute",
            Unit::Bytes => "bytes",
            Unit::BytesPerHour => "bytes per hour",
            Unit::Count => "count",
        };
        f.write_str(name)
    }
}

fn format_seconds(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || a >= 1.0 {
        format!("{} s", number(v))
    } else if a >= 1e-3 {
        format!("{} ms", number(v * 1e3))
    } else if a >= 1e-6 {
        format!("{} µs", number(v * 1e6))
    } else {
        format!("{} ns", number(v * 1e9))
    }
}

fn format_bytes(v: f64) -> String {
    const STEPS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut scaled = v;
    let mut suffix = "B";
    for s in STEPS {
        suffix = s;
        if scaled.abs() < 1024.0 || s == "PiB" {
            break;
        }
        scaled /= 1024.0;
    }
    format!("{} {suffix}", number(scaled))
}

/// Up to four significant digits, without trailing zeros: "500", "12.35", "0.1".
pub(crate) fn number(v: f64) -> String {
    let a = v.abs();
    let decimals = if a >= 1000.0 {
        0
    } else if a >= 100.0 {
        1
    } else if a >= 10.0 {
        2
    } else {
        3
    };
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    };
    // "-0" reads as a sign error to people.
    if s == "-0" { "0".to_owned() } else { s }
}
