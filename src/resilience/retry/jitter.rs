//! The jitter kinds, and the small seeded generator that draws them.
//!
//! The library takes no dependency on `rand`: jitter needs uniform draws, not cryptographic
//! quality, and a seed the tests can fix. splitmix64 passes BigCrush, is one add and three
//! multiply-xorshifts per draw, and its state is one `u64`.

/// How a computed backoff delay `d` is randomised, after the AWS Architecture Blog's
/// "Exponential Backoff And Jitter".
///
/// Randomising spreads the retries of many clients that failed together, so they do not come
/// back together and fail again in a herd.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Jitter {
    /// The delay as computed: `d`. Predictable; use it when a single client retries.
    None,
    /// Uniform in `[0, d]`. Spreads load best, at the price of some very short waits. The
    /// default.
    #[default]
    Full,
    /// `d/2` plus uniform in `[0, d - d/2]`, so in `[d/2, d]`: never much shorter than the
    /// schedule, still spread.
    Equal,
    /// `min(max_delay, uniform in [base, 3 × previous])`, starting from `previous = base`.
    /// Each delay depends on the last one drawn, not on the attempt number, so the
    /// exponential multiplier is not used.
    Decorrelated,
}

/// Weyl increment of splitmix64 (2^64 / φ, odd).
pub(crate) const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// splitmix64's output function: a bijective mix of a 64-bit word.
#[inline]
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A splitmix64 stream.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    #[inline]
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        mix64(self.state)
    }

    /// Uniform in `[lo, hi]` (inclusive; `lo` when `hi < lo`). Lemire's multiply-shift: the
    /// bias is below 2^-64 per unit of range, and the widening to `u128` keeps the full range
    /// `[0, u64::MAX]` from overflowing.
    #[inline]
    pub(crate) fn between(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        let span = u128::from(hi - lo) + 1;
        let r = (u128::from(self.next_u64()) * span) >> 64;
        // r < span <= 2^64, so it fits and lo + r <= hi.
        lo + r as u64
    }
}

/// A seed for policies built without one: fresh per process and per policy, from std's
/// randomly keyed hasher (no `rand`, no syscall beyond the one std makes once per thread).
pub(crate) fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x0072_6574_7279);
    mix64(h.finish())
}
