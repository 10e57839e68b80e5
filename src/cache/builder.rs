//! [`TieredCacheBuilder`]: the settings of a [`TieredCache`] and their defaults.

use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use crate::cache::flight::Flights;
use crate::cache::memory::MemoryCache;
use crate::cache::prefetch::{BoxError, PrefetchOptions, Prefetcher, SharedLoader};
use crate::cache::stats::{Counters, bump};
use crate::cache::stripes::WriteStripes;
use crate::cache::tier::LowerTier;
use crate::cache::tiered::{Inner, LowerTiers, Slot, WritePolicy};
use crate::cache::time::CacheClock;
use crate::cache::{CacheError, TieredCache};
use crate::clock::Clock;

/// The memory tier's default capacity, in entries.
pub const DEFAULT_MEMORY_CAPACITY: u64 = 10_000;
/// The default time to live: 5 minutes.
pub const DEFAULT_TIME_TO_LIVE: Duration = Duration::from_secs(300);

type Weigher<K, V> = Arc<dyn Fn(&K, &V) -> u32 + Send + Sync>;
/// Opens a lower tier once the cache's clock is known.
type TierFactory<K, V> =
    Box<dyn FnOnce(CacheClock) -> Result<Box<dyn LowerTier<K, V>>, CacheError> + Send>;

/// Settings of a [`TieredCache`]. Every setting has a default; [`build`](Self::build)
/// checks them together.
///
/// | setting | default |
/// |---|---|
/// | [`memory_capacity`](Self::memory_capacity) | 10 000 entries |
/// | [`time_to_live`](Self::time_to_live) | 5 minutes, every tier |
/// | [`time_to_idle`](Self::time_to_idle) | none |
/// | [`disk`](Self::disk) | no disk tier |
/// | [`write_policy`](Self::write_policy) | [`WritePolicy::WriteThrough`] |
/// | [`loader_timeout`](Self::loader_timeout) | none |
/// | [`negative_ttl`](Self::negative_ttl) | errors are not cached |
/// | [`serve_stale`](Self::serve_stale) | off |
/// | [`refresh_ahead`](Self::refresh_ahead) | off |
/// | [`prefetch`](Self::prefetch) | off |
#[must_use]
pub struct TieredCacheBuilder<K, V> {
    memory_capacity: u64,
    weigher: Option<Weigher<K, V>>,
    memory_ttl: Option<Duration>,
    lower_ttl: Option<Option<Duration>>,
    time_to_idle: Option<Duration>,
    stale_grace: Option<Duration>,
    refresh_ahead: Option<Duration>,
    loader_timeout: Option<Duration>,
    negative_ttl: Option<Duration>,
    write_policy: WritePolicy,
    clock: Option<Arc<dyn Clock>>,
    lower: Vec<TierFactory<K, V>>,
    loader: Option<SharedLoader<K, V>>,
    prefetch: Option<PrefetchOptions>,
}

impl<K, V> std::fmt::Debug for TieredCacheBuilder<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TieredCacheBuilder")
            .field("memory_capacity", &self.memory_capacity)
            .field("memory_ttl", &self.memory_ttl)
            .field("lower_tiers", &self.lower.len())
            .field("write_policy", &self.write_policy)
            .finish_non_exhaustive()
    }
}

