//! The machinery shared by [`BulkheadService`](super::BulkheadService) and
//! [`AdaptiveLimitService`](super::AdaptiveLimitService): a slot taken in `poll_ready`,
//! carried by the response future, reported to the limiter when the response completes.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tower::{BoxError, Service};

use super::{ErrorPredicate, ResponseFuture};
use crate::resilience::{Bulkhead, BulkheadError, OwnedBulkheadPermit};

type Acquire = Pin<Box<dyn Future<Output = Result<OwnedBulkheadPermit, BulkheadError>> + Send>>;

enum Slot {
    /// Nothing taken yet.
    Empty,
    /// Waiting in the bulkhead's line.
    Acquiring(Acquire),
    /// A slot is held for the next call.
    Held(OwnedBulkheadPermit),
    /// The bulkhead refused; the next call answers with this error.
    Refused(BulkheadError),
}

pub(crate) struct Limited<S> {
    inner: S,
    bulkhead: Bulkhead,
    is_drop: Option<ErrorPredicate>,
    slot: Slot,
}

impl<S> Limited<S> {
    pub(crate) fn new(inner: S, bulkhead: Bulkhead, is_drop: Option<ErrorPredicate>) -> Self {
        Self {
            inner,
            bulkhead,
            is_drop,
            slot: Slot::Empty,
        }
    }

    pub(crate) fn get_ref(&self) -> &S {
        &self.inner
    }

    pub(crate) fn poll_ready<Req>(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>>
    where
        S: Service<Req>,
        S::Error: Into<BoxError>,
    {
        loop {
            match &mut self.slot {
                Slot::Empty => {
                    // Always through `acquire_owned`: it takes a free slot at its first poll,
                    // and unlike `try_acquire` followed by a wait it counts a contended call
                    // once, not as a rejection and then a wait.
                    let bulkhead = self.bulkhead.clone();
                    self.slot =
                        Slot::Acquiring(Box::pin(async move { bulkhead.acquire_owned().await }));
                }
                Slot::Acquiring(acquire) => {
                    self.slot = match acquire.as_mut().poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Ok(permit)) => Slot::Held(permit),
                        Poll::Ready(Err(e)) => Slot::Refused(e),
                    };
                }
                Slot::Held(_) => return self.inner.poll_ready(cx).map_err(Into::into),
                // Ready: the call will answer with the refusal without touching `inner`.
                Slot::Refused(_) => return Poll::Ready(Ok(())),
            }
        }
    }

    pub(crate) fn call<Req>(&mut self, req: Req) -> ResponseFuture<S::Response>
    where
        S: Service<Req>,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        match std::mem::replace(&mut self.slot, Slot::Empty) {
            Slot::Held(permit) => {
                let start = tokio::time::Instant::now();
                let fut = self.inner.call(req);
                let is_drop = self.is_drop.clone();
                Box::pin(async move {
                    let result = fut.await.map_err(Into::into);
                    match &result {
                        Err(e) if is_drop.as_ref().is_none_or(|p| p(e)) => permit.failure(),
                        _ => permit.success(start.elapsed()),
                    }
                    result
                })
            }
            Slot::Refused(e) => Box::pin(async move { Err(e.into()) }),
            // Tower's own services panic here; we answer with an error instead.
            Slot::Empty | Slot::Acquiring(_) => super::not_ready(),
        }
    }
}

impl<S: Clone> Clone for Limited<S> {
    /// The clone shares the bulkhead but starts without a slot, like tower's
    /// `ConcurrencyLimit`: a slot is one call's, never two.
    fn clone(&self) -> Self {
        Self::new(
            self.inner.clone(),
            self.bulkhead.clone(),
            self.is_drop.clone(),
        )
    }
}

impl<S: fmt::Debug> fmt::Debug for Limited<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let slot = match &self.slot {
            Slot::Empty => "empty",
            Slot::Acquiring(_) => "acquiring",
            Slot::Held(_) => "held",
            Slot::Refused(_) => "refused",
        };
        f.debug_struct("Limited")
            .field("inner", &self.inner)
            .field("bulkhead", &self.bulkhead)
            .field("slot", &slot)
            .finish_non_exhaustive()
    }
}
