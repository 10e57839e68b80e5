//! [`DiskStoreBuilder`]: settings, validation, and opening (with the warm-restart scan).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::sync_channel;
use std::time::Duration;

use parking_lot::RwLock;

use super::dir;
use super::error::DiskError;
use super::index::{Index, Loc, Slot};
use super::reclaim::make_room;
use super::segment::{self, Segment};
use super::shared::{Config, Shared};
use super::stats::{Counters, bump};
use super::store::DiskStore;
use super::writer::Writer;
use crate::cache::time::CacheClock;
use crate::clock::Clock;

/// The smallest segment accepted: smaller ones would spend more on file handling than on data.
pub const MIN_SEGMENT_SIZE: u64 = 4096;
const MAX_DEFAULT_SEGMENT: u64 = 64 << 20;

/// When the writer forces written data to stable storage with `fsync`.
///
/// A cache loses nothing vital in a crash, so the default is [`FsyncPolicy::Never`]: the
/// operating system writes back on its own schedule, and whatever a crash tears is caught by
/// the record checksums and read as a miss after the restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FsyncPolicy {
    /// Never fsync; [`DiskStore::flush`] hands data to the OS only. The default.
    #[default]
    Never,
    /// Fsync after every batch the writer writes (each batch is whatever was queued).
    EveryWrite,
    /// Fsync at most this often while there are unsynced writes (and on flush and drop).
    Interval(Duration),
}

/// Settings for a [`DiskStore`]; from [`DiskStore::builder`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until .open() is called"]
pub struct DiskStoreBuilder {
    dir: PathBuf,
    capacity_bytes: u64,
    segment_size: Option<u64>,
    compress_threshold: usize,
    fsync: FsyncPolicy,
    write_queue: usize,
    clock: Option<Arc<dyn Clock>>,
    cache_clock: Option<CacheClock>,
    #[cfg(test)]
    pub(crate) collide: bool,
}

