//! The public handle: admission, waiting, and `call`.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use super::builder::BulkheadBuilder;
use super::capacity::Capacity;
use super::error::BulkheadError;
use super::permit::{BulkheadPermit, OwnedBulkheadPermit};
use super::stats::{BulkheadStats, Counters};
use crate::clock::Clock;
use crate::resilience::{AdaptiveLimiter, ResilienceError};

pub(crate) struct Inner {
    pub(crate) capacity: Capacity,
    pub(crate) counters: Counters,
    max_wait: Duration,
    max_queue: usize,
    clock: Arc<dyn Clock>,
}

/// A cap on concurrent calls, with a bounded FIFO wait.
///
/// Cheap to clone (an `Arc`); clones share the slots. Three ways in:
/// - [`try_acquire`](Self::try_acquire): a slot now or [`BulkheadError::Full`], never waits;
/// - [`acquire`](Self::acquire): waits in line (arrival order) for up to `max_wait`;
/// - [`call`](Self::call): `acquire`, run the future, give the slot back.
///
/// The slot lives in the returned [`BulkheadPermit`] (or [`OwnedBulkheadPermit`] from the
/// `_owned` forms) and comes back when it drops.
///
/// ```
/// use perfkit::resilience::{Bulkhead, BulkheadError};
///
/// let bulkhead = Bulkhead::new(2)?;
/// let a = bulkhead.try_acquire().unwrap();
/// let _b = bulkhead.try_acquire().unwrap();
/// assert_eq!(bulkhead.try_acquire().unwrap_err(), BulkheadError::Full);
/// drop(a);
/// assert!(bulkhead.try_acquire().is_ok());
/// assert_eq!(bulkhead.stats().accepted, 3);
/// assert_eq!(bulkhead.stats().rejected, 1);
/// # Ok::<(), perfkit::resilience::ResilienceError>(())
/// ```
///
/// Waiting, in an async context:
///
/// ```
/// use perfkit::resilience::{Bulkhead, BulkheadError};
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let bulkhead = Bulkhead::builder(1).max_wait(Duration::from_millis(10)).build()?;
/// let held = bulkhead.acquire().await?;
/// match bulkhead.call(async { 42 }).await {
///     Err(BulkheadError::TimedOut { waited }) => assert!(waited >= Duration::from_millis(10)),
///     other => panic!("{other:?}"),
/// }
/// drop(held);
/// assert_eq!(bulkhead.call(async { 42 }).await?, 42);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Bulkhead {
    inner: Arc<Inner>,
}

impl Bulkhead {
    /// A bulkhead of `max_concurrent` slots with every other setting at its default (no
    /// waiting: a full bulkhead rejects at once). [`ResilienceError::InvalidConfig`] for 0.
    pub fn new(max_concurrent: usize) -> Result<Self, ResilienceError> {
        Self::builder(max_concurrent).build()
    }

    /// A builder for a bulkhead of `max_concurrent` slots; see [`BulkheadBuilder`].
    pub fn builder(max_concurrent: usize) -> BulkheadBuilder {
        BulkheadBuilder::fixed(max_concurrent)
    }

    /// A builder for a bulkhead whose slots follow `limiter`'s limit.
    ///
    /// The bulkhead re-reads the limit at each acquire and after each reported outcome, and
    /// resizes at once: a higher limit admits more calls (waiters first), a lower one admits
    /// no new call until the calls in progress have fallen below it (none is cut short).
    /// Each [`BulkheadPermit::success`] / [`failure`](BulkheadPermit::failure) feeds the
    /// limiter one [`Sample`](crate::resilience::Sample), with the permits held at grant
    /// time as its `in_flight`.
    pub fn adaptive(limiter: AdaptiveLimiter) -> BulkheadBuilder {
        BulkheadBuilder::adaptive(limiter)
    }

