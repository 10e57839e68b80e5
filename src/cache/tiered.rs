//! [`TieredCache`]: the memory tier in front of the lower tiers, with read-through loads.

use std::any::Any;
use std::future::Future;
use std::hash::Hash;
use std::num::NonZeroU64;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::cache::flight::{Flight, Flights, Outcome, Role};
use crate::cache::memory::{Lookup, MemoryCache};
use crate::cache::prefetch::{BoxError, Prefetcher, SharedLoader};
use crate::cache::stats::{CacheStats, Counters, bump};
use crate::cache::stripes::{Generation, WriteStripes};
use crate::cache::tier::{BoxFuture, LowerTier};
use crate::cache::time::UnixMillis;
use crate::cache::{CacheError, LoadError};

/// What the memory tier holds for one key: the value, and the deadline it carries into the
/// tiers below when it leaves memory (write-back mode needs it then).
#[derive(Clone)]
pub(crate) struct Slot<V> {
    pub(crate) value: V,
    /// The lower tiers' deadline, [`NO_DEADLINE`] for none. One non-zero word rather than an
    /// `Option<u64>` (two words): then an `Option<Slot<V>>`, what a memory hit returns, is
    /// as small as it can be, and for a word-sized `V` (a `u64`, an `Arc`) it comes back in
    /// two registers instead of through memory.
    lower_deadline: NonZeroU64,
}

/// `Slot::lower_deadline` for "never".
const NO_DEADLINE: NonZeroU64 = NonZeroU64::MAX;

impl<V> Slot<V> {
    pub(crate) fn new(value: V, lower_deadline: Option<UnixMillis>) -> Self {
        // Deadline 0 (the epoch) is as expired as 1, and `u64::MAX` is as far as "never".
        let lower_deadline = lower_deadline.map_or(NO_DEADLINE, |d| {
            NonZeroU64::MIN.saturating_add(d.saturating_sub(1))
        });
        Self {
            value,
            lower_deadline,
        }
    }

    pub(crate) fn lower_deadline(&self) -> Option<UnixMillis> {
        (self.lower_deadline != NO_DEADLINE).then_some(self.lower_deadline.get())
    }
}

/// When a value reaches the tiers below memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum WritePolicy {
    /// Every insert and every loaded value is queued for the lower tiers at once (the
    /// default): the disk holds everything memory holds, so a restart loses nothing that
    /// was written before the queue was flushed.
    #[default]
    WriteThrough,
    /// A value goes down only when the memory tier evicts it for room (or refuses to admit
    /// it): fewer disk writes for short-lived values, but whatever is still in memory at
    /// shutdown is not on disk. An `insert` also queues the removal of the key's older value
    /// below (so it cannot come back once the new one expires from memory); that removal is
    /// never dropped, so with the disk queue full the insert waits for room.
    WriteBack,
}

pub(crate) type LowerTiers<K, V> = Arc<[Box<dyn LowerTier<K, V>>]>;

pub(crate) struct Inner<K, V> {
    pub(crate) memory: MemoryCache<K, Slot<V>>,
    pub(crate) lower: LowerTiers<K, V>,
    pub(crate) write_policy: WritePolicy,
    pub(crate) memory_ttl: Option<Duration>,
    pub(crate) lower_ttl: Option<Duration>,
    pub(crate) loader_timeout: Option<Duration>,
    pub(crate) refresh_ahead: Option<Duration>,
    /// Whether the memory tier keeps expired values for serve-stale.
    pub(crate) serve_stale: bool,
    pub(crate) negative: Option<MemoryCache<K, Arc<dyn Any + Send + Sync>>>,
    pub(crate) flights: Arc<Flights<K, V>>,
    pub(crate) stripes: WriteStripes,
    pub(crate) counters: Arc<Counters>,
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) prefetch: Option<Prefetcher<K, V>>,
    pub(crate) loader: Option<SharedLoader<K, V>>,
}

