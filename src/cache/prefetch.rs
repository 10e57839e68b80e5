//! Prefetch: learn which key tends to follow which, and load the likely next key in the
//! background before it is asked for.
//!
//! For every key seen recently the prefetcher keeps a handful of successor counts (the
//! space-saving algorithm over [`SLOTS`] slots, halved now and then so old habits fade),
//! in a bounded memory cache of its own, so memory stays bounded whatever the key space.
//! After an access of `a`, if one successor `b` has followed `a` at least
//! [`min_observations`](PrefetchOptions::min_observations) times and in at least
//! [`min_confidence`](PrefetchOptions::min_confidence) of the recorded transitions, and `b`
//! is neither in memory nor being loaded, `b` is loaded through the builder's loader.
//!
//! The access order is the cache's, across all callers: the model learns sequences that
//! show through the interleaving of concurrent requests, which is where they are strong
//! enough to be worth a load.

use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

use crate::cache::flight::Role;
use crate::cache::memory::MemoryCache;
use crate::cache::stats::bump;
use crate::cache::tier::BoxFuture;
use crate::cache::{CacheError, TieredCache};

/// Successor slots kept per key.
const SLOTS: usize = 4;
/// Recorded transitions per key after which all counts are halved.
const DECAY_AT: u32 = 64;

/// The loader given to the builder, with its error boxed.
pub(crate) type SharedLoader<K, V> =
    Arc<dyn Fn(K) -> BoxFuture<'static, Result<V, BoxError>> + Send + Sync>;

/// The error type of loads through the builder's loader.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Settings of the prefetcher (off unless given to
/// [`TieredCacheBuilder::prefetch`](crate::cache::TieredCacheBuilder::prefetch)).
///
/// ```
/// use perfkit::cache::PrefetchOptions;
///
/// let options = PrefetchOptions::new().max_tracked_keys(50_000).min_confidence(0.6);
/// assert_eq!(options.get_max_tracked_keys(), 50_000);
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct PrefetchOptions {
    max_tracked_keys: u64,
    min_confidence: f64,
    min_observations: u32,
    max_in_flight: usize,
}

impl Default for PrefetchOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl PrefetchOptions {
    /// Defaults: 10 000 tracked keys, confidence 0.5, 2 observations, 8 loads in flight.
    pub fn new() -> Self {
        Self {
            max_tracked_keys: 10_000,
            min_confidence: 0.5,
            min_observations: 2,
            max_in_flight: 8,
        }
    }

    /// Keys whose successors are remembered (default 10 000); each costs a few hundred
    /// bytes with small keys. The least useful are forgotten first.
    pub fn max_tracked_keys(mut self, n: u64) -> Self {
        self.max_tracked_keys = n;
        self
    }

    /// The share of a key's recorded transitions that must lead to the same successor
    /// before it is prefetched, in (0, 1] (default 0.5).
    pub fn min_confidence(mut self, share: f64) -> Self {
        self.min_confidence = share;
        self
    }

    /// Times a successor must have been seen before it is prefetched (default 2).
    pub fn min_observations(mut self, n: u32) -> Self {
        self.min_observations = n;
        self
    }

    /// Prefetch loads running at once (default 8); a prediction made while this many run is
    /// skipped, so the prefetcher can never flood the backing store.
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n;
        self
    }

    /// The configured number of tracked keys.
    pub fn get_max_tracked_keys(&self) -> u64 {
        self.max_tracked_keys
    }

    pub(crate) fn validate(&self) -> Result<(), CacheError> {
        let bad = |field, reason: &str| {
            Err(CacheError::InvalidConfig {
                field,
                reason: reason.to_string(),
            })
        };
        if self.max_tracked_keys == 0 {
            return bad("max_tracked_keys", "must be at least 1");
        }
        if !(self.min_confidence > 0.0 && self.min_confidence <= 1.0) {
            return bad("min_confidence", "must be in (0, 1]");
        }
        if self.min_observations == 0 {
            return bad("min_observations", "must be at least 1");
        }
        if self.max_in_flight == 0 {
            return bad("max_in_flight", "must be at least 1");
        }
        Ok(())
    }
}

/// Successor counts of one key.
#[derive(Debug)]
struct Successors<K> {
    slots: Vec<(K, u32)>,
    total: u32,
}