impl<K, V> TieredCacheBuilder<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    pub(crate) fn new() -> Self {
        Self {
            memory_capacity: DEFAULT_MEMORY_CAPACITY,
            weigher: None,
            memory_ttl: Some(DEFAULT_TIME_TO_LIVE),
            lower_ttl: None,
            time_to_idle: None,
            stale_grace: None,
            refresh_ahead: None,
            loader_timeout: None,
            negative_ttl: None,
            write_policy: WritePolicy::default(),
            clock: None,
            lower: Vec::new(),
            loader: None,
            prefetch: None,
        }
    }

    /// Entries the memory tier holds (default 10 000); with a
    /// [`memory_weigher`](Self::memory_weigher), the total weight instead.
    pub fn memory_capacity(mut self, capacity: u64) -> Self {
        self.memory_capacity = capacity;
        self
    }

    /// Bounds the memory tier by the sum of `weigher(key, value)` (for instance the value's
    /// size in bytes) instead of by entries; [`memory_capacity`](Self::memory_capacity) is
    /// then that sum's limit.
    pub fn memory_weigher(
        mut self,
        weigher: impl Fn(&K, &V) -> u32 + Send + Sync + 'static,
    ) -> Self {
        self.weigher = Some(Arc::new(weigher));
        self
    }

    /// How long an entry lives in every tier after it is written (default 5 minutes);
    /// `None` keeps entries until evicted. [`disk_time_to_live`](Self::disk_time_to_live)
    /// sets the lower tiers apart.
    pub fn time_to_live(mut self, ttl: impl Into<Option<Duration>>) -> Self {
        self.memory_ttl = ttl.into();
        self
    }

    /// How long an entry lives in the tiers below memory (default: the
    /// [`time_to_live`](Self::time_to_live)). A longer one lets a restarted process start
    /// warm; a value never outlives its own per-entry TTL
    /// ([`insert_with_ttl`](TieredCache::insert_with_ttl)) in any tier.
    pub fn disk_time_to_live(mut self, ttl: impl Into<Option<Duration>>) -> Self {
        self.lower_ttl = Some(ttl.into());
        self
    }

    /// Drops a memory entry not read for this long (default: never).
    pub fn time_to_idle(mut self, tti: Duration) -> Self {
        self.time_to_idle = Some(tti);
        self
    }

    /// Where values go when they leave memory (default [`WritePolicy::WriteThrough`]).
    pub fn write_policy(mut self, policy: WritePolicy) -> Self {
        self.write_policy = policy;
        self
    }

    /// Bounds each load: past `limit` the callers get [`LoadError::Timeout`] and the loader's
    /// future is dropped (default: no limit).
    ///
    /// [`LoadError::Timeout`]: crate::cache::LoadError::Timeout
    pub fn loader_timeout(mut self, limit: Duration) -> Self {
        self.loader_timeout = Some(limit);
        self
    }

    /// Remembers a loader's error for `ttl`: calls for that key meanwhile get the same error
    /// without calling the loader (default: errors are not cached).
    pub fn negative_ttl(mut self, ttl: Duration) -> Self {
        self.negative_ttl = Some(ttl);
        self
    }

    /// Keeps expired entries in memory for `grace` more; when the load that replaces one
    /// fails or times out within that time, the old value is returned instead of the error
    /// and counted in [`LoadStats::stale_served`](crate::cache::LoadStats::stale_served).
    /// `get` never returns them. Default: off.
    pub fn serve_stale(mut self, grace: Duration) -> Self {
        self.stale_grace = Some(grace);
        self
    }

    /// A `get_or_load` hit on an entry within `window` of its expiry starts a background
    /// reload (at most one per key), so hot keys never expire in front of a caller. Needs a
    /// time to live longer than `window`. Default: off.
    pub fn refresh_ahead(mut self, window: Duration) -> Self {
        self.refresh_ahead = Some(window);
        self
    }

    /// The loader of [`TieredCache::fetch`] and of the prefetcher.
    pub fn loader<F, Fut, E>(mut self, loader: F) -> Self
    where
        F: Fn(K) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<V, E>> + Send + 'static,
        E: std::error::Error + Send + Sync + 'static,
    {
        let loader: SharedLoader<K, V> = Arc::new(move |key| {
            let load = loader(key);
            Box::pin(async move { load.await.map_err(|e| Box::new(e) as BoxError) })
        });
        self.loader = Some(loader);
        self
    }

    /// Turns the prefetcher on (needs a [`loader`](Self::loader)). Default: off.
    pub fn prefetch(mut self, options: PrefetchOptions) -> Self {
        self.prefetch = Some(options);
        self
    }

    /// The clock for expiry (default: the system's). Tests pass a
    /// [`ManualClock`](crate::clock::ManualClock) to move time by hand.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    #[cfg_attr(not(feature = "cache-disk"), allow(dead_code))]
    pub(crate) fn lower_tier(mut self, factory: TierFactory<K, V>) -> Self {
        self.lower.push(factory);
        self
    }

    fn invalid(field: &'static str, reason: &str) -> CacheError {
        CacheError::InvalidConfig {
            field,
            reason: reason.to_string(),
        }
    }

    /// Checks the settings, opens the tiers (a disk tier rebuilds its index from what an
    /// earlier process left) and returns the cache.
    ///
    /// # Errors
    /// [`CacheError::InvalidConfig`] for settings that cannot work together,
    /// [`CacheError::NoRuntime`] outside a Tokio runtime, and the disk tier's errors (an
    /// unwritable directory, one written by another format version).
    pub async fn build(self) -> Result<TieredCache<K, V>, CacheError> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| CacheError::NoRuntime(e.to_string()))?;
        if self.memory_ttl == Some(Duration::ZERO) {
            return Err(Self::invalid("time_to_live", "must be above zero, or None"));
        }
        if self.loader_timeout == Some(Duration::ZERO) {
            return Err(Self::invalid("loader_timeout", "must be above zero"));
        }
        if self.negative_ttl == Some(Duration::ZERO) {
            return Err(Self::invalid("negative_ttl", "must be above zero"));
        }
        if let Some(window) = self.refresh_ahead {
            match self.memory_ttl {
                None => {
                    return Err(Self::invalid(
                        "refresh_ahead",
                        "needs a time_to_live (entries that never expire need no refresh)",
                    ));
                }
                Some(ttl) if window.is_zero() || window >= ttl => {
                    return Err(Self::invalid(
                        "refresh_ahead",
                        "must be above zero and shorter than the time_to_live",
                    ));
                }
                Some(_) => {}
            }
        }
        if self.prefetch.is_some() && self.loader.is_none() {
            return Err(Self::invalid(
                "prefetch",
                "needs a loader to prefetch through",
            ));
        }

        // One clock for every tier, so they agree on "now" to the millisecond.
        let clock = self
            .clock
            .clone()
            .map_or_else(CacheClock::system, CacheClock::custom);
        let mut tiers = Vec::with_capacity(self.lower.len());
        for factory in self.lower {
            // Opening a disk tier scans its segments: file I/O, kept off the async threads.
            let clock = clock.clone();
            let tier = tokio::task::spawn_blocking(move || factory(clock))
                .await
                .map_err(|e| CacheError::Background(format!("opening a tier: {e}")))??;
            tiers.push(tier);
        }
        let lower: LowerTiers<K, V> = tiers.into();
        let counters = Arc::new(Counters::default());

        let mut memory = MemoryCache::<K, Slot<V>>::builder();
        memory = match self.weigher {
            Some(weigher) => memory
                .max_weight(self.memory_capacity)
                .weigher(move |k: &K, slot: &Slot<V>| weigher(k, &slot.value)),
            None => memory.max_entries(self.memory_capacity),
        };
        if let Some(tti) = self.time_to_idle {
            memory = memory.time_to_idle(tti);
        }
        if let Some(grace) = self.stale_grace {
            memory = memory.stale_retention(grace);
        }
        memory = memory.cache_clock(clock.clone());
        if self.write_policy == WritePolicy::WriteBack && !lower.is_empty() {
            let lower = Arc::clone(&lower);
            let counters = Arc::clone(&counters);
            // Under the memory shard's lock: a later `invalidate` or `insert` of the key is
            // ordered after this write reaches the disk queue, so it cannot bring back the
            // value they replaced.
            memory = memory.capacity_sink(move |key: &K, slot: &Slot<V>| {
                for tier in lower.iter() {
                    if tier.put(key, &slot.value, slot.lower_deadline()).is_err() {
                        bump(&counters.encode_errors);
                    }
                }
            });
        }
        let memory = memory.build()?;

        let negative = match self.negative_ttl {
            Some(ttl) => {
                let negative = MemoryCache::builder()
                    .max_entries((self.memory_capacity / 8).max(1))
                    .time_to_live(ttl)
                    .cache_clock(clock.clone());
                Some(negative.build()?)
            }
            None => None,
        };
        let prefetch = match (self.prefetch, &self.loader) {
            (Some(options), Some(loader)) => Some(Prefetcher::new(options, Arc::clone(loader))?),
            _ => None,
        };
        let inner = Inner {
            memory,
            lower,
            write_policy: self.write_policy,
            memory_ttl: self.memory_ttl,
            lower_ttl: self.lower_ttl.unwrap_or(self.memory_ttl),
            loader_timeout: self.loader_timeout,
            refresh_ahead: self.refresh_ahead,
            serve_stale: self.stale_grace.is_some(),
            negative,
            flights: Arc::new(Flights::new()),
            stripes: WriteStripes::new(),
            counters,
            runtime,
            prefetch,
            loader: self.loader,
        };
        Ok(TieredCache {
            inner: Arc::new(inner),
        })
    }
}