/// A cache in tiers: a concurrent in-memory tier in front of an optional disk tier, with
/// read-through loads.
///
/// - **Reads** look in memory, then in each lower tier; a value found below is promoted
///   into memory. An expired value is never returned.
/// - **Writes** go to memory and, by [`WritePolicy`], to the lower tiers through their
///   background writers; a write never waits for the disk.
/// - **[`get_or_load`](Self::get_or_load)** runs at most one load per key at a time (single
///   flight); everyone asking meanwhile shares the result or the error. Optional: a loader
///   timeout, negative caching of errors, serving a recently expired value when the load
///   fails ([`serve_stale`](TieredCacheBuilder::serve_stale)), and reloading an entry in the
///   background when it is read close to its expiry
///   ([`refresh_ahead`](TieredCacheBuilder::refresh_ahead)).
///
/// Cloning is cheap and shares the cache. Loads and refreshes run as tasks on the Tokio
/// runtime the cache was built in.
///
/// ```
/// use perfkit::cache::TieredCache;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let cache: TieredCache<u64, String> = TieredCache::builder()
///     .memory_capacity(10_000)
///     .time_to_live(Duration::from_secs(60))
///     .build()
///     .await?;
///
/// let name = cache
///     .get_or_load(7, |id| async move { Ok::<_, std::io::Error>(format!("user-{id}")) })
///     .await?;
/// assert_eq!(name, "user-7");
/// assert_eq!(cache.get(&7).await.as_deref(), Some("user-7"));
/// assert_eq!(cache.stats().loads.started, 1);
/// # Ok(())
/// # }
/// ```
pub struct TieredCache<K, V> {
    pub(crate) inner: Arc<Inner<K, V>>,
}

impl<K, V> Clone for TieredCache<K, V> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<K, V> std::fmt::Debug for TieredCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TieredCache")
            .field("lower_tiers", &self.inner.lower.len())
            .field("write_policy", &self.inner.write_policy)
            .finish_non_exhaustive()
    }
}

use crate::cache::builder::TieredCacheBuilder;

/// `now + ttl`, or no deadline.
pub(crate) fn deadline(now: UnixMillis, ttl: Option<Duration>) -> Option<UnixMillis> {
    ttl.map(|t| now.saturating_add(u64::try_from(t.as_millis()).unwrap_or(u64::MAX)))
}

/// The earlier of two deadlines, where `None` is "never".
pub(crate) fn earliest(a: Option<UnixMillis>, b: Option<UnixMillis>) -> Option<UnixMillis> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