    pub(crate) fn from_parts(
        capacity: Capacity,
        max_wait: Duration,
        max_queue: usize,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                capacity,
                counters: Counters::default(),
                max_wait,
                max_queue,
                clock,
            }),
        }
    }

    /// Counts a slot just taken; returns the permits held, this one included.
    #[inline]
    fn admit(&self) -> usize {
        let in_use = self.inner.capacity.in_use();
        self.inner.counters.admit(in_use);
        in_use
    }

    /// A slot now, or [`BulkheadError::Full`] — also when calls are already waiting, so it
    /// cannot jump the line. Never waits, needs no runtime.
    #[inline]
    pub fn try_acquire(&self) -> Result<BulkheadPermit<'_>, BulkheadError> {
        self.try_take()
            .map(|in_flight| BulkheadPermit::new(&self.inner, in_flight))
    }

    /// [`try_acquire`](Self::try_acquire), with a permit that owns a handle to the
    /// bulkhead.
    #[inline]
    pub fn try_acquire_owned(&self) -> Result<OwnedBulkheadPermit, BulkheadError> {
        self.try_take()
            .map(|in_flight| OwnedBulkheadPermit::new(Arc::clone(&self.inner), in_flight))
    }

    #[inline]
    fn try_take(&self) -> Result<usize, BulkheadError> {
        self.inner.capacity.follow();
        if self.inner.capacity.try_take() {
            Ok(self.admit())
        } else {
            Counters::bump(&self.inner.counters.rejected);
            Err(BulkheadError::Full)
        }
    }

    /// A free slot now, or `None` with nothing counted: the first step of a caller that
    /// goes on to [`acquire_owned`](Self::acquire_owned) when this fails, so a contended
    /// call is counted once (by the acquire), not as a rejection and then a wait.
    #[cfg(feature = "tower")]
    #[inline]
    pub(crate) fn try_acquire_owned_quietly(&self) -> Option<OwnedBulkheadPermit> {
        self.inner.capacity.follow();
        self.inner
            .capacity
            .try_take()
            .then(|| OwnedBulkheadPermit::new(Arc::clone(&self.inner), self.admit()))
    }

    /// [`acquire`](Self::acquire), with a permit that owns a handle to the bulkhead.
    pub async fn acquire_owned(&self) -> Result<OwnedBulkheadPermit, BulkheadError> {
        let in_flight = self.take().await?;
        Ok(OwnedBulkheadPermit::new(Arc::clone(&self.inner), in_flight))
    }

    /// A slot, waiting in line for up to `max_wait` when the bulkhead is full.
    ///
    /// Errors: [`Full`](BulkheadError::Full) at once when `max_wait` is zero,
    /// [`QueueFull`](BulkheadError::QueueFull) at once when `max_queue` calls are waiting,
    /// [`TimedOut`](BulkheadError::TimedOut) after `max_wait`. Cancel-safe: dropping the
    /// future while it waits leaves the line and takes no slot.
    pub async fn acquire(&self) -> Result<BulkheadPermit<'_>, BulkheadError> {
        let in_flight = self.take().await?;
        Ok(BulkheadPermit::new(&self.inner, in_flight))
    }

    async fn take(&self) -> Result<usize, BulkheadError> {
        let inner = &*self.inner;
        inner.capacity.follow();
        if inner.capacity.try_take() {
            return Ok(self.admit());
        }
        if inner.max_wait.is_zero() {
            Counters::bump(&inner.counters.rejected);
            return Err(BulkheadError::Full);
        }
        let Some(mut place) = Place::enter(&inner.counters, inner.max_queue) else {
            Counters::bump(&inner.counters.queue_full);
            return Err(BulkheadError::QueueFull);
        };
        let start = tokio::time::Instant::now();
        let got = if inner.max_wait == Duration::MAX {
            inner.capacity.take().await
        } else {
            // An elapsed deadline is "no slot", like a closed semaphore.
            tokio::time::timeout(inner.max_wait, inner.capacity.take())
                .await
                .unwrap_or(false)
        };
        place.left = true;
        drop(place);
        if got {
            Ok(self.admit())
        } else {
            Counters::bump(&inner.counters.timed_out);
            Err(BulkheadError::TimedOut {
                waited: start.elapsed(),
            })
        }
    }

    /// Runs `fut` in a slot: [`acquire`](Self::acquire), await `fut`, give the slot back.
    ///
    /// `fut` is not polled when no slot is had. Its output, whatever it is, comes back
    /// as-is; with an adaptive limit, a completed call is reported as a success timed on
    /// the bulkhead's clock, and a call dropped mid-way reports nothing. To report failures
    /// (so the limiter can back off), use `acquire` and [`BulkheadPermit::failure`].
    pub async fn call<F: Future>(&self, fut: F) -> Result<F::Output, BulkheadError> {
        let permit = self.acquire().await?;
        if self.inner.capacity.limiter().is_none() {
            let out = fut.await;
            drop(permit);
            return Ok(out);
        }
        let start = self.inner.clock.now();
        let out = fut.await;
        permit.success(self.inner.clock.now().saturating_sub(start));
        Ok(out)
    }

    /// The adaptive limiter the slots follow, if any.
    pub fn limiter(&self) -> Option<&AdaptiveLimiter> {
        self.inner.capacity.limiter()
    }

    /// A snapshot of the counts; see [`BulkheadStats`].
    pub fn stats(&self) -> BulkheadStats {
        let c = &self.inner.counters;
        BulkheadStats {
            limit: self.inner.capacity.limit(),
            in_use: self.inner.capacity.in_use(),
            waiting: c.waiting.load(Relaxed),
            accepted: c.accepted.load(Relaxed),
            rejected: c.rejected.load(Relaxed),
            queue_full: c.queue_full.load(Relaxed),
            timed_out: c.timed_out.load(Relaxed),
            cancelled: c.cancelled.load(Relaxed),
            max_in_use: c.max_in_use.load(Relaxed),
        }
    }
}