impl<K: Eq + Clone> Successors<K> {
    fn record(&mut self, next: &K) {
        if let Some(slot) = self.slots.iter_mut().find(|(k, _)| k == next) {
            slot.1 += 1;
        } else if self.slots.len() < SLOTS {
            self.slots.push((next.clone(), 1));
        } else if let Some(min) = self.slots.iter_mut().min_by_key(|(_, c)| *c) {
            // Space-saving: the newcomer inherits the smallest count, so a key that keeps
            // coming back climbs past the ones that faded.
            *min = (next.clone(), min.1 + 1);
        }
        self.total += 1;
        if self.total >= DECAY_AT {
            for slot in &mut self.slots {
                slot.1 /= 2;
            }
            self.slots.retain(|(_, c)| *c > 0);
            self.total = self.slots.iter().map(|(_, c)| *c).sum();
        }
    }

    fn best(&self, min_observations: u32, min_confidence: f64) -> Option<&K> {
        let (key, count) = self.slots.iter().max_by_key(|(_, c)| *c)?;
        let confident = f64::from(*count) >= min_confidence * f64::from(self.total.max(1));
        (*count >= min_observations && confident).then_some(key)
    }
}

pub(crate) struct Prefetcher<K, V> {
    options: PrefetchOptions,
    successors: MemoryCache<K, Arc<Mutex<Successors<K>>>>,
    last: Mutex<Option<K>>,
    /// Keys loaded by the prefetcher and not read since, to count the hits it earned.
    prefetched: MemoryCache<K, ()>,
    in_flight: Arc<AtomicUsize>,
    loader: SharedLoader<K, V>,
}

impl<K, V> Prefetcher<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    pub(crate) fn new(
        options: PrefetchOptions,
        loader: SharedLoader<K, V>,
    ) -> Result<Self, CacheError> {
        options.validate()?;
        Ok(Self {
            successors: MemoryCache::new(options.max_tracked_keys)?,
            prefetched: MemoryCache::new(options.max_tracked_keys)?,
            last: Mutex::new(None),
            in_flight: Arc::new(AtomicUsize::new(0)),
            loader,
            options,
        })
    }

    /// Learns from an access of `key` (`hit`: answered from memory) and starts the load the
    /// model predicts next, if any.
    pub(crate) fn on_access(&self, cache: &TieredCache<K, V>, key: &K, hit: bool) {
        // `contains_key` takes the shard's read lock; only a key the prefetcher loaded pays
        // for the write lock of `remove`.
        if self.prefetched.contains_key(key) && self.prefetched.remove(key).is_some() && hit {
            bump(&cache.inner.counters.prefetch_hits);
        }
        let previous = self.last.lock().replace(key.clone());
        if let Some(previous) = previous.filter(|p| p != key) {
            let successors = match self.successors.get(&previous) {
                Some(s) => s,
                None => {
                    let fresh = Arc::new(Mutex::new(Successors {
                        slots: Vec::with_capacity(SLOTS),
                        total: 0,
                    }));
                    self.successors.insert(previous, Arc::clone(&fresh));
                    fresh
                }
            };
            successors.lock().record(key);
        }
        let Some(successors) = self.successors.peek(key) else {
            return;
        };
        let next = {
            let successors = successors.lock();
            successors
                .best(self.options.min_observations, self.options.min_confidence)
                .cloned()
        };
        if let Some(next) = next {
            self.start(cache, next);
        }
    }

    fn start(&self, cache: &TieredCache<K, V>, next: K) {
        let inner = &cache.inner;
        if inner.memory.contains_key(&next) {
            return;
        }
        // Reserve a slot first, so concurrent predictions cannot overshoot the limit.
        if self
            .in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.options.max_in_flight).then_some(n + 1)
            })
            .is_err()
        {
            return;
        }
        let Role::Lead(flight) = inner.flights.join::<BoxError>(&next) else {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return;
        };
        bump(&inner.counters.prefetches);
        self.prefetched.insert(next.clone(), ());
        let loader = Arc::clone(&self.loader);
        let in_flight = Arc::clone(&self.in_flight);
        let release = SlotRelease(in_flight);
        cache.spawn_load(next, flight, move |key| {
            let load = loader(key);
            async move {
                let _release = release;
                load.await
            }
        });
    }
}

/// Gives a prefetch slot back when its load ends, however it ends.
struct SlotRelease(Arc<AtomicUsize>);

impl Drop for SlotRelease {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}
