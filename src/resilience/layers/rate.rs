//! [`RateLimitLayer`]: requests at most as fast as a [`RateLimiter`] admits them.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tower::{BoxError, Layer, Service};

use super::LayerError;
use crate::resilience::RateLimiter;

/// Wraps services in a [`RateLimiter`]: one cell per request.
///
/// `poll_ready` first gets a cell: [`check`](RateLimiter::check) when one is free (no
/// allocation, no timer), otherwise it books the next one with
/// [`until_ready`](RateLimiter::until_ready) and is pending on that timer (never a busy
/// loop; waiters are served in booking order). With the cell held, it polls the inner
/// service, whose own backpressure is then honoured without spending another cell. `call`
/// spends the cell. A clone of the service starts without one, and a service dropped while
/// it waits gives its booking back when no later one depends on it. Rate limiting never
/// fails a request: it only delays readiness.
///
/// Waiting uses tokio's timer, so the service must be polled inside a Tokio runtime with
/// time enabled once the limiter has to wait.
///
/// ```
/// use perfkit::resilience::{RateLimitLayer, RateLimiter};
///
/// let layer = RateLimitLayer::new(RateLimiter::per_second(100).burst(10).build()?);
/// # let _ = layer;
/// # Ok::<(), perfkit::resilience::ResilienceError>(())
/// ```
#[derive(Clone, Debug)]
pub struct RateLimitLayer {
    limiter: RateLimiter,
}

impl RateLimitLayer {
    /// A layer whose services share `limiter`'s quota.
    pub fn new(limiter: RateLimiter) -> Self {
        Self { limiter }
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimitService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimitService {
            inner,
            limiter: self.limiter.clone(),
            cell: Cell::None,
        }
    }
}

enum Cell {
    None,
    Waiting(Pin<Box<dyn Future<Output = ()> + Send>>),
    Held,
}

/// The service of a [`RateLimitLayer`].
pub struct RateLimitService<S> {
    inner: S,
    limiter: RateLimiter,
    cell: Cell,
}

impl<S> RateLimitService<S> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: Clone> Clone for RateLimitService<S> {
    /// The clone shares the limiter but starts without a cell.
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            limiter: self.limiter.clone(),
            cell: Cell::None,
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for RateLimitService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cell = match self.cell {
            Cell::None => "none",
            Cell::Waiting(_) => "waiting",
            Cell::Held => "held",
        };
        f.debug_struct("RateLimitService")
            .field("inner", &self.inner)
            .field("limiter", &self.limiter)
            .field("cell", &cell)
            .finish()
    }
}

impl<S, Req> Service<Req> for RateLimitService<S>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = RateLimitFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        loop {
            match &mut self.cell {
                Cell::None => {
                    self.cell = if self.limiter.check().is_ok() {
                        Cell::Held
                    } else {
                        let limiter = self.limiter.clone();
                        Cell::Waiting(Box::pin(async move { limiter.until_ready().await }))
                    };
                }
                Cell::Waiting(wait) => match wait.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(()) => self.cell = Cell::Held,
                },
                Cell::Held => return self.inner.poll_ready(cx).map_err(Into::into),
            }
        }
    }

    /// Answers [`LayerError::NotReady`](super::LayerError::NotReady) if `poll_ready` has not
    /// returned ready since the last call.
    fn call(&mut self, req: Req) -> Self::Future {
        match std::mem::replace(&mut self.cell, Cell::None) {
            Cell::Held => RateLimitFuture {
                call: Some(self.inner.call(req)),
            },
            // Tower's own services panic here; we answer with an error instead.
            Cell::None | Cell::Waiting(_) => RateLimitFuture { call: None },
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of a [`RateLimitService`]: the inner call with its error boxed.
    /// Not boxed itself.
    #[must_use = "futures do nothing unless polled"]
    pub struct RateLimitFuture<F> {
        // `None`: `call` came before `poll_ready` was ready.
        #[pin]
        call: Option<F>,
    }
}

impl<F, T, E> Future for RateLimitFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().call.as_pin_mut() {
            Some(call) => call.poll(cx).map_err(Into::into),
            None => Poll::Ready(Err(LayerError::NotReady.into())),
        }
    }
}

impl<F> fmt::Debug for RateLimitFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimitFuture")
            .field("called", &self.call.is_some())
            .finish()
    }
}
