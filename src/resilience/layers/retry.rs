//! [`RetryLayer`]: retry failed requests under a [`Retry`] policy.

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};

use tower::{BoxError, Layer, Service};

use super::{LayerError, ResponseFuture};
use crate::resilience::{Retry, RetryAll, RetryPredicate};

/// Wraps services in a [`Retry`] policy: a failed request is sent again after the policy's
/// backoff, until it succeeds or a limit stops it (the predicate, `max_attempts`,
/// `max_elapsed`, the [`RetryBudget`](crate::resilience::RetryBudget)), with the same rules
/// and counts as [`Retry::run`], which drives it.
///
/// Requests must be `Clone`: each attempt sends a clone. `poll_ready` is the inner
/// service's; the first attempt goes to the service it made ready, and each retry to a fresh
/// clone of the inner service, awaited ready before it is called (as tower's `Retry`). The
/// predicate sees the inner service's own error type (`BoxError` when the inner service is
/// another layer from here, so `|e: &BoxError| e.downcast_ref::<Rejected>().is_none()`
/// keeps a breaker's rejections from being retried).
///
/// When the run gives up, the response is the last attempt's error, unchanged (boxed), so
/// callers downcast it exactly as without the layer; why the run stopped is counted in
/// [`Retry::stats`].
///
/// ```
/// use perfkit::resilience::{Retry, RetryBudget, RetryLayer};
/// use std::time::Duration;
///
/// let retry = Retry::exponential(Duration::from_millis(20))
///     .max_attempts(4)
///     .budget(RetryBudget::builder().build()?)
///     .build()?;
/// let layer = RetryLayer::new(retry);
/// # let _ = layer;
/// # Ok::<(), perfkit::resilience::ResilienceError>(())
/// ```
///
/// [`Rejected`]: crate::resilience::Rejected
#[derive(Clone, Debug)]
pub struct RetryLayer<P = RetryAll> {
    policy: Retry<P>,
}

impl<P> RetryLayer<P> {
    /// A layer whose services share `policy` (its jitter sequence, budget and stats).
    pub fn new(policy: Retry<P>) -> Self {
        Self { policy }
    }
}

impl<S, P: Clone> Layer<S> for RetryLayer<P> {
    type Service = RetryService<S, P>;

    fn layer(&self, inner: S) -> Self::Service {
        RetryService {
            inner,
            policy: self.policy.clone(),
        }
    }
}

/// The service of a [`RetryLayer`].
#[derive(Clone, Debug)]
pub struct RetryService<S, P = RetryAll> {
    inner: S,
    policy: Retry<P>,
}

impl<S, P> RetryService<S, P> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S, P, Req> Service<Req> for RetryService<S, P>
where
    S: Service<Req> + Clone + Send + 'static,
    S::Error: Into<BoxError> + Send,
    S::Future: Send + 'static,
    S::Response: Send,
    P: RetryPredicate<S::Error> + Clone + Send + Sync + 'static,
    Req: Clone + Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = RetryFuture<S, Req, P>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let start = self.policy.begin();
        // The first attempt goes to the service `poll_ready` made ready, now; retries, if
        // any, to clones of it.
        let first = self.inner.call(req.clone());
        RetryFuture {
            first: Some(first),
            retry: Some(Pending {
                template: self.inner.clone(),
                req,
                policy: self.policy.clone(),
                start,
            }),
            rest: None,
        }
    }
}

/// What a failed first attempt needs to go on.
struct Pending<S, Req, P> {
    template: S,
    req: Req,
    policy: Retry<P>,
    start: Option<tokio::time::Instant>,
}

pin_project_lite::pin_project! {
    /// The response future of a [`RetryService`]. The first attempt is polled in place, so a
    /// request that succeeds at once allocates nothing; after a failure the retry loop (with
    /// its sleeps) runs boxed, as in [`Retry::run`].
    #[must_use = "futures do nothing unless polled"]
    pub struct RetryFuture<S, Req, P>
    where
        S: Service<Req>,
    {
        #[pin]
        first: Option<S::Future>,
        retry: Option<Pending<S, Req, P>>,
        rest: Option<ResponseFuture<S::Response>>,
    }
}

impl<S, P, Req> Future for RetryFuture<S, Req, P>
where
    S: Service<Req> + Clone + Send + 'static,
    S::Error: Into<BoxError> + Send,
    S::Future: Send + 'static,
    S::Response: Send,
    P: RetryPredicate<S::Error> + Clone + Send + Sync + 'static,
    Req: Clone + Send + 'static,
{
    type Output = Result<S::Response, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Some(rest) = this.rest.as_mut() {
            let poll = rest.as_mut().poll(cx);
            if poll.is_ready() {
                // Forgotten once it has answered: a later poll is an error, not a
                // resumed-after-completion panic.
                *this.rest = None;
            }
            return poll;
        }
        let Some(first) = this.first.as_mut().as_pin_mut() else {
            return Poll::Ready(Err(LayerError::PolledAfterCompletion.into()));
        };
        let error = match first.poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(response)) => {
                this.first.set(None);
                *this.retry = None;
                return Poll::Ready(Ok(response));
            }
            Poll::Ready(Err(error)) => error,
        };
        this.first.set(None);
        let Some(Pending {
            template,
            req,
            policy,
            start,
        }) = this.retry.take()
        else {
            return Poll::Ready(Err(LayerError::PolledAfterCompletion.into()));
        };
        let mut rest: ResponseFuture<S::Response> = Box::pin(async move {
            let op = move || {
                let req = req.clone();
                let mut svc = template.clone();
                async move {
                    poll_fn(|cx| svc.poll_ready(cx)).await?;
                    svc.call(req).await
                }
            };
            policy
                .resume(op, start, error)
                .await
                .map_err(|e| e.into_inner().into())
        });
        let poll = rest.as_mut().poll(cx);
        if poll.is_pending() {
            *this.rest = Some(rest);
        }
        poll
    }
}

impl<S, Req, P> fmt::Debug for RetryFuture<S, Req, P>
where
    S: Service<Req>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryFuture")
            .field("first_attempt", &self.first.is_some())
            .field("retrying", &self.rest.is_some())
            .finish_non_exhaustive()
    }
}