impl DiskStoreBuilder {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            capacity_bytes: 0,
            segment_size: None,
            compress_threshold: 100,
            fsync: FsyncPolicy::Never,
            write_queue: 1024,
            clock: None,
            cache_clock: None,
            #[cfg(test)]
            collide: false,
        }
    }

    /// The bound on the total size of the segment files. Required; at least twice the
    /// segment size (so at least 8 KiB), since one segment is always being written.
    pub fn capacity_bytes(mut self, n: u64) -> Self {
        self.capacity_bytes = n;
        self
    }

    /// The size at which the writer starts a new segment file; a record larger than this is
    /// not stored. Default: capacity / 8, at most 64 MiB, at least [`MIN_SEGMENT_SIZE`].
    /// Must be between [`MIN_SEGMENT_SIZE`] and capacity / 2, and below 4 GiB.
    pub fn segment_size(mut self, n: u64) -> Self {
        self.segment_size = Some(n);
        self
    }

    /// Values longer than this many bytes are deflated when that makes them smaller; a flag
    /// in the record says which. Default 100. `usize::MAX` turns compression off.
    pub fn compress_threshold(mut self, n: usize) -> Self {
        self.compress_threshold = n;
        self
    }

    /// When to fsync. Default [`FsyncPolicy::Never`].
    pub fn fsync(mut self, policy: FsyncPolicy) -> Self {
        self.fsync = policy;
        self
    }

    /// How many puts and removes may wait for the writer; a put that finds the queue full
    /// is dropped and counted. Default 1024; at least 1.
    pub fn write_queue(mut self, n: usize) -> Self {
        self.write_queue = n;
        self
    }

    /// The clock expiry is judged by (tests drive it with a
    /// [`ManualClock`](crate::clock::ManualClock)); its current reading is taken as the wall
    /// clock's now. Default: the system clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Judge expiry by the very clock the cache's other tiers read (`TieredCache` passes
    /// its own), so every tier agrees on "now" to the millisecond: two `CacheClock`s built
    /// from one `Clock` at different moments can differ by the wall-clock anchor. Takes
    /// precedence over [`clock`](Self::clock).
    // Used by `TieredCache`, which is built on another branch.
    pub(crate) fn cache_clock(mut self, clock: CacheClock) -> Self {
        self.cache_clock = Some(clock);
        self
    }

    fn config(&self) -> Result<Config, DiskError> {
        let invalid = |field, reason: String| DiskError::InvalidConfig { field, reason };
        let cap = self.capacity_bytes;
        if cap < 2 * MIN_SEGMENT_SIZE {
            return Err(invalid(
                "capacity_bytes",
                format!(
                    "{cap} is below the minimum of {} bytes",
                    2 * MIN_SEGMENT_SIZE
                ),
            ));
        }
        let segment_size = self
            .segment_size
            .unwrap_or_else(|| (cap / 8).clamp(MIN_SEGMENT_SIZE, MAX_DEFAULT_SEGMENT));
        if segment_size < MIN_SEGMENT_SIZE
            || segment_size > cap / 2
            || segment_size > u64::from(u32::MAX)
        {
            return Err(invalid(
                "segment_size",
                format!(
                    "{segment_size} must be at least {MIN_SEGMENT_SIZE}, at most capacity / 2 \
                     ({}) and below 4 GiB",
                    cap / 2
                ),
            ));
        }
        if self.write_queue == 0 {
            return Err(invalid("write_queue", "must be at least 1".into()));
        }
        if let FsyncPolicy::Interval(d) = self.fsync
            && d.is_zero()
        {
            return Err(invalid(
                "fsync",
                "Interval must be longer than zero (use EveryWrite)".into(),
            ));
        }
        Ok(Config {
            capacity_bytes: cap,
            segment_size,
            compress_threshold: self.compress_threshold,
            fsync: self.fsync,
            write_queue: self.write_queue,
        })
    }

    /// Opens the store: creates the directory if needed, or rebuilds the index from the
    /// segments already there (newest record per key wins, removals honoured, expired
    /// entries skipped, a torn or damaged tail cut off), then starts the writer thread.
    ///
    /// # Errors
    /// [`DiskError::InvalidConfig`] for bad settings, [`DiskError::NotADirectory`],
    /// [`DiskError::AlreadyOpen`] when this process has the directory open,
    /// [`DiskError::LockedElsewhere`] when another process does,
    /// [`DiskError::IncompatibleVersion`] for a directory of another format, and
    /// [`DiskError::Io`] (with the path) when the directory cannot be read or written.
    pub fn open(self) -> Result<DiskStore, DiskError> {
        let config = self.config()?;
        let (dir, lock) = dir::prepare(&self.dir)?;
        let clock = match (self.cache_clock.clone(), self.clock.clone()) {
            (Some(shared), _) => shared,
            (None, Some(c)) => CacheClock::custom(c),
            (None, None) => CacheClock::system(),
        };
        let shared = Arc::new(Shared {
            dir,
            config,
            clock,
            index: Index::new(
                #[cfg(test)]
                self.collide,
            ),
            segments: RwLock::new(BTreeMap::new()),
            counters: Counters::default(),
            _lock: lock,
        });
        let next_id = rebuild(&shared)?;
        make_room(&shared, shared.config.segment_size);
        let active = Arc::new(Segment::create(&shared.dir, next_id)?);
        shared.add_segment(Arc::clone(&active));

        let (tx, rx) = sync_channel(shared.config.write_queue);
        let (done_tx, done_rx) = sync_channel(1);
        let writer = Writer::new(Arc::clone(&shared), rx, active);
        let thread = std::thread::Builder::new()
            .name("perfkit-disk-writer".into())
            .spawn(move || writer.run(done_tx))
            .map_err(|e| DiskError::io(&shared.dir, e))?;
        Ok(DiskStore::from_parts(shared, tx, done_rx, thread))
    }
}

/// Scans the segments oldest first into the index; returns the id for the next segment.
fn rebuild(shared: &Shared) -> Result<u64, DiskError> {
    let mut next_id = 0u64;
    for (id, path) in dir::list_segments(&shared.dir)? {
        next_id = id.saturating_add(1);
        let bytes = std::fs::read(&path).map_err(|e| DiskError::io(&path, e))?;
        if bytes.is_empty() {
            std::fs::remove_file(&path).map_err(|e| DiskError::io(&path, e))?;
            continue;
        }
        let valid = segment::scan(&bytes, |r| {
            let hash = shared.index.hash(r.key);
            let slot =
                (!r.tombstone && !shared.expired(r.expires_at)).then_some(Slot::OnDisk(Loc {
                    segment: id,
                    offset: r.offset,
                    len: r.len,
                    expires_at: r.expires_at,
                }));
            shared.index.set(hash, slot);
        });
        if valid < bytes.len() as u64 {
            // Cut the damaged tail so it stops counting against the capacity.
            bump(&shared.counters.corrupt_records);
            std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_len(valid))
                .map_err(|e| DiskError::io(&path, e))?;
        }
        if valid == 0 {
            std::fs::remove_file(&path).map_err(|e| DiskError::io(&path, e))?;
            continue;
        }
        shared.add_segment(Arc::new(Segment::open_sealed(path, id, valid)?));
    }
    Ok(next_id)
}
