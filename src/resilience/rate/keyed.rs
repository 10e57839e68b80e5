//! [`KeyedRateLimiter`]: the same quota for each key, in bounded memory.
//!
//! State is one TAT (`u64`) per tracked key in `S` shards, each a `parking_lot::Mutex` around
//! a `HashMap`. A check hashes the key once to pick a shard (the map hashes it again; the
//! hasher is a cheap seeded folded multiply), reads the clock *before* locking so the critical
//! section is a lookup and a compare, and locks only that shard.
//!
//! Memory bound. A key whose TAT is at or before `now` is back to a full bucket: forgetting it
//! changes no decision, so such keys are dropped lazily, by sweeping a shard when it has grown
//! to twice its size after the previous sweep (amortised O(1) per insert). Each shard holds at
//! most `max_keys / S` keys, so the limiter never tracks more than `max_keys`. When a new key
//! arrives at a full shard and sweeping frees less than an eighth of it, the keys whose TATs
//! are earliest — the closest to full, whose loss admits the least extra — are evicted until
//! an eighth is free. An evicted key starts again from a full bucket: under a flood of
//! distinct keys the limiter degrades towards admitting more for the oldest keys, never
//! towards unbounded memory or refusing keys it has no room for.

use crate::resilience::ResilienceError;
use crossbeam_utils::CachePadded;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use super::error::{InsufficientCapacity, RateLimitError, RateLimited};
use super::gcra::{Gcra, invalid};
use super::hash::{FoldBuildHasher, random_seed};
use super::limiter::RateLimiterBuilder;
use super::time::{Jitter, TimeSource};

/// Default hard cap on tracked keys.
pub const DEFAULT_MAX_KEYS: usize = 100_000;
/// Default number of shards.
const DEFAULT_SHARDS: usize = 64;
/// A shard is not swept before it holds this many keys (sweeping tiny maps is wasted work).
const MIN_SWEEP: usize = 64;

/// A rate limiter with one GCRA state per key, bounded to `max_keys` tracked keys.
///
/// Cloning is cheap (an `Arc`). A check hashes the key with a seeded folded-multiply hash,
/// reads the clock before locking, and locks one of `S` shards for a lookup and a compare.
///
/// **Memory bound.** A key whose bucket is full again (TAT ≤ now) carries no information and
/// is dropped lazily: a shard is swept when it has doubled since its last sweep (amortised
/// O(1) per insert), or on demand with [`retain_recent`](Self::retain_recent). Each shard
/// holds at most `max_keys / S` keys, so at most [`max_keys`](Self::max_keys) are tracked.
/// When a new key meets a full shard and sweeping frees less than an eighth of it, the keys
/// with the earliest TATs — the closest to full, whose loss admits the least extra — are
/// evicted until an eighth is free. An evicted key restarts from a full bucket, so under a
/// flood of distinct keys the limiter errs towards admitting more for its oldest keys; it never
/// grows past the cap and never refuses a key for lack of room.
///
/// ```
/// use perfkit::resilience::KeyedRateLimiter;
/// use perfkit::clock::ManualClock;
/// use std::{sync::Arc, time::Duration};
///
/// let clock = ManualClock::new();
/// let limiter = KeyedRateLimiter::<&str>::per_second(1)
///     .max_keys(10_000)
///     .clock(Arc::new(clock.clone()))
///     .build()?;
///
/// assert!(limiter.check_key(&"alice").is_ok());
/// assert!(limiter.check_key(&"alice").is_err()); // alice used her one per second
/// assert!(limiter.check_key(&"bob").is_ok()); // bob has his own bucket
/// assert_eq!(limiter.tracked_keys(), 2);
///
/// clock.advance(Duration::from_secs(1));
/// limiter.retain_recent(); // both buckets are full again: nothing left to remember
/// assert_eq!(limiter.tracked_keys(), 0);
/// # Ok::<(), perfkit::resilience::ResilienceError>(())
/// ```
pub struct KeyedRateLimiter<K> {
    inner: Arc<Inner<K>>,
}

