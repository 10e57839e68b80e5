//! tower layers over the resilience primitives (feature `tower`).
//!
//! Each layer wraps a service in one primitive and honours `poll_ready` backpressure:
//!
//! - [`RateLimitLayer`]: `poll_ready` is pending until the [`RateLimiter`] admits a cell.
//! - [`BulkheadLayer`]: `poll_ready` takes a [`Bulkhead`] slot (waiting in its FIFO line);
//!   the slot rides in the response future and comes back when the response completes.
//! - [`AdaptiveLimitLayer`]: the same over a bulkhead whose size follows an
//!   [`AdaptiveLimiter`], fed one sample per response.
//! - [`CircuitBreakerLayer`]: rejects calls while the [`CircuitBreaker`] is open, without
//!   calling the inner service, and records each response's outcome.
//! - [`RetryLayer`]: retries a failed request under a [`Retry`] policy (backoff, attempts,
//!   budget) on clones of the inner service.
//!
//! Every wrapped service's error is [`tower::BoxError`]. A layer's own refusal is boxed as
//! the primitive's error type ([`Rejected`], [`BulkheadError`]), and the inner service's
//! errors pass through as they are, so callers tell them apart with `downcast_ref`. A
//! refusal is always an error of the response, never of `poll_ready`: tower middleware such
//! as `Buffer` treats a `poll_ready` error as the end of the service.
//!
//! The response futures of the breaker, rate-limit, bulkhead and adaptive layers are plain
//! structs over the inner future ([`CircuitBreakerFuture`], [`RateLimitFuture`],
//! [`BulkheadFuture`]): no allocation per call, and no `Send` or `'static` demanded of the
//! inner service. The retry layer's [`RetryFuture`] polls the first attempt in place too,
//! and boxes the retry loop only after a failure, so under it the inner service and its
//! futures must be `Send + 'static`.
//!
//! ```
//! use perfkit::resilience::{
//!     Bulkhead, BulkheadLayer, CircuitBreaker, CircuitBreakerLayer, RateLimitLayer,
//!     RateLimiter, Retry, RetryLayer,
//! };
//! use std::time::Duration;
//! use tower::ServiceBuilder;
//!
//! # fn main() -> Result<(), perfkit::resilience::ResilienceError> {
//! let retry = Retry::exponential(Duration::from_millis(10)).max_attempts(3).build()?;
//! let layers = ServiceBuilder::new()
//!     .layer(RetryLayer::new(retry))
//!     .layer(CircuitBreakerLayer::new(CircuitBreaker::builder().build()?))
//!     .layer(RateLimitLayer::new(RateLimiter::per_second(100).build()?))
//!     .layer(BulkheadLayer::new(Bulkhead::builder(8).max_wait(Duration::MAX).build()?));
//! # let _ = layers;
//! # Ok(())
//! # }
//! ```
//!
//! [`RateLimiter`]: super::RateLimiter
//! [`Bulkhead`]: super::Bulkhead
//! [`AdaptiveLimiter`]: super::AdaptiveLimiter
//! [`CircuitBreaker`]: super::CircuitBreaker
//! [`Retry`]: super::Retry
//! [`Rejected`]: super::Rejected
//! [`BulkheadError`]: super::BulkheadError

mod adaptive;
mod breaker;
mod bulkhead;
mod limit;
mod rate;
mod retry;

pub use adaptive::{AdaptiveLimitLayer, AdaptiveLimitService};
pub use breaker::{CircuitBreakerFuture, CircuitBreakerLayer, CircuitBreakerService};
pub use bulkhead::{BulkheadLayer, BulkheadService};
pub use limit::BulkheadFuture;
pub use rate::{RateLimitFuture, RateLimitLayer, RateLimitService};
pub use retry::{RetryFuture, RetryLayer, RetryService};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tower::BoxError;

/// The retry loop inside a [`RetryFuture`] once a first attempt has failed: boxed (it holds
/// the backoff and its sleeps), `Send`, failing with a [`tower::BoxError`].
pub type ResponseFuture<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

/// A misuse of a layer's service, answered as the response's error instead of a panic.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LayerError {
    /// `call` came before `poll_ready` returned `Ready(Ok(()))` (tower's contract); the
    /// request was not sent.
    #[error("service not ready: call came before poll_ready returned Ready")]
    NotReady,
    /// A response future was polled again after it had completed.
    #[error("response future polled after it completed")]
    PolledAfterCompletion,
}

/// A shared predicate over a (boxed) error.
pub(crate) type ErrorPredicate = Arc<dyn Fn(&BoxError) -> bool + Send + Sync>;
