//! Counters and the stats snapshot of the memory tier.

use super::thread_slot;
use crossbeam_utils::CachePadded;
use std::sync::atomic::{AtomicU64, Ordering};

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

impl Stripe {
    /// Adds one with a plain load and store: only for a stripe that one thread owns.
    #[inline]
    fn bump_owned(cell: &AtomicU64) {
        cell.store(cell.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }
}

/// Hit and miss counters with one stripe per thread, so a lookup counts without an atomic
/// read-modify-write and two threads never fight over one cache line.
///
/// Thread `n` (from [`thread_slot::current`]) owns stripe `n` and is its only writer, which
/// keeps the plain increments exact. Threads beyond the stripes, and threads being torn
/// down, share the last stripe and count on it with `fetch_add`.
pub(super) struct LookupCounters {
    stripes: Box<[CachePadded<Stripe>]>,
}

impl LookupCounters {
    pub(super) fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(4, |n| n.get());
        // Owned stripes for the first threads, plus the shared one.
        let owned = (cores * 4).clamp(8, 64);
        Self {
            stripes: (0..=owned)
                .map(|_| CachePadded::new(Stripe::default()))
                .collect(),
        }
    }

    #[inline]
    fn count(&self, pick: impl Fn(&Stripe) -> &AtomicU64) {
        let shared = self.stripes.len() - 1;
        match thread_slot::current() {
            Some(n) if n < shared => {
                if let Some(s) = self.stripes.get(n) {
                    Stripe::bump_owned(pick(s));
                }
            }
            _ => {
                if let Some(s) = self.stripes.get(shared) {
                    pick(s).fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// Counts a hit.
    #[inline]
    pub(super) fn hit(&self) {
        self.count(|s| &s.hits);
    }

    /// Counts a miss.
    #[inline]
    pub(super) fn miss(&self) {
        self.count(|s| &s.misses);
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
