//! The delay schedule: what to wait before each retry.
//!
//! All arithmetic is on `u64` nanoseconds, saturating: a `Duration` above `u64::MAX` ns
//! (about 584 years) is treated as that, which no caller can tell apart from forever. The
//! exponential term is an `f64` that stops growing once it reaches `max_delay`, so a huge
//! multiplier or attempt count never overflows or turns into infinity.

use std::time::Duration;

use super::jitter::{Jitter, Rng};

/// Nanoseconds of a `Duration`, saturating at `u64::MAX`.
#[inline]
pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The validated, immutable part of a policy that decides delays.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schedule {
    /// First delay, ns, already clamped to `max`.
    pub(crate) base: u64,
    /// Growth per retry; 1.0 for a constant schedule.
    pub(crate) multiplier: f64,
    /// Cap on every delay, ns.
    pub(crate) max: u64,
    pub(crate) jitter: Jitter,
}

/// The delays of one run: an iterator that yields the wait before each retry, so before
/// attempt 2, 3, ... up to the policy's `max_attempts` (that is, `max_attempts - 1` delays).
///
/// From [`Retry::delays`](super::Retry::delays). It knows nothing of time, errors or budgets:
/// it does not stop for `max_elapsed` or ask the [`RetryBudget`](super::RetryBudget) — a loop
/// that drives itself checks those where it wants them. Each `Backoff` draws its jitter from
/// its own seeded stream, so two runs of the same policy are spread differently, and a policy
/// built with [`seed`](super::RetryBuilder::seed) yields the same streams in the same order.
///
/// ```
/// use perfkit::resilience::{Jitter, Retry};
/// use std::time::Duration;
///
/// let retry = Retry::exponential(Duration::from_millis(100))
///     .max_delay(Duration::from_millis(500))
///     .jitter(Jitter::None)
///     .max_attempts(5)
///     .build()?;
/// let ms: Vec<u128> = retry.delays().map(|d| d.as_millis()).collect();
/// assert_eq!(ms, [100, 200, 400, 500]);
/// # Ok::<(), perfkit::resilience::ResilienceError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Backoff {
    schedule: Schedule,
    /// The un-jittered exponential term for the next delay, ns.
    current: f64,
    /// The last decorrelated delay, ns.
    prev: u64,
    remaining: u32,
    rng: Rng,
}

impl Backoff {
    pub(crate) fn new(schedule: Schedule, retries: u32, seed: u64) -> Self {
        Self {
            schedule,
            current: schedule.base as f64,
            prev: schedule.base,
            remaining: retries,
            rng: Rng::new(seed),
        }
    }

    /// The next delay regardless of the attempt limit: the schedule continues forever (at
    /// `max_delay` once it gets there). [`next`](Iterator::next) is this plus the limit.
    pub fn next_delay(&mut self) -> Duration {
        let s = &self.schedule;
        // The un-jittered term, capped. `current` only grows while below the cap, so it can
        // neither overflow to infinity nor lose the cap to rounding.
        let d = if self.current >= s.max as f64 {
            s.max
        } else {
            // In [0, max): the cast cannot saturate.
            self.current as u64
        };
        if self.current < s.max as f64 {
            self.current *= s.multiplier;
        }
        let out = match s.jitter {
            Jitter::None => d,
            Jitter::Full => self.rng.between(0, d),
            Jitter::Equal => {
                let half = d / 2;
                half + self.rng.between(0, d - half)
            }
            Jitter::Decorrelated => {
                let hi = self.prev.saturating_mul(3);
                let next = self.rng.between(s.base, hi).min(s.max);
                self.prev = next;
                next
            }
        };
        Duration::from_nanos(out)
    }

    /// Delays left before the attempt limit.
    pub fn remaining(&self) -> u32 {
        self.remaining
    }
}

impl Iterator for Backoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        Some(self.next_delay())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.remaining as usize;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Backoff {}

impl std::iter::FusedIterator for Backoff {}
