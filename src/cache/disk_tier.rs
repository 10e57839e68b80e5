//! The disk store as a [`LowerTier`]: encodes keys and values with their [`CacheCodec`] and
//! turns every failure to read into a counted miss.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::cache::CacheError;
use crate::cache::codec::{CacheCodec, CodecError};
use crate::cache::disk::DiskStore;
use crate::cache::stats::CacheStats;
use crate::cache::tier::{BoxFuture, Found, LowerTier};
use crate::cache::time::UnixMillis;

pub(crate) struct DiskTier<K, V> {
    store: DiskStore,
    /// Records whose bytes passed the store's checksum but not `V::decode`: written by an
    /// older version of the value type, usually.
    decode_errors: AtomicU64,
    /// Disk reads that failed with an I/O error (served as misses).
    read_errors: AtomicU64,
    _types: PhantomData<fn(K, V)>,
}

impl<K, V> DiskTier<K, V> {
    pub(crate) fn new(store: DiskStore) -> Self {
        Self {
            store,
            decode_errors: AtomicU64::new(0),
            read_errors: AtomicU64::new(0),
            _types: PhantomData,
        }
    }
}

fn encode_key<K: CacheCodec>(key: &K) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(32);
    key.encode(&mut out)?;
    Ok(out)
}

impl<K, V> LowerTier<K, V> for DiskTier<K, V>
where
    K: CacheCodec + Send + Sync,
    V: CacheCodec + Send + Sync,
{
    fn get<'a>(&'a self, key: &'a K) -> BoxFuture<'a, Option<Found<V>>> {
        // The read is a positioned read of one record, mostly from the page cache: shorter
        // than a hop to the blocking pool would be, so it runs in place.
        let found = (|| {
            let key = encode_key(key).ok()?;
            let record = match self.store.get(&key) {
                Ok(record) => record?,
                Err(_) => {
                    self.read_errors.fetch_add(1, Ordering::Relaxed);
                    return None;
                }
            };
            match V::decode(&record.value) {
                Ok(value) => Some(Found {
                    value,
                    expires_at: record.expires_at,
                }),
                Err(_) => {
                    self.decode_errors.fetch_add(1, Ordering::Relaxed);
                    // It would fail the same way next time; stop paying for the read.
                    self.store.remove(&key);
                    None
                }
            }
        })();
        Box::pin(std::future::ready(found))
    }

    fn put(&self, key: &K, value: &V, expires_at: Option<UnixMillis>) -> Result<(), CodecError> {
        let key = encode_key(key)?;
        let mut bytes = Vec::new();
        value.encode(&mut bytes)?;
        // A full write queue drops the write; the store counts it.
        let _queued = self.store.put(&key, &bytes, expires_at);
        Ok(())
    }

    fn remove(&self, key: &K) {
        if let Ok(key) = encode_key(key) {
            self.store.remove(&key);
        }
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), CacheError>> {
        let store = self.store.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || store.flush())
                .await
                .map_err(|e| CacheError::Background(format!("disk flush: {e}")))?
                .map_err(CacheError::from)
        })
    }

    fn fill_stats(&self, stats: &mut CacheStats) {
        stats.disk = Some(self.store.stats());
        stats.disk_decode_errors = self.decode_errors.load(Ordering::Relaxed);
        stats.disk_read_errors = self.read_errors.load(Ordering::Relaxed);
    }
}
