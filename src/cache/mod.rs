//! A tiered cache: a concurrent in-memory tier in front of an optional checksummed disk tier,
//! with read-through loads, TTL, stale serving, refresh-ahead and prefetch.
#![forbid(unsafe_code)]

mod error;
pub(crate) mod time;

pub mod memory;

#[cfg(feature = "cache-disk")]
#[cfg_attr(docsrs, doc(cfg(feature = "cache-disk")))]
pub mod disk;

pub use error::CacheError;
pub use memory::{MemoryCache, MemoryCacheBuilder, MemoryStats, RemovalCause};