impl<K> Clone for KeyedRateLimiter<K> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

struct Inner<K> {
    gcra: Gcra,
    clock: TimeSource,
    jitter: Jitter,
    hasher: FoldBuildHasher,
    /// `shards.len() - 1`; the length is a power of two.
    mask: usize,
    shard_cap: usize,
    shards: Box<[CachePadded<Mutex<Shard<K>>>]>,
}

struct Shard<K> {
    map: HashMap<K, u64, FoldBuildHasher>,
    /// Sweep when the map reaches this many keys.
    sweep_at: usize,
}

impl<K: Hash + Eq + Clone> KeyedRateLimiter<K> {
    /// `n` cells per second per key; the burst defaults to `n`.
    pub fn per_second(n: u32) -> KeyedRateLimiterBuilder<K> {
        super::RateLimiter::per_second(n).keyed()
    }

    /// `n` cells per minute per key; the burst defaults to `n`.
    pub fn per_minute(n: u32) -> KeyedRateLimiterBuilder<K> {
        super::RateLimiter::per_minute(n).keyed()
    }

    /// `n` cells per `period` per key; the burst defaults to `n`.
    pub fn per_period(n: u32, period: Duration) -> KeyedRateLimiterBuilder<K> {
        super::RateLimiter::per_period(n, period).keyed()
    }

    /// One cell every `interval` per key; the burst defaults to 1.
    pub fn with_period(interval: Duration) -> KeyedRateLimiterBuilder<K> {
        super::RateLimiter::with_period(interval).keyed()
    }

    /// Admits one cell for `key` now, or says how long until it would be admitted.
    #[inline]
    pub fn check_key(&self, key: &K) -> Result<(), RateLimited> {
        let weight = self.inner.gcra.t;
        self.inner
            .admit(key, weight)
            .map_err(RateLimited::from_nanos)
    }

    /// Admits `cost` cells for `key` at once, or none. Cost 0 always passes (and tracks
    /// nothing); a cost above the burst is [`RateLimitError::InsufficientCapacity`].
    #[inline]
    pub fn check_key_n(&self, key: &K, cost: u32) -> Result<(), RateLimitError> {
        let weight = self.inner.gcra.weight(cost)?;
        if weight == 0 {
            return Ok(());
        }
        self.inner
            .admit(key, weight)
            .map_err(|n| RateLimited::from_nanos(n).into())
    }

    /// Waits until one cell for `key` is admitted; see [`until_key_n_ready`](Self::until_key_n_ready).
    pub async fn until_key_ready(&self, key: &K) {
        // A cost of 1 never exceeds the burst (which is at least 1).
        let _ = self.until_key_n_ready(key, 1).await;
    }

    /// Waits until `cost` cells for `key` are admitted: books them and sleeps until the
    /// booking conforms plus jitter, like [`RateLimiter::until_n_ready`](super::RateLimiter::until_n_ready)
    /// (same Tokio requirement, same cancellation rule). A key evicted while its owner sleeps
    /// loses its bookings.
    pub async fn until_key_n_ready(&self, key: &K, cost: u32) -> Result<(), InsufficientCapacity> {
        let inner = &*self.inner;
        let weight = inner.gcra.weight(cost)?;
        if weight == 0 {
            return Ok(());
        }
        let now = inner.clock.now();
        let hash = inner.hasher.hash_one(key);
        let (prev, booked, wait) = {
            let mut shard = inner.shard(hash).lock();
            match shard.map.get_mut(key) {
                Some(tat) => {
                    let prev = *tat;
                    let (booked, wait) = inner.gcra.reserve(prev, now, weight);
                    *tat = booked;
                    (prev, booked, wait)
                }
                None => {
                    let (booked, wait) = inner.gcra.reserve(now, now, weight);
                    shard.insert(key.clone(), booked, now, inner.shard_cap);
                    (now, booked, wait)
                }
            }
        };
        if wait == 0 {
            return Ok(());
        }
        let mut booking = Booking {
            inner,
            key,
            hash,
            prev,
            booked,
            done: false,
        };
        let delay = Duration::from_nanos(wait) + inner.jitter.sample(booked ^ hash);
        tokio::time::sleep(delay).await;
        booking.done = true;
        drop(booking);
        Ok(())
    }

