//! The machinery shared by [`BulkheadService`](super::BulkheadService) and
//! [`AdaptiveLimitService`](super::AdaptiveLimitService): a slot taken in `poll_ready`,
//! carried by the response future, reported to the limiter when the response completes.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tower::{BoxError, Service};

use super::{ErrorPredicate, LayerError};
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
                    // A free slot is taken without boxing a future; only a call that has to
                    // wait pays for one. `acquire_owned` then does the counting, so a
                    // contended call counts once, not as a rejection and then a wait.
                    self.slot = match self.bulkhead.try_acquire_owned_quietly() {
                        Some(permit) => Slot::Held(permit),
                        None => {
                            let bulkhead = self.bulkhead.clone();
                            Slot::Acquiring(Box::pin(async move { bulkhead.acquire_owned().await }))
                        }
                    };
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

    pub(crate) fn call<Req>(&mut self, req: Req) -> BulkheadFuture<S::Future>
    where
        S: Service<Req>,
        S::Error: Into<BoxError>,
    {
        match std::mem::replace(&mut self.slot, Slot::Empty) {
            Slot::Held(permit) => BulkheadFuture {
                // Only an adaptive limit uses the latency; a plain bulkhead skips two clock
                // reads, which were a third of this layer's cost per call.
                start: self
                    .bulkhead
                    .limiter()
                    .is_some()
                    .then(tokio::time::Instant::now),
                call: Some(self.inner.call(req)),
                permit: Some(permit),
                early: None,
                is_drop: self.is_drop.clone(),
            },
            Slot::Refused(e) => BulkheadFuture::answer(e.into()),
            // Tower's own services panic here; we answer with an error instead.
            Slot::Empty | Slot::Acquiring(_) => BulkheadFuture::answer(LayerError::NotReady.into()),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of a [`BulkheadService`](super::BulkheadService) and an
    /// [`AdaptiveLimitService`](super::AdaptiveLimitService): the inner call and the slot it
    /// holds, given back (and, with an adaptive limit, reported) when the call completes or
    /// the future is dropped. Not boxed.
    #[must_use = "futures do nothing unless polled"]
    pub struct BulkheadFuture<F> {
        #[pin]
        call: Option<F>,
        permit: Option<OwnedBulkheadPermit>,
        start: Option<tokio::time::Instant>,
        early: Option<BoxError>,
        is_drop: Option<ErrorPredicate>,
    }
}

impl<F> BulkheadFuture<F> {
    /// A future that answers `error` without calling anything.
    fn answer(error: BoxError) -> Self {
        Self {
            call: None,
            permit: None,
            start: None,
            early: Some(error),
            is_drop: None,
        }
    }
}

impl<F, T, E> Future for BulkheadFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some(call) = this.call.as_pin_mut() else {
            return Poll::Ready(Err(this
                .early
                .take()
                .unwrap_or_else(|| LayerError::PolledAfterCompletion.into())));
        };
        if this.permit.is_none() {
            return Poll::Ready(Err(LayerError::PolledAfterCompletion.into()));
        }
        let result = match call.poll(cx) {
            Poll::Ready(result) => result.map_err(Into::into),
            Poll::Pending => return Poll::Pending,
        };
        if let Some(permit) = this.permit.take() {
            match (&result, *this.start) {
                (Err(e), _) if this.is_drop.as_ref().is_none_or(|p| p(e)) => permit.failure(),
                (_, Some(start)) => permit.success(start.elapsed()),
                (_, None) => drop(permit),
            }
        }
        Poll::Ready(result)
    }
}

impl<F> fmt::Debug for BulkheadFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkheadFuture")
            .field("holds_slot", &self.permit.is_some())
            .field("early", &self.early)
            .finish_non_exhaustive()
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
