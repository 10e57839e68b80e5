//! Cheap, seeded hashing: shard and bucket selection for the keyed limiter, and jitter.
//!
//! std's `RandomState` (SipHash-1-3) costs more than the rest of a keyed check for small keys.
//! This is a folded-multiply hash (the construction of foldhash/ahash's fallback): each 8-byte
//! word is xored into the state and multiplied into 128 bits, and the two halves are folded.
//! It is seeded per limiter from `RandomState`, which makes collisions hard to precompute
//! (minimal HashDoS resistance, not a cryptographic guarantee).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

const MUL: u64 = 0x9E37_79B9_7F4A_7C15; // 2^64 / golden ratio, odd
const MUL2: u64 = 0xA076_1D64_78BD_642F;

#[inline(always)]
fn fold_mul(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

/// A finaliser with full avalanche (splitmix64's).
#[inline]
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(MUL);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A random seed from the process' hashing keys (no extra dependency).
pub(crate) fn random_seed() -> u64 {
    RandomState::new().hash_one(0x5EED_u64)
}

/// Builds [`FoldHasher`]s with one seed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FoldBuildHasher {
    seed: u64,
}

impl FoldBuildHasher {
    pub(crate) fn new(seed: u64) -> Self {
        Self { seed }
    }
}

impl BuildHasher for FoldBuildHasher {
    type Hasher = FoldHasher;
    #[inline]
    fn build_hasher(&self) -> FoldHasher {
        FoldHasher { state: self.seed }
    }
}

/// See the module docs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FoldHasher {
    state: u64,
}

impl FoldHasher {
    #[inline(always)]
    fn word(&mut self, w: u64) {
        self.state = fold_mul(self.state ^ w, MUL2);
    }
}

impl Hasher for FoldHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.word(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        // The length is mixed in so that "ab" and "ab\0" differ.
        self.word(u64::from_le_bytes(w) ^ ((bytes.len() as u64) << 56));
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.word(u64::from(i));
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.word(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.word(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.word(i);
    }
    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.word(i as u64);
        self.word((i >> 64) as u64);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.word(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // One more multiply so that the low bits (hashbrown's bucket index) depend on every
        // input bit, including the high bits of a single u64 key.
        fold_mul(self.state, MUL)
    }
}
