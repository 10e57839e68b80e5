//! [`ObjectPool`]: reusable values of one type, made by a factory and reset on return.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_queue::ArrayQueue;
use crossbeam_utils::CachePadded;

use super::counter::ShardedCounter;
use super::magazine::{Magazine, MagazineGuard};
use super::token::thread_token;

type Factory<T> = Box<dyn Fn() -> T + Send + Sync>;
type Reset<T> = Box<dyn Fn(&mut T) + Send + Sync>;

/// Per-thread caches per pool; a power of two so the thread token maps by a mask.
const CACHES: usize = 8;
/// Idle values one cache holds at most.
const SLOTS: usize = 8;

/// A pool of reusable values of type `T`.
///
/// [`get`](Self::get) hands out an idle value or makes one with the factory; the
/// [`Pooled`] guard puts it back when dropped, after the reset function (if any) ran on it.
/// At most `max_idle` values wait in the pool; a value returned to a full pool is dropped
/// (counted as a discard), so the pool's memory is bounded by `max_idle` values.
///
/// `get` and the return take no lock. Each thread first uses its own small cache of idle
/// values (taken with one uncontended atomic swap, never waited for), then a shared
/// lock-free queue (`crossbeam_queue::ArrayQueue`), then the other threads' caches. The
/// `max_idle` budget is split between them: each cache may hold `max_idle / 8` values (at
/// most 8), the queue the rest, so a thread that gets and returns values in turn touches no
/// line another thread writes.
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

/// One thread's cache and the counts of what went through it.
///
/// The counters are written only by the holder of the cache's flag, so a plain load and
/// store (no read-modify-write) counts exactly; readers sum them without the flag.
#[derive(Debug)]
struct Cache<T> {
    idle: Magazine<Box<T>, SLOTS>,
    reuses: AtomicU64,
    returns: AtomicU64,
}

impl<T> Cache<T> {
    /// Counts one event on a counter of this cache; `_held` proves we hold its flag.
    #[inline]
    fn bump(counter: &AtomicU64, _held: &MagazineGuard<'_, Box<T>, SLOTS>) {
        counter.store(
            counter.load(Ordering::Relaxed).wrapping_add(1),
            Ordering::Relaxed,
        );
    }
}

/// The idle values and the counters: what `register_metrics` reads through a `Weak`.
#[derive(Debug)]
struct ObjectShared<T> {
    /// Inline, indexed by a mask: no pointer to chase and no bounds check on the fast path.
    caches: [CachePadded<Cache<T>>; CACHES],
    /// The rest of the idle budget; `None` when the caches take all of it.
    depot: Option<ArrayQueue<Box<T>>>,
    max_idle: usize,
    /// Reuses and returns that went through the depot or another thread's cache.
    reuses: ShardedCounter,
    returns: ShardedCounter,
    creations: ShardedCounter,
    discards: ShardedCounter,
    detached: ShardedCounter,
}

impl<T> ObjectShared<T> {
    fn new(max_idle: usize) -> Self {
        let per_cache = (max_idle / CACHES).min(SLOTS);
        let rest = max_idle - per_cache * CACHES;
        Self {
            caches: std::array::from_fn(|_| {
                CachePadded::new(Cache {
                    idle: Magazine::new(per_cache),
                    reuses: AtomicU64::new(0),
                    returns: AtomicU64::new(0),
                })
            }),
            depot: (rest > 0).then(|| ArrayQueue::new(rest)),
            max_idle,
            reuses: ShardedCounter::default(),
            returns: ShardedCounter::default(),
            creations: ShardedCounter::default(),
            discards: ShardedCounter::default(),
            detached: ShardedCounter::default(),
        }
    }

    #[inline]
    fn cache(&self) -> &Cache<T> {
        &self.caches[thread_token() & (CACHES - 1)]
    }

    fn idle(&self) -> usize {
        let cached: usize = self.caches.iter().map(|c| c.idle.len_hint()).sum();
        cached + self.depot.as_ref().map_or(0, ArrayQueue::len)
    }

    /// An idle value from the depot or any cache that is free.
    #[cold]
    fn take_shared(&self) -> Option<Box<T>> {
        let v = self.depot.as_ref().and_then(ArrayQueue::pop).or_else(|| {
            self.caches
                .iter()
                .find_map(|c| c.idle.try_lock().and_then(|mut g| g.pop()))
        })?;
        self.reuses.add(1);
        Some(v)
    }

