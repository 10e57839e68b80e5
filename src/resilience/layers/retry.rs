//! [`RetryLayer`]: retry failed requests under a [`Retry`] policy.

use std::future::poll_fn;
use std::task::{Context, Poll};

use tower::{BoxError, Layer, Service};

use super::ResponseFuture;
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
    type Future = ResponseFuture<S::Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let clone = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, clone);
        let policy = self.policy.clone();
        Box::pin(async move {
            let template = ready.clone();
            let mut first = Some(ready);
            let result = policy
                .run(move || {
                    let req = req.clone();
                    let (mut svc, is_ready) = match first.take() {
                        Some(svc) => (svc, true),
                        None => (template.clone(), false),
                    };
                    async move {
                        if !is_ready {
                            poll_fn(|cx| svc.poll_ready(cx)).await?;
                        }
                        svc.call(req).await
                    }
                })
                .await;
            result.map_err(|e| e.into_inner().into())
        })
    }
}
