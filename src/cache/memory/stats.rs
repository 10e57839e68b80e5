//! Counters and the stats snapshot of the memory tier.

use crossbeam_utils::CachePadded;
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// A snapshot of a [`MemoryCache`](super::MemoryCache)'s counters since it was built.
///
/// Counts are read shard by shard without stopping writers, so under concurrent use the
/// fields can be a few operations apart from each other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemoryStats {
    /// Lookups that returned a live value.
    pub hits: u64,
    /// Lookups that found nothing live (absent, or expired).
    pub misses: u64,
    /// Inserts of a key that was not cached.
    pub inserts: u64,
    /// Inserts that replaced the value of a cached key.
    pub updates: u64,
    /// Entries removed to stay within capacity, including new entries refused admission.
    pub evictions: u64,
    /// Entries dropped because their time to live or time to idle ran out.
    pub expirations: u64,
    /// Of `evictions`, the new entries the admission filter refused (or too heavy to hold).
    pub admission_rejections: u64,
    /// Entries held now (including expired ones not yet dropped).
    pub entries: u64,
    /// Total weight held now (equal to `entries` without a weigher).
    pub weighted_size: u64,
    /// The capacity, in entries or in weight.
    pub capacity: u64,
}

impl MemoryStats {
    /// `hits / (hits + misses)`, or 0.0 before the first lookup.
    pub fn hit_ratio(&self) -> f64 {
        crate::cache::stats::hit_ratio(self.hits, self.misses)
    }
}

#[derive(Default)]
struct Stripe {
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Hit and miss counters striped by thread, so two threads hitting the cache do not fight
/// over one cache line.
pub(super) struct LookupCounters {
    stripes: Box<[CachePadded<Stripe>]>,
    mask: usize,
}

/// A small number fixed per thread, used to spread per-thread state over stripes.
#[inline]
pub(super) fn thread_stripe() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static ID: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    ID.with(|id| {
        let mut v = id.get();
        if v == usize::MAX {
            v = NEXT.fetch_add(1, Ordering::Relaxed);
            id.set(v);
        }
        v
    })
}

impl LookupCounters {
    pub(super) fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(4, |n| n.get());
        let n = (cores * 2).next_power_of_two().min(64);
        Self {
            stripes: (0..n)
                .map(|_| CachePadded::new(Stripe::default()))
                .collect(),
            mask: n - 1,
        }
    }

    #[inline]
    fn stripe(&self, thread: usize) -> Option<&Stripe> {
        self.stripes.get(thread & self.mask).map(|s| &**s)
    }

    /// Counts a hit on the stripe of `thread` (from [`thread_stripe`]).
    #[inline]
    pub(super) fn hit(&self, thread: usize) {
        if let Some(s) = self.stripe(thread) {
            s.hits.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a miss on the stripe of `thread` (from [`thread_stripe`]).
    #[inline]
    pub(super) fn miss(&self, thread: usize) {
        if let Some(s) = self.stripe(thread) {
            s.misses.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(super) fn totals(&self) -> (u64, u64) {
        self.stripes.iter().fold((0, 0), |(h, m), s| {
            (
                h + s.hits.load(Ordering::Relaxed),
                m + s.misses.load(Ordering::Relaxed),
            )
        })
    }
}