    /// Drops every key whose bucket is full again (a sweep of all shards now, instead of
    /// lazily). Decisions are unchanged.
    pub fn retain_recent(&self) {
        let now = self.inner.clock.now();
        for shard in self.inner.shards.iter() {
            let mut s = shard.lock();
            s.map.retain(|_, tat| *tat > now);
            s.reset_sweep(self.inner.shard_cap);
        }
    }

    /// [`retain_recent`](Self::retain_recent), then gives spare map memory back to the
    /// allocator.
    pub fn shrink_to_fit(&self) {
        self.retain_recent();
        for shard in self.inner.shards.iter() {
            shard.lock().map.shrink_to_fit();
        }
    }
}

impl<K> KeyedRateLimiter<K> {
    /// The number of keys currently tracked (locks each shard in turn, so it is a snapshot
    /// only when no one else is checking). Never above [`max_keys`](Self::max_keys).
    pub fn tracked_keys(&self) -> usize {
        self.inner.shards.iter().map(|s| s.lock().map.len()).sum()
    }

    /// Same as [`tracked_keys`](Self::tracked_keys).
    pub fn len(&self) -> usize {
        self.tracked_keys()
    }

    /// Whether no key is tracked (every key seen is at a full bucket, or none was seen).
    pub fn is_empty(&self) -> bool {
        self.inner.shards.iter().all(|s| s.lock().map.is_empty())
    }

    /// How many keys the maps' current allocations can hold without growing. Stays below
    /// 4 × [`max_keys`](Self::max_keys): a hash table rounds its size up to a power of two
    /// and, after evictions leave tombstones, may double once more instead of rehashing in
    /// place; it never grows past that. Each slot costs `size_of::<(K, u64)>() + 1` bytes.
    pub fn capacity(&self) -> usize {
        self.inner
            .shards
            .iter()
            .map(|s| s.lock().map.capacity())
            .sum()
    }

    /// The hard cap on tracked keys: the number of shards times the per-shard cap, which is
    /// the configured `max_keys` rounded down to a multiple of the shard count.
    pub fn max_keys(&self) -> usize {
        self.inner.shard_cap * self.inner.shards.len()
    }

    /// The most cells one request can get (the burst).
    pub fn burst(&self) -> u32 {
        self.inner.gcra.burst
    }

    /// The time one cell takes to replenish.
    pub fn emission_interval(&self) -> Duration {
        Duration::from_nanos(self.inner.gcra.t)
    }
}

impl<K: Hash + Eq + Clone> Inner<K> {
    #[inline(always)]
    fn shard(&self, hash: u64) -> &Mutex<Shard<K>> {
        // Bits 32.. pick the shard: hashbrown uses the low bits (bucket) and the top 7 (tag),
        // so the keys of one shard still spread over its whole table.
        &self.shards[(hash >> 32) as usize & self.mask]
    }

    #[inline(always)]
    fn admit(&self, key: &K, weight: u64) -> Result<(), u64> {
        let now = self.clock.now();
        let hash = self.hasher.hash_one(key);
        let mut shard = self.shard(hash).lock();
        if let Some(tat) = shard.map.get_mut(key) {
            *tat = self.gcra.decide(*tat, now, weight)?;
            return Ok(());
        }
        // An untracked key is a full bucket (TAT <= now), so any cost up to the burst
        // (checked by the caller) is admitted.
        let tat = self.gcra.decide(now, now, weight)?;
        shard.insert(key.clone(), tat, now, self.shard_cap);
        Ok(())
    }
}

impl<K: Hash + Eq> Shard<K> {
    /// Inserts a key that is not in the map, keeping `len <= cap`.
    fn insert(&mut self, key: K, tat: u64, now: u64, cap: usize) {
        if self.map.len() >= self.sweep_at {
            self.make_room(now, cap);
        }
        self.map.insert(key, tat);
    }

