//! The public handle of the memory tier and its read and write paths.

use super::builder::{MemoryCacheBuilder, millis};
use super::entry::{NEVER, RemovalCause};
use super::policy::{Core, NewEntry, Removed};
use super::stats::{LookupCounters, MemoryStats};
use crate::cache::CacheError;
use crate::cache::time::{CacheClock, UnixMillis};
use crossbeam_utils::CachePadded;
use foldhash::fast::RandomState;
use parking_lot::RwLock;
use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

pub(super) type Weigher<K, V> = Arc<dyn Fn(&K, &V) -> u32 + Send + Sync>;
/// A series name and how to read it from a stats snapshot.
#[cfg(feature = "metrics")]
type StatField<T> = crate::metrics::export::Field<MemoryStats, T>;
pub(super) type Listener<K, V> = Arc<dyn Fn(K, V, RemovalCause) + Send + Sync>;
pub(super) type CapacitySink<K, V> = Arc<dyn Fn(&K, &V) + Send + Sync>;

/// What the memory tier holds for a key, as the tiered cache needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lookup<V> {
    /// A live value, with its expiry deadline if it has one.
    Hit {
        /// The cached value.
        value: V,
        /// When it expires (Unix ms), if ever.
        expires_at: Option<UnixMillis>,
    },
    /// A value past its expiry but within the stale retention: never served by `get`, but
    /// usable for serve-stale and refresh.
    Stale {
        /// The expired value.
        value: V,
        /// When it expired (Unix ms).
        expired_at: UnixMillis,
    },
    /// Nothing usable.
    Miss,
}

impl<V> Lookup<V> {
    /// The value if it is live: what `get` and `peek` return.
    #[inline]
    fn live(self) -> Option<V> {
        match self {
            Self::Hit { value, .. } => Some(value),
            Self::Stale { .. } | Self::Miss => None,
        }
    }
}

struct Shard<K, V> {
    core: RwLock<Core<K, V>>,
}

pub(super) struct Inner<K, V> {
    shards: Box<[CachePadded<Shard<K, V>>]>,
    shard_mask: u64,
    hasher: RandomState,
    clock: CacheClock,
    ttl_ms: Option<u64>,
    tti_ms: Option<u64>,
    stale_ms: u64,
    weigher: Option<Weigher<K, V>>,
    listener: Option<Listener<K, V>>,
    sink: Option<CapacitySink<K, V>>,
    lookups: LookupCounters,
    capacity: u64,
}

impl<K, V> Inner<K, V>
where
    K: Hash + Eq + Clone,
{
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        capacity: u64,
        shards: usize,
        sketch_entries: &dyn Fn(u64) -> u64,
        clock: CacheClock,
        ttl_ms: Option<u64>,
        tti_ms: Option<u64>,
        stale_ms: u64,
        weigher: Option<Weigher<K, V>>,
        listener: Option<Listener<K, V>>,
        sink: Option<CapacitySink<K, V>>,
    ) -> Self {
        let hasher = RandomState::default();
        let n = shards as u64;
        let shards = (0..n)
            .map(|i| {
                // Spread the remainder so the shard capacities sum to exactly `capacity`.
                let cap = capacity / n + u64::from(i < capacity % n);
                CachePadded::new(Shard {
                    core: RwLock::new(Core::new(
                        cap,
                        sketch_entries(cap),
                        0x2545_F491_4F6C_DD1D ^ (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                        stale_ms,
                        listener.is_some() || sink.is_some(),
                    )),
                })
            })
            .collect();
        Self {
            shards,
            shard_mask: n - 1,
            hasher,
            clock,
            ttl_ms,
            tti_ms,
            stale_ms,
            weigher,
            listener,
            sink,
            lookups: LookupCounters::new(),
            capacity,
        }
    }

    fn stats(&self) -> MemoryStats {
        let (hits, misses) = self.lookups.totals();
        let mut s = MemoryStats {
            hits,
            misses,
            capacity: self.capacity,
            ..MemoryStats::default()
        };
        for shard in self.shards.iter() {
            let core = shard.core.read();
            let c = core.counts;
            s.inserts += c.inserts;
            s.updates += c.updates;
            s.evictions += c.evictions;
            s.expirations += c.expirations;
            s.admission_rejections += c.admission_rejections;
            s.entries += core.len();
            s.weighted_size += core.weighted_size();
        }
        s
    }
}

