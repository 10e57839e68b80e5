//! A lossy per-shard buffer of reads, so a hit takes only the shared lock.
//!
//! A hit writes a token (slot index + a hash check) into the next free cell with a plain
//! load and store, no read-modify-write: two readers racing for one cell lose one token,
//! which only makes the policy see one read fewer. Whoever finds the buffer full takes the
//! write lock with `try_write` and replays the tokens into the policy; if the lock is busy
//! the read is simply not recorded (Caffeine's read buffers make the same trade).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

const LEN: usize = 32;

pub(super) struct ReadBuffer {
    count: AtomicUsize,
    cells: [AtomicU64; LEN],
}

impl ReadBuffer {
    pub(super) fn new() -> Self {
        Self {
            count: AtomicUsize::new(0),
            cells: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    #[inline]
    pub(super) fn token(idx: u32, hash: u64) -> u64 {
        (u64::from(idx) << 32) | (hash & 0xFFFF_FFFF)
    }

    /// Records a read; called under the shard's shared lock. True when the buffer is full and
    /// should be drained.
    #[inline]
    pub(super) fn record(&self, token: u64) -> bool {
        let n = self.count.load(Ordering::Relaxed);
        match self.cells.get(n) {
            Some(cell) => {
                cell.store(token, Ordering::Relaxed);
                self.count.store(n + 1, Ordering::Relaxed);
                n + 1 == LEN
            }
            None => true,
        }
    }

    /// Replays and empties the buffer; called under the shard's write lock, so no reader is
    /// writing at the same time.
    pub(super) fn drain(&self, mut f: impl FnMut(u32, u32)) {
        let n = self.count.load(Ordering::Relaxed).min(LEN);
        for cell in self.cells.iter().take(n) {
            let t = cell.load(Ordering::Relaxed);
            f((t >> 32) as u32, t as u32);
        }
        self.count.store(0, Ordering::Relaxed);
    }
}