impl fmt::Debug for Bulkhead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bulkhead")
            .field("max_wait", &self.inner.max_wait)
            .field("max_queue", &self.inner.max_queue)
            .field("stats", &self.stats())
            .finish()
    }
}

/// A place in the wait queue's count. Dropped without `left` set, the waiting future itself
/// was dropped: counted as cancelled.
struct Place<'a> {
    counters: &'a Counters,
    left: bool,
}

impl<'a> Place<'a> {
    fn enter(counters: &'a Counters, max_queue: usize) -> Option<Self> {
        counters
            .waiting
            .fetch_update(Relaxed, Relaxed, |w| (w < max_queue).then_some(w + 1))
            .ok()?;
        Some(Self {
            counters,
            left: false,
        })
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.counters.waiting.fetch_sub(1, Relaxed);
        if !self.left {
            Counters::bump(&self.counters.cancelled);
        }
    }
}

#[cfg(feature = "metrics")]
impl Bulkhead {
    /// Exposes [`stats`](Self::stats) in `registry`, read at each render:
    ///
    /// - gauges `{prefix}_limit`, `{prefix}_in_use`, `{prefix}_waiting`, `{prefix}_max_in_use`;
    /// - `{prefix}_calls_total{outcome="accepted"|"rejected"|"queue_full"|"timed_out"|"cancelled"}`.
    ///
    /// The registry holds no strong reference: the series disappear with the last clone of
    /// the bulkhead.
    ///
    /// ```
    /// use perfkit::metrics::Registry;
    /// use perfkit::resilience::Bulkhead;
    ///
    /// let registry = Registry::new();
    /// let bulkhead = Bulkhead::new(2)?;
    /// bulkhead.register_metrics(&registry, "search_bulkhead")?;
    /// let _held = bulkhead.try_acquire()?;
    ///
    /// let text = registry.render_prometheus();
    /// assert!(text.contains("search_bulkhead_in_use 1"));
    /// assert!(text.contains("search_bulkhead_calls_total{outcome=\"accepted\"} 1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn register_metrics(
        &self,
        registry: &crate::metrics::Registry,
        prefix: &str,
    ) -> Result<(), crate::metrics::MetricsError> {
        fn stats(inner: &Arc<Inner>) -> BulkheadStats {
            Bulkhead {
                inner: Arc::clone(inner),
            }
            .stats()
        }

        let export = crate::metrics::export::Exporter::new(registry, prefix, &self.inner)?;
        let gauges: [crate::metrics::export::Field<BulkheadStats, usize>; 4] = [
            ("limit", |s| s.limit),
            ("in_use", |s| s.in_use),
            ("waiting", |s| s.waiting),
            ("max_in_use", |s| s.max_in_use),
        ];
        for (name, read) in gauges {
            export.gauge(name, &[], move |i| read(&stats(i)) as f64)?;
        }
        let outcomes: [crate::metrics::export::Field<BulkheadStats, u64>; 5] = [
            ("accepted", |s| s.accepted),
            ("rejected", |s| s.rejected),
            ("queue_full", |s| s.queue_full),
            ("timed_out", |s| s.timed_out),
            ("cancelled", |s| s.cancelled),
        ];
        for (outcome, read) in outcomes {
            export.counter("calls_total", &[("outcome", outcome)], move |i| {
                read(&stats(i))
            })?;
        }
        Ok(())
    }
}