/// A concurrent, bounded in-memory cache with an adaptive W-TinyLFU policy, TTL, TTI and an
/// eviction listener.
///
/// A cheap `Clone` handle: clones share the same cache. A hit takes one shard's shared lock
/// and counts the read on the entry itself, so readers never wait for each other; writes
/// take that shard's exclusive lock, and the policy acts on the counted reads then. An
/// expired entry is never returned.
///
/// ```
/// use perfkit::cache::memory::MemoryCache;
/// use std::time::Duration;
///
/// let cache = MemoryCache::builder()
///     .max_entries(10_000)
///     .time_to_live(Duration::from_secs(300))
///     .build()?;
/// cache.insert("answer", 42);
/// assert_eq!(cache.get("answer"), Some(42));
/// assert_eq!(cache.get("question"), None);
/// let stats = cache.stats();
/// assert_eq!((stats.hits, stats.misses), (1, 1));
/// # Ok::<(), perfkit::cache::CacheError>(())
/// ```
pub struct MemoryCache<K, V> {
    inner: Arc<Inner<K, V>>,
}

impl<K, V> Clone for MemoryCache<K, V> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<K, V> std::fmt::Debug for MemoryCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryCache")
            .field("capacity", &self.inner.capacity)
            .field("shards", &self.inner.shards.len())
            .finish_non_exhaustive()
    }
}

