//! A counter split over a few cache lines by thread token, so threads counting at once do
//! not bounce one line between their cores. Reads sum the shards.

use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_utils::CachePadded;

use super::token::thread_token;

const SHARDS: usize = 8;

#[derive(Debug, Default)]
pub(crate) struct ShardedCounter {
    shards: [CachePadded<AtomicU64>; SHARDS],
}

impl ShardedCounter {
    #[inline]
    pub(crate) fn add(&self, n: u64) {
        // A power-of-two array indexed by a mask: no bounds check on the hot path.
        self.shards[thread_token() & (SHARDS - 1)].fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.shards
            .iter()
            .map(|s| s.load(Ordering::Relaxed))
            .fold(0, u64::wrapping_add)
    }
}
