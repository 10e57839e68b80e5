//! Write generations: what keeps a fill (a load, a promotion from disk, a write-back of an
//! evicted value) from putting back a value that a newer write replaced or removed.
//!
//! Keys hash to one of [`STRIPES`] stripes, each a lock over a generation number. A write
//! (`insert`, `invalidate`) holds its stripe's lock for the whole write and bumps the
//! generation. A fill reads the generation before it fetches, and stores only if the
//! generation is unchanged, checking and storing under the same lock. So a fill either
//! lands before the write (which then overwrites it) or sees that a write happened and
//! drops its value. Unrelated keys sharing a stripe can make a fill drop a value it could
//! have kept: a later miss, never a wrong answer.

use std::hash::{BuildHasher, Hash};

use parking_lot::{Mutex, MutexGuard};

/// Enough that two writes in flight rarely share a stripe, small enough to stay in cache
/// (16 KiB).
const STRIPES: usize = 1024;

/// A write generation: it changes whenever a key of its stripe is written.
pub(crate) type Generation = u64;

pub(crate) struct WriteStripes {
    stripes: Box<[Mutex<Generation>]>,
    hasher: foldhash::fast::RandomState,
}

impl WriteStripes {
    pub(crate) fn new() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| Mutex::new(0)).collect(),
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    fn stripe<K: Hash + ?Sized>(&self, key: &K) -> &Mutex<Generation> {
        let i = (self.hasher.hash_one(key) as usize) % STRIPES;
        &self.stripes[i]
    }

    /// Starts a write of `key`: bumps its stripe's generation and holds the stripe until
    /// the returned guard drops, which must be after the write reached every tier.
    pub(crate) fn write<K: Hash + ?Sized>(&self, key: &K) -> MutexGuard<'_, Generation> {
        let mut generation = self.stripe(key).lock();
        *generation = generation.wrapping_add(1);
        generation
    }

    /// The generation a fill of `key` starts from. Read under the lock, so never in the
    /// middle of a write.
    pub(crate) fn generation<K: Hash + ?Sized>(&self, key: &K) -> Generation {
        *self.stripe(key).lock()
    }

    /// Runs `fill` if no write of `key`'s stripe happened since `seen`; returns whether it
    /// ran.
    pub(crate) fn fill_if_unchanged<K: Hash + ?Sized>(
        &self,
        key: &K,
        seen: Generation,
        fill: impl FnOnce(),
    ) -> bool {
        let generation = self.stripe(key).lock();
        if *generation == seen {
            fill();
            true
        } else {
            false
        }
    }
}