#[cfg(feature = "cache-disk")]
impl<K, V> TieredCacheBuilder<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static + crate::cache::CacheCodec,
    V: Clone + Send + Sync + 'static + crate::cache::CacheCodec,
{
    /// Adds a disk tier in `dir` holding at most `capacity_bytes`, with the disk store's
    /// defaults; [`disk_store`](Self::disk_store) takes all its settings. Values that leave
    /// memory go through their [`CacheCodec`](crate::cache::CacheCodec).
    #[cfg_attr(docsrs, doc(cfg(feature = "cache-disk")))]
    pub fn disk(self, dir: impl Into<std::path::PathBuf>, capacity_bytes: u64) -> Self {
        self.disk_store(crate::cache::disk::DiskStore::builder(dir).capacity_bytes(capacity_bytes))
    }

    /// Adds a disk tier opened from `store` (segment size, compression threshold, fsync
    /// policy, write queue). The cache's [`clock`](Self::clock), if set, replaces the store's.
    #[cfg_attr(docsrs, doc(cfg(feature = "cache-disk")))]
    pub fn disk_store(self, store: crate::cache::disk::DiskStoreBuilder) -> Self {
        self.lower_tier(Box::new(move |clock| {
            let store = store.cache_clock(clock).open()?;
            Ok(Box::new(crate::cache::disk_tier::DiskTier::new(store)) as Box<dyn LowerTier<K, V>>)
        }))
    }
}