impl<K, V> TieredCache<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// A builder with the defaults listed on [`TieredCacheBuilder`].
    pub fn builder() -> TieredCacheBuilder<K, V> {
        TieredCacheBuilder::new()
    }

    /// The value of `key`, from memory or a lower tier, unless absent or expired.
    ///
    /// Like an `async fn`, the returned future does nothing until first polled.
    pub fn get<'a>(&'a self, key: &'a K) -> impl Future<Output = Option<V>> + Send + 'a {
        Get {
            cache: self,
            key,
            below: None,
        }
    }

    /// The part of [`get`](Self::get) that memory answers: `None` when memory has no live
    /// value.
    #[inline]
    fn get_from_memory(&self, key: &K) -> Option<V> {
        // The memory tier counts its own hits and misses; the cache's totals are derived
        // from them (see `stats`), so a memory hit pays for no counter of ours.
        match self.inner.memory.get(key) {
            Some(slot) => {
                self.after_access(key, true);
                Some(slot.value)
            }
            None => None,
        }
    }

    /// The rest of [`get`](Self::get) after a memory miss.
    async fn get_missing(&self, key: &K) -> Option<V> {
        let found = self.get_below(key).await;
        self.after_access(key, false);
        found
    }

    /// Looks `key` up in the lower tiers and promotes a hit into memory.
    async fn get_below(&self, key: &K) -> Option<V> {
        let inner = &self.inner;
        if inner.lower.is_empty() {
            return None;
        }
        let seen = inner.stripes.generation(key);
        for tier in inner.lower.iter() {
            let Some(found) = tier.get(key).await else {
                continue;
            };
            let now = inner.memory.now_ms();
            if found.expires_at.is_some_and(|d| d <= now) {
                continue;
            }
            let memory_deadline = earliest(found.expires_at, deadline(now, inner.memory_ttl));
            let slot = Slot::new(found.value.clone(), found.expires_at);
            // A write of the key since `seen` means what we read may be older than what the
            // writer stored: answer this caller with it, but do not promote it.
            inner.stripes.fill_if_unchanged(key, seen, || {
                inner.memory.insert_at(key.clone(), slot, memory_deadline);
            });
            bump(&inner.counters.lower_hits);
            return Some(found.value);
        }
        None
    }

    /// Stores `value` under `key` with the cache's time to live.
    ///
    /// # Errors
    /// [`CacheError::Codec`] when the cache has a lower tier, writes through, and `value`
    /// cannot be encoded; nothing is stored then.
    pub async fn insert(&self, key: K, value: V) -> Result<(), CacheError> {
        self.insert_inner(key, value, None)
    }

    /// Stores `value` under `key` for at most `ttl` in every tier (a tier's own, shorter,
    /// time to live still applies).
    ///
    /// # Errors
    /// As [`insert`](Self::insert).
    pub async fn insert_with_ttl(&self, key: K, value: V, ttl: Duration) -> Result<(), CacheError> {
        self.insert_inner(key, value, Some(ttl))
    }

    fn insert_inner(&self, key: K, value: V, ttl: Option<Duration>) -> Result<(), CacheError> {
        let inner = &self.inner;
        let _write = inner.stripes.write(&key);
        if let Some(negative) = &inner.negative {
            negative.remove(&key);
        }
        inner.store(key, value, ttl, Strict::Yes)
    }

    /// Removes `key` from every tier. A load of `key` already running still answers its
    /// waiters, but its value is not stored.
    pub async fn invalidate(&self, key: &K) {
        let inner = &self.inner;
        let _write = inner.stripes.write(key);
        // Memory first: in write-back mode an eviction of the key queues its disk write
        // under the memory shard's lock, so once this remove has that lock, any such write
        // is already queued and the removal below lands after it.
        inner.memory.remove(key);
        for tier in inner.lower.iter() {
            tier.remove(key);
        }
        if let Some(negative) = &inner.negative {
            negative.remove(key);
        }
    }

    /// The value of `key`; on a miss in every tier, `load(key)` produces it, and it is
    /// stored.
    ///
    /// One load per key runs at a time: callers that ask while it runs wait for it and share
    /// its value or its error. The load runs as its own task, so a caller that gives up does
    /// not cancel it for the others, and its value is still stored.
    ///
    /// With [`refresh_ahead`](TieredCacheBuilder::refresh_ahead), a hit close to its expiry
    /// returns at once and hands `load` to a background reload. With
    /// [`serve_stale`](TieredCacheBuilder::serve_stale), a failed load of a key whose value
    /// expired within the grace period returns that value instead of the error.
    ///
    /// # Errors
    /// [`LoadError::Loader`] with the loader's error (or a recent one, with
    /// [`negative_ttl`](TieredCacheBuilder::negative_ttl)), [`LoadError::Timeout`] past the
    /// [`loader_timeout`](TieredCacheBuilder::loader_timeout), [`LoadError::Aborted`] if the
    /// loader panicked.
    pub async fn get_or_load<F, Fut, E>(&self, key: K, load: F) -> Result<V, LoadError<E>>
    where
        F: FnOnce(K) -> Fut + Send + 'static,
        Fut: Future<Output = Result<V, E>> + Send + 'static,
        E: Send + Sync + 'static,
    {
        let stale = match self.memory_step(&key) {
            Answer::Hit(value) => return Ok(value),
            Answer::Refresh(value) => return Ok(self.serve_refreshing(key, load, value)),
            Answer::Missing(stale) => stale,
        };
        // Boxed, so that the miss path's state (the lower tiers' read, the flight, the
        // loader's future and its timeout) is not part of every call's future: inline, it
        // made a hit's future 320 bytes to build and move.
        Box::pin(self.load_missing(key, load, stale)).await
    }

    /// The memory step of `get_or_load` and `fetch`. Without refresh-ahead and serve-stale
    /// it is the memory tier's plain `get` (see [`plain_reads`](Self::plain_reads)).
    #[inline]
    fn memory_step(&self, key: &K) -> Answer<V> {
        if self.plain_reads() {
            return match self.get_from_memory(key) {
                Some(value) => Answer::Hit(value),
                None => Answer::Missing(None),
            };
        }
        self.ask_memory(key)
    }

    /// Serves `value`, found due for refresh-ahead, and starts its reload through `load`.
    fn serve_refreshing<F, Fut, E>(&self, key: K, load: F, value: V) -> V
    where
        F: FnOnce(K) -> Fut + Send + 'static,
        Fut: Future<Output = Result<V, E>> + Send + 'static,
        E: Send + Sync + 'static,
    {
        self.refresh(key.clone(), load);
        self.after_access(&key, true);
        value
    }

    /// Whether a `get_or_load` hit needs nothing but the value: without refresh-ahead (no
    /// deadline to check) and serve-stale (no expired value to keep), the memory tier's
    /// plain `get` serves it, which returns less than `lookup` (a word-sized value comes back
    /// in registers).
    #[inline]
    fn plain_reads(&self) -> bool {
        self.inner.refresh_ahead.is_none() && !self.inner.serve_stale
    }

    /// What memory holds for `get_or_load` with refresh-ahead or serve-stale on. A hit is
    /// reported to the prefetcher here, except one due for a refresh, which the caller
    /// reports after starting the refresh.
    fn ask_memory(&self, key: &K) -> Answer<V> {
        let inner = &self.inner;
        match inner.memory.lookup(key) {
            Lookup::Hit { value, expires_at } => {
                if let (Some(window), Some(expires_at)) = (inner.refresh_ahead, expires_at) {
                    let now = inner.memory.now_ms();
                    let window = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
                    if expires_at.saturating_sub(now) <= window {
                        return Answer::Refresh(value.value);
                    }
                }
                self.after_access(key, true);
                Answer::Hit(value.value)
            }
            Lookup::Stale { value, .. } => Answer::Missing(Some(value.value)),
            Lookup::Miss => Answer::Missing(None),
        }
    }

    /// The rest of `get_or_load` after memory had no live value (`stale`: an expired one
    /// within the serve-stale grace).
    async fn load_missing<F, Fut, E>(
        &self,
        key: K,
        load: F,
        stale: Option<V>,
    ) -> Result<V, LoadError<E>>
    where
        F: FnOnce(K) -> Fut + Send + 'static,
        Fut: Future<Output = Result<V, E>> + Send + 'static,
        E: Send + Sync + 'static,
    {
        let inner = &self.inner;
        if let Some(error) = self.negative_hit::<E>(&key) {
            if let Some(stale) = stale {
                bump(&inner.counters.stale_served);
                return Ok(stale);
            }
            return Err(LoadError::Loader(error));
        }
        if let Some(value) = self.get_below(&key).await {
            self.after_access(&key, false);
            return Ok(value);
        }
        self.after_access(&key, false);
        let outcome = self.load_shared(key, load).await;
        match (outcome, stale) {
            (Outcome::Loaded(value), _) => Ok(value),
            (_, Some(stale)) => {
                bump(&inner.counters.stale_served);
                Ok(stale)
            }
            (Outcome::Failed(error), None) => Err(downcast_error(error)),
            (Outcome::TimedOut(after), None) => Err(LoadError::Timeout(after)),
            (Outcome::Aborted, None) => Err(LoadError::Aborted),
        }
    }

    fn negative_hit<E: Send + Sync + 'static>(&self, key: &K) -> Option<Arc<E>> {
        let error = self.inner.negative.as_ref()?.get(key)?;
        let error = error.downcast::<E>().ok()?;
        bump(&self.inner.counters.negative_hits);
        Some(error)
    }

    /// Joins or leads the load of `key` and waits for its outcome.
    async fn load_shared<F, Fut, E>(&self, key: K, load: F) -> Outcome<V>
    where
        F: FnOnce(K) -> Fut + Send + 'static,
        Fut: Future<Output = Result<V, E>> + Send + 'static,
        E: Send + Sync + 'static,
    {
        match self.inner.flights.join::<E>(&key) {
            Role::Lead(flight) => {
                self.spawn_load(key, Arc::clone(&flight), load);
                flight.wait().await
            }
            Role::Follow(flight) => {
                bump(&self.inner.counters.coalesced);
                flight.wait().await
            }
            Role::Alone => {
                bump(&self.inner.counters.started);
                let inner = &self.inner;
                let seen = inner.stripes.generation(&key);
                let outcome = run_loader(inner, key.clone(), load).await;
                if let Outcome::Loaded(value) = &outcome {
                    inner.stripes.fill_if_unchanged(&key, seen, || {
                        let _ = inner.store(key.clone(), value.clone(), None, Strict::No);
                    });
                }
                outcome
            }
        }
    }

    /// Starts a background reload of `key` unless one is running.
    fn refresh<F, Fut, E>(&self, key: K, load: F)
    where
        F: FnOnce(K) -> Fut + Send + 'static,
        Fut: Future<Output = Result<V, E>> + Send + 'static,
        E: Send + Sync + 'static,
    {
        if let Role::Lead(flight) = self.inner.flights.join::<E>(&key) {
            bump(&self.inner.counters.refreshes);
            self.spawn_load(key, flight, load);
        }
    }

    /// Runs the load of a flight this caller leads as a task of the cache's runtime.
    pub(crate) fn spawn_load<F, Fut, E>(&self, key: K, flight: Arc<Flight<V>>, load: F)
    where
        F: FnOnce(K) -> Fut + Send + 'static,
        Fut: Future<Output = Result<V, E>> + Send + 'static,
        E: Send + Sync + 'static,
    {
        bump(&self.inner.counters.started);
        // Built before the task, so that it also fires if the task is dropped unpolled (a
        // runtime shutting down) and not only if the loader panics.
        let guard = AbortGuard {
            flights: Arc::clone(&self.inner.flights),
            counters: Arc::clone(&self.inner.counters),
            key,
            flight,
        };
        let inner = Arc::clone(&self.inner);
        // Taken before the loader runs: a write after this point wins over what it loads.
        let seen: Generation = inner.stripes.generation(&guard.key);
        self.inner.runtime.spawn(async move {
            let outcome = run_loader(&inner, guard.key.clone(), load).await;
            let key = &guard.key;
            match &outcome {
                Outcome::Loaded(value) => {
                    inner.stripes.fill_if_unchanged(key, seen, || {
                        let _ = inner.store(key.clone(), value.clone(), None, Strict::No);
                    });
                }
                Outcome::Failed(error) => {
                    if let Some(negative) = &inner.negative {
                        inner.stripes.fill_if_unchanged(key, seen, || {
                            negative.insert(key.clone(), Arc::clone(error));
                        });
                    }
                }
                Outcome::TimedOut(_) | Outcome::Aborted => {}
            }
            // Let go of the cache before waking the waiters: a caller that drops its last
            // handle right after its load returned must find the cache (and the disk
            // directory it holds) closed, not kept open by this task's last moments.
            drop(inner);
            guard.flights.finish(&guard.key, &guard.flight, outcome);
        });
    }

    /// Writes every value queued for the lower tiers to them and waits until it is
    /// durable as each tier's policy defines (for the disk tier, its fsync policy).
    ///
    /// # Errors
    /// The first tier that failed to flush.
    pub async fn flush(&self) -> Result<(), CacheError> {
        for tier in self.inner.lower.iter() {
            tier.flush().await?;
        }
        Ok(())
    }

    /// A snapshot of the cache's figures, per tier and for its loads.
    pub fn stats(&self) -> CacheStats {
        self.inner.stats()
    }

    /// Entries in the memory tier.
    pub fn memory_len(&self) -> u64 {
        self.inner.memory.len()
    }

    /// Lets the prefetcher learn from an access of `key` and start the loads it predicts.
    fn after_access(&self, key: &K, hit: bool) {
        if let Some(prefetch) = &self.inner.prefetch {
            prefetch.on_access(self, key, hit);
        }
    }

    /// [`get_or_load`](Self::get_or_load) through the loader given to
    /// [`TieredCacheBuilder::loader`].
    ///
    /// # Errors
    /// As `get_or_load`, with the loader's error boxed; [`LoadError::NoLoader`] when the
    /// builder was given no loader.
    pub async fn fetch(&self, key: K) -> Result<V, LoadError<BoxError>> {
        let Some(loader) = &self.inner.loader else {
            return Err(LoadError::NoLoader);
        };
        // The loader is cloned (an atomic on a line every caller shares) only when a load
        // or a refresh needs it, never for a plain hit.
        let load = || {
            let loader = Arc::clone(loader);
            move |key| loader(key)
        };
        let stale = match self.memory_step(&key) {
            Answer::Hit(value) => return Ok(value),
            Answer::Refresh(value) => return Ok(self.serve_refreshing(key, load(), value)),
            Answer::Missing(stale) => stale,
        };
        Box::pin(self.load_missing(key, load(), stale)).await
    }
}

