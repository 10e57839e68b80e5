//! [`ObjectPool`]: reusable values of one type, made by a factory and reset on return.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crossbeam_queue::ArrayQueue;

use super::counter::ShardedCounter;

type Factory<T> = Box<dyn Fn() -> T + Send + Sync>;
type Reset<T> = Box<dyn Fn(&mut T) + Send + Sync>;

/// A pool of reusable values of type `T`.
///
/// [`get`](Self::get) hands out an idle value or makes one with the factory; the
/// [`Pooled`] guard puts it back when dropped, after the reset function (if any) ran on it.
/// At most `max_idle` values wait in the pool; a value returned to a full pool is dropped
/// (counted as a discard), so the pool's memory is bounded by `max_idle` values.
///
/// The idle values sit in a bounded lock-free queue (`crossbeam_queue::ArrayQueue`): `get`
/// and the return take no lock. The statistics counters are spread over cache lines by
/// thread.
///
/// ```
/// use perfkit::mem::ObjectPool;
///
/// let pool = ObjectPool::new(16, || Vec::<u8>::with_capacity(1024)).with_reset(Vec::clear);
/// pool.prewarm(4);
/// {
///     let mut buf = pool.get();
///     buf.extend_from_slice(b"request");
/// } // back in the pool, cleared
/// let buf = pool.get();
/// assert!(buf.is_empty() && buf.capacity() >= 1024);
/// let kept: Vec<u8> = buf.detach(); // leaves the pool for good
/// let s = pool.stats();
/// assert_eq!((s.creations, s.reuses, s.returns, s.detached), (4, 2, 1, 1));
/// # drop(kept);
/// ```
pub struct ObjectPool<T> {
    shared: Arc<ObjectShared<T>>,
    factory: Factory<T>,
    reset: Option<Reset<T>>,
}

/// The idle values and the counters: what `register_metrics` reads through a `Weak`.
///
/// One counter moves per `get` (reuse or creation) and none per successful return: returns
/// are derived (`idle = prewarmed + returns − reuses`), so the hot path pays one counter.
#[derive(Debug)]
struct ObjectShared<T> {
    idle: Option<ArrayQueue<T>>,
    reuses: ShardedCounter,
    creations: ShardedCounter,
    discards: ShardedCounter,
    detached: ShardedCounter,
    prewarmed: ShardedCounter,
}

impl<T> ObjectShared<T> {
    fn snapshot(&self) -> ObjectStats {
        let idle = self.idle.as_ref().map_or(0, ArrayQueue::len);
        let reuses = self.reuses.get();
        ObjectStats {
            reuses,
            creations: self.creations.get(),
            returns: (idle as u64 + reuses).saturating_sub(self.prewarmed.get()),
            discards: self.discards.get(),
            detached: self.detached.get(),
            idle,
        }
    }
}

impl<T> fmt::Debug for ObjectPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectPool")
            .field("max_idle", &self.max_idle())
            .field("stats", &self.stats())
            .finish()
    }
}

impl<T> ObjectPool<T> {
    /// A pool that keeps at most `max_idle` idle values (0 keeps none: every value is made
    /// fresh and dropped on return) and makes new ones with `factory`. No reset by default.
    pub fn new(max_idle: usize, factory: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Self {
            shared: Arc::new(ObjectShared {
                idle: (max_idle > 0).then(|| ArrayQueue::new(max_idle)),
                reuses: ShardedCounter::default(),
                creations: ShardedCounter::default(),
                discards: ShardedCounter::default(),
                detached: ShardedCounter::default(),
                prewarmed: ShardedCounter::default(),
            }),
            factory: Box::new(factory),
            reset: None,
        }
    }

    /// Runs `reset` on every value returned to the pool, before it is kept (a detached value
    /// is not reset). Default: none.
    #[must_use]
    pub fn with_reset(mut self, reset: impl Fn(&mut T) + Send + Sync + 'static) -> Self {
        self.reset = Some(Box::new(reset));
        self
    }

    /// Makes up to `n` values now, so the first `get`s find them; stops when the pool holds
    /// `max_idle`. Returns how many were added.
    pub fn prewarm(&self, n: usize) -> usize {
        let Some(idle) = &self.shared.idle else {
            return 0;
        };
        let mut added = 0;
        while added < n && !idle.is_full() {
            if idle.push((self.factory)()).is_err() {
                break;
            }
            added += 1;
        }
        self.shared.creations.add(added as u64);
        self.shared.prewarmed.add(added as u64);
        added
    }