impl<K, V> MemoryCache<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// Settings: capacity, shards, TTL/TTI, stale retention, clock, listener.
    pub fn builder() -> MemoryCacheBuilder<K, V> {
        MemoryCacheBuilder::new()
    }

    /// A cache of at most `max_entries` entries with default settings.
    ///
    /// # Errors
    /// [`CacheError::InvalidConfig`] when `max_entries` is zero.
    pub fn new(max_entries: u64) -> Result<Self, CacheError> {
        Self::builder().max_entries(max_entries).build()
    }

    pub(super) fn from_inner(inner: Inner<K, V>) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }

    #[inline]
    fn shard(&self, hash: u64) -> &Shard<K, V> {
        let i = ((hash >> 32) & self.inner.shard_mask) as usize;
        // The mask keeps `i` in range; the fallback is never taken.
        match self.inner.shards.get(i) {
            Some(s) => s,
            None => &self.inner.shards[0],
        }
    }

    /// The value for `key` if it is cached and live; counts a hit or a miss and tells the
    /// policy about the read.
    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.probe(key, true).live()
    }

    /// Like [`get`](Self::get), but leaves the policy, the idle timer and the stats alone.
    pub fn peek<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.probe(key, false).live()
    }

    /// Whether `key` has a live value (as [`peek`](Self::peek): no policy or stats update).
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.inner.hasher.hash_one(key);
        let core = self.shard(hash).core.read();
        let Some(e) = core.find(hash, key) else {
            return false;
        };
        let exp = e.expires_at.load(Ordering::Relaxed);
        exp == NEVER || exp > self.inner.clock.now_ms()
    }

    /// Looks `key` up for the tiered cache: counts like [`get`](Self::get), and also
    /// reports an expired value still within the stale retention.
    pub(crate) fn lookup<Q>(&self, key: &Q) -> Lookup<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.probe(key, true)
    }

    #[inline]
    fn probe<Q>(&self, key: &Q, record: bool) -> Lookup<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let inner = &*self.inner;
        let hash = inner.hasher.hash_one(key);
        let shard = self.shard(hash);
        let core = shard.core.read();
        let Some(e) = core.find(hash, key) else {
            drop(core);
            if record {
                inner.lookups.miss();
            }
            return Lookup::Miss;
        };
        let mut exp = e.expires_at.load(Ordering::Relaxed);
        if exp != NEVER || inner.tti_ms.is_some() {
            let now = inner.clock.now_ms();
            if exp <= now {
                if record {
                    inner.lookups.miss();
                }
                if now < exp.saturating_add(inner.stale_ms) {
                    return Lookup::Stale {
                        value: e.value.clone(),
                        expired_at: exp,
                    };
                }
                drop(core);
                self.purge_expired(shard, hash, key, now);
                return Lookup::Miss;
            }
            if let (true, Some(tti)) = (record, inner.tti_ms) {
                let next = now.saturating_add(tti).min(e.deadline);
                if next != exp {
                    e.expires_at.store(next, Ordering::Relaxed);
                    exp = next;
                }
            }
        }
        let value = e.value.clone();
        if record {
            e.touch();
        }
        drop(core);
        if record {
            inner.lookups.hit();
        }
        Lookup::Hit {
            value,
            expires_at: (exp != NEVER).then_some(exp),
        }
    }

    fn purge_expired<Q>(&self, shard: &Shard<K, V>, hash: u64, key: &Q, now: u64)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut out = Removed::new();
        shard.core.write().remove_expired(hash, key, now, &mut out);
        self.notify(out);
    }

    fn notify(&self, out: Removed<K, V>) {
        if let Some(listener) = &self.inner.listener {
            for (k, v, cause) in out {
                listener(k, v, cause);
            }
        }
    }

    /// Caches `value` under `key` with the cache's time to live (if any), replacing what
    /// was there. The entry may be refused at once, or evict others, to stay within
    /// capacity; both are reported to the eviction listener.
    pub fn insert(&self, key: K, value: V) {
        let now = self.inner.clock.now_ms();
        let deadline = self.inner.ttl_ms.map_or(NEVER, |t| now.saturating_add(t));
        self.insert_deadline(key, value, deadline, now);
    }

    /// Like [`insert`](Self::insert), with this entry's own time to live instead of the
    /// cache's.
    pub fn insert_with_ttl(&self, key: K, value: V, ttl: Duration) {
        let now = self.inner.clock.now_ms();
        self.insert_deadline(key, value, now.saturating_add(millis(ttl)), now);
    }

    /// Inserts with an absolute expiry (Unix ms, from [`now_ms`](Self::now_ms)); `None`
    /// means no time to live (the cache's default does not apply). Time to idle still does.
    pub(crate) fn insert_at(&self, key: K, value: V, expires_at: Option<UnixMillis>) {
        let now = self.inner.clock.now_ms();
        self.insert_deadline(key, value, expires_at.unwrap_or(NEVER), now);
    }

    /// The cache clock's now, in Unix milliseconds.
    pub(crate) fn now_ms(&self) -> UnixMillis {
        self.inner.clock.now_ms()
    }

    fn insert_deadline(&self, key: K, value: V, deadline: u64, now: u64) {
        let inner = &*self.inner;
        let hash = inner.hasher.hash_one(&key);
        let weight = inner.weigher.as_ref().map_or(1, |w| w(&key, &value).max(1));
        let expires_at = inner
            .tti_ms
            .map_or(deadline, |t| now.saturating_add(t).min(deadline));
        let shard = self.shard(hash);
        let mut out = Removed::new();
        {
            let mut core = shard.core.write();
            core.insert(
                NewEntry {
                    key,
                    value,
                    hash,
                    weight,
                    deadline,
                    expires_at,
                },
                now,
                &mut out,
            );
            // Still under the shard lock: a write of an evicted key takes this lock too, so
            // it is ordered after what the sink does with the old value (see
            // `MemoryCacheBuilder::capacity_sink`).
            if let Some(sink) = &inner.sink {
                for (k, v, _) in out.iter().filter(|(_, _, c)| *c == RemovalCause::Size) {
                    sink(k, v);
                }
            }
        }
        self.notify(out);
    }

    /// Removes `key`, returning its value if it was live; the listener hears `Explicit`
    /// (or `Expired` for an entry that had already expired).
    pub fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.inner.hasher.hash_one(key);
        let now = self.inner.clock.now_ms();
        let (k, v, exp) = {
            let mut core = self.shard(hash).core.write();
            let exp = core
                .index_of(hash, key)
                .and_then(|i| core.entry(i))
                .map(|e| e.expires_at.load(Ordering::Relaxed))?;
            let (k, v) = core.remove(hash, key)?;
            if exp <= now {
                core.counts.expirations += 1;
            }
            (k, v, exp)
        };
        if exp <= now {
            self.notify(vec![(k, v, RemovalCause::Expired)]);
            return None;
        }
        match &self.inner.listener {
            Some(listener) => {
                listener(k, v.clone(), RemovalCause::Explicit);
                Some(v)
            }
            None => Some(v),
        }
    }

    /// Removes every entry; the listener hears each as `Explicit`.
    pub fn clear(&self) {
        for shard in self.inner.shards.iter() {
            let mut out = Removed::new();
            shard.core.write().clear(&mut out);
            self.notify(out);
        }
    }

    /// Entries held, including expired ones not yet dropped.
    pub fn len(&self) -> u64 {
        self.inner.shards.iter().map(|s| s.core.read().len()).sum()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total weight held (the entry count without a weigher).
    pub fn weighted_size(&self) -> u64 {
        self.inner
            .shards
            .iter()
            .map(|s| s.core.read().weighted_size())
            .sum()
    }

    /// The capacity: entries, or weight with a weigher.
    pub fn capacity(&self) -> u64 {
        self.inner.capacity
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> MemoryStats {
        self.inner.stats()
    }

    /// Exposes [`stats`](Self::stats) in `registry` as `{prefix}_hits_total`,
    /// `_misses_total`, `_inserts_total`, `_updates_total`, `_evictions_total`,
    /// `_expirations_total`, `_admission_rejections_total` (counters) and `_entries`,
    /// `_weighted_size`, `_capacity`, `_hit_ratio` (gauges), read when the registry renders.
    /// The registry holds no strong reference: once the cache is dropped its series go.
    ///
    /// # Errors
    /// [`MetricsError`](crate::metrics::MetricsError) for a prefix that is not a valid
    /// metric name, or a name already registered with another type.
    #[cfg(feature = "metrics")]
    #[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
    pub fn register_metrics(
        &self,
        registry: &crate::metrics::Registry,
        prefix: &str,
    ) -> Result<(), crate::metrics::MetricsError> {
        let export = crate::metrics::export::Exporter::new(registry, prefix, &self.inner)?;
        let counters: [StatField<u64>; 7] = [
            ("hits_total", |s| s.hits),
            ("misses_total", |s| s.misses),
            ("inserts_total", |s| s.inserts),
            ("updates_total", |s| s.updates),
            ("evictions_total", |s| s.evictions),
            ("expirations_total", |s| s.expirations),
            ("admission_rejections_total", |s| s.admission_rejections),
        ];
        for (name, read) in counters {
            export.counter(name, &[], move |inner| read(&inner.stats()))?;
        }
        let gauges: [StatField<f64>; 4] = [
            ("entries", |s| s.entries as f64),
            ("weighted_size", |s| s.weighted_size as f64),
            ("capacity", |s| s.capacity as f64),
            ("hit_ratio", MemoryStats::hit_ratio),
        ];
        for (name, read) in gauges {
            export.gauge(name, &[], move |inner| read(&inner.stats()))?;
        }
        Ok(())
    }
}
