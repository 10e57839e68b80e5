//! The half-open state's trial calls: how many may run, and what they returned.
//!
//! Both words carry the low bits of the state generation they belong to, and every change
//! is a compare-and-swap that checks it, so a permit from an earlier half-open period can
//! neither take nor give back a trial slot of the current one. Half-open traffic is a
//! handful of calls, so CAS loops cost nothing that matters here.

use std::sync::atomic::{AtomicU64, Ordering::*};

use super::window::{FAILURE, SLOW, Totals};

/// Largest number of trial calls (each count gets 16 bits).
pub(crate) const MAX_TRIAL_CALLS: u32 = 10_000;

const COUNT_MASK: u64 = 0xFFFF;
const GEN_SHIFT: u32 = 48;

#[inline]
fn gen16(generation: u64) -> u64 {
    generation & 0xFFFF
}

#[derive(Debug, Default)]
pub(crate) struct Trials {
    /// generation (high 16 bits) | trial permits handed out (low bits).
    issued: AtomicU64,
    /// generation (high 16) | slow (32..48) | failures (16..32) | recorded (0..16).
    outcomes: AtomicU64,
}

impl Trials {
    /// Starts a half-open period of `generation`. Called under the transition lock,
    /// before the new state is published.
    pub(crate) fn begin(&self, generation: u64) {
        self.issued.store(gen16(generation) << GEN_SHIFT, Release);
        self.outcomes.store(gen16(generation) << GEN_SHIFT, Release);
    }

    /// Takes a trial slot if one of `permitted` is free.
    pub(crate) fn try_take(&self, generation: u64, permitted: u32) -> bool {
        let tag = gen16(generation) << GEN_SHIFT;
        self.issued
            .fetch_update(AcqRel, Acquire, |w| {
                (w >> GEN_SHIFT << GEN_SHIFT == tag && (w & COUNT_MASK) < u64::from(permitted))
                    .then_some(w + 1)
            })
            .is_ok()
    }

    /// Gives back a slot whose permit ended without an outcome.
    pub(crate) fn give_back(&self, generation: u64) {
        let tag = gen16(generation) << GEN_SHIFT;
        let _ = self.issued.fetch_update(AcqRel, Acquire, |w| {
            (w >> GEN_SHIFT << GEN_SHIFT == tag && (w & COUNT_MASK) > 0).then_some(w - 1)
        });
    }

    /// Records one trial outcome; returns the trial totals when this was the last of
    /// `permitted` (and so the moment to decide).
    pub(crate) fn record(&self, generation: u64, outcome: u8, permitted: u32) -> Option<Totals> {
        let tag = gen16(generation) << GEN_SHIFT;
        let add = 1
            | (u64::from((outcome & FAILURE) >> 1) << 16)
            | (u64::from((outcome & SLOW) >> 2) << 32);
        let old = self
            .outcomes
            .fetch_update(AcqRel, Acquire, |w| {
                (w >> GEN_SHIFT << GEN_SHIFT == tag && (w & COUNT_MASK) < u64::from(permitted))
                    .then_some(w + add)
            })
            .ok()?;
        let new = old + add;
        let totals = Totals {
            calls: new & COUNT_MASK,
            failures: (new >> 16) & COUNT_MASK,
            slow: (new >> 32) & COUNT_MASK,
        };
        (totals.calls == u64::from(permitted)).then_some(totals)
    }

    pub(crate) fn totals(&self) -> Totals {
        let w = self.outcomes.load(Acquire);
        Totals {
            calls: w & COUNT_MASK,
            failures: (w >> 16) & COUNT_MASK,
            slow: (w >> 32) & COUNT_MASK,
        }
    }
}
