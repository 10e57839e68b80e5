//! Settings of a [`MemoryCache`] and their checks.

use super::cache::{CapacitySink, Inner, Listener, MemoryCache, Weigher};
use super::entry::RemovalCause;
use crate::cache::CacheError;
use crate::cache::time::CacheClock;
use crate::clock::Clock;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

/// Shards smaller than this lose hit ratio (each shard runs its own policy on its slice of
/// the keys), so the default shard count never goes below it per shard.
const MIN_DEFAULT_SHARD_CAPACITY: u64 = 1024;
const MAX_SHARDS: usize = 1024;
/// A weighted cache does not know its entry count; this caps each shard's sketch.
const WEIGHTED_SKETCH_ENTRIES: u64 = 1 << 18;

/// Builds a [`MemoryCache`]; from [`MemoryCache::builder`].
///
/// Exactly one capacity must be set: [`max_entries`](Self::max_entries), or
/// [`max_weight`](Self::max_weight) together with a [`weigher`](Self::weigher).
#[must_use]
pub struct MemoryCacheBuilder<K, V> {
    max_entries: Option<u64>,
    max_weight: Option<u64>,
    weigher: Option<Weigher<K, V>>,
    shards: Option<usize>,
    ttl: Option<Duration>,
    tti: Option<Duration>,
    stale_retention: Duration,
    clock: Option<Arc<dyn Clock>>,
    cache_clock: Option<CacheClock>,
    listener: Option<Listener<K, V>>,
    sink: Option<CapacitySink<K, V>>,
    _types: PhantomData<fn(K, V)>,
}

impl<K, V> std::fmt::Debug for MemoryCacheBuilder<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryCacheBuilder")
            .field("max_entries", &self.max_entries)
            .field("max_weight", &self.max_weight)
            .field("shards", &self.shards)
            .field("time_to_live", &self.ttl)
            .field("time_to_idle", &self.tti)
            .field("stale_retention", &self.stale_retention)
            .finish_non_exhaustive()
    }
}

fn invalid(field: &'static str, reason: &str) -> CacheError {
    CacheError::InvalidConfig {
        field,
        reason: reason.to_owned(),
    }
}

/// Whole milliseconds, at least 1 for a non-zero duration (the cache's time unit).
pub(super) fn millis(d: Duration) -> u64 {
    let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    if ms == 0 && !d.is_zero() { 1 } else { ms }
}

