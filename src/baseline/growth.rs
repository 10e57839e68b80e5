//! Memory growth rate from samples of a process's memory over time.

use super::error::BaselineError;
use std::time::Duration;

/// The growth rate, in bytes per hour, of memory samples `(time, bytes)`, by least-squares
/// linear fit.
///
/// A fit rather than "last minus first" because memory moves in steps (allocator arenas,
/// caches filling); the fitted slope of many samples is far steadier than the difference of
/// two. Times are any monotonic offsets (e.g. from [`crate::clock::Clock::now`]); samples
/// need not be sorted. A negative result means memory shrank.
///
/// Errors with [`BaselineError::NotEnoughSamples`] for fewer than two samples and with
/// [`BaselineError::NoTimeSpan`] when all samples share one time.
///
/// To check the result against the documented baseline, use
/// `baseline::find("resources.memory_growth")`:
///
/// ```
/// use perfkit::baseline::{self, memory_growth_per_hour};
/// use std::time::Duration;
///
/// const MIB: u64 = 1024 * 1024;
/// // 100 MiB, growing 1 MiB per 10 minutes = 6 MiB per hour.
/// let samples: Vec<(Duration, u64)> = (0..7)
///     .map(|i| (Duration::from_secs(600 * i), 100 * MIB + i * MIB))
///     .collect();
/// let rate = memory_growth_per_hour(&samples).unwrap();
/// assert!((rate - 6.0 * MIB as f64).abs() < 1.0);
///
/// let verdict = baseline::find("resources.memory_growth").unwrap().check(rate);
/// assert!(verdict.passed()); // limit is < 10 MiB/h
/// ```
pub fn memory_growth_per_hour(samples: &[(Duration, u64)]) -> Result<f64, BaselineError> {
    if samples.len() < 2 {
        return Err(BaselineError::NotEnoughSamples {
            needed: 2,
            got: samples.len(),
        });
    }
    // Compare times exactly, as durations: a float test would let rounding turn one instant
    // into a tiny span and an enormous slope.
    let (t0, t_max) = samples
        .iter()
        .fold((Duration::MAX, Duration::ZERO), |(lo, hi), &(t, _)| {
            (lo.min(t), hi.max(t))
        });
    if t0 == t_max {
        return Err(BaselineError::NoTimeSpan);
    }
    // Work relative to the earliest time and the first value so that the sums stay small and
    // exact for realistic inputs (bytes near 2^40 squared would lose all precision).
    let y0 = samples.first().map_or(0.0, |&(_, y)| y as f64);
    let n = samples.len() as f64;
    let point = |&(t, y): &(Duration, u64)| ((t - t0).as_secs_f64(), y as f64 - y0);
    let (sum_t, sum_y) = samples
        .iter()
        .map(point)
        .fold((0.0, 0.0), |(st, sy), (t, y)| (st + t, sy + y));
    let (mean_t, mean_y) = (sum_t / n, sum_y / n);
    let (sxx, sxy) = samples
        .iter()
        .map(point)
        .fold((0.0, 0.0), |(sxx, sxy), (t, y)| {
            let dt = t - mean_t;
            (sxx + dt * dt, sxy + dt * (y - mean_y))
        });
    if sxx <= 0.0 {
        // Distinct times too close for f64 seconds to tell apart.
        return Err(BaselineError::NoTimeSpan);
    }
    Ok(sxy / sxx * 3600.0)
}
