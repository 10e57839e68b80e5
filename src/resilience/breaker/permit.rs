//! The guard that carries one call's outcome back to the breaker.

use std::fmt;
use std::time::Duration;

use super::circuit_breaker::Inner;
use super::window::{FAILURE, PRESENT};

/// Permission for one call, from [`CircuitBreaker::try_acquire`](super::CircuitBreaker::try_acquire).
///
/// Finish it with [`success`](Permit::success) or [`failure`](Permit::failure) (or their
/// `_after` forms, which supply the call's duration for slow-call detection). A permit
/// dropped unfinished is *cancelled*: it counts neither as a success nor as a failure, is
/// counted in [`BreakerStats::cancelled`](super::BreakerStats::cancelled), and in half-open
/// gives its trial slot back so the breaker cannot get stuck waiting for it.
///
/// ```
/// use perfkit::resilience::CircuitBreaker;
///
/// let breaker = CircuitBreaker::builder().build().unwrap();
/// match breaker.try_acquire() {
///     Ok(permit) => match std::fs::metadata("/") {
///         Ok(_) => permit.success(),
///         Err(_) => permit.failure(),
///     },
///     Err(rejected) => eprintln!("not calling: {rejected}"),
/// }
/// assert_eq!(breaker.stats().successes, 1);
/// ```
#[must_use = "a permit dropped without an outcome is counted as cancelled"]
pub struct Permit<'a> {
    inner: &'a Inner,
    /// The state word the permit was granted under.
    word: u64,
    /// When the call started, if the breaker times calls.
    start: Option<Duration>,
    finished: bool,
}

impl<'a> Permit<'a> {
    #[inline]
    pub(crate) fn new(inner: &'a Inner, word: u64, start: Option<Duration>) -> Self {
        Self {
            inner,
            word,
            start,
            finished: false,
        }
    }

    /// Records a success; timed on the breaker's clock since the acquire when slow-call
    /// detection is on.
    #[inline]
    pub fn success(mut self) {
        self.finished = true;
        self.inner.record(self.word, self.start, PRESENT, None);
    }

    /// Records a failure.
    #[inline]
    pub fn failure(mut self) {
        self.finished = true;
        self.inner
            .record(self.word, self.start, PRESENT | FAILURE, None);
    }

    /// Records a success that took `elapsed` (used instead of the clock for slow-call
    /// detection).
    #[inline]
    pub fn success_after(mut self, elapsed: Duration) {
        self.finished = true;
        self.inner
            .record(self.word, self.start, PRESENT, Some(elapsed));
    }

    /// Records a failure that took `elapsed`.
    #[inline]
    pub fn failure_after(mut self, elapsed: Duration) {
        self.finished = true;
        self.inner
            .record(self.word, self.start, PRESENT | FAILURE, Some(elapsed));
    }

    /// Ends the permit without an outcome, on purpose (an error that says nothing about
    /// the dependency's health); counted in [`BreakerStats::ignored`](super::BreakerStats::ignored).
    pub fn ignore(mut self) {
        self.finished = true;
        self.inner.release(self.word, false);
    }
}

#[cfg(feature = "tower")]
impl Permit<'_> {
    /// The same permit, owning a handle to the breaker, for a future that must be `'static`.
    pub(crate) fn into_owned(mut self, inner: std::sync::Arc<Inner>) -> OwnedPermit {
        self.finished = true;
        OwnedPermit {
            inner,
            word: self.word,
            start: self.start,
            finished: false,
        }
    }
}

/// A [`Permit`] that owns a handle to its breaker: what a tower response future carries.
#[cfg(feature = "tower")]
pub(crate) struct OwnedPermit {
    inner: std::sync::Arc<Inner>,
    word: u64,
    start: Option<Duration>,
    finished: bool,
}

#[cfg(feature = "tower")]
impl OwnedPermit {
    #[inline]
    pub(crate) fn success(mut self) {
        self.finished = true;
        self.inner.record(self.word, self.start, PRESENT, None);
    }

    #[inline]
    pub(crate) fn failure(mut self) {
        self.finished = true;
        self.inner
            .record(self.word, self.start, PRESENT | FAILURE, None);
    }
}

#[cfg(feature = "tower")]
impl Drop for OwnedPermit {
    #[inline]
    fn drop(&mut self) {
        if !self.finished {
            self.inner.release(self.word, true);
        }
    }
}

impl Drop for Permit<'_> {
    #[inline]
    fn drop(&mut self) {
        if !self.finished {
            self.inner.release(self.word, true);
        }
    }
}

impl fmt::Debug for Permit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("state", &super::state::state_of(self.word))
            .field("start", &self.start)
            .finish()
    }
}
