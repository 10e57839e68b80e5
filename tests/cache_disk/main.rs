//! Integration tests for `perfkit::cache::disk`.

mod basic;
mod capacity;
mod concurrency;
mod corruption;
mod errors;
mod metrics;
mod model;
mod queue;
mod restart;

use perfkit::cache::disk::{DiskStore, DiskStoreBuilder};
use std::path::Path;

/// A builder with a capacity large enough that nothing is reclaimed.
pub fn builder(dir: &Path) -> DiskStoreBuilder {
    DiskStore::builder(dir).capacity_bytes(64 << 20)
}

/// Opens a store with [`builder`]'s settings.
pub fn open(dir: &Path) -> DiskStore {
    builder(dir).open().expect("open")
}

/// The value under `key`, if any.
pub fn value_of(store: &DiskStore, key: &[u8]) -> Option<Vec<u8>> {
    store.get(key).expect("get").map(|r| r.value)
}

/// Deterministic bytes that deflate does not shrink.
pub fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}
