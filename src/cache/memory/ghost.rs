//! A bounded set of key hashes recently sent away: the memory behind the window's
//! adaptation.
//!
//! It answers "was this key sent away within the last `cap` sends?", and a wrong answer
//! only nudges the window size, so it is kept approximate and small: a table of 12-byte
//! slots (a 32-bit check, when it was sent, and the caller's stamp), two slots per bucket,
//! about `cap` slots in all. A send overwrites the older slot of its bucket, so a few keys
//! are forgotten before their time; the age check forgets the rest on time. An earlier
//! version was an exact FIFO (a hash map plus a queue, about 50 bytes per remembered key):
//! on the hit-ratio traces this one moved no row by more than the hash seed does.

#[derive(Clone, Copy, Default)]
struct Slot {
    /// Low half of the hash, with the low bit set so that no check is zero (zero = empty).
    check: u32,
    /// The ghost's send count when this hash was sent (wrapping).
    sent: u32,
    /// The caller's stamp for this send.
    stamp: u32,
}

pub(super) struct Ghost {
    slots: Box<[Slot]>,
    /// `slots.len() / 2 - 1`: buckets are pairs of slots.
    bucket_mask: usize,
    /// How many sends back a hash is still remembered.
    cap: u32,
    sent: u32,
}

impl Ghost {
    pub(super) fn new(cap: u64) -> Self {
        let cap = u32::try_from(cap).unwrap_or(u32::MAX).clamp(1, 1 << 30);
        let buckets = (cap as usize).div_ceil(2).next_power_of_two();
        Self {
            slots: vec![Slot::default(); buckets * 2].into_boxed_slice(),
            bucket_mask: buckets - 1,
            cap,
            sent: 0,
        }
    }

    #[inline]
    fn bucket(&self, hash: u64) -> (usize, u32) {
        // The high half of a multiply picks the bucket: independent of the check's bits.
        let b = (hash.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & self.bucket_mask;
        (b * 2, (hash as u32) | 1)
    }

    fn live(&self, s: &Slot) -> bool {
        s.check != 0 && self.sent.wrapping_sub(s.sent) < self.cap
    }

    /// Remembers `hash` with `stamp`, forgetting the oldest beyond the capacity.
    pub(super) fn insert(&mut self, hash: u64, stamp: u32) {
        self.sent = self.sent.wrapping_add(1);
        let (first, check) = self.bucket(hash);
        let sent = self.sent;
        let Some(pair) = self.slots.get(first..first + 2) else {
            return;
        };
        // The same hash again, else an empty or expired slot, else the older one.
        let pick = if pair[1].check == check {
            1
        } else if pair[0].check == check || !self.live(&pair[0]) {
            0
        } else if !self.live(&pair[1]) {
            1
        } else {
            usize::from(sent.wrapping_sub(pair[1].sent) > sent.wrapping_sub(pair[0].sent))
        };
        if let Some(slot) = self.slots.get_mut(first + pick) {
            *slot = Slot { check, sent, stamp };
        }
    }

    /// The stamp `hash` was remembered with, if it still is; forgets it.
    pub(super) fn take(&mut self, hash: u64) -> Option<u32> {
        let (first, check) = self.bucket(hash);
        for i in first..first + 2 {
            let s = *self.slots.get(i)?;
            if s.check == check && self.live(&s) {
                if let Some(slot) = self.slots.get_mut(i) {
                    *slot = Slot::default();
                }
                return Some(s.stamp);
            }
        }
        None
    }

    pub(super) fn clear(&mut self) {
        self.slots.fill(Slot::default());
    }
}

#[cfg(test)]
mod tests {
    use super::Ghost;

    fn h(k: u64) -> u64 {
        k.wrapping_mul(0xD6E8_FEB8_6659_FD93) ^ (k << 40)
    }

    #[test]
    fn remembers_recent_hashes_once_and_forgets_old_ones() {
        let mut g = Ghost::new(1_000);
        for k in 0..3_000u64 {
            g.insert(h(k), k as u32);
        }
        // Older than the last 1,000 sends: forgotten.
        assert!((0..2_000).all(|k| g.take(h(k)).is_none()));
        // Most of the last 1,000 are remembered, with their stamps, and only once.
        let kept = (2_000..3_000u64)
            .filter(|&k| g.take(h(k)) == Some(k as u32))
            .count();
        assert!(kept > 800, "kept {kept} of 1000");
        assert!((2_000..3_000).all(|k| g.take(h(k)).is_none()));
    }

    #[test]
    fn never_answers_for_a_hash_it_was_not_given() {
        let mut g = Ghost::new(512);
        for k in 0..512u64 {
            g.insert(h(k), 0);
        }
        let false_hits = (10_000..20_000u64)
            .filter(|&k| g.take(h(k)).is_some())
            .count();
        assert_eq!(false_hits, 0);
        g.clear();
        assert!((0..512).all(|k| g.take(h(k)).is_none()));
    }
}