    /// An idle value, or a new one from the factory.
    #[inline]
    pub fn get(&self) -> Pooled<'_, T> {
        let value = match self.shared.idle.as_ref().and_then(ArrayQueue::pop) {
            Some(v) => {
                self.shared.reuses.add(1);
                v
            }
            None => {
                self.shared.creations.add(1);
                (self.factory)()
            }
        };
        Pooled {
            value: Some(value),
            pool: self,
        }
    }

    /// The most idle values the pool keeps.
    pub fn max_idle(&self) -> usize {
        self.shared.idle.as_ref().map_or(0, ArrayQueue::capacity)
    }

    /// A snapshot of the pool's counters.
    pub fn stats(&self) -> ObjectStats {
        self.shared.snapshot()
    }

    /// Registers the pool's figures in `registry` as series read at render time:
    /// `{prefix}_gets_total{result="reuse"|"create"}`,
    /// `{prefix}_returns_total{outcome="kept"|"discarded"|"detached"}` (counters) and
    /// `{prefix}_idle` (gauge). The series do not keep the pool alive.
    ///
    /// Errors: [`crate::metrics::MetricsError`] for a prefix that makes an invalid name or a
    /// series already registered with another type.
    #[cfg(feature = "metrics")]
    #[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
    pub fn register_metrics(
        &self,
        registry: &crate::metrics::Registry,
        prefix: &str,
    ) -> Result<(), crate::metrics::MetricsError>
    where
        T: Send + 'static,
    {
        let export = crate::metrics::export::Exporter::new(registry, prefix, &self.shared)?;
        let counters: [LabelledField; 5] = [
            ("gets_total", ("result", "reuse"), |s| s.reuses),
            ("gets_total", ("result", "create"), |s| s.creations),
            ("returns_total", ("outcome", "kept"), |s| s.returns),
            ("returns_total", ("outcome", "discarded"), |s| s.discards),
            ("returns_total", ("outcome", "detached"), |s| s.detached),
        ];
        for (name, label, read) in counters {
            export.counter(name, &[label], move |sh| read(&sh.snapshot()))?;
        }
        export.gauge("idle", &[], |sh| sh.snapshot().idle as f64)
    }

    #[inline]
    fn put_back(&self, mut value: T) {
        let Some(idle) = &self.shared.idle else {
            self.shared.discards.add(1);
            return;
        };
        if let Some(reset) = &self.reset {
            reset(&mut value);
        }
        if idle.push(value).is_err() {
            self.shared.discards.add(1);
        }
    }
}

/// A series name, its one label, and how to read its figure from the stats.
#[cfg(feature = "metrics")]
type LabelledField = (
    &'static str,
    (&'static str, &'static str),
    fn(&ObjectStats) -> u64,
);

/// Figures of an [`ObjectPool`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectStats {
    /// `get`s served by an idle value.
    pub reuses: u64,
    /// Values made by the factory (by `get` or `prewarm`).
    pub creations: u64,
    /// Values put back in the pool on drop.
    pub returns: u64,
    /// Values dropped on return because the pool already held `max_idle`.
    pub discards: u64,
    /// Values taken out of the pool for good with [`Pooled::detach`].
    pub detached: u64,
    /// Values waiting in the pool now.
    pub idle: usize,
}

/// A value on loan from an [`ObjectPool`]; it goes back (reset) when dropped.
#[must_use = "the value goes straight back to the pool when dropped"]
pub struct Pooled<'a, T> {
    /// `Some` for the guard's whole life; taken only by `detach` and `drop`.
    value: Option<T>,
    pool: &'a ObjectPool<T>,
}

impl<T> Pooled<'_, T> {
    /// Takes the value out of the pool for good (counted in [`ObjectStats::detached`]).
    pub fn detach(mut self) -> T {
        self.pool.shared.detached.add(1);
        match self.value.take() {
            Some(v) => v,
            // `value` is only taken by `detach` (which consumes the guard) and `drop`.
            None => unreachable!("a pooled value is present until the guard ends"),
        }
    }

    #[inline]
    fn value(&self) -> &T {
        match &self.value {
            Some(v) => v,
            None => unreachable!("a pooled value is present until the guard ends"),
        }
    }
}

impl<T> Deref for Pooled<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        self.value()
    }
}

impl<T> DerefMut for Pooled<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        match &mut self.value {
            Some(v) => v,
            None => unreachable!("a pooled value is present until the guard ends"),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Pooled<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pooled").field(self.value()).finish()
    }
}

impl<T> Drop for Pooled<'_, T> {
    #[inline]
    fn drop(&mut self) {
        if let Some(v) = self.value.take() {
            self.pool.put_back(v);
        }
    }
}
