//! Resilience primitives: circuit breaker, rate limiters, retry with a budget, bulkhead and
//! adaptive concurrency limits.
//!
//! - [`CircuitBreaker`]: resilience4j's model — closed / open / half-open plus forced-open
//!   and disabled; count- or time-based sliding window; failure-rate and slow-call-rate
//!   thresholds with a minimum number of calls; a wait in open (fixed or exponential
//!   backoff); limited half-open trial calls; listeners; stats. The closed-state path takes
//!   no lock and does not allocate.
//! - [`RateLimiter`]: GCRA in one atomic word, with burst, `check` / `check_n` and
//!   `until_ready().await` (jittered so waiters do not wake in a herd).
//! - [`KeyedRateLimiter`]: the same quota per key, with memory bounded by `max_keys`: keys
//!   back to a full bucket are forgotten lazily, and at the cap the keys closest to full are
//!   evicted.
//! - [`Retry`]: exponential or constant backoff, `max_delay`, jitter (none, full, equal,
//!   decorrelated), `max_attempts`, `max_elapsed`, a per-error predicate, and a shared
//!   [`RetryBudget`] that caps retries at a ratio of recent requests plus a floor, so retries
//!   cannot multiply an outage.
//! - [`Bulkhead`]: at most N calls at once, a bounded FIFO queue with `max_wait`, typed
//!   rejections, stats; its limit can follow an [`AdaptiveLimiter`].
//! - [`AdaptiveLimiter`]: concurrency limits that adapt to latency and drops, AIMD or
//!   gradient (Netflix concurrency-limits style).
//!
//! Time is injectable everywhere ([`crate::clock::ManualClock`] in tests). Builders return
//! [`ResilienceError`] for settings that cannot work, never a panic.
//!
//! ```
//! use perfkit::resilience::{CircuitBreaker, RateLimiter};
//! use std::time::Duration;
//!
//! let breaker = CircuitBreaker::builder()
//!     .failure_rate_threshold(50.0)
//!     .count_based_window(20)
//!     .minimum_number_of_calls(10)
//!     .wait_duration_in_open(Duration::from_secs(30))
//!     .build()?;
//! let limiter = RateLimiter::per_second(100).burst(10).build()?;
//!
//! if limiter.check().is_ok() {
//!     if let Ok(permit) = breaker.try_acquire() {
//!         // ... call the dependency, then report how it went:
//!         permit.success();
//!     }
//! }
//! assert_eq!(breaker.stats().successes, 1);
//! # Ok::<(), perfkit::resilience::ResilienceError>(())
//! ```
//!
//! With the `tower` feature, each primitive is also a `tower::Layer` (`CircuitBreakerLayer`,
//! `RateLimitLayer`, `RetryLayer`, `BulkheadLayer`, `AdaptiveLimitLayer`) that composes with
//! `ServiceBuilder` and honours `poll_ready` backpressure.
//!
//! With the `metrics` feature, each primitive's `register_metrics(&registry, prefix)` exposes
//! its stats as series read when the registry renders, so the call path pays nothing for
//! them; the registry holds no strong reference, and a dropped primitive's series go with it.
#![forbid(unsafe_code)]

mod adaptive;
mod breaker;
mod bulkhead;
mod error;
mod rate;
mod retry;

#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
mod layers;

pub use adaptive::{AdaptiveLimiter, AimdBuilder, GradientBuilder, Sample};
pub use breaker::{
    BreakerError, BreakerStats, CircuitBreaker, CircuitBreakerBuilder, Permit, Rejected,
    SlidingWindow, State, Transition,
};
pub use bulkhead::{
    Bulkhead, BulkheadBuilder, BulkheadError, BulkheadPermit, BulkheadStats, DEFAULT_MAX_QUEUE,
    OwnedBulkheadPermit,
};
pub use error::ResilienceError;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub use layers::{
    AdaptiveLimitLayer, AdaptiveLimitService, BulkheadFuture, BulkheadLayer, BulkheadService,
    CircuitBreakerFuture, CircuitBreakerLayer, CircuitBreakerService, LayerError, RateLimitFuture,
    RateLimitLayer, RateLimitService, ResponseFuture, RetryFuture, RetryLayer, RetryService,
};
pub use rate::{
    CoarseClock, DEFAULT_MAX_KEYS, InsufficientCapacity, KeyedRateLimiter, KeyedRateLimiterBuilder,
    RateLimitError, RateLimited, RateLimiter, RateLimiterBuilder,
};
pub use retry::{
    Backoff, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_DELAY, DEFAULT_MULTIPLIER, Jitter, Retry, RetryAll,
    RetryBudget, RetryBudgetBuilder, RetryBuilder, RetryError, RetryPredicate, RetryStats,
    StopReason,
};