impl<K, V> MemoryCacheBuilder<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    pub(super) fn new() -> Self {
        Self {
            max_entries: None,
            max_weight: None,
            weigher: None,
            shards: None,
            ttl: None,
            tti: None,
            stale_retention: Duration::ZERO,
            clock: None,
            cache_clock: None,
            listener: None,
            sink: None,
            _types: PhantomData,
        }
    }

    /// Holds at most `n` entries (each weighs 1). No default: set this or `max_weight`.
    pub fn max_entries(mut self, n: u64) -> Self {
        self.max_entries = Some(n);
        self
    }

    /// Holds entries whose weights (from [`weigher`](Self::weigher)) sum to at most `w`.
    /// No default.
    pub fn max_weight(mut self, w: u64) -> Self {
        self.max_weight = Some(w);
        self
    }

    /// The weight of an entry, computed once when it is inserted; required with
    /// `max_weight`. A weight of 0 counts as 1, so the entry count stays bounded.
    pub fn weigher(mut self, f: impl Fn(&K, &V) -> u32 + Send + Sync + 'static) -> Self {
        self.weigher = Some(Arc::new(f));
        self
    }

    /// Number of independently locked shards, rounded up to a power of two (1..=1024, and
    /// at most the capacity). Default: four per core, but no fewer than 1024 entries (or
    /// weight units) per shard, so that small caches keep the hit ratio of one policy.
    pub fn shards(mut self, n: usize) -> Self {
        self.shards = Some(n);
        self
    }

    /// Entries expire this long after they were inserted or last replaced. Default: none.
    pub fn time_to_live(mut self, d: Duration) -> Self {
        self.ttl = Some(d);
        self
    }

    /// Entries expire this long after they were last read or written (never later than
    /// their time to live). Default: none.
    pub fn time_to_idle(mut self, d: Duration) -> Self {
        self.tti = Some(d);
        self
    }

    /// How long an expired entry is kept for serve-stale and refresh by the tiered cache.
    /// It is never returned by [`MemoryCache::get`]. Default: zero (dropped once seen
    /// expired).
    pub fn stale_retention(mut self, d: Duration) -> Self {
        self.stale_retention = d;
        self
    }

    /// The clock expiry reads. Default: the system's monotonic clock (TSC based).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Called with every entry that leaves the cache and why, after the shard's lock is
    /// released (so it may call back into the cache). Default: none.
    pub fn eviction_listener(
        mut self,
        f: impl Fn(K, V, RemovalCause) + Send + Sync + 'static,
    ) -> Self {
        self.listener = Some(Arc::new(f));
        self
    }

    /// Shares `clock` with the other tiers of a `TieredCache`, so every tier reads the same
    /// anchor (two clocks built from one `Clock` can differ by a few milliseconds).
    pub(crate) fn cache_clock(mut self, clock: CacheClock) -> Self {
        self.cache_clock = Some(clock);
        self
    }

    /// Called with every entry that leaves for capacity (evicted, or refused admission),
    /// *while the shard's write lock is held*. A write of the same key takes that lock, so
    /// it is ordered after whatever the sink does with the old value: that is what lets
    /// `TieredCache` write evicted values to disk without racing a later `invalidate`. The
    /// sink must not call back into this cache, and must be short.
    pub(crate) fn capacity_sink(mut self, sink: impl Fn(&K, &V) + Send + Sync + 'static) -> Self {
        self.sink = Some(Arc::new(sink));
        self
    }

    /// Checks the settings and builds the cache.
    ///
    /// # Errors
    /// [`CacheError::InvalidConfig`] for no capacity or both kinds, a zero capacity, a
    /// weight limit without a weigher (or the reverse), a zero or too large shard count,
    /// and a zero time to live or time to idle.
    pub fn build(self) -> Result<MemoryCache<K, V>, CacheError> {
        let (capacity, weighted) = match (self.max_entries, self.max_weight) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "max_weight",
                    "set either max_entries or max_weight, not both",
                ));
            }
            (None, None) => {
                return Err(invalid(
                    "max_entries",
                    "a capacity is required: max_entries, or max_weight with a weigher",
                ));
            }
            (Some(n), None) => (n, false),
            (None, Some(w)) => (w, true),
        };
        if capacity == 0 {
            let field = if weighted {
                "max_weight"
            } else {
                "max_entries"
            };
            return Err(invalid(field, "must be at least 1"));
        }
        if weighted && self.weigher.is_none() {
            return Err(invalid("weigher", "max_weight needs a weigher"));
        }
        if !weighted && self.weigher.is_some() {
            return Err(invalid(
                "weigher",
                "a weigher needs max_weight (max_entries counts entries)",
            ));
        }
        if self.ttl.is_some_and(|d| d.is_zero()) {
            return Err(invalid("time_to_live", "must be more than zero"));
        }
        if self.tti.is_some_and(|d| d.is_zero()) {
            return Err(invalid("time_to_idle", "must be more than zero"));
        }
        let shards = match self.shards {
            Some(0) => return Err(invalid("shards", "must be at least 1")),
            Some(n) if n > MAX_SHARDS => {
                return Err(invalid("shards", "must be at most 1024"));
            }
            Some(n) => {
                let n = n.next_power_of_two();
                if n as u64 > capacity {
                    return Err(invalid(
                        "shards",
                        "rounded up to a power of two, must not exceed the capacity",
                    ));
                }
                n
            }
            None => default_shards(capacity),
        };
        let clock = match (self.cache_clock, self.clock) {
            (Some(shared), _) => shared,
            (None, Some(custom)) => CacheClock::custom(custom),
            (None, None) => CacheClock::system(),
        };
        let per_shard_entries = |cap: u64| {
            if weighted {
                cap.min(WEIGHTED_SKETCH_ENTRIES)
            } else {
                cap
            }
        };
        Ok(MemoryCache::from_inner(Inner::new(
            capacity,
            shards,
            &per_shard_entries,
            clock,
            self.ttl.map(millis),
            self.tti.map(millis),
            millis(self.stale_retention),
            self.weigher,
            self.listener,
            self.sink,
        )))
    }
}

fn default_shards(capacity: u64) -> usize {
    let cores = std::thread::available_parallelism().map_or(4, |n| n.get());
    let by_cores = (cores * 4).next_power_of_two().min(MAX_SHARDS);
    let by_capacity = (capacity / MIN_DEFAULT_SHARD_CAPACITY).max(1);
    // The largest power of two not above `by_capacity`.
    let by_capacity = 1usize << (63 - by_capacity.leading_zeros()).min(10);
    by_cores.min(by_capacity)
}
