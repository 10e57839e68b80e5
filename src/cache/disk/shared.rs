//! The state the handles and the background writer share.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use parking_lot::RwLock;

use super::FsyncPolicy;
use super::dir::DirLock;
use super::index::Index;
use super::segment::Segment;
use super::stats::{Counters, DiskStats};
use crate::cache::time::CacheClock;

/// The validated builder settings.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) capacity_bytes: u64,
    pub(crate) segment_size: u64,
    pub(crate) compress_threshold: usize,
    pub(crate) fsync: FsyncPolicy,
    pub(crate) write_queue: usize,
}

pub(crate) struct Shared {
    pub(crate) dir: PathBuf,
    pub(crate) config: Config,
    pub(crate) clock: CacheClock,
    pub(crate) index: Index,
    /// Oldest first; the last one is the writer's active segment.
    pub(crate) segments: RwLock<BTreeMap<u64, Arc<Segment>>>,
    pub(crate) counters: Counters,
    /// Released when the last user of the state (handle or writer) is gone.
    pub(crate) _lock: DirLock,
}

impl Shared {
    /// An entry whose deadline is now or past is expired.
    #[inline]
    pub(crate) fn expired(&self, expires_at: Option<u64>) -> bool {
        expires_at.is_some_and(|t| self.clock.now_ms() >= t)
    }

    pub(crate) fn stats(&self) -> DiskStats {
        self.counters
            .snapshot(self.index.entries(), self.config.capacity_bytes)
    }

    pub(crate) fn add_segment(&self, seg: Arc<Segment>) {
        self.counters
            .bytes_on_disk
            .fetch_add(seg.len(), Ordering::Relaxed);
        self.counters.segments.fetch_add(1, Ordering::Relaxed);
        self.segments.write().insert(seg.id, seg);
    }
}
