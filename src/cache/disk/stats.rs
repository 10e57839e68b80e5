//! The disk tier's counters and the plain-data snapshot of them.

use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_utils::CachePadded;

/// A snapshot of a [`DiskStore`](crate::cache::disk::DiskStore)'s figures, from
/// [`DiskStore::stats`](crate::cache::disk::DiskStore::stats).
///
/// Counters count since the store was opened; `entries`, `bytes_on_disk` and `segments`
/// describe it now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiskStats {
    /// Keys that a `get` would find (written or queued, not removed, not yet found expired).
    pub entries: u64,
    /// Total length of the segment files.
    pub bytes_on_disk: u64,
    /// The configured bound on `bytes_on_disk`.
    pub capacity_bytes: u64,
    /// Segment files in the directory.
    pub segments: u64,
    /// `get`s that returned a value.
    pub hits: u64,
    /// `get`s that returned `None`, for any reason (includes `expired` and `corrupt_records`).
    pub misses: u64,
    /// `get`s that found an entry past its expiry.
    pub expired: u64,
    /// Records found damaged: by a `get` (bad CRC, header, key, or deflate stream, or a
    /// truncated file) or by the scan on open (the records of a segment after its last
    /// good one are counted as one).
    pub corrupt_records: u64,
    /// Records (puts and tombstones) the writer wrote.
    pub writes: u64,
    /// Bytes the writer wrote, headers included.
    pub bytes_written: u64,
    /// Puts whose value was stored deflated.
    pub compressed_writes: u64,
    /// Puts dropped because the queue was full or the record was larger than a segment.
    pub dropped_writes: u64,
    /// `remove` calls.
    pub removes: u64,
    /// Segments deleted to keep the directory within `capacity_bytes`.
    pub reclaimed_segments: u64,
    /// Writes or fsyncs that failed; the entries involved are dropped from the index.
    pub write_errors: u64,
}

/// Live counters. The read-path ones are padded: readers on several cores bump them.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) hits: CachePadded<AtomicU64>,
    pub(crate) misses: CachePadded<AtomicU64>,
    pub(crate) expired: AtomicU64,
    pub(crate) corrupt_records: AtomicU64,
    pub(crate) writes: AtomicU64,
    pub(crate) bytes_written: AtomicU64,
    pub(crate) compressed_writes: AtomicU64,
    pub(crate) dropped_writes: AtomicU64,
    pub(crate) removes: AtomicU64,
    pub(crate) reclaimed_segments: AtomicU64,
    pub(crate) write_errors: AtomicU64,
    pub(crate) bytes_on_disk: AtomicU64,
    pub(crate) segments: AtomicU64,
}

#[inline]
pub(crate) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    pub(crate) fn snapshot(&self, entries: u64, capacity_bytes: u64) -> DiskStats {
        let r = |c: &AtomicU64| c.load(Ordering::Relaxed);
        DiskStats {
            entries,
            bytes_on_disk: r(&self.bytes_on_disk),
            capacity_bytes,
            segments: r(&self.segments),
            hits: r(&self.hits),
            misses: r(&self.misses),
            expired: r(&self.expired),
            corrupt_records: r(&self.corrupt_records),
            writes: r(&self.writes),
            bytes_written: r(&self.bytes_written),
            compressed_writes: r(&self.compressed_writes),
            dropped_writes: r(&self.dropped_writes),
            removes: r(&self.removes),
            reclaimed_segments: r(&self.reclaimed_segments),
            write_errors: r(&self.write_errors),
        }
    }
}
