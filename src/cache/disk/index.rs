//! The in-memory index: key hash -> where the newest record for that hash is, or the write
//! still waiting in the queue.
//!
//! Keys are not kept in memory, only a 64-bit hash of each; the record on disk carries the
//! key and every read compares it, so two keys whose hashes collide can only make each other
//! miss (the later write takes the slot), never return each other's value.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use parking_lot::RwLock;

const SHARDS: usize = 64;

/// Where a record lives on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Loc {
    pub(crate) segment: u64,
    pub(crate) offset: u64,
    pub(crate) len: u32,
    /// Copied from the record so an expired entry is a miss without any I/O.
    pub(crate) expires_at: Option<u64>,
}

/// A put or remove accepted by the queue and not yet on disk: what makes reads see a write
/// before the writer has written it.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) seq: u64,
    pub(crate) key: Box<[u8]>,
    /// `None` for a remove.
    pub(crate) value: Option<Box<[u8]>>,
    pub(crate) expires_at: Option<u64>,
}

#[derive(Debug, Clone)]
pub(crate) enum Slot {
    Pending(Arc<Pending>),
    OnDisk(Loc),
}

impl Slot {
    fn is_entry(&self) -> bool {
        match self {
            Slot::Pending(p) => p.value.is_some(),
            Slot::OnDisk(_) => true,
        }
    }
}

/// The hash is already well mixed; hashing it again would only cost time.
#[derive(Default)]
pub(crate) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Shard = HashMap<u64, Slot, BuildHasherDefault<PassThrough>>;

pub(crate) struct Index {
    shards: Box<[RwLock<Shard>]>,
    hasher: foldhash::fast::RandomState,
    /// Live entries (pending tombstones excluded), kept exact on every slot change.
    entries: AtomicI64,
    #[cfg(test)]
    pub(crate) constant_hash: bool,
}

impl Index {
    /// `collide` (tests only) gives every key the same hash.
    pub(crate) fn new(#[cfg(test)] collide: bool) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::new(Shard::default())).collect(),
            hasher: foldhash::fast::RandomState::default(),
            entries: AtomicI64::new(0),
            #[cfg(test)]
            constant_hash: collide,
        }
    }

    #[inline]
    pub(crate) fn hash(&self, key: &[u8]) -> u64 {
        #[cfg(test)]
        if self.constant_hash {
            return 42;
        }
        self.hasher.hash_one(key)
    }

    #[inline]
    fn shard(&self, hash: u64) -> &RwLock<Shard> {
        // The top bits pick the shard; the map uses the whole hash.
        let i = (hash >> 58) as usize % SHARDS;
        &self.shards[i]
    }

    pub(crate) fn entries(&self) -> u64 {
        u64::try_from(self.entries.load(Ordering::Relaxed)).unwrap_or(0)
    }

    fn account(&self, old: Option<&Slot>, new: Option<&Slot>) {
        let d =
            i64::from(new.is_some_and(Slot::is_entry)) - i64::from(old.is_some_and(Slot::is_entry));
        if d != 0 {
            self.entries.fetch_add(d, Ordering::Relaxed);
        }
    }

    #[inline]
    pub(crate) fn get(&self, hash: u64) -> Option<Slot> {
        self.shard(hash).read().get(&hash).cloned()
    }

    /// Runs `enqueue` under the shard's lock and installs `pending` only if it succeeded, so
    /// the writer (which takes the same lock to publish) can never publish before the pending
    /// slot exists. `enqueue` must not block.
    pub(crate) fn insert_pending_if(
        &self,
        hash: u64,
        pending: Arc<Pending>,
        enqueue: impl FnOnce() -> bool,
    ) -> bool {
        let mut shard = self.shard(hash).write();
        if !enqueue() {
            return false;
        }
        let new = Slot::Pending(pending);
        self.account(None, Some(&new));
        let old = shard.insert(hash, new);
        self.account(old.as_ref(), None);
        true
    }

    /// The writer finished (`Some(loc)`: written; `None`: a tombstone written, or the write
    /// failed) the pending write `seq`. A newer pending write for the hash keeps its slot.
    pub(crate) fn publish(&self, hash: u64, seq: u64, loc: Option<Loc>) {
        let mut shard = self.shard(hash).write();
        let ours = matches!(shard.get(&hash), Some(Slot::Pending(p)) if p.seq == seq);
        if !ours {
            return;
        }
        let old = match loc {
            Some(loc) => {
                let new = Slot::OnDisk(loc);
                self.account(None, Some(&new));
                shard.insert(hash, new)
            }
            None => shard.remove(&hash),
        };
        self.account(old.as_ref(), None);
    }

    /// Replaces whatever is in the slot (index rebuild on open; the newest record wins).
    pub(crate) fn set(&self, hash: u64, slot: Option<Slot>) {
        let mut shard = self.shard(hash).write();
        self.account(None, slot.as_ref());
        let old = match slot {
            Some(s) => shard.insert(hash, s),
            None => shard.remove(&hash),
        };
        self.account(old.as_ref(), None);
    }

    /// Drops the slot if it still points at `loc` (an expired or corrupt record found by a
    /// read; a write that raced in stays).
    pub(crate) fn drop_if_at(&self, hash: u64, loc: Loc) {
        let mut shard = self.shard(hash).write();
        if matches!(shard.get(&hash), Some(Slot::OnDisk(l)) if *l == loc) {
            let old = shard.remove(&hash);
            self.account(old.as_ref(), None);
        }
    }

    /// Drops every slot that points into `segment` (the segment is being reclaimed).
    pub(crate) fn drop_segment(&self, segment: u64) {
        for shard in self.shards.iter() {
            let mut shard = shard.write();
            let before = shard.len();
            shard.retain(|_, s| !matches!(s, Slot::OnDisk(l) if l.segment == segment));
            let gone = before - shard.len();
            if gone > 0 {
                self.entries
                    .fetch_sub(i64::try_from(gone).unwrap_or(i64::MAX), Ordering::Relaxed);
            }
        }
    }
}