/// The future of [`TieredCache::get`], written out rather than an `async fn` so that a hit
/// is one plain call: no state machine to enter, no miss-path state to build or move (an
/// `async fn` body made the hit's future 120 bytes, and building and moving it measured as
/// most of what a hit through the facade cost over the memory tier; see
/// `docs/benchmarks.md`).
struct Get<'a, K, V> {
    cache: &'a TieredCache<K, V>,
    key: &'a K,
    /// The lower tiers' walk, boxed, once memory missed and there is a tier below.
    below: Option<BoxFuture<'a, Option<V>>>,
}

impl<K, V> Future for Get<'_, K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    type Output = Option<V>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<V>> {
        let this = &mut *self;
        if let Some(below) = &mut this.below {
            return below.as_mut().poll(cx);
        }
        let (cache, key) = (this.cache, this.key);
        if let Some(value) = cache.get_from_memory(key) {
            return Poll::Ready(Some(value));
        }
        if cache.inner.lower.is_empty() {
            // Nothing below: a miss allocates nothing.
            cache.after_access(key, false);
            return Poll::Ready(None);
        }
        this.below
            .insert(Box::pin(cache.get_missing(key)))
            .as_mut()
            .poll(cx)
    }
}

/// What the memory tier answered a `get_or_load` (or `fetch`) with.
enum Answer<V> {
    /// A live value.
    Hit(V),
    /// A live value close enough to its expiry to start a background reload.
    Refresh(V),
    /// No live value; an expired one within the serve-stale grace, if any.
    Missing(Option<V>),
}

