//! [`RetryBudget`]: retries as a fraction of recent requests, as in Finagle and tower.
//!
//! A fixed attempt limit multiplies load during an outage: with 3 attempts every failing
//! request becomes 3 requests, just when the dependency can least take them. A budget
//! bounds the extra load instead: every request deposits `ratio` of a retry, every retry
//! withdraws one, and a retry with nothing to withdraw is refused. A constant reserve of
//! `min_per_second × ttl` retries lets a quiet client still retry now and then. Deposits and
//! withdrawals expire after `ttl`, so the budget follows recent traffic and recovers on its
//! own.
//!
//! The window is ten slots of `ttl / 10`, each one `AtomicU64` that packs the slot's lap
//! number (24 bits) with its net balance (40 bits, signed). A write to a slot left over from
//! an older lap replaces it, so expiry needs no sweeper, no lock and no clean-up pass; a
//! read sums the slots whose lap falls inside the window. The lap wraps after 2^24 laps
//! (2^24 × `ttl`, 5 years at the default 10 s); a slot untouched for exactly a multiple of
//! that would be read as current for one window, which is accepted.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crossbeam_utils::CachePadded;

use crate::clock::Clock;
use crate::resilience::ResilienceError;

use super::backoff::nanos;

const SLOTS: u64 = 10;
const VALUE_BITS: u32 = 40;
const VALUE_MASK: u64 = (1 << VALUE_BITS) - 1;
const LAP_MASK: u64 = (1 << (64 - VALUE_BITS)) - 1;
const VALUE_MAX: i64 = (1 << (VALUE_BITS - 1)) - 1;
/// One retry, in budget units. A deposit is `ratio × UNIT` units, so the ratio has a
/// resolution of 0.1 %, and the arithmetic stays in integers (exact, no float on the hot path).
const UNIT: i64 = 1000;

/// A retry budget shared by any number of [`Retry`](super::Retry) policies (clones share it).
///
/// [`Retry::run`](super::Retry::run) deposits once per run and withdraws once per retry.
/// Within any window of `ttl`, the retries it allows are at most
/// `retry_ratio × requests + min_per_second × ttl` (plus, under concurrency, one per thread
/// that raced past the same check: the check and the withdrawal are two atomic steps).
///
/// ```
/// use perfkit::resilience::RetryBudget;
/// use perfkit::clock::ManualClock;
/// use std::{sync::Arc, time::Duration};
///
/// let clock = ManualClock::new();
/// let budget = RetryBudget::builder()
///     .retry_ratio(0.5)
///     .min_per_second(0)
///     .ttl(Duration::from_secs(10))
///     .clock(Arc::new(clock.clone()))
///     .build()?;
///
/// assert!(!budget.withdraw()); // nothing deposited, no floor
/// budget.deposit();
/// budget.deposit();
/// assert!(budget.withdraw()); // two requests earn one retry
/// assert!(!budget.withdraw());
///
/// clock.advance(Duration::from_secs(11)); // the window forgets everything
/// budget.deposit();
/// budget.deposit();
/// assert_eq!(budget.available(), 1);
/// # Ok::<(), perfkit::resilience::ResilienceError>(())
/// ```
#[derive(Clone)]
pub struct RetryBudget {
    inner: Arc<Inner>,
}

struct Inner {
    slots: [CachePadded<AtomicU64>; SLOTS as usize],
    slot_nanos: u64,
    deposit: i64,
    reserve: i64,
    clock: Source,
    ratio: f64,
    min_per_second: u32,
    ttl: Duration,
}

/// Where `now` comes from; the default is matched directly (no `dyn` call) because a
/// deposit is on every request's path.
enum Source {
    /// `quanta`'s TSC-backed clock and its origin (about 15 ns a read here).
    Tsc(quanta::Clock, u64),
    Custom(Arc<dyn Clock>),
}

impl Source {
    #[inline]
    fn now(&self) -> u64 {
        match self {
            Source::Tsc(c, origin) => c.delta_as_nanos(*origin, c.raw()),
            Source::Custom(c) => nanos(c.now()),
        }
    }
}

impl RetryBudget {
    /// A builder with the defaults: ratio 0.2, 10 retries per second floor, 10 s window.
    pub fn builder() -> RetryBudgetBuilder {
        RetryBudgetBuilder::default()
    }

    /// Records one request (one run), earning `retry_ratio` of a retry.
    #[inline]
    pub fn deposit(&self) {
        let inner = &*self.inner;
        if inner.deposit == 0 {
            return;
        }
        let now = inner.clock.now();
        inner.add(now, inner.deposit);
    }

    /// Takes one retry from the budget; `false` (and nothing taken) when it is spent.
    pub fn withdraw(&self) -> bool {
        let inner = &*self.inner;
        let now = inner.clock.now();
        if inner.balance(now) < UNIT {
            return false;
        }
        inner.add(now, -UNIT);
        true
    }

    /// Whole retries available now (reserve included).
    pub fn available(&self) -> u64 {
        let inner = &*self.inner;
        let b = inner.balance(inner.clock.now());
        u64::try_from(b / UNIT).unwrap_or(0)
    }

    /// The configured ratio of retries to requests.
    pub fn retry_ratio(&self) -> f64 {
        self.inner.ratio
    }

    /// The configured floor of retries per second.
    pub fn min_per_second(&self) -> u32 {
        self.inner.min_per_second
    }

    /// The configured window.
    pub fn ttl(&self) -> Duration {
        self.inner.ttl
    }
}

impl Inner {
    /// Slot index and lap of time `now`.
    #[inline]
    fn position(&self, now: u64) -> (usize, u64) {
        let epoch = now / self.slot_nanos;
        ((epoch % SLOTS) as usize, (epoch / SLOTS) & LAP_MASK)
    }

