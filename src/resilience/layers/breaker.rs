//! [`CircuitBreakerLayer`]: stop calling a failing service, probe it, trust it again.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tower::{BoxError, Layer, Service};

use super::{ErrorPredicate, LayerError};
use crate::resilience::breaker::OwnedPermit;
use crate::resilience::{CircuitBreaker, Rejected};

/// Wraps services in a [`CircuitBreaker`].
///
/// `poll_ready` is the inner service's: an open breaker does not make the service
/// unready. The breaker decides per call instead, as tower's `LoadShed` does, because tower
/// middleware (`Buffer`, balancers) treats a `poll_ready` error as a dead service, while an
/// open breaker is a passing state whose end only a call can discover (the first call after
/// the open wait moves it to half-open). So `call` asks the breaker for a permit before the
/// inner service is called: a rejection is the response, a boxed
/// [`Rejected`](crate::resilience::Rejected) (with the time left to wait), and the inner
/// service never sees the request. An admitted call's outcome is recorded when its response
/// completes: `Ok` as a success, an error as a failure unless the predicate of
/// [`failure_if`](Self::failure_if) says otherwise (then a success: the dependency
/// answered), timed for slow-call detection; a response future dropped before it completes
/// counts as cancelled.
///
/// The permit is taken in `call`, and the inner service is called right then, on the
/// readiness `poll_ready` obtained; the [`CircuitBreakerFuture`] carries the permit.
///
/// ```
/// use perfkit::resilience::{CircuitBreaker, CircuitBreakerLayer};
///
/// let breaker = CircuitBreaker::builder().failure_rate_threshold(50.0).build()?;
/// // Only errors that are not client mistakes open the breaker.
/// let layer = CircuitBreakerLayer::new(breaker)
///     .failure_if(|e| e.downcast_ref::<std::io::Error>().is_some());
/// # let _ = layer;
/// # Ok::<(), perfkit::resilience::ResilienceError>(())
/// ```
#[derive(Clone)]
pub struct CircuitBreakerLayer {
    breaker: CircuitBreaker,
    is_failure: Option<ErrorPredicate>,
}

impl CircuitBreakerLayer {
    /// A layer whose services share `breaker`.
    pub fn new(breaker: CircuitBreaker) -> Self {
        Self {
            breaker,
            is_failure: None,
        }
    }

    /// Count an error of the inner service as a failure only when `predicate` says so;
    /// other errors count as successes. Default: every error is a failure.
    pub fn failure_if<F>(mut self, predicate: F) -> Self
    where
        F: Fn(&BoxError) -> bool + Send + Sync + 'static,
    {
        self.is_failure = Some(Arc::new(predicate));
        self
    }

    /// The breaker the layer's services share.
    pub fn breaker(&self) -> &CircuitBreaker {
        &self.breaker
    }
}

impl fmt::Debug for CircuitBreakerLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreakerLayer")
            .field("breaker", &self.breaker)
            .field("failure_if", &self.is_failure.is_some())
            .finish()
    }
}

impl<S> Layer<S> for CircuitBreakerLayer {
    type Service = CircuitBreakerService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CircuitBreakerService {
            inner,
            breaker: self.breaker.clone(),
            is_failure: self.is_failure.clone(),
        }
    }
}

/// The service of a [`CircuitBreakerLayer`].
#[derive(Clone)]
pub struct CircuitBreakerService<S> {
    inner: S,
    breaker: CircuitBreaker,
    is_failure: Option<ErrorPredicate>,
}

impl<S> CircuitBreakerService<S> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: fmt::Debug> fmt::Debug for CircuitBreakerService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreakerService")
            .field("inner", &self.inner)
            .field("breaker", &self.breaker)
            .field("failure_if", &self.is_failure.is_some())
            .finish()
    }
}

impl<S, Req> Service<Req> for CircuitBreakerService<S>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = CircuitBreakerFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        match self.breaker.try_acquire_owned() {
            Ok(permit) => CircuitBreakerFuture {
                call: Some(self.inner.call(req)),
                permit: Some(permit),
                rejected: None,
                is_failure: self.is_failure.clone(),
            },
            Err(rejected) => CircuitBreakerFuture {
                call: None,
                permit: None,
                rejected: Some(rejected),
                is_failure: None,
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of a [`CircuitBreakerService`]: the inner call, and the permit
    /// whose outcome is recorded when the call completes (or counted as cancelled if the
    /// future is dropped first). Not boxed: it costs the inner future plus a few words.
    #[must_use = "futures do nothing unless polled"]
    pub struct CircuitBreakerFuture<F> {
        #[pin]
        call: Option<F>,
        permit: Option<OwnedPermit>,
        rejected: Option<Rejected>,
        is_failure: Option<ErrorPredicate>,
    }
}

impl<F, T, E> Future for CircuitBreakerFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some(call) = this.call.as_pin_mut() else {
            return Poll::Ready(Err(match this.rejected.take() {
                Some(rejected) => rejected.into(),
                None => LayerError::PolledAfterCompletion.into(),
            }));
        };
        let Some(permit) = this.permit.take() else {
            return Poll::Ready(Err(LayerError::PolledAfterCompletion.into()));
        };
        let result = match call.poll(cx) {
            Poll::Ready(result) => result.map_err(Into::into),
            Poll::Pending => {
                *this.permit = Some(permit);
                return Poll::Pending;
            }
        };
        match &result {
            Err(e) if this.is_failure.as_ref().is_none_or(|p| p(e)) => permit.failure(),
            _ => permit.success(),
        }
        Poll::Ready(result)
    }
}

impl<F> fmt::Debug for CircuitBreakerFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreakerFuture")
            .field("admitted", &self.permit.is_some())
            .field("rejected", &self.rejected)
            .finish_non_exhaustive()
    }
}