/// Runs `load` under the loader timeout and records what came of it.
async fn run_loader<K, V, F, Fut, E>(inner: &Inner<K, V>, key: K, load: F) -> Outcome<V>
where
    F: FnOnce(K) -> Fut,
    Fut: Future<Output = Result<V, E>>,
    E: Send + Sync + 'static,
{
    let counters = &inner.counters;
    let started = Instant::now();
    let result = match inner.loader_timeout {
        Some(limit) => match tokio::time::timeout(limit, load(key)).await {
            Ok(result) => result,
            Err(_) => {
                bump(&counters.timed_out);
                return Outcome::TimedOut(limit);
            }
        },
        None => load(key).await,
    };
    counters.latency.record_duration(started.elapsed());
    match result {
        Ok(value) => {
            bump(&counters.succeeded);
            Outcome::Loaded(value)
        }
        Err(error) => {
            bump(&counters.failed);
            Outcome::Failed(Arc::new(error))
        }
    }
}

fn downcast_error<E: Send + Sync + 'static>(error: Arc<dyn Any + Send + Sync>) -> LoadError<E> {
    // Followers join only flights of their own error type, so this cannot miss; if it ever
    // did, "aborted" is the honest answer rather than a panic.
    error
        .downcast::<E>()
        .map_or(LoadError::Aborted, LoadError::Loader)
}

