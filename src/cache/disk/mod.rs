//! The disk tier (L2): a persistent, bounded, checksummed byte store in a directory.
//!
//! [`DiskStore`] keeps values in append-only segment files (`<id>.seg`) with an in-memory
//! index from key hash to the newest record. Every record carries a 32-byte header (magic,
//! format version, flags, lengths, expiry) and a CRC32 over header, key and value; values
//! longer than a threshold are deflated when that shrinks them. Writes go through a bounded
//! queue to one background writer thread, so [`DiskStore::put`] returns at once and
//! [`DiskStore::get`] never waits on a write, yet sees every accepted write immediately.
//! The directory stays within its byte capacity by deleting the oldest segment (FIFO);
//! reopening it rebuilds the index from the segments (a warm restart).
//!
//! What it promises:
//! - a damaged, truncated or expired record is a miss, counted in [`DiskStats`], never a
//!   panic and never another key's or a wrong value;
//! - `get` costs one index lookup (a shard read lock) and one positioned read, with no lock
//!   held across the I/O;
//! - keys and values are bytes; the cache above encodes its own types.
//!
//! ```
//! use perfkit::cache::disk::{DiskStore, FsyncPolicy};
//!
//! let dir = tempfile::tempdir()?;
//! let store = DiskStore::builder(dir.path())
//!     .capacity_bytes(64 << 20)
//!     .fsync(FsyncPolicy::Never)
//!     .open()?;
//! store.put(b"k", &[7u8; 500], None); // long and repetitive: stored deflated
//! store.flush()?;
//! assert_eq!(store.get(b"k")?.unwrap().value, vec![7u8; 500]);
//! assert_eq!(store.stats().compressed_writes, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod builder;
mod dir;
mod error;
mod index;
#[cfg(feature = "metrics")]
mod metrics;
mod reclaim;
mod record;
mod segment;
mod shared;
mod stats;
mod store;
mod writer;

#[cfg(test)]
mod tests;

pub use builder::{DiskStoreBuilder, FsyncPolicy, MIN_SEGMENT_SIZE};
pub use error::DiskError;
pub use stats::DiskStats;
pub use store::{DiskRecord, DiskStore};
