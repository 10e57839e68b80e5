//! A tiered cache: a concurrent in-memory tier in front of an optional checksummed disk tier,
//! with read-through loads, TTL, stale serving, refresh-ahead and prefetch.
//!
//! - [`TieredCache`] is the cache a service uses: memory first, then disk (feature
//!   `cache-disk`), then the loader, with one load per key at a time.
//! - [`MemoryCache`] is the memory tier on its own: a sharded, bounded, synchronous cache
//!   with an adaptive admission policy, for callers that want no async and no tiers.
//! - [`disk::DiskStore`] is the disk tier on its own: a log-structured byte store that
//!   survives restarts.
//!
//! Values leave memory through [`CacheCodec`]; with feature `cache-serde`,
//! [`Postcard`] wraps any serde type.
//!
//! ```
//! use perfkit::cache::TieredCache;
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let cache: TieredCache<String, Vec<u8>> = TieredCache::builder()
//!     .memory_capacity(1_000)
//!     .time_to_live(Duration::from_secs(30))
//!     .loader_timeout(Duration::from_millis(200))
//!     .build()
//!     .await?;
//! cache.insert("greeting".to_string(), b"hello".to_vec()).await?;
//! assert_eq!(cache.get(&"greeting".to_string()).await, Some(b"hello".to_vec()));
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod builder;
mod codec;
mod error;
mod flight;
mod metrics;
mod prefetch;
mod stats;
mod stripes;
mod tier;
mod tiered;
pub(crate) mod time;

pub mod memory;

#[cfg(feature = "cache-disk")]
#[cfg_attr(docsrs, doc(cfg(feature = "cache-disk")))]
pub mod disk;
#[cfg(feature = "cache-disk")]
mod disk_tier;

pub use builder::{DEFAULT_MEMORY_CAPACITY, DEFAULT_TIME_TO_LIVE, TieredCacheBuilder};
#[cfg(feature = "cache-serde")]
pub use codec::Postcard;
pub use codec::{CacheCodec, CodecError};
pub use error::{CacheError, LoadError};
pub use memory::{MemoryCache, MemoryCacheBuilder, MemoryStats, RemovalCause};
pub use prefetch::{BoxError, PrefetchOptions};
pub use stats::{CacheStats, LoadStats};
pub use tiered::{TieredCache, WritePolicy};
