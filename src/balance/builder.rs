//! The builder of a [`Balancer`], with every default in one place.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::time::Duration;

use arc_swap::ArcSwap;
use crossbeam_utils::CachePadded;
use parking_lot::Mutex;

use super::balancer::{Backend, Balancer, Config, Shared, build_snapshot, nanos};
use super::config::{OutlierDetection, SlowStart};
use super::error::{BalanceError, invalid};
use super::hash::{HashRing, is_prime};
use super::rng::Rng;
use super::strategy::Strategy;
use crate::clock::{Clock, NanoClock};

/// Builds a [`Balancer`]; every setting has a default, named in its setter.
///
/// ```
/// use perfkit::balance::{Backend, Balancer, HashRing, OutlierDetection, SlowStart, Strategy};
/// use std::time::Duration;
///
/// let lb = Balancer::builder()
///     .strategy(Strategy::ConsistentHash)
///     .hash_ring(HashRing::Maglev { table_size: 65_537 })
///     .backends((0..4).map(|i| Backend::new(format!("cache-{i}"), i)))
///     .outlier_detection(OutlierDetection::new().consecutive_failures(3))
///     .slow_start(SlowStart::new(Duration::from_secs(30)))
///     .seed(7)
///     .build()?;
/// let a = *lb.pick_by_key("user:42")?;
/// let b = *lb.pick_by_key("user:42")?;
/// assert_eq!(a, b);
/// # Ok::<(), perfkit::balance::BalanceError>(())
/// ```
#[must_use]
pub struct BalancerBuilder<T> {
    backends: Vec<Backend<T>>,
    cfg: Config,
    clock: Option<Arc<dyn Clock>>,
    seed: Option<u64>,
    p2c_default_rtt: Duration,
    p2c_decay: Duration,
    score_cooldown: Duration,
}

impl<T> std::fmt::Debug for BalancerBuilder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BalancerBuilder")
            .field("backends", &self.backends.len())
            .field("cfg", &self.cfg)
            .finish()
    }
}

impl<T> Default for BalancerBuilder<T> {
    fn default() -> Self {
        Self {
            backends: Vec::new(),
            cfg: Config {
                strategy: Strategy::P2cPeakEwma,
                hash: HashRing::default(),
                outlier: None,
                slow_start: None,
                panic_threshold: 50.0,
                score_threshold: 50,
                score_cooldown_ns: 0,
                default_rtt_ns: 0.0,
                decay_ns: 0.0,
            },
            clock: None,
            seed: None,
            p2c_default_rtt: Duration::from_millis(30),
            p2c_decay: Duration::from_secs(10),
            score_cooldown: Duration::from_secs(10),
        }
    }
}

