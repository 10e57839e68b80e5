//! One cached entry and why entries leave the cache.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

/// A deadline that never comes.
pub(super) const NEVER: u64 = u64::MAX;

/// Why an entry left the memory tier, as told to the eviction listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RemovalCause {
    /// Evicted to stay within capacity, or a new entry refused admission for capacity (the
    /// admission filter judged it less popular than what it would have displaced, or it
    /// weighs more than a shard holds).
    Size,
    /// Its time to live or time to idle ran out (reported when the entry is dropped, which
    /// is after its stale retention, if any).
    Expired,
    /// Removed by [`remove`](super::MemoryCache::remove) or [`clear`](super::MemoryCache::clear).
    Explicit,
    /// Its value was replaced by a new insert under the same key.
    Replaced,
}

pub(super) struct Entry<K, V> {
    pub(super) key: K,
    pub(super) value: V,
    pub(super) hash: u64,
    /// Never zero, which also lets `Option<Entry>` use it as its niche (one word less per
    /// slot).
    pub(super) weight: NonZeroU32,
    /// When the entry stops being served, in Unix ms; moves with time to idle, so readers
    /// under the shared lock update it.
    pub(super) expires_at: AtomicU64,
    /// The hard deadline from the time to live (default or per entry); time to idle never
    /// extends past it.
    pub(super) deadline: u64,
    /// Reads since the policy last looked at this entry, saturating at [`MAX_HITS`]. Readers
    /// bump it under the shard's shared lock; the policy folds it into the frequency sketch
    /// and clears it when the entry comes round in its queue (see `policy.rs`).
    pub(super) hits: AtomicU8,
}

/// Where [`Entry::hits`] stops counting: the sketch's counters saturate at 15 too, so more
/// would carry no information, and a saturated hot entry is only read, never written, by
/// its readers (no cache-line ping-pong between cores).
const MAX_HITS: u8 = 15;

impl<K, V> Entry<K, V> {
    /// Records a read. A plain load and store, not a read-modify-write: two readers racing
    /// lose one count, which only makes the policy see one read fewer.
    #[inline]
    pub(super) fn touch(&self) {
        let h = self.hits.load(Ordering::Relaxed);
        if h < MAX_HITS {
            self.hits.store(h + 1, Ordering::Relaxed);
        }
    }

    /// The reads recorded since the last call, clearing them (under the write lock).
    pub(super) fn take_hits(&mut self) -> u8 {
        std::mem::take(self.hits.get_mut())
    }

    /// Whether the entry was read since the policy last looked at it.
    pub(super) fn was_read(&self) -> bool {
        self.hits.load(Ordering::Relaxed) > 0
    }
}
