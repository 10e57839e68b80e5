//! Sliding windows over closed-state outcomes, recorded without locks.
//!
//! **Count-based**: a ring of one-byte outcome slots. A caller takes a ticket from the
//! breaker's call counter (one `fetch_add`), turns it into a slot index, swaps its outcome
//! into the slot and adds `encode(new) - encode(old)` to one packed `AtomicU64` of running
//! totals (calls, failures, slow calls). Because every change of a slot is paired with
//! exactly the delta of the value it replaced, the totals always equal the sum of the
//! slots once in-flight recorders finish, whatever the interleaving — nothing is lost or
//! counted twice. While a success replaces a success (the steady state of a healthy
//! dependency) the slot already holds the value, so the record is one load and no write.
//!
//! **Time-based**: one bucket per second, `n` buckets in a ring; a bucket is claimed for a
//! new second under a small mutex (once per bucket per second), otherwise recording is one
//! `fetch_add`. The totals are summed over the buckets of the last `n` seconds when the
//! breaker needs to judge them.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::*};
use std::time::Duration;

use parking_lot::Mutex;

/// Largest count-based window: the packed totals give each count 21 bits, and keeping
/// counts at or below 2^20 leaves room to recognise a transiently negative field.
pub(crate) const MAX_COUNT_WINDOW: u32 = 1 << 20;
/// Largest time-based window, in seconds (one day).
pub(crate) const MAX_TIME_WINDOW_SECS: u32 = 86_400;

/// Outcome bits of one call. `0` is an empty slot.
pub(crate) const PRESENT: u8 = 1;
pub(crate) const FAILURE: u8 = 2;
pub(crate) const SLOW: u8 = 4;

const FIELD: u32 = 21;
const FIELD_MASK: u64 = (1 << FIELD) - 1;
const TOP_MASK: u64 = (1 << (64 - 2 * FIELD)) - 1;

/// Counts over a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Totals {
    pub(crate) calls: u64,
    pub(crate) failures: u64,
    pub(crate) slow: u64,
}

#[inline]
fn encode(outcome: u8) -> u64 {
    let o = u64::from(outcome);
    (o & 1) | (((o >> 1) & 1) << FIELD) | (((o >> 2) & 1) << (2 * FIELD))
}

/// Unpacks the running totals; `None` while a field is transiently negative (a recorder
/// that wrapped around the ring subtracted an outcome before the one that put it there
/// added it), which shows as a field above the window's size.
#[inline]
fn decode(word: u64) -> Option<Totals> {
    let t = Totals {
        calls: word & FIELD_MASK,
        failures: (word >> FIELD) & FIELD_MASK,
        slow: (word >> (2 * FIELD)) & TOP_MASK,
    };
    let max = u64::from(MAX_COUNT_WINDOW);
    (t.calls <= max && t.failures <= t.calls && t.slow <= t.calls).then_some(t)
}

/// `a % d` by multiplication (Lemire's fastmod), exact for every 32-bit `a` and `d > 0`;
/// a hardware divide would cost as much as the rest of the record path.
#[inline]
fn fastmod(a: u32, m: u64, d: u32) -> u32 {
    let low = m.wrapping_mul(u64::from(a));
    ((u128::from(low) * u128::from(d)) >> 64) as u32
}

#[derive(Debug)]
pub(crate) struct CountWindow {
    slots: Box<[AtomicU8]>,
    len: u32,
    magic: u64,
    totals: AtomicU64,
}

impl CountWindow {
    pub(crate) fn new(len: u32) -> Self {
        let len = len.max(1);
        Self {
            slots: (0..len).map(|_| AtomicU8::new(0)).collect(),
            len,
            magic: (u64::MAX / u64::from(len)).wrapping_add(1),
            totals: AtomicU64::new(0),
        }
    }

    /// Records `outcome` in the slot of `ticket`; returns the new totals when they changed.
    #[inline]
    pub(crate) fn record(&self, ticket: u64, outcome: u8) -> Option<Totals> {
        // The ticket's low 32 bits pick the slot: the ring index jumps once per 2^32 calls,
        // which only reorders which old outcome is replaced next.
        let idx = fastmod(ticket as u32, self.magic, self.len) as usize;
        let slot = self.slots.get(idx)?;
        // Writing the value a slot already holds changes nothing, so that write can be
        // taken to happen at this load; a concurrent swap sees the same value either way.
        if slot.load(Relaxed) == outcome {
            return None;
        }
        let old = slot.swap(outcome, Relaxed);
        if old == outcome {
            return None;
        }
        let delta = encode(outcome).wrapping_sub(encode(old));
        decode(self.totals.fetch_add(delta, Relaxed).wrapping_add(delta))
    }

    /// Empties every slot, each as a recorded change, so a recorder racing the reset
    /// cannot leave the totals out of step with the slots.
    pub(crate) fn reset(&self) {
        for slot in self.slots.iter() {
            let old = slot.swap(0, Relaxed);
            if old != 0 {
                self.totals.fetch_sub(encode(old), Relaxed);
            }
        }
    }