    #[cold]
    fn make_room(&mut self, now: u64, cap: usize) {
        let at_cap = self.map.len() >= cap;
        self.map.retain(|_, tat| *tat > now);
        if at_cap {
            // Free at least an eighth (and at least one slot) so the next forced pass is
            // cap/8 inserts away: the O(len) work stays amortised O(1) per insert.
            let target = (cap - cap / 8).min(cap - 1);
            if self.map.len() > target {
                self.evict_nearest_full(self.map.len() - target);
            }
        }
        self.reset_sweep(cap);
    }

    fn reset_sweep(&mut self, cap: usize) {
        self.sweep_at = (self.map.len() * 2).max(MIN_SWEEP).min(cap);
    }

    /// Removes the `count` keys with the earliest TATs (ties broken arbitrarily).
    fn evict_nearest_full(&mut self, count: usize) {
        let mut tats: Vec<u64> = self.map.values().copied().collect();
        if count == 0 || tats.is_empty() {
            return;
        }
        let count = count.min(tats.len());
        let (below, &mut threshold, _) = tats.select_nth_unstable(count - 1);
        let strictly_below = below.iter().filter(|&&t| t < threshold).count();
        // Remove everything under the threshold and just enough keys at it.
        let mut at_threshold = count - strictly_below;
        self.map.retain(|_, tat| {
            if *tat < threshold {
                false
            } else if *tat == threshold && at_threshold > 0 {
                at_threshold -= 1;
                false
            } else {
                true
            }
        });
    }
}

/// Undoes a keyed booking whose future was dropped while sleeping (see `limiter::Booking`).
struct Booking<'a, K: Hash + Eq + Clone> {
    inner: &'a Inner<K>,
    key: &'a K,
    hash: u64,
    prev: u64,
    booked: u64,
    done: bool,
}

impl<K: Hash + Eq + Clone> Drop for Booking<'_, K> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut shard = self.inner.shard(self.hash).lock();
        if let Some(tat) = shard.map.get_mut(self.key)
            && *tat == self.booked
        {
            *tat = self.prev;
        }
    }
}

impl<K> fmt::Debug for KeyedRateLimiter<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedRateLimiter")
            .field("emission_interval", &self.emission_interval())
            .field("burst", &self.burst())
            .field("shards", &self.inner.shards.len())
            .field("max_keys", &self.max_keys())
            .field("clock", &self.inner.clock)
            .finish_non_exhaustive()
    }
}

/// Settings of a [`KeyedRateLimiter`]: those of [`RateLimiterBuilder`] plus the memory bound.
///
/// Defaults: as [`RateLimiterBuilder`]; `max_keys` = [`DEFAULT_MAX_KEYS`] (100 000);
/// 64 shards (fewer if `max_keys` is smaller, so that each shard holds at least one key).
#[must_use = "a builder does nothing until `build()` is called"]
pub struct KeyedRateLimiterBuilder<K> {
    base: RateLimiterBuilder,
    max_keys: usize,
    shards: usize,
    _key: PhantomData<fn(K) -> K>,
}

impl<K> KeyedRateLimiterBuilder<K> {
    pub(crate) fn from_base(base: RateLimiterBuilder) -> Self {
        Self {
            base,
            max_keys: DEFAULT_MAX_KEYS,
            shards: DEFAULT_SHARDS,
            _key: PhantomData,
        }
    }

    /// The most cells admitted at once per key. Default: the cells per period.
    pub fn burst(mut self, burst: u32) -> Self {
        self.base = self.base.burst(burst);
        self
    }

    /// The clock; see [`RateLimiterBuilder::clock`].
    pub fn clock(mut self, clock: Arc<dyn crate::clock::Clock>) -> Self {
        self.base = self.base.clock(clock);
        self
    }

    /// The jitter bound; see [`RateLimiterBuilder::jitter`].
    pub fn jitter(mut self, max: Duration) -> Self {
        self.base = self.base.jitter(max);
        self
    }

