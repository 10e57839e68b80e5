//! Checks shared by the AIMD and gradient builders.

use crate::resilience::ResilienceError;

/// The largest limit a builder accepts: the most permits a `tokio::sync::Semaphore` can hold,
/// so any limit can also drive a [`Bulkhead`](crate::resilience::Bulkhead).
pub(crate) const MAX_LIMIT: usize = tokio::sync::Semaphore::MAX_PERMITS;

pub(crate) fn invalid(field: &'static str, reason: String) -> ResilienceError {
    ResilienceError::InvalidConfig { field, reason }
}

/// `1 <= min <= initial <= max <= MAX_LIMIT`.
pub(crate) fn check_limits(initial: usize, min: usize, max: usize) -> Result<(), ResilienceError> {
    if min == 0 {
        // A limit of zero admits nothing, so no sample could ever raise it again.
        return Err(invalid("min_limit", "must be at least 1".into()));
    }
    if max > MAX_LIMIT {
        return Err(invalid(
            "max_limit",
            format!("{max} is above the largest supported limit, {MAX_LIMIT}"),
        ));
    }
    if min > max {
        return Err(invalid(
            "min_limit",
            format!("{min} is above max_limit ({max})"),
        ));
    }
    if initial < min || initial > max {
        return Err(invalid(
            "initial_limit",
            format!("{initial} is outside [min_limit, max_limit] = [{min}, {max}]"),
        ));
    }
    Ok(())
}

/// `lo < x < hi` (or `<= hi` when `hi_inclusive`), and not NaN.
pub(crate) fn check_open_range(
    field: &'static str,
    x: f64,
    lo: f64,
    hi: f64,
    hi_inclusive: bool,
) -> Result<(), ResilienceError> {
    let ok = x > lo && (x < hi || (hi_inclusive && x == hi));
    if ok {
        Ok(())
    } else {
        let close = if hi_inclusive { ']' } else { ')' };
        Err(invalid(field, format!("{x} is outside ({lo}, {hi}{close}")))
    }
}