impl<T> BalancerBuilder<T> {
    /// The strategy. Default [`Strategy::P2cPeakEwma`].
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.cfg.strategy = strategy;
        self
    }

    /// The backends (replacing any given before). Default none: picks then fail with
    /// [`BalanceError::NoBackends`] until [`Balancer::set_backends`] adds some.
    pub fn backends(mut self, backends: impl IntoIterator<Item = Backend<T>>) -> Self {
        self.backends = backends.into_iter().collect();
        self
    }

    /// The consistent-hash table for [`Strategy::ConsistentHash`]. Default
    /// `HashRing::Ring { vnodes: 160 }`.
    pub fn hash_ring(mut self, ring: HashRing) -> Self {
        self.cfg.hash = ring;
        self
    }

    /// Turns on passive health (outlier ejection). Default off.
    pub fn outlier_detection(mut self, od: OutlierDetection) -> Self {
        self.cfg.outlier = Some(od);
        self
    }

    /// Turns on slow start for backends that join after the balancer is built or return from
    /// ejection. Default off.
    pub fn slow_start(mut self, ss: SlowStart) -> Self {
        self.cfg.slow_start = Some(ss);
        self
    }

    /// Panic threshold in percent [0, 100]: when fewer than this share of backends are
    /// available, picks spread over all of them, as Envoy does, rather than overload the few
    /// left. 0 turns panic mode off (picks then fail with [`BalanceError::AllUnavailable`]
    /// when none is available). Default 50.
    pub fn panic_threshold(mut self, percent: f64) -> Self {
        self.cfg.panic_threshold = percent;
        self
    }

    /// [`Strategy::HealthScore`]: backends whose score is below this (0–100) are skipped.
    /// Default 50.
    pub fn health_score_threshold(mut self, threshold: u32) -> Self {
        self.cfg.score_threshold = threshold;
        self
    }

    /// [`Strategy::HealthScore`]: how long a backend that fell below the threshold is skipped
    /// before it comes back with its score at the threshold. Default 10 s.
    pub fn health_score_cooldown(mut self, cooldown: Duration) -> Self {
        self.score_cooldown = cooldown;
        self
    }

    /// [`Strategy::P2cPeakEwma`]: the latency estimate of a backend with no sample yet.
    /// Default 30 ms.
    pub fn p2c_default_rtt(mut self, rtt: Duration) -> Self {
        self.p2c_default_rtt = rtt;
        self
    }

    /// [`Strategy::P2cPeakEwma`]: the EWMA's time constant. Default 10 s (as Linkerd).
    pub fn p2c_decay(mut self, decay: Duration) -> Self {
        self.p2c_decay = decay;
        self
    }

    /// The clock every time-based rule reads. Default: the CPU's time-stamp counter through
    /// `quanta` (a few nanoseconds a read; the OS monotonic clock where there is no
    /// invariant TSC).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Seeds the balancer's random numbers, so a run can be replayed. Default: a seed drawn
    /// from the process's random hash keys.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Checks the settings and the backend list and builds the balancer.
    pub fn build(mut self) -> Result<Balancer<T>, BalanceError> {
        let cfg = &mut self.cfg;
        if !(0.0..=100.0).contains(&cfg.panic_threshold) {
            return Err(invalid("panic_threshold", "must be in [0, 100]"));
        }
        if cfg.score_threshold > 100 {
            return Err(invalid("health_score_threshold", "must be in 0..=100"));
        }
        if self.p2c_decay.is_zero() {
            return Err(invalid("p2c_decay", "must be above zero"));
        }
        match cfg.hash {
            HashRing::Ring { vnodes } if vnodes == 0 || vnodes > 10_000 => {
                return Err(invalid("hash_ring", "vnodes must be in 1..=10000"));
            }
            HashRing::Maglev { table_size } if !is_prime(table_size) || table_size > 10_000_019 => {
                return Err(invalid(
                    "hash_ring",
                    "Maglev table_size must be a prime no larger than 10 000 019",
                ));
            }
            _ => {}
        }
        if let Some(od) = &cfg.outlier {
            od.validate()?;
        }
        if let Some(ss) = &cfg.slow_start {
            ss.validate()?;
        }
        cfg.score_cooldown_ns = nanos(self.score_cooldown);
        cfg.default_rtt_ns = nanos(self.p2c_default_rtt) as f64;
        cfg.decay_ns = nanos(self.p2c_decay) as f64;
        let seed = self
            .seed
            .unwrap_or_else(|| std::collections::hash_map::RandomState::new().hash_one(0u64));
        let clock = NanoClock::new(self.clock);
        let now = clock.now();
        let snap = build_snapshot(&self.cfg, self.backends, &HashMap::new(), now, false)?;
        let shared = Shared {
            cfg: self.cfg,
            clock,
            rng: Rng::new(seed),
            rr: CachePadded::new(AtomicUsize::new(0)),
            snap: ArcSwap::from_pointee(snap),
            writer: Mutex::new(()),
            refresher: Mutex::new(()),
            panic_picks: CachePadded::new(AtomicU64::new(0)),
            ejections: AtomicU64::new(0),
        };
        Ok(Balancer {
            shared: Arc::new(shared),
        })
    }
}