    /// The jitter seed; see [`RateLimiterBuilder::jitter_seed`].
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.base = self.base.jitter_seed(seed);
        self
    }

    /// The hard cap on tracked keys. Default: 100 000. Must be at least 1. Enforced per
    /// shard (`max_keys / shards` each), so evictions can start a little before the total
    /// reaches the cap when keys spread unevenly.
    pub fn max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys;
        self
    }

    /// The number of shards (rounded up to a power of two, then lowered if needed so each
    /// shard holds at least one key). Default: 64. More shards, less lock contention.
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = shards;
        self
    }

    /// Checks the settings and builds the limiter.
    ///
    /// Errors ([`ResilienceError::InvalidConfig`]): those of [`RateLimiterBuilder::build`],
    /// a zero `max_keys`, zero `shards`.
    pub fn build(self) -> Result<KeyedRateLimiter<K>, ResilienceError>
    where
        K: Hash + Eq + Clone,
    {
        let (gcra, clock, jitter) = self.base.parts()?;
        if self.max_keys == 0 {
            return Err(invalid("max_keys", "at least one key must be trackable"));
        }
        if self.shards == 0 {
            return Err(invalid("shards", "at least one shard is needed"));
        }
        let requested = self.shards.checked_next_power_of_two().unwrap_or(1 << 16);
        // The largest power of two <= max_keys, so every shard holds at least one key.
        let fit = 1usize << (usize::BITS - 1 - self.max_keys.leading_zeros());
        let n = requested.min(fit).min(1 << 16);
        let shard_cap = self.max_keys / n;
        let hasher = FoldBuildHasher::new(random_seed());
        let shards = (0..n)
            .map(|_| {
                CachePadded::new(Mutex::new(Shard {
                    map: HashMap::with_hasher(hasher),
                    sweep_at: MIN_SWEEP.min(shard_cap),
                }))
            })
            .collect();
        Ok(KeyedRateLimiter {
            inner: Arc::new(Inner {
                gcra,
                clock,
                jitter,
                hasher,
                mask: n - 1,
                shard_cap,
                shards,
            }),
        })
    }
}

impl<K> fmt::Debug for KeyedRateLimiterBuilder<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedRateLimiterBuilder")
            .field("base", &self.base)
            .field("max_keys", &self.max_keys)
            .field("shards", &self.shards)
            .finish()
    }
}

#[cfg(feature = "metrics")]
impl<K: Send + Sync + 'static> KeyedRateLimiter<K> {
    /// Exposes the key table in `registry`, read at each render: the gauges
    /// `{prefix}_tracked_keys` and `{prefix}_max_keys`. The series disappear with the last
    /// clone of the limiter.
    ///
    /// Denials are not counted inside the limiter: under attack the deny path is the hot
    /// one, and a shared counter there would make every core write one cache line. Count
    /// them where you handle the `Err`, with a [`Counter`](crate::metrics::Counter) (which
    /// keeps per-thread slots) and the labels you care about.
    ///
    /// ```
    /// use perfkit::metrics::Registry;
    /// use perfkit::resilience::KeyedRateLimiter;
    ///
    /// let registry = Registry::new();
    /// let limiter = KeyedRateLimiter::<u64>::per_second(10).build()?;
    /// limiter.register_metrics(&registry, "login_limiter")?;
    /// assert!(limiter.check_key(&7).is_ok());
    /// assert!(registry.render_prometheus().contains("login_limiter_tracked_keys 1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn register_metrics(
        &self,
        registry: &crate::metrics::Registry,
        prefix: &str,
    ) -> Result<(), crate::metrics::MetricsError> {
        let export = crate::metrics::export::Exporter::new(registry, prefix, &self.inner)?;
        export.gauge("tracked_keys", &[], |inner| {
            inner
                .shards
                .iter()
                .map(|s| s.lock().map.len())
                .sum::<usize>() as f64
        })?;
        export.gauge("max_keys", &[], |inner| {
            (inner.shard_cap * inner.shards.len()) as f64
        })
    }
}
