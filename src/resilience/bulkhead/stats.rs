//! Counters, and the plain snapshot of them.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

use crossbeam_utils::CachePadded;

/// A snapshot of a bulkhead's counts, from [`Bulkhead::stats`](super::Bulkhead::stats).
///
/// Every call to `acquire` / `try_acquire` / `call` ends in exactly one of `accepted`,
/// `rejected`, `queue_full`, `timed_out` or `cancelled`, so once all calls have finished
/// their sum is the number of calls. Counts are read one by one, so a snapshot taken while
/// calls run may be off by the calls in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BulkheadStats {
    /// The limit now (fixed, or the adaptive limiter's).
    pub limit: usize,
    /// Permits held now.
    pub in_use: usize,
    /// Calls waiting for a slot now.
    pub waiting: usize,
    /// Calls admitted.
    pub accepted: u64,
    /// Calls rejected at once because the bulkhead was full ([`BulkheadError::Full`](super::BulkheadError::Full)).
    pub rejected: u64,
    /// Calls rejected because the wait queue was full ([`BulkheadError::QueueFull`](super::BulkheadError::QueueFull)).
    pub queue_full: u64,
    /// Calls that waited `max_wait` in vain ([`BulkheadError::TimedOut`](super::BulkheadError::TimedOut)).
    pub timed_out: u64,
    /// Waiting calls dropped before they got a slot.
    pub cancelled: u64,
    /// The most permits ever held at once.
    pub max_in_use: usize,
}

/// Live counters. Permits held are not counted here: the semaphore already knows them
/// (limit − free permits), so a release touches no counter at all. The one counter the
/// admission path writes, `accepted`, sits on its own cache line; the rest are written
/// only on the slow paths (and `max_in_use` only when a new peak is set).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) accepted: CachePadded<AtomicU64>,
    pub(crate) max_in_use: AtomicUsize,
    pub(crate) waiting: AtomicUsize,
    pub(crate) rejected: AtomicU64,
    pub(crate) queue_full: AtomicU64,
    pub(crate) timed_out: AtomicU64,
    pub(crate) cancelled: AtomicU64,
}

impl Counters {
    /// Counts an admission that left `in_use` permits held, this one included.
    #[inline]
    pub(crate) fn admit(&self, in_use: usize) {
        self.accepted.fetch_add(1, Relaxed);
        // Load first: the read-modify-write is needed only when a new peak is set, which
        // is rare after warm-up, and a load keeps the line shared between cores.
        if in_use > self.max_in_use.load(Relaxed) {
            self.max_in_use.fetch_max(in_use, Relaxed);
        }
    }

    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }
}
