//! [`AdaptiveLimitLayer`]: a concurrency limit that follows an [`AdaptiveLimiter`].

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tower::{BoxError, Layer, Service};

use super::limit::BulkheadFuture;
use super::limit::Limited;
use crate::resilience::{AdaptiveLimiter, Bulkhead, ResilienceError};

/// Wraps services in a concurrency limit that adapts to latency and drops: a bulkhead built
/// with [`Bulkhead::adaptive`], whose size is the [`AdaptiveLimiter`]'s current limit.
///
/// `poll_ready` takes a slot (pending while the limit is reached, woken when a response
/// completes or the limit grows), then polls the inner service; `call` moves the slot into
/// the response future. When the response completes, the limiter gets one
/// [`Sample`](crate::resilience::Sample): a drop for an error the drop predicate accepts
/// (every error by default, see [`drop_if`](Self::drop_if)), otherwise a success with the
/// time from `call` to the response (on tokio's clock). A response future dropped before it
/// completes gives its slot back and reports nothing. A clone of the service starts without
/// a slot. Refusals (only with a bulkhead of finite `max_wait`, see
/// [`from_bulkhead`](Self::from_bulkhead)) are answered as by
/// [`BulkheadLayer`](super::BulkheadLayer): a boxed
/// [`BulkheadError`](crate::resilience::BulkheadError) from `call`.
///
/// ```
/// use perfkit::resilience::{AdaptiveLimitLayer, AdaptiveLimiter};
///
/// let limiter = AdaptiveLimiter::aimd().initial_limit(10).max_limit(200).build()?;
/// let layer = AdaptiveLimitLayer::new(limiter)?;
/// # let _ = layer;
/// # Ok::<(), perfkit::resilience::ResilienceError>(())
/// ```
#[derive(Clone)]
pub struct AdaptiveLimitLayer {
    bulkhead: Bulkhead,
    is_drop: Option<super::ErrorPredicate>,
}

impl AdaptiveLimitLayer {
    /// A layer limited by `limiter`, waiting as long as it takes for a slot (a bulkhead of
    /// `max_wait(Duration::MAX)` and the default queue bound).
    ///
    /// # Errors
    /// As [`BulkheadBuilder::build`](crate::resilience::BulkheadBuilder::build).
    pub fn new(limiter: AdaptiveLimiter) -> Result<Self, ResilienceError> {
        let bulkhead = Bulkhead::adaptive(limiter)
            .max_wait(Duration::MAX)
            .build()?;
        Ok(Self::from_bulkhead(bulkhead))
    }

    /// A layer over a bulkhead built by hand with [`Bulkhead::adaptive`], to choose its
    /// `max_wait`, queue bound or clock. (A fixed-size bulkhead works too, and then just
    /// limits, as [`BulkheadLayer`](super::BulkheadLayer) does.)
    pub fn from_bulkhead(bulkhead: Bulkhead) -> Self {
        Self {
            bulkhead,
            is_drop: None,
        }
    }

    /// Report an error to the limiter as a drop (the signal to back off) only when
    /// `predicate` says so; other errors are reported as successes with their latency, since
    /// they say nothing about load. Default: every error is a drop.
    pub fn drop_if<F>(mut self, predicate: F) -> Self
    where
        F: Fn(&BoxError) -> bool + Send + Sync + 'static,
    {
        self.is_drop = Some(Arc::new(predicate));
        self
    }

    /// The limiter the layer follows, if its bulkhead has one.
    pub fn limiter(&self) -> Option<&AdaptiveLimiter> {
        self.bulkhead.limiter()
    }
}

impl std::fmt::Debug for AdaptiveLimitLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdaptiveLimitLayer")
            .field("bulkhead", &self.bulkhead)
            .field("drop_if", &self.is_drop.is_some())
            .finish()
    }
}

impl<S> Layer<S> for AdaptiveLimitLayer {
    type Service = AdaptiveLimitService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AdaptiveLimitService {
            inner: Limited::new(inner, self.bulkhead.clone(), self.is_drop.clone()),
        }
    }
}

/// The service of an [`AdaptiveLimitLayer`].
#[derive(Clone, Debug)]
pub struct AdaptiveLimitService<S> {
    inner: Limited<S>,
}

impl<S> AdaptiveLimitService<S> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        self.inner.get_ref()
    }
}

impl<S, Req> Service<Req> for AdaptiveLimitService<S>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = BulkheadFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    /// Answers [`LayerError::NotReady`](super::LayerError::NotReady) if `poll_ready` has not
    /// returned ready since the last call.
    fn call(&mut self, req: Req) -> Self::Future {
        self.inner.call(req)
    }
}
