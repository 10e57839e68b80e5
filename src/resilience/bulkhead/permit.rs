//! The guards that hold one slot each, and report how the call went.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::bulkhead::Inner;
use crate::resilience::Sample;

impl Inner {
    /// Feeds an outcome to the adaptive limiter, if any, and applies the new limit at once
    /// rather than at the next acquire, so a grown limit wakes waiters that would otherwise
    /// sit until someone else arrives.
    fn report(&self, sample: Sample) {
        if let Some(limiter) = self.capacity.limiter() {
            limiter.on_sample(sample);
            self.capacity.follow();
        }
    }
}

/// One slot of a [`Bulkhead`](super::Bulkhead), given back when dropped; borrows the
/// bulkhead (see [`OwnedBulkheadPermit`] for one that can move into a spawned task).
///
/// With an adaptive limit, finish it with [`success`](Self::success) or
/// [`failure`](Self::failure) so the limiter learns from the call; a permit simply dropped
/// reports nothing (the call was cancelled, or its outcome says nothing about load). With a
/// fixed limit all three just give the slot back.
///
/// ```
/// use perfkit::resilience::{AdaptiveLimiter, Bulkhead};
/// use std::time::Duration;
///
/// let limiter = AdaptiveLimiter::aimd().initial_limit(1).build()?;
/// let bulkhead = Bulkhead::adaptive(limiter.clone()).build()?;
///
/// let permit = bulkhead.try_acquire().expect("one slot free");
/// assert!(bulkhead.try_acquire().is_err());
/// permit.success(Duration::from_millis(3)); // in use at its limit: +1
/// assert_eq!(limiter.limit(), 2);
/// # Ok::<(), perfkit::resilience::ResilienceError>(())
/// ```
#[must_use = "dropping a permit gives its slot back at once"]
pub struct BulkheadPermit<'a> {
    inner: &'a Inner,
    in_flight: usize,
}

/// [`BulkheadPermit`] that owns a handle to its bulkhead (one `Arc` clone), so it is
/// `'static` and can move into a spawned task; from
/// [`Bulkhead::acquire_owned`](super::Bulkhead::acquire_owned) and
/// [`try_acquire_owned`](super::Bulkhead::try_acquire_owned). Same outcomes, same release.
///
/// ```
/// use perfkit::resilience::Bulkhead;
///
/// let bulkhead = Bulkhead::new(1)?;
/// let permit = bulkhead.try_acquire_owned().unwrap();
/// std::thread::spawn(move || drop(permit)).join().unwrap();
/// assert!(bulkhead.try_acquire().is_ok());
/// # Ok::<(), perfkit::resilience::ResilienceError>(())
/// ```
#[must_use = "dropping a permit gives its slot back at once"]
pub struct OwnedBulkheadPermit {
    inner: Arc<Inner>,
    in_flight: usize,
}

macro_rules! permit_methods {
    () => {
        /// Reports a call that completed in `latency` to the adaptive limiter (if any),
        /// then gives the slot back.
        pub fn success(self, latency: Duration) {
            self.inner.report(Sample::new(latency, self.in_flight));
        }

        /// Reports a call that failed from overload (a drop or a timeout) to the adaptive
        /// limiter (if any), then gives the slot back.
        pub fn failure(self) {
            self.inner.report(Sample::dropped(self.in_flight));
        }

        /// Permits held just after this one was granted, itself included (the sample's
        /// `in_flight`).
        pub fn in_flight(&self) -> usize {
            self.in_flight
        }
    };
}

impl<'a> BulkheadPermit<'a> {
    #[inline]
    pub(crate) fn new(inner: &'a Inner, in_flight: usize) -> Self {
        Self { inner, in_flight }
    }

    permit_methods!();
}

impl OwnedBulkheadPermit {
    #[inline]
    pub(crate) fn new(inner: Arc<Inner>, in_flight: usize) -> Self {
        Self { inner, in_flight }
    }

    permit_methods!();
}

impl Drop for BulkheadPermit<'_> {
    #[inline]
    fn drop(&mut self) {
        self.inner.capacity.give_back();
    }
}

impl Drop for OwnedBulkheadPermit {
    #[inline]
    fn drop(&mut self) {
        self.inner.capacity.give_back();
    }
}

impl fmt::Debug for BulkheadPermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkheadPermit")
            .field("in_flight", &self.in_flight)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for OwnedBulkheadPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedBulkheadPermit")
            .field("in_flight", &self.in_flight)
            .finish_non_exhaustive()
    }
}
