//! The in-memory tier (L1): [`MemoryCache`], a concurrent bounded cache.
//!
//! - **Policy**: W-TinyLFU with an adaptive window (after Caffeine): an LRU window for new
//!   entries, an SLRU main region (probation, protected), a 4-bit count-min frequency
//!   sketch with periodic halving as the admission filter, and an
//!   ARC-style adaptation (ghost lists of refused and of evicted keys) that moves capacity
//!   between window and main. It keeps LRU's hit ratio on recency-skewed traces and LFU's
//!   on frequency-skewed ones (`docs/architecture.md`, `docs/benchmarks.md`).
//! - **Concurrency**: keys are spread over shards, each an `RwLock` around its own policy.
//!   A hit takes the shared lock and counts the read on the entry; the policy acts on the
//!   counts, CLOCK-style, when writes (under the exclusive lock) reach the entry.
//! - **Bounds**: by entries ([`MemoryCacheBuilder::max_entries`]) or by weight
//!   ([`MemoryCacheBuilder::max_weight`] with a weigher); the bound holds after every
//!   insert.
//! - **Expiry**: a default time to live, a per-entry one, time to idle, all read from an
//!   injectable clock. An expired entry is never returned; it is dropped when next seen
//!   (after its stale retention) or when evicted, and reported as
//!   [`RemovalCause::Expired`].
//! - **Listener**: every entry that leaves is reported with its [`RemovalCause`], always
//!   after the shard lock is released.
//!
//! ```
//! use perfkit::cache::memory::{MemoryCache, RemovalCause};
//! use std::sync::{Arc, Mutex};
//!
//! let evicted = Arc::new(Mutex::new(Vec::new()));
//! let sink = Arc::clone(&evicted);
//! let cache = MemoryCache::builder()
//!     .max_weight(1_000)
//!     .weigher(|_k: &u32, v: &String| v.len() as u32)
//!     .eviction_listener(move |k, _v, cause| sink.lock().unwrap().push((k, cause)))
//!     .build()?;
//! for i in 0..100u32 {
//!     cache.insert(i, "x".repeat(50));
//! }
//! assert!(cache.weighted_size() <= 1_000);
//! assert!(evicted.lock().unwrap().iter().all(|(_, c)| *c == RemovalCause::Size));
//! # Ok::<(), perfkit::cache::CacheError>(())
//! ```
#![forbid(unsafe_code)]

mod builder;
mod cache;
mod entry;
mod ghost;
mod policy;
mod sketch;
mod stats;
#[cfg(test)]
mod tests;
mod thread_slot;

pub use builder::MemoryCacheBuilder;
#[allow(unused_imports)] // Used by TieredCache (merged beside this module).
pub(crate) use cache::Lookup;
pub use cache::MemoryCache;
pub use entry::RemovalCause;
pub use stats::MemoryStats;