    #[inline]
    fn add(&self, now: u64, delta: i64) {
        let (idx, lap) = self.position(now);
        // The closure always returns `Some`, so this cannot fail; the result is not needed.
        let _ = self.slots[idx].fetch_update(Relaxed, Relaxed, |packed| {
            let (slot_lap, value) = unpack(packed);
            let base = if slot_lap == lap { value } else { 0 };
            Some(pack(lap, base.saturating_add(delta)))
        });
    }

    /// Reserve plus the net of every slot inside the window ending at `now`.
    fn balance(&self, now: u64) -> i64 {
        let (idx, lap) = self.position(now);
        let prev_lap = lap.wrapping_sub(1) & LAP_MASK;
        let mut sum = self.reserve;
        for (j, slot) in self.slots.iter().enumerate() {
            let (slot_lap, value) = unpack(slot.load(Relaxed));
            // Slots up to the current one belong to this lap, the later ones to the last.
            let want = if j <= idx { lap } else { prev_lap };
            if slot_lap == want {
                sum = sum.saturating_add(value);
            }
        }
        sum
    }
}

#[inline]
fn pack(lap: u64, value: i64) -> u64 {
    let v = value.clamp(-VALUE_MAX, VALUE_MAX);
    (lap << VALUE_BITS) | (v as u64 & VALUE_MASK)
}

#[inline]
fn unpack(packed: u64) -> (u64, i64) {
    // Shift the 40-bit field to the top and back, arithmetically, to sign-extend it.
    let value = ((packed << (64 - VALUE_BITS)) as i64) >> (64 - VALUE_BITS);
    (packed >> VALUE_BITS, value)
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryBudget")
            .field("retry_ratio", &self.inner.ratio)
            .field("min_per_second", &self.inner.min_per_second)
            .field("ttl", &self.inner.ttl)
            .field("available", &self.available())
            .finish()
    }
}

/// Settings of a [`RetryBudget`]; `build()` checks them.
#[must_use]
#[derive(Debug, Clone)]
pub struct RetryBudgetBuilder {
    ttl: Duration,
    min_per_second: u32,
    ratio: f64,
    clock: Option<Arc<dyn Clock>>,
}

impl Default for RetryBudgetBuilder {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(10),
            min_per_second: 10,
            ratio: 0.2,
            clock: None,
        }
    }
}

impl RetryBudgetBuilder {
    /// How long a deposit or withdrawal counts. Default 10 s; at least 1 ms.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Retries per second allowed even with no requests, as a reserve of
    /// `min_per_second × ttl` retries per window. Default 10; 0 turns the floor off.
    pub fn min_per_second(mut self, n: u32) -> Self {
        self.min_per_second = n;
        self
    }

    /// Retries per request, as a fraction: 0.2 allows one retry per five requests. Default
    /// 0.2; from 0.0 to 10.0 (1000 %), resolved to 0.1 %.
    pub fn retry_ratio(mut self, ratio: f64) -> Self {
        self.ratio = ratio;
        self
    }

    /// The clock that ages deposits. Default: a monotonic TSC-backed clock (`quanta`).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Checks the settings and builds the budget.
    pub fn build(self) -> Result<RetryBudget, ResilienceError> {
        if !(0.0..=10.0).contains(&self.ratio) {
            return Err(ResilienceError::InvalidConfig {
                field: "retry_ratio",
                reason: format!("{} is outside 0.0..=10.0 (0 % to 1000 %)", self.ratio),
            });
        }
        if self.ttl < Duration::from_millis(1) {
            return Err(ResilienceError::InvalidConfig {
                field: "ttl",
                reason: format!("{:?} is below the minimum of 1 ms", self.ttl),
            });
        }
        // ratio <= 10, so at most 10 000 units.
        let deposit = (self.ratio * UNIT as f64).round() as i64;
        // The float product saturates in the cast; the clamp keeps ten slots plus the
        // reserve far from i64's limits.
        let reserve = (f64::from(self.min_per_second) * self.ttl.as_secs_f64() * UNIT as f64)
            .min((i64::MAX / 4) as f64) as i64;
        let clock = match self.clock {
            Some(c) => Source::Custom(c),
            None => {
                let c = quanta::Clock::new();
                let origin = c.raw();
                Source::Tsc(c, origin)
            }
        };
        Ok(RetryBudget {
            inner: Arc::new(Inner {
                slots: Default::default(),
                slot_nanos: (nanos(self.ttl) / SLOTS).max(1),
                deposit,
                reserve,
                clock,
                ratio: self.ratio,
                min_per_second: self.min_per_second,
                ttl: self.ttl,
            }),
        })
    }
}

#[cfg(feature = "metrics")]
impl RetryBudget {
    /// Exposes the budget in `registry`, read at each render: the gauge
    /// `{prefix}_available` (whole retries available now, the reserve included). The series
    /// disappears with the last clone of the budget.
    ///
    /// ```
    /// use perfkit::metrics::Registry;
    /// use perfkit::resilience::RetryBudget;
    ///
    /// let registry = Registry::new();
    /// let budget = RetryBudget::builder().min_per_second(10).build()?;
    /// budget.register_metrics(&registry, "api_retry_budget")?;
    /// assert!(registry.render_prometheus().contains("api_retry_budget_available 100"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn register_metrics(
        &self,
        registry: &crate::metrics::Registry,
        prefix: &str,
    ) -> Result<(), crate::metrics::MetricsError> {
        let export = crate::metrics::export::Exporter::new(registry, prefix, &self.inner)?;
        export.gauge("available", &[], |inner| {
            RetryBudget {
                inner: Arc::clone(inner),
            }
            .available() as f64
        })
    }
}