    /// Keeps `value` in the depot or any cache with room; hands it back when all are full.
    #[cold]
    fn keep_shared(&self, value: Box<T>) -> Result<(), Box<T>> {
        let mut value = match &self.depot {
            Some(depot) => match depot.push(value) {
                Ok(()) => return Ok(()),
                Err(v) => v,
            },
            None => value,
        };
        for c in self.caches.iter() {
            if let Some(mut g) = c.idle.try_lock() {
                match g.push(value) {
                    Ok(()) => return Ok(()),
                    Err(v) => value = v,
                }
            }
        }
        Err(value)
    }

    fn snapshot(&self) -> ObjectStats {
        let sum = |f: fn(&Cache<T>) -> &AtomicU64| {
            self.caches
                .iter()
                .map(|c| f(c).load(Ordering::Relaxed))
                .fold(0, u64::wrapping_add)
        };
        ObjectStats {
            reuses: sum(|c| &c.reuses).wrapping_add(self.reuses.get()),
            creations: self.creations.get(),
            returns: sum(|c| &c.returns).wrapping_add(self.returns.get()),
            discards: self.discards.get(),
            detached: self.detached.get(),
            idle: self.idle(),
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
            shared: Arc::new(ObjectShared::new(max_idle)),
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
        let sh = &*self.shared;
        let mut added = 0;
        while added < n && sh.idle() < sh.max_idle {
            let value = Box::new((self.factory)());
            sh.creations.add(1);
            if let Err(v) = sh.keep_shared(value) {
                // Other threads filled the pool meanwhile.
                sh.discards.add(1);
                drop(v);
                break;
            }
            added += 1;
        }
        added
    }

    /// An idle value, or a new one from the factory.
    #[inline]
    pub fn get(&self) -> Pooled<'_, T> {
        let c = self.shared.cache();
        if let Some(mut g) = c.idle.try_lock()
            && let Some(value) = g.pop()
        {
            Cache::bump(&c.reuses, &g);
            return Pooled {
                value: Some(value),
                pool: self,
            };
        }
        self.get_slow()
    }

    #[cold]
    fn get_slow(&self) -> Pooled<'_, T> {
        let value = match self.shared.take_shared() {
            Some(v) => v,
            None => {
                self.shared.creations.add(1);
                Box::new((self.factory)())
            }
        };
        Pooled {
            value: Some(value),
            pool: self,
        }
    }

    /// The most idle values the pool keeps.
    pub fn max_idle(&self) -> usize {
        self.shared.max_idle
    }

    /// A snapshot of the pool's counters. Exact when no other thread is using the pool; a
    /// close approximation while they are.
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

    /// Takes the value out of `slot` and keeps or drops it.
    ///
    /// The reset runs on the value where it is, and the value is moved only once its cache
    /// is taken: the swap waits for pending stores anyway, whereas copying a value right
    /// after the caller (or the reset) wrote part of it stalls on store forwarding.
    #[inline]
    fn put_back(&self, slot: &mut Option<Box<T>>) {
        let sh = &*self.shared;
        if sh.max_idle == 0 {
            if slot.take().is_some() {
                sh.discards.add(1);
            }
            return;
        }
        // Outside any cache's flag: the reset is the caller's code and may use the pool.
        if let (Some(reset), Some(value)) = (&self.reset, slot.as_mut()) {
            reset(value);
        }
        let c = sh.cache();
        let mut guard = c.idle.try_lock();
        let Some(value) = slot.take() else { return };
        let value = match &mut guard {
            Some(g) => match g.push(value) {
                Ok(()) => {
                    Cache::bump(&c.returns, g);
                    return;
                }
                Err(v) => v,
            },
            None => value,
        };
        drop(guard);
        self.put_slow(value);
    }

    #[cold]
    fn put_slow(&self, value: Box<T>) {
        match self.shared.keep_shared(value) {
            Ok(()) => self.shared.returns.add(1),
            Err(v) => {
                self.shared.discards.add(1);
                // Dropped here, after every flag was released: `T`'s drop may use the pool.
                drop(v);
            }
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
    value: Option<Box<T>>,
    pool: &'a ObjectPool<T>,
}

impl<T> Pooled<'_, T> {
    /// Takes the value out of the pool for good (counted in [`ObjectStats::detached`]).
    pub fn detach(mut self) -> T {
        self.pool.shared.detached.add(1);
        match self.value.take() {
            Some(v) => *v,
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
        self.pool.put_back(&mut self.value);
    }
}
