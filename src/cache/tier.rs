//! The seam between the memory tier and the tiers below it (disk today, a shared remote
//! store later). A lower tier sees typed keys and values and does its own encoding, so the
//! cache itself never handles bytes, and adding a tier touches no other.

use std::future::Future;
use std::pin::Pin;

use crate::cache::stats::CacheStats;
use crate::cache::time::UnixMillis;
use crate::cache::{CacheError, CodecError};

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A value found in a lower tier, with the deadline it was stored under.
pub(crate) struct Found<V> {
    pub(crate) value: V,
    pub(crate) expires_at: Option<UnixMillis>,
}

/// A tier below memory.
///
/// Reads and writes are best effort, as a cache's must be: a tier that cannot answer is a
/// miss (counted in its stats), never an error for the caller; a write that cannot be made
/// is dropped and counted. The only error a caller sees is a value that cannot be encoded,
/// because that is a bug in the caller's codec, not a passing condition.
pub(crate) trait LowerTier<K, V>: Send + Sync {
    /// The value of `key`, unless absent, expired or unreadable.
    fn get<'a>(&'a self, key: &'a K) -> BoxFuture<'a, Option<Found<V>>>;

    /// Stores `value` under `key` until `expires_at`, without waiting for the write.
    fn put(&self, key: &K, value: &V, expires_at: Option<UnixMillis>) -> Result<(), CodecError>;

    /// Forgets `key`.
    fn remove(&self, key: &K);

    /// Waits until every write issued so far is durable as the tier's policy defines.
    fn flush(&self) -> BoxFuture<'_, Result<(), CacheError>>;

    /// Adds this tier's figures to `stats`.
    fn fill_stats(&self, stats: &mut CacheStats);
}
