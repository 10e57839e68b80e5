//! `Retry` and `RetryBudget`: exact delay sequences, jitter bounds over seeded samples, the
//! stop rules of `run` (attempts, elapsed time, predicate, budget), the budget during a
//! simulated outage and its recovery, and configuration errors. Sleeps run on paused Tokio
//! time and the budget on a `ManualClock`, so every assertion is exact and instant.

mod budget;
mod config;
mod delays;
mod run;

use perfkit::clock::{Clock, ManualClock};
use std::sync::Arc;
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A manual clock and the same clock as the `Arc<dyn Clock>` a builder takes.
fn manual() -> (ManualClock, Arc<dyn Clock>) {
    let clock = ManualClock::new();
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    (clock, shared)
}
