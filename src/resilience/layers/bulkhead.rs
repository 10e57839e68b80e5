//! [`BulkheadLayer`]: at most N requests in flight, a [`Bulkhead`] slot each.

use std::task::{Context, Poll};

use tower::{BoxError, Layer, Service};

use super::limit::BulkheadFuture;
use super::limit::Limited;
use crate::resilience::Bulkhead;

/// Wraps services in a [`Bulkhead`]: each request holds one slot from `poll_ready` until its
/// response completes.
///
/// `poll_ready` takes the slot first, waiting in the bulkhead's FIFO line for up to its
/// `max_wait` (pending meanwhile, woken when a slot frees), then polls the inner service.
/// The slot is kept in the service until `call` moves it into the response future, which
/// gives it back when the response completes or is dropped. A clone of the service starts
/// without a slot, as with tower's `ConcurrencyLimit`.
///
/// When the bulkhead refuses (full with a zero `max_wait`, its queue full, or `max_wait`
/// elapsed), `poll_ready` still returns ready and the next `call` answers with the
/// [`BulkheadError`](crate::resilience::BulkheadError), boxed, without calling the inner
/// service; the service stays usable. For pure backpressure (wait as long as it takes),
/// build the bulkhead with `max_wait(Duration::MAX)`.
///
/// A bulkhead built with [`Bulkhead::adaptive`] is fed a sample per response, as by
/// [`AdaptiveLimitLayer`](super::AdaptiveLimitLayer).
///
/// ```
/// use perfkit::resilience::{Bulkhead, BulkheadLayer};
/// use std::time::Duration;
///
/// let bulkhead = Bulkhead::builder(16).max_wait(Duration::MAX).build()?;
/// let layer = BulkheadLayer::new(bulkhead);
/// # let _ = layer;
/// # Ok::<(), perfkit::resilience::ResilienceError>(())
/// ```
#[derive(Clone, Debug)]
pub struct BulkheadLayer {
    bulkhead: Bulkhead,
}

impl BulkheadLayer {
    /// A layer whose services share `bulkhead`'s slots.
    pub fn new(bulkhead: Bulkhead) -> Self {
        Self { bulkhead }
    }
}

impl<S> Layer<S> for BulkheadLayer {
    type Service = BulkheadService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BulkheadService {
            inner: Limited::new(inner, self.bulkhead.clone(), None),
        }
    }
}

/// The service of a [`BulkheadLayer`].
#[derive(Clone, Debug)]
pub struct BulkheadService<S> {
    inner: Limited<S>,
}

impl<S> BulkheadService<S> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        self.inner.get_ref()
    }
}

impl<S, Req> Service<Req> for BulkheadService<S>
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
