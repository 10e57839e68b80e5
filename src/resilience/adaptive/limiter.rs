//! The public handle: one published limit, updated from samples.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crossbeam_utils::CachePadded;
use parking_lot::Mutex;

use super::aimd::{Aimd, AimdBuilder};
use super::gradient::{Gradient, GradientBuilder};

/// One finished request, as an [`AdaptiveLimiter`] sees it.
///
/// ```
/// use perfkit::resilience::Sample;
/// use std::time::Duration;
///
/// let ok = Sample { rtt: Duration::from_millis(12), in_flight: 8, dropped: false };
/// assert_eq!(ok, Sample::new(Duration::from_millis(12), 8));
/// assert!(Sample::dropped(8).dropped);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// How long the request took.
    pub rtt: Duration,
    /// Requests in flight when it started, itself included.
    pub in_flight: usize,
    /// Whether it was dropped, timed out or otherwise failed from overload (the signal to
    /// back off). Errors that say nothing about load should not be reported as drops.
    pub dropped: bool,
}

impl Sample {
    /// A request that completed in `rtt`.
    #[must_use]
    pub fn new(rtt: Duration, in_flight: usize) -> Self {
        Self {
            rtt,
            in_flight,
            dropped: false,
        }
    }

    /// A dropped request (its RTT is not used).
    #[must_use]
    pub fn dropped(in_flight: usize) -> Self {
        Self {
            rtt: Duration::ZERO,
            in_flight,
            dropped: true,
        }
    }
}

/// The algorithm behind a limiter; each keeps its own state.
#[derive(Debug)]
pub(crate) enum Algorithm {
    Aimd(Aimd),
    Gradient(Gradient),
}

impl Algorithm {
    fn update(&mut self, sample: Sample) -> usize {
        match self {
            Algorithm::Aimd(a) => a.update(sample),
            Algorithm::Gradient(g) => g.update(sample),
        }
    }
}

struct Inner {
    /// The published limit: readers (every bulkhead acquire) never touch the mutex.
    limit: CachePadded<AtomicUsize>,
    /// Updates are serialised: each algorithm's step reads and writes several fields, and a
    /// lock-free version would buy little, since a sample follows a whole request.
    algorithm: Mutex<Algorithm>,
}

/// A concurrency limit that adapts to the latency and drops it is fed.
///
/// Cheap to clone (an `Arc`); clones share the limit. Build one with
/// [`aimd`](Self::aimd) or [`gradient`](Self::gradient), report each finished request with
/// [`on_sample`](Self::on_sample), and read [`limit`](Self::limit) before admitting work —
/// or hand it to [`Bulkhead::adaptive`](crate::resilience::Bulkhead::adaptive), which does
/// both.
///
/// ```
/// use perfkit::resilience::{AdaptiveLimiter, Sample};
/// use std::time::Duration;
///
/// let limiter = AdaptiveLimiter::aimd()
///     .initial_limit(10)
///     .max_limit(100)
///     .backoff_ratio(0.5)
///     .build()?;
///
/// // A healthy request while the limit is in use: +1.
/// limiter.on_sample(Sample::new(Duration::from_millis(5), 10));
/// assert_eq!(limiter.limit(), 11);
/// // A drop: × 0.5.
/// limiter.on_sample(Sample::dropped(11));
/// assert_eq!(limiter.limit(), 5);
/// # Ok::<(), perfkit::resilience::ResilienceError>(())
/// ```
#[derive(Clone)]
pub struct AdaptiveLimiter {
    inner: Arc<Inner>,
}

impl AdaptiveLimiter {
    /// An additive-increase / multiplicative-decrease limiter; see [`AimdBuilder`].
    pub fn aimd() -> AimdBuilder {
        AimdBuilder::new()
    }

    /// A Gradient2-style limiter, driven by latency; see [`GradientBuilder`].
    pub fn gradient() -> GradientBuilder {
        GradientBuilder::new()
    }

    pub(crate) fn from_algorithm(initial: usize, algorithm: Algorithm) -> Self {
        Self {
            inner: Arc::new(Inner {
                limit: CachePadded::new(AtomicUsize::new(initial)),
                algorithm: Mutex::new(algorithm),
            }),
        }
    }

    /// The current limit: one atomic load. Always in `[min_limit, max_limit]`.
    #[inline]
    pub fn limit(&self) -> usize {
        self.inner.limit.load(Ordering::Acquire)
    }

    /// Feeds one finished request to the algorithm and returns the limit after it.
    pub fn on_sample(&self, sample: Sample) -> usize {
        let mut algorithm = self.inner.algorithm.lock();
        let limit = algorithm.update(sample);
        // Published under the lock so concurrent updates cannot publish out of order.
        self.inner.limit.store(limit, Ordering::Release);
        limit
    }
}

impl fmt::Debug for AdaptiveLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdaptiveLimiter")
            .field("limit", &self.limit())
            .field("algorithm", &*self.inner.algorithm.lock())
            .finish()
    }
}

#[cfg(feature = "metrics")]
impl AdaptiveLimiter {
    /// Exposes the limit in `registry` as the gauge `{prefix}_limit`, read at each render.
    /// The series disappears with the last clone of the limiter.
    ///
    /// ```
    /// use perfkit::metrics::Registry;
    /// use perfkit::resilience::AdaptiveLimiter;
    ///
    /// let registry = Registry::new();
    /// let limiter = AdaptiveLimiter::aimd().initial_limit(8).build()?;
    /// limiter.register_metrics(&registry, "db_concurrency")?;
    /// assert!(registry.render_prometheus().contains("db_concurrency_limit 8"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn register_metrics(
        &self,
        registry: &crate::metrics::Registry,
        prefix: &str,
    ) -> Result<(), crate::metrics::MetricsError> {
        let export = crate::metrics::export::Exporter::new(registry, prefix, &self.inner)?;
        export.gauge("limit", &[], |inner| {
            inner.limit.load(Ordering::Acquire) as f64
        })
    }
}