    pub(crate) fn totals(&self) -> Totals {
        decode(self.totals.load(Relaxed)).unwrap_or_else(|| {
            // Mid-race: count the slots instead.
            let mut t = Totals::default();
            for s in self.slots.iter() {
                let o = s.load(Relaxed);
                t.calls += u64::from(o & PRESENT);
                t.failures += u64::from((o & FAILURE) >> 1);
                t.slow += u64::from((o & SLOW) >> 2);
            }
            t
        })
    }
}

#[derive(Debug)]
struct Bucket {
    /// The second (of the clock) this bucket holds; `u64::MAX` when unused.
    second: AtomicU64,
    calls: AtomicU64,
    /// Failures in the low 32 bits, slow calls in the high 32: one add for a slow failure.
    bad: AtomicU64,
}

#[derive(Debug)]
pub(crate) struct TimeWindow {
    buckets: Box<[Bucket]>,
    secs: u64,
    rotate: Mutex<()>,
}

impl TimeWindow {
    pub(crate) fn new(secs: u32) -> Self {
        let secs = secs.max(1);
        Self {
            buckets: (0..secs)
                .map(|_| Bucket {
                    second: AtomicU64::new(u64::MAX),
                    calls: AtomicU64::new(0),
                    bad: AtomicU64::new(0),
                })
                .collect(),
            secs: u64::from(secs),
            rotate: Mutex::new(()),
        }
    }

    #[inline]
    pub(crate) fn record(&self, now: Duration, outcome: u8) {
        let second = now.as_secs();
        let Some(b) = self.buckets.get((second % self.secs) as usize) else {
            return;
        };
        if b.second.load(Acquire) != second {
            let _guard = self.rotate.lock();
            if b.second.load(Relaxed) != second {
                // Cleared before the new second is published, so whoever sees the new
                // second (Acquire) adds after the clearing.
                b.calls.store(0, Relaxed);
                b.bad.store(0, Relaxed);
                b.second.store(second, Release);
            }
        }
        b.calls.fetch_add(1, Relaxed);
        let bad = u64::from((outcome & FAILURE) >> 1) | (u64::from((outcome & SLOW) >> 2) << 32);
        if bad != 0 {
            b.bad.fetch_add(bad, Relaxed);
        }
    }

    /// Sums the buckets of the `secs` seconds ending at `now`.
    pub(crate) fn totals(&self, now: Duration) -> Totals {
        let current = now.as_secs();
        let mut t = Totals::default();
        for b in self.buckets.iter() {
            let second = b.second.load(Acquire);
            if second <= current && current - second < self.secs {
                let bad = b.bad.load(Relaxed);
                t.calls += b.calls.load(Relaxed);
                t.failures += bad & 0xFFFF_FFFF;
                t.slow += bad >> 32;
            }
        }
        t
    }

    pub(crate) fn reset(&self) {
        let _guard = self.rotate.lock();
        for b in self.buckets.iter() {
            b.second.store(u64::MAX, Release);
            b.calls.store(0, Relaxed);
            b.bad.store(0, Relaxed);
        }
    }
}

#[derive(Debug)]
pub(crate) enum Window {
    Count(CountWindow),
    Time(TimeWindow),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fastmod_matches_remainder() {
        let divisors = [1u32, 2, 3, 7, 10, 100, 1000, 4099, MAX_COUNT_WINDOW];
        let numerators = (0u32..5000).chain([u32::MAX, u32::MAX - 1, 1 << 31, 123_456_789]);
        for d in divisors {
            let m = (u64::MAX / u64::from(d)).wrapping_add(1);
            for a in numerators.clone() {
                assert_eq!(fastmod(a, m, d), a % d, "{a} % {d}");
            }
        }
    }

    #[test]
    fn totals_follow_slots_and_reset() {
        let w = CountWindow::new(3);
        assert_eq!(w.record(0, PRESENT | FAILURE).map(|t| t.failures), Some(1));
        assert_eq!(w.record(1, PRESENT | SLOW).map(|t| t.slow), Some(1));
        assert_eq!(
            w.record(2, PRESENT),
            Some(Totals {
                calls: 3,
                failures: 1,
                slow: 1
            })
        );
        // Replaces the failure.
        assert_eq!(
            w.record(3, PRESENT),
            Some(Totals {
                calls: 3,
                failures: 0,
                slow: 1
            })
        );
        w.reset();
        assert_eq!(w.totals(), Totals::default());
    }

    #[test]
    fn negative_transient_is_recognised() {
        // A failure leaving before it arrived: the failures field borrows.
        let word = encode(PRESENT).wrapping_sub(encode(PRESENT | FAILURE));
        assert_eq!(decode(word), None);
    }
}
