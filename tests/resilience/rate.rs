//! `RateLimiter` and `KeyedRateLimiter`: GCRA conformance on scripted arrivals, costs,
//! `until_ready` ordering and jitter, races, configuration errors, and the keyed memory bound.
//! Time is a `ManualClock` (or paused Tokio time), so every assertion is exact.

mod coarse;
mod config;
mod direct;
mod keyed;
mod until_ready;

use perfkit::clock::{Clock, ManualClock};
use std::sync::Arc;
use std::time::Duration;

/// A manual clock and the same clock as the `Arc<dyn Clock>` a builder takes.
fn manual() -> (ManualClock, Arc<dyn Clock>) {
    let clock = ManualClock::new();
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    (clock, shared)
}

/// Moves a manual clock to an absolute offset from its origin (never backwards).
fn set(clock: &ManualClock, at: Duration) {
    let now = clock.now();
    assert!(at >= now, "script goes backwards: {at:?} < {now:?}");
    clock.advance(at - now);
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The obviously-correct reference: a leaky bucket holding `debt` nanoseconds of work that
/// drains at one nanosecond per nanosecond. A request of `cost` cells fits iff the debt after
/// adding it is within `burst` cells' worth. Written independently of GCRA's TAT form.
#[derive(Debug)]
struct LeakyBucket {
    t: u64,
    burst: u64,
    debt: u64,
    last: u64,
}

impl LeakyBucket {
    fn new(t: u64, burst: u64) -> Self {
        Self {
            t,
            burst,
            debt: 0,
            last: 0,
        }
    }

    /// `Ok` or `Err(wait in ns)`; `None` when the cost can never fit.
    fn offer(&mut self, now: u64, cost: u64) -> Option<Result<(), u64>> {
        if cost > self.burst {
            return None;
        }
        self.debt = self.debt.saturating_sub(now - self.last);
        self.last = now;
        let after = self.debt + cost * self.t;
        let limit = self.burst * self.t;
        if after <= limit {
            self.debt = after;
            Some(Ok(()))
        } else {
            Some(Err(after - limit))
        }
    }
}
