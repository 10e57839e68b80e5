//! Key hashing and the two consistent-hash tables (a ring of virtual nodes, and Maglev).

use std::hash::{Hash, Hasher};

/// FNV-1a with a final avalanche: stable across runs and processes (unlike `RandomState`), so
/// a key maps to the same backend in every client that has the same backend list.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StableHasher(u64);

impl Default for StableHasher {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for StableHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        fmix(self.0)
    }
}

/// murmur3's 64-bit finaliser: FNV alone leaves the high bits poorly mixed for short keys.
#[inline]
pub(crate) fn fmix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

pub(crate) fn hash_of<K: Hash + ?Sized>(key: &K) -> u64 {
    let mut h = StableHasher::default();
    key.hash(&mut h);
    h.finish()
}

fn hash_id(id: &str, salt: u64) -> u64 {
    let mut h = StableHasher::default();
    h.write(id.as_bytes());
    h.write_u64(salt);
    h.finish()
}

/// Which consistent-hash table [`Strategy::ConsistentHash`](super::Strategy::ConsistentHash)
/// builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HashRing {
    /// A sorted ring of virtual nodes (Karger et al., Envoy's ring hash): each backend gets
    /// about `vnodes × weight ÷ mean weight` points (at least one). Lookup is a binary search.
    Ring {
        /// Virtual nodes for a backend of mean weight. More points, more even shares, more memory.
        vnodes: u32,
    },
    /// Maglev (Eisenbud et al., NSDI 2016), weighted as Envoy does: a lookup table of
    /// `table_size` slots (a prime larger than the number of backends) filled from each
    /// backend's permutation. Lookup is one index; shares are even to within a slot.
    Maglev {
        /// The number of slots, a prime. 65 537 suits up to a few hundred backends.
        table_size: u32,
    },
}

impl Default for HashRing {
    /// A ring with 160 virtual nodes per backend of mean weight.
    fn default() -> Self {
        HashRing::Ring { vnodes: 160 }
    }
}

pub(crate) fn is_prime(n: u32) -> bool {
    if n < 2 {
        return false;
    }
    let mut d = 2u32;
    while u64::from(d) * u64::from(d) <= u64::from(n) {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 1;
    }
    true
}

#[derive(Debug)]
pub(crate) enum Table {
    /// Sorted by point; `(point, backend index)`.
    Ring(Vec<(u64, u32)>),
    Maglev(Vec<u32>),
}

impl Table {
    /// `ids` and `weights` have the same non-zero length; weights are finite and > 0.
    pub(crate) fn build(kind: HashRing, ids: &[&str], weights: &[f64]) -> Table {
        match kind {
            HashRing::Ring { vnodes } => build_ring(vnodes, ids, weights),
            HashRing::Maglev { table_size } => build_maglev(table_size, ids, weights),
        }
    }

    /// The backend index for `hash`, and the position it was found at (for walking on).
    #[inline]
    pub(crate) fn lookup(&self, hash: u64) -> (usize, usize) {
        match self {
            Table::Ring(points) => {
                let pos = points.partition_point(|&(p, _)| p < hash);
                let pos = if pos == points.len() { 0 } else { pos };
                (points.get(pos).map_or(0, |&(_, i)| i as usize), pos)
            }
            Table::Maglev(slots) => {
                let pos = (hash % slots.len().max(1) as u64) as usize;
                (slots.get(pos).map_or(0, |&i| i as usize), pos)
            }
        }
    }

    /// The backend after position `pos` + `step` (ring: walking clockwise; Maglev: the next slot).
    #[inline]
    pub(crate) fn at(&self, pos: usize) -> usize {
        match self {
            Table::Ring(points) => points
                .get(pos % points.len().max(1))
                .map_or(0, |&(_, i)| i as usize),
            Table::Maglev(slots) => slots
                .get(pos % slots.len().max(1))
                .map_or(0, |&i| i as usize),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Table::Ring(points) => points.len(),
            Table::Maglev(slots) => slots.len(),
        }
    }
}

fn build_ring(vnodes: u32, ids: &[&str], weights: &[f64]) -> Table {
    let mean = weights.iter().sum::<f64>() / weights.len() as f64;
    let mut points = Vec::new();
    for (i, (id, w)) in ids.iter().zip(weights).enumerate() {
        // Capped so one huge weight cannot make the ring unbounded.
        let count =
            ((f64::from(vnodes) * w / mean).round() as u64).clamp(1, u64::from(vnodes) * 64);
        for replica in 0..count {
            points.push((hash_id(id, replica), i as u32));
        }
    }
    points.sort_unstable();
    Table::Ring(points)
}

fn build_maglev(m: u32, ids: &[&str], weights: &[f64]) -> Table {
    const EMPTY: u32 = u32::MAX;
    let m64 = u64::from(m);
    let n = ids.len();
    let max_w = weights.iter().copied().fold(0.0_f64, f64::max);
    let offsets: Vec<u64> = ids
        .iter()
        .map(|id| hash_id(id, 0x6d61_676c) % m64)
        .collect();
    let skips: Vec<u64> = ids
        .iter()
        .map(|id| hash_id(id, 0x736b_6970) % (m64 - 1) + 1)
        .collect();
    let mut next = vec![0u64; n];
    let mut target = vec![0.0_f64; n];
    let mut slots = vec![EMPTY; m as usize];
    let mut filled = 0usize;
    let mut iteration = 1.0_f64;
    while filled < slots.len() {
        for i in 0..n {
            // Envoy's weighting: a backend takes a turn only when its weight has caught up
            // with the rounds played, so shares follow weights.
            if iteration * weights[i] < target[i] {
                continue;
            }
            target[i] += max_w;
            loop {
                let slot = ((offsets[i] + next[i] * skips[i]) % m64) as usize;
                next[i] += 1;
                if slots[slot] == EMPTY {
                    slots[slot] = i as u32;
                    filled += 1;
                    break;
                }
            }
            if filled == slots.len() {
                break;
            }
        }
        iteration += 1.0;
    }
    Table::Maglev(slots)
}
