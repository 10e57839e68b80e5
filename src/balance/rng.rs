//! wyrand over one atomic word: deterministic for a given seed on one thread, still a valid
//! generator when threads share it (each `fetch_add` hands out a distinct state).

use crossbeam_utils::CachePadded;
use std::sync::atomic::{AtomicU64, Ordering};

const INC: u64 = 0xa076_1d64_78bd_642f;
const MIX: u64 = 0xe703_7ed1_a0b4_28db;

#[derive(Debug)]
pub(crate) struct Rng(CachePadded<AtomicU64>);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(CachePadded::new(AtomicU64::new(seed)))
    }

    #[inline]
    pub(crate) fn next_u64(&self) -> u64 {
        let s = self.0.fetch_add(INC, Ordering::Relaxed).wrapping_add(INC);
        let t = u128::from(s) * u128::from(s ^ MIX);
        ((t >> 64) as u64) ^ (t as u64)
    }
}

/// A wyrand stream seeded by one draw from the shared generator: the draws one pick needs
/// after its first cost no atomic operation.
#[derive(Debug)]
pub(crate) struct LocalRng(u64);

impl LocalRng {
    #[inline]
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(INC);
        let t = u128::from(self.0) * u128::from(self.0 ^ MIX);
        ((t >> 64) as u64) ^ (t as u64)
    }

    /// Uniform in `0..n` (`n > 0`); the multiply-shift bias is below 2^-32 for any `n` we see.
    #[inline]
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `[0, 1)`.
    #[inline]
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

impl Rng {
    #[inline]
    pub(crate) fn local(&self) -> LocalRng {
        LocalRng(self.next_u64())
    }
}