/// Publishes [`Outcome::Aborted`] for a flight whose task ended without an outcome (the
/// loader panicked, or the runtime dropped the task), so its waiters are not left hanging.
struct AbortGuard<K: Hash + Eq + Clone, V: Clone> {
    flights: Arc<Flights<K, V>>,
    counters: Arc<Counters>,
    key: K,
    flight: Arc<Flight<V>>,
}

impl<K: Hash + Eq + Clone, V: Clone> Drop for AbortGuard<K, V> {
    fn drop(&mut self) {
        if !self.flight.is_finished() {
            bump(&self.counters.aborted);
            self.flights
                .finish(&self.key, &self.flight, Outcome::Aborted);
        }
    }
}

/// Whether a value that cannot be encoded for the lower tiers may still live in memory.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strict {
    /// No: an `insert` with such a value fails and stores nothing.
    Yes,
    /// Yes: a loaded value is kept in memory and the failure counted.
    No,
}

impl<K, V> Inner<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    pub(crate) fn stats(&self) -> CacheStats {
        let get = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
        let counters = &self.counters;
        let memory = self.memory.stats();
        // Every lookup asks memory first: memory's hits are ours, and of memory's misses the
        // ones a lower tier answered are ours too.
        let lower_hits = get(&counters.lower_hits);
        let mut stats = CacheStats {
            hits: memory.hits + lower_hits,
            misses: memory.misses.saturating_sub(lower_hits),
            memory,
            #[cfg(feature = "cache-disk")]
            disk: None,
            disk_decode_errors: 0,
            disk_read_errors: 0,
            encode_errors: get(&counters.encode_errors),
            loads: counters.load_stats(),
        };
        for tier in self.lower.iter() {
            tier.fill_stats(&mut stats);
        }
        stats
    }

    /// Writes a value into memory and, writing through, into the lower tiers.
    pub(crate) fn store(
        &self,
        key: K,
        value: V,
        ttl: Option<Duration>,
        strict: Strict,
    ) -> Result<(), CacheError> {
        let now = self.memory.now_ms();
        let entry_deadline = deadline(now, ttl);
        let lower_deadline = earliest(entry_deadline, deadline(now, self.lower_ttl));
        if self.write_policy == WritePolicy::WriteThrough {
            for tier in self.lower.iter() {
                if let Err(e) = tier.put(&key, &value, lower_deadline) {
                    bump(&self.counters.encode_errors);
                    if strict == Strict::Yes {
                        return Err(e.into());
                    }
                }
            }
        }
        let memory_deadline = earliest(entry_deadline, deadline(now, self.memory_ttl));
        // Only a caller's insert can find an older value below: a load runs after every
        // tier missed.
        let write_back = self.write_policy == WritePolicy::WriteBack && !self.lower.is_empty();
        let stale_below = (write_back && strict == Strict::Yes).then(|| key.clone());
        self.memory
            .insert_at(key, Slot::new(value, lower_deadline), memory_deadline);
        // Writing back, the tiers below may hold an older value of the key, which would come
        // back if this one left memory by expiry rather than eviction. After the insert, so
        // an eviction of the old value (queued under the same shard lock) is removed too; at
        // worst this also removes the new value's own write-back: a miss, never old data.
        if let Some(key) = stale_below {
            for tier in self.lower.iter() {
                tier.remove(&key);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::tier::{BoxFuture, Found};
    use crate::cache::{CodecError, TieredCacheBuilder};
    use parking_lot::Mutex;
    use tokio::sync::Notify;

    /// A lower tier whose reads take their value at once but answer only when the test
    /// opens the gate: the window where a promotion races a write, held open on purpose.
    struct GatedTier {
        value: Arc<Mutex<Option<String>>>,
        entered: Arc<Notify>,
        gate: Arc<Notify>,
    }

    impl LowerTier<u64, String> for GatedTier {
        fn get<'a>(&'a self, _: &'a u64) -> BoxFuture<'a, Option<Found<String>>> {
            let read = self.value.lock().clone();
            Box::pin(async move {
                self.entered.notify_one();
                self.gate.notified().await;
                read.map(|value| Found {
                    value,
                    expires_at: None,
                })
            })
        }

        fn put(&self, _: &u64, value: &String, _: Option<UnixMillis>) -> Result<(), CodecError> {
            *self.value.lock() = Some(value.clone());
            Ok(())
        }

        fn remove(&self, _: &u64) {
            *self.value.lock() = None;
        }

        fn flush(&self) -> BoxFuture<'_, Result<(), CacheError>> {
            Box::pin(std::future::ready(Ok(())))
        }

        fn fill_stats(&self, _: &mut CacheStats) {}
    }

    async fn gated(value: &str) -> (TieredCache<u64, String>, Arc<Notify>, Arc<Notify>) {
        let (entered, gate) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let tier = GatedTier {
            value: Arc::new(Mutex::new(Some(value.to_string()))),
            entered: Arc::clone(&entered),
            gate: Arc::clone(&gate),
        };
        let cache = TieredCacheBuilder::new()
            .lower_tier(Box::new(move |_| {
                Ok(Box::new(tier) as Box<dyn LowerTier<u64, String>>)
            }))
            .build()
            .await
            .unwrap();
        (cache, entered, gate)
    }

    /// A tier that fails to open by panicking on the blocking pool (a bug in the tier, not an
    /// I/O error) makes `build` return `CacheError::Background`, not a panic in the caller.
    #[tokio::test]
    async fn a_tier_panicking_while_opening_is_a_background_error() {
        let built = TieredCacheBuilder::<u64, String>::new()
            .lower_tier(Box::new(|_| panic!("tier open blew up")))
            .build()
            .await;
        match built {
            Err(CacheError::Background(msg)) => {
                assert!(msg.starts_with("opening a tier"), "{msg}");
                assert!(msg.contains("panicked"), "{msg}");
            }
            Err(other) => panic!("expected Background, got {other:?}"),
            Ok(_) => panic!("expected Background, got a cache"),
        }
    }

    #[tokio::test]
    async fn a_promotion_never_overwrites_a_newer_write() {
        for invalidate in [false, true] {
            let (cache, entered, gate) = gated("old").await;
            let reader = {
                let cache = cache.clone();
                tokio::spawn(async move { cache.get(&1).await })
            };
            entered.notified().await;
            if invalidate {
                cache.invalidate(&1).await;
            } else {
                cache.insert(1, "new".to_string()).await.unwrap();
            }
            gate.notify_one();
            // The reader raced the write and may answer with what it read...
            assert_eq!(reader.await.unwrap().as_deref(), Some("old"));
            // ...but the cache keeps the write.
            let expected = (!invalidate).then(|| "new".to_string());
            assert_eq!(cache.inner.memory.peek(&1).map(|s| s.value), expected);
        }
    }

    #[tokio::test]
    async fn a_promotion_without_a_race_lands_in_memory() {
        let (cache, _entered, gate) = gated("below").await;
        gate.notify_one();
        assert_eq!(cache.get(&1).await.as_deref(), Some("below"));
        assert_eq!(
            cache.inner.memory.peek(&1).map(|s| s.value).as_deref(),
            Some("below")
        );
    }

    /// A lower tier that records what it holds, and whose writes can be held at the door:
    /// the write-back of an evicted value is kept waiting (under the memory shard's lock)
    /// while an `invalidate` of the same key tries to run.
    #[derive(Default)]
    struct HeldTier {
        held: Arc<Mutex<std::collections::HashMap<u64, String>>>,
        hold: Arc<std::sync::atomic::AtomicBool>,
        entered: Arc<Mutex<Option<u64>>>,
    }

    impl LowerTier<u64, String> for HeldTier {
        fn get<'a>(&'a self, key: &'a u64) -> BoxFuture<'a, Option<Found<String>>> {
            let found = self.held.lock().get(key).cloned().map(|value| Found {
                value,
                expires_at: None,
            });
            Box::pin(std::future::ready(found))
        }

        fn put(&self, key: &u64, value: &String, _: Option<UnixMillis>) -> Result<(), CodecError> {
            *self.entered.lock() = Some(*key);
            for _ in 0..5_000 {
                if !self.hold.load(std::sync::atomic::Ordering::Acquire) {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            self.held.lock().insert(*key, value.clone());
            Ok(())
        }

        fn remove(&self, key: &u64) {
            self.held.lock().remove(key);
        }

        fn flush(&self) -> BoxFuture<'_, Result<(), CacheError>> {
            Box::pin(std::future::ready(Ok(())))
        }

        fn fill_stats(&self, _: &mut CacheStats) {}
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_invalidate_racing_a_write_back_removes_the_written_value() {
        let tier = HeldTier::default();
        let (held, hold, entered) = (
            Arc::clone(&tier.held),
            Arc::clone(&tier.hold),
            Arc::clone(&tier.entered),
        );
        let cache: TieredCache<u64, String> = TieredCacheBuilder::new()
            .memory_capacity(1)
            .write_policy(WritePolicy::WriteBack)
            .lower_tier(Box::new(move |_| {
                Ok(Box::new(tier) as Box<dyn LowerTier<u64, String>>)
            }))
            .build()
            .await
            .unwrap();
        cache.insert(1, "one".into()).await.unwrap();
        hold.store(true, std::sync::atomic::Ordering::Release);
        let runtime = tokio::runtime::Handle::current();
        // One of the two keys leaves memory for room; its write-back waits at the door.
        let writer = {
            let (cache, runtime) = (cache.clone(), runtime.clone());
            std::thread::spawn(move || runtime.block_on(cache.insert(2, "two".into())))
        };
        let mut evicted = None;
        for _ in 0..5_000 {
            evicted = *entered.lock();
            if evicted.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let evicted = evicted.expect("an insert over capacity writes one value back");
        let invalidator = {
            let cache = cache.clone();
            std::thread::spawn(move || runtime.block_on(cache.invalidate(&evicted)))
        };
        // Give the invalidate every chance to run ahead of the held write.
        std::thread::sleep(std::time::Duration::from_millis(50));
        hold.store(false, std::sync::atomic::Ordering::Release);
        writer.join().unwrap().unwrap();
        invalidator.join().unwrap();
        assert_eq!(
            held.lock().get(&evicted),
            None,
            "key {evicted} came back below"
        );
        assert_eq!(cache.get(&evicted).await, None);
    }

    /// The hit paths' futures carry no miss-path state: inline, that state made a hit's
    /// future 120 bytes (`get`) and 320 (`get_or_load`) in this build, and building and
    /// moving it was most of what a hit through the facade cost over the memory tier.
    #[tokio::test]
    async fn hit_futures_carry_no_miss_path_state() {
        let cache: TieredCache<u64, u64> = TieredCacheBuilder::new()
            .loader(|k: u64| async move { Ok::<_, std::io::Error>(k) })
            .build()
            .await
            .unwrap();
        let get = cache.get(&1);
        let load = cache.get_or_load(1, |k| async move { Ok::<_, std::io::Error>(k) });
        let fetch = cache.fetch(1);
        let sizes = (
            std::mem::size_of_val(&get),
            std::mem::size_of_val(&load),
            std::mem::size_of_val(&fetch),
        );
        assert!(
            sizes.0 <= 64 && sizes.1 <= 96 && sizes.2 <= 96,
            "get, get_or_load, fetch futures: {sizes:?} bytes"
        );
    }
}
