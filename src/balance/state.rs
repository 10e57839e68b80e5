//! Per-backend counters and health, shared by every snapshot the backend appears in, so a
//! run-time update keeps the counts of backends that stay.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

pub(crate) const NONE: u64 = u64::MAX;

/// Bits of [`BackendState::down`]; a backend is available when none is set.
pub(crate) const EJECTED: u32 = 1;
pub(crate) const UNHEALTHY: u32 = 2;
pub(crate) const LOW_SCORE: u32 = 4;

pub(crate) const MAX_SCORE: u32 = 100;

#[derive(Debug)]
pub(crate) struct BackendState {
    pub(crate) down: AtomicU32,
    /// Picks ever made; in flight is this minus the three outcomes, so a pick and its finish
    /// each touch one counter.
    pub(crate) started: AtomicU64,
    pub(crate) successes: AtomicU64,
    pub(crate) failures: AtomicU64,
    pub(crate) cancelled: AtomicU64,
    pub(crate) consecutive_failures: AtomicU32,
    pub(crate) score: AtomicU32,
    pub(crate) score_recover_at: AtomicU64,
    /// Peak EWMA of latency in nanoseconds (f64 bits) and when it was last updated.
    pub(crate) ewma_bits: AtomicU64,
    pub(crate) ewma_at: AtomicU64,
    pub(crate) window_start: AtomicU64,
    pub(crate) window_total: AtomicU32,
    pub(crate) window_failures: AtomicU32,
    pub(crate) ejected_until: AtomicU64,
    pub(crate) times_ejected: AtomicU32,
    pub(crate) ejections: AtomicU64,
    pub(crate) returned_at: AtomicU64,
    pub(crate) slow_since: AtomicU64,
}

/// `exp(-x)` for `x ≥ 0`. Between two picks `x` is usually tiny (microseconds over a decay of
/// seconds), where two Taylor terms are exact to 1e-10 and cost a fraction of `exp`.
#[inline]
fn decay(x: f64) -> f64 {
    if x < 1e-3 {
        1.0 - x + 0.5 * x * x
    } else {
        (-x).exp()
    }
}

impl BackendState {
    pub(crate) fn new(default_rtt_ns: f64, now: u64) -> Self {
        Self {
            down: AtomicU32::new(0),
            started: AtomicU64::new(0),
            successes: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            cancelled: AtomicU64::new(0),
            consecutive_failures: AtomicU32::new(0),
            score: AtomicU32::new(MAX_SCORE),
            score_recover_at: AtomicU64::new(NONE),
            ewma_bits: AtomicU64::new(default_rtt_ns.to_bits()),
            ewma_at: AtomicU64::new(now),
            window_start: AtomicU64::new(now),
            window_total: AtomicU32::new(0),
            window_failures: AtomicU32::new(0),
            ejected_until: AtomicU64::new(0),
            times_ejected: AtomicU32::new(0),
            ejections: AtomicU64::new(0),
            returned_at: AtomicU64::new(NONE),
            slow_since: AtomicU64::new(NONE),
        }
    }

    /// Picks not yet finished. The outcomes are read before `started`, which is bumped first,
    /// so the difference never goes below zero.
    #[inline]
    pub(crate) fn in_flight(&self) -> u64 {
        let done = self.successes.load(Ordering::Relaxed)
            + self.failures.load(Ordering::Relaxed)
            + self.cancelled.load(Ordering::Relaxed);
        self.started.load(Ordering::Relaxed).saturating_sub(done)
    }

    #[inline]
    pub(crate) fn is_up(&self) -> bool {
        self.down.load(Ordering::Relaxed) == 0
    }

    /// The latency estimate decayed to `now`, as tower's `PeakEwma` does on every load read
    /// (an idle backend's estimate falls towards zero, so it gets probed again).
    #[inline]
    pub(crate) fn ewma_at(&self, now: u64, decay_ns: f64) -> f64 {
        let cost = f64::from_bits(self.ewma_bits.load(Ordering::Relaxed));
        let at = self.ewma_at.load(Ordering::Relaxed);
        let elapsed = now.saturating_sub(at);
        if elapsed == 0 {
            cost
        } else {
            cost * decay(elapsed as f64 / decay_ns)
        }
    }

    /// Peak-sensitive update: a latency above the estimate replaces it at once; one below is
    /// blended in with a weight that grows with the time since the last update.
    pub(crate) fn ewma_update(&self, rtt_ns: f64, now: u64, decay_ns: f64) {
        // Two words updated with plain loads and stores, no lock and no read-modify-write:
        // a racing pair of updates may lose one sample, or pair one update's time with the
        // other's estimate, which moves an estimate built from thousands of samples by
        // nothing that matters, and saves two lock-prefixed instructions per finish.
        let at = self.ewma_at.load(Ordering::Relaxed);
        self.ewma_at.store(now.max(at), Ordering::Relaxed);
        let elapsed = now.saturating_sub(at) as f64;
        let cost = f64::from_bits(self.ewma_bits.load(Ordering::Relaxed));
        let next = if rtt_ns > cost {
            rtt_ns
        } else {
            let d = decay(elapsed / decay_ns);
            cost * d + rtt_ns * (1.0 - d)
        };
        self.ewma_bits.store(next.to_bits(), Ordering::Relaxed);
    }

    /// Adds `delta` to the score, clamped to 0..=100; returns (old, new).
    #[inline]
    pub(crate) fn add_score(&self, delta: i32) -> (u32, u32) {
        let mut old = self.score.load(Ordering::Relaxed);
        loop {
            let new = (old as i32 + delta).clamp(0, MAX_SCORE as i32) as u32;
            if new == old {
                return (old, new);
            }
            match self
                .score
                .compare_exchange_weak(old, new, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return (old, new),
                Err(cur) => old = cur,
            }
        }
    }
}
