//! Retrying an async operation: backoff, jitter, limits, and a retry budget.
//!
//! - [`Retry`] (`policy.rs`): the policy and its `run` loop. Built with
//!   [`Retry::exponential`] or [`Retry::constant`] and a [`RetryBuilder`]; bad settings are a
//!   [`ResilienceError`](crate::resilience::ResilienceError) from `build()`. Which errors are
//!   worth retrying is a [`RetryPredicate`] (default [`RetryAll`]).
//! - [`Backoff`] (`backoff.rs`): the delays of one run as a plain iterator, for callers who
//!   drive their own loop.
//! - [`Jitter`] (`jitter.rs`): none, full, equal, decorrelated, and the seeded generator behind
//!   them.
//! - [`RetryBudget`] (`budget.rs`): retries limited to a ratio of recent requests plus a
//!   floor, over a sliding window, lock-free and shared by any number of policies.
//! - [`RetryError`] and [`StopReason`] (`error.rs`): why a run gave up, with the last error.
//! - [`RetryStats`] (`stats.rs`): counts kept off the success path.
//!
//! ```
//! use perfkit::resilience::{Jitter, Retry, RetryBudget};
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), perfkit::resilience::ResilienceError> {
//! let budget = RetryBudget::builder().retry_ratio(0.2).min_per_second(10).build()?;
//! let retry = Retry::exponential(Duration::from_millis(10))
//!     .max_delay(Duration::from_secs(1))
//!     .jitter(Jitter::Full)
//!     .max_attempts(4)
//!     .budget(budget)
//!     .build()?;
//!
//! let mut calls = 0;
//! let out = retry
//!     .run(|| {
//!         calls += 1;
//!         let n = calls;
//!         async move { if n < 3 { Err("flaky") } else { Ok(n) } }
//!     })
//!     .await;
//! assert_eq!(out.unwrap(), 3);
//! assert_eq!(retry.stats().retries, 2);
//! # Ok(())
//! # }
//! ```

mod backoff;
mod budget;
mod error;
mod jitter;
mod policy;
mod stats;

pub use backoff::Backoff;
pub use budget::{RetryBudget, RetryBudgetBuilder};
pub use error::{RetryError, StopReason};
pub use jitter::Jitter;
pub use policy::{
    DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_DELAY, DEFAULT_MULTIPLIER, Retry, RetryAll, RetryBuilder,
    RetryPredicate,
};
pub use stats::RetryStats;
