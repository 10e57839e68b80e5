//! The generic cell rate algorithm (GCRA) as pure arithmetic on one `u64`.
//!
//! The whole state of a limiter (or of one key) is the *theoretical arrival time* (TAT): the
//! instant, in nanoseconds since the clock's origin, at which the bucket would be full again if
//! nothing else arrived. A request of `n` cells at `now` is admitted iff
//! `max(tat, now) + n·T - now <= T·burst`, where `T` is the emission interval (the time one
//! cell takes to replenish); admitting it moves the TAT to `max(tat, now) + n·T`. This is
//! the same decision as a token bucket of `burst` tokens refilled at one token per `T`, but it
//! needs no separate "last refill" field, so one atomic word (or one map value) holds it all.
//!
//! A TAT at or before `now` means "full": it carries no information, which is what lets the
//! keyed limiter forget such keys without changing any decision.

use crate::resilience::ResilienceError;
use std::time::Duration;

use super::error::InsufficientCapacity;

/// The longest window (`T·burst`) accepted, 2^62 ns ≈ 146 years. Keeping every span at or
/// below a quarter of `u64::MAX` leaves headroom so that `now + span` only saturates for
/// clocks that have run for centuries.
pub(crate) const MAX_SPAN_NANOS: u64 = 1 << 62;

/// The quota, reduced to the two numbers the decision needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gcra {
    /// Emission interval `T` in nanoseconds (≥ 1).
    pub(crate) t: u64,
    /// The window `T·burst`: how far ahead of `now` the TAT may run.
    pub(crate) window: u64,
    pub(crate) burst: u32,
}

impl Gcra {
    /// `cells` per `period`, at most `burst` at once.
    ///
    /// `T = ceil(period / cells)`: rounding up means the limiter never admits more than the
    /// configured rate (rounding down, as `period / cells` would, admits slightly more). Rates
    /// above one cell per nanosecond are capped at one per nanosecond.
    pub(crate) fn new(cells: u32, period: Duration, burst: u32) -> Result<Self, ResilienceError> {
        if cells == 0 {
            return Err(invalid(
                "rate",
                "the number of cells per period must be at least 1",
            ));
        }
        if period.is_zero() {
            return Err(invalid("period", "the period must be longer than zero"));
        }
        if burst == 0 {
            return Err(invalid("burst", "the burst must be at least 1"));
        }
        let period_ns = period.as_nanos();
        let t = period_ns.div_ceil(u128::from(cells)).max(1);
        let window = t * u128::from(burst); // < 2^(64+32+32): no overflow in u128
        if window > u128::from(MAX_SPAN_NANOS) {
            return Err(ResilienceError::InvalidConfig {
                field: "burst",
                reason: format!(
                    "burst × emission interval ({burst} × {t} ns) exceeds about 146 years; \
                     use a shorter period or a smaller burst"
                ),
            });
        }
        // Both fit: t <= window <= 2^62.
        Ok(Self {
            t: t as u64,
            window: window as u64,
            burst,
        })
    }

    /// The time `cost` cells take to replenish, or why they never can be granted at once.
    #[inline]
    pub(crate) fn weight(&self, cost: u32) -> Result<u64, InsufficientCapacity> {
        if cost > self.burst {
            return Err(InsufficientCapacity::new(cost, self.burst));
        }
        // cost <= burst, so cost·T <= window <= 2^62.
        Ok(u64::from(cost) * self.t)
    }

    /// The decision for `weight` nanoseconds of cells at `now` against `tat`:
    /// `Ok(new_tat)` to admit, or `Err(nanos until it would be admitted)`.
    #[inline(always)]
    pub(crate) fn decide(&self, tat: u64, now: u64, weight: u64) -> Result<u64, u64> {
        let new_tat = tat.max(now).saturating_add(weight);
        // new_tat >= now, so the subtraction cannot underflow.
        let ahead = new_tat - now;
        if ahead <= self.window {
            Ok(new_tat)
        } else {
            Err(ahead - self.window)
        }
    }

    /// Books `weight` unconditionally and says how long the booking has to wait before it
    /// conforms: the queueing form used by `until_ready`, which reserves a slot instead of
    /// polling, so waiters are served in arrival order and never wake to find the slot taken.
    #[inline]
    pub(crate) fn reserve(&self, tat: u64, now: u64, weight: u64) -> (u64, u64) {
        let new_tat = tat.max(now).saturating_add(weight);
        (new_tat, (new_tat - now).saturating_sub(self.window))
    }
}

pub(crate) fn invalid(field: &'static str, reason: &str) -> ResilienceError {
    ResilienceError::InvalidConfig {
        field,
        reason: reason.to_owned(),
    }
}

/// Nanoseconds of a `Duration`, saturating at `u64::MAX` (about 584 years).
#[inline]
pub(crate) fn saturating_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
