//! One cached entry and why entries leave the cache.

use std::sync::atomic::AtomicU64;

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
    pub(super) weight: u32,
    /// When the entry stops being served, in Unix ms; moves with time to idle, so readers
    /// under the shared lock update it.
    pub(super) expires_at: AtomicU64,
    /// The hard deadline from the time to live (default or per entry); time to idle never
    /// extends past it.
    pub(super) deadline: u64,
}
