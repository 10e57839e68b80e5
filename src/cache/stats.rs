//! What a [`TieredCache`](crate::cache::TieredCache) reports about itself.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crossbeam_utils::CachePadded;

use crate::cache::memory::MemoryStats;
use crate::metrics::Histogram;

/// A snapshot of a [`TieredCache`](crate::cache::TieredCache)'s figures, per tier and for its
/// loads. Counters are totals since the cache was built.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CacheStats {
    /// Lookups (`get`, `get_or_load`) answered from some tier.
    pub hits: u64,
    /// Lookups no tier could answer.
    pub misses: u64,
    /// The memory tier.
    pub memory: MemoryStats,
    /// The disk tier, when the cache has one.
    #[cfg(feature = "cache-disk")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cache-disk")))]
    pub disk: Option<crate::cache::disk::DiskStats>,
    /// Disk records that passed their checksum but not the value type's decoder (served as
    /// misses and dropped).
    pub disk_decode_errors: u64,
    /// Disk reads that failed with an I/O error (served as misses).
    pub disk_read_errors: u64,
    /// Values that could not be encoded for a lower tier when they left memory (they stayed
    /// out of that tier).
    pub encode_errors: u64,
    /// Loads and what came of them.
    pub loads: LoadStats,
}

impl CacheStats {
    /// Hits over lookups, in 0..=1; 0 before the first lookup.
    pub fn hit_ratio(&self) -> f64 {
        hit_ratio(self.hits, self.misses)
    }
}

/// `hits / (hits + misses)`, or 0.0 before the first lookup.
pub(crate) fn hit_ratio(hits: u64, misses: u64) -> f64 {
    match hits + misses {
        0 => 0.0,
        total => hits as f64 / total as f64,
    }
}

/// Figures of the read-through path.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct LoadStats {
    /// Loader calls started (misses, refreshes and prefetches).
    pub started: u64,
    /// Loader calls that returned a value.
    pub succeeded: u64,
    /// Loader calls that returned an error.
    pub failed: u64,
    /// Loader calls stopped by the loader timeout.
    pub timed_out: u64,
    /// Loader calls that panicked or were cancelled by a runtime shutdown.
    pub aborted: u64,
    /// Callers that waited on a load another caller had started, instead of loading again.
    pub coalesced: u64,
    /// Calls answered with a recently cached loader error (negative caching).
    pub negative_hits: u64,
    /// Calls answered with an expired value because the load failed within the grace
    /// period.
    pub stale_served: u64,
    /// Background reloads started because an entry was read close to its expiry.
    pub refreshes: u64,
    /// Background loads started by the prefetcher.
    pub prefetches: u64,
    /// Lookups answered from memory by a value the prefetcher had loaded.
    pub prefetch_hits: u64,
    /// Loader latency, median.
    pub latency_p50: Duration,
    /// Loader latency, 95th percentile.
    pub latency_p95: Duration,
    /// Loader latency, 99th percentile.
    pub latency_p99: Duration,
    /// Loader latency, the slowest seen.
    pub latency_max: Duration,
}

/// The counters behind [`CacheStats`] that the cache itself keeps (each tier keeps its own).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Lookups a tier below memory answered.
    pub(crate) lower_hits: CachePadded<AtomicU64>,
    pub(crate) encode_errors: AtomicU64,
    pub(crate) started: AtomicU64,
    pub(crate) succeeded: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) timed_out: AtomicU64,
    pub(crate) aborted: AtomicU64,
    pub(crate) coalesced: AtomicU64,
    pub(crate) negative_hits: AtomicU64,
    pub(crate) stale_served: AtomicU64,
    pub(crate) refreshes: AtomicU64,
    pub(crate) prefetches: AtomicU64,
    pub(crate) prefetch_hits: AtomicU64,
    pub(crate) latency: Histogram,
}

#[inline]
pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    pub(crate) fn load_stats(&self) -> LoadStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let latency = self.latency.snapshot();
        let q = |q: f64| Duration::from_nanos(latency.try_quantile(q).unwrap_or(0));
        LoadStats {
            started: get(&self.started),
            succeeded: get(&self.succeeded),
            failed: get(&self.failed),
            timed_out: get(&self.timed_out),
            aborted: get(&self.aborted),
            coalesced: get(&self.coalesced),
            negative_hits: get(&self.negative_hits),
            stale_served: get(&self.stale_served),
            refreshes: get(&self.refreshes),
            prefetches: get(&self.prefetches),
            prefetch_hits: get(&self.prefetch_hits),
            latency_p50: q(0.5),
            latency_p95: q(0.95),
            latency_p99: q(0.99),
            latency_max: Duration::from_nanos(if latency.count() == 0 {
                0
            } else {
                latency.max()
            }),
        }
    }
}
