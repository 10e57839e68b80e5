//! The balancer: a snapshot of backends swapped atomically, and the pick path over it.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;
use crossbeam_utils::CachePadded;
use parking_lot::Mutex;

use super::builder::BalancerBuilder;
use super::config::{OutlierDetection, SlowStart};
use super::error::BalanceError;
use super::hash::{HashRing, Table, hash_of};
use super::pick::Pick;
use super::rng::Rng;
use super::state::{BackendState, EJECTED, NONE, UNHEALTHY};
use super::stats::{BackendStats, BalancerStats};
use super::strategy::Strategy;
use crate::clock::NanoClock;

/// One backend as handed to a [`Balancer`]: a stable id, the value picks deref to, a weight.
///
/// The id is what run-time updates match on: a backend whose id is in both the old and the
/// new list keeps its counters, health and ejection state. It is also what consistent hashing
/// hashes, so every client with the same list maps a key to the same backend.
///
/// ```
/// use perfkit::balance::Backend;
///
/// let b = Backend::new("db-1", "10.0.0.1:5432").weight(2.0);
/// assert_eq!(b.id(), "db-1");
/// assert_eq!(b.get_weight(), 2.0);
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Backend<T> {
    pub(crate) id: String,
    pub(crate) value: T,
    pub(crate) weight: f64,
}

impl<T> Backend<T> {
    /// A backend of weight 1.
    pub fn new(id: impl Into<String>, value: T) -> Self {
        Self {
            id: id.into(),
            value,
            weight: 1.0,
        }
    }

    /// Its weight: a finite number above zero, checked when the list is handed over (anything
    /// else is [`BalanceError::InvalidWeight`]). Default 1.
    pub fn weight(mut self, weight: f64) -> Self {
        self.weight = weight;
        self
    }

    /// The id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The weight as set.
    pub fn get_weight(&self) -> f64 {
        self.weight
    }
}

pub(crate) struct Node<T> {
    pub(crate) id: String,
    pub(crate) value: T,
    pub(crate) state: Arc<CachePadded<BackendState>>,
}

pub(crate) struct Snapshot<T> {
    pub(crate) nodes: Vec<Arc<Node<T>>>,
    pub(crate) weights: Vec<f64>,
    /// Prefix sums of `weights`, for weighted random by binary search.
    pub(crate) cum: Vec<f64>,
    pub(crate) total: f64,
    pub(crate) table: Option<Table>,
    /// Smooth WRR's current scores; reset when the list changes.
    pub(crate) wrr: Mutex<Vec<f64>>,
    pub(crate) available: AtomicUsize,
    /// The earliest time (ns) something timed changes (an ejection or a score cooldown ends,
    /// a slow-start ramp ends); `NONE` when nothing is pending, so steady-state picks of the
    /// clock-free strategies never read the clock.
    pub(crate) deadline: AtomicU64,
}

#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) strategy: Strategy,
    pub(crate) hash: HashRing,
    pub(crate) outlier: Option<OutlierDetection>,
    pub(crate) slow_start: Option<SlowStart>,
    pub(crate) panic_threshold: f64,
    pub(crate) score_threshold: u32,
    pub(crate) score_cooldown_ns: u64,
    pub(crate) default_rtt_ns: f64,
    pub(crate) decay_ns: f64,
}

pub(crate) struct Shared<T> {
    pub(crate) cfg: Config,
    pub(crate) clock: NanoClock,
    pub(crate) rng: Rng,
    pub(crate) rr: CachePadded<AtomicUsize>,
    pub(crate) snap: ArcSwap<Snapshot<T>>,
    pub(crate) writer: Mutex<()>,
    pub(crate) refresher: Mutex<()>,
    pub(crate) panic_picks: CachePadded<AtomicU64>,
    pub(crate) ejections: AtomicU64,
}

/// A client-side load balancer over backends of type `T`.
///
/// Cheap to clone (a handle on shared state); `Send + Sync` when `T` is. Picks take no lock
/// (except smooth weighted round robin's short one) and never allocate; the backend list and
/// weights change at run time through an atomic swap ([`set_backends`](Self::set_backends),
/// [`set_weight`](Self::set_weight)).
///
/// ```
/// use perfkit::balance::{Backend, Balancer, Strategy};
/// use std::time::Duration;
///
/// let lb = Balancer::new(
///     [Backend::new("a", "10.0.0.1:80"), Backend::new("b", "10.0.0.2:80").weight(2.0)],
///     Strategy::P2cPeakEwma,
/// )?;
/// let pick = lb.pick()?;
/// let addr: &str = *pick; // derefs to the backend
/// assert!(addr.starts_with("10.0.0."));
/// // ... send the request, then say how it went:
/// pick.success(Duration::from_millis(3));
/// assert_eq!(lb.stats().backends.iter().map(|b| b.successes).sum::<u64>(), 1);
/// # Ok::<(), perfkit::balance::BalanceError>(())
/// ```
pub struct Balancer<T> {
    pub(crate) shared: Arc<Shared<T>>,
}

impl<T> Clone for Balancer<T> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> std::fmt::Debug for Balancer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let snap = self.shared.snap.load();
        f.debug_struct("Balancer")
            .field("strategy", &self.shared.cfg.strategy)
            .field("backends", &snap.nodes.len())
            .field("available", &snap.available.load(Ordering::Relaxed))
            .finish()
    }
}

#[inline]
pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(NONE - 1)
}

fn validate(backends: &[Backend<impl Sized>]) -> Result<(), BalanceError> {
    let mut seen = HashSet::with_capacity(backends.len());
    for b in backends {
        if !(b.weight.is_finite() && b.weight > 0.0) {
            return Err(BalanceError::InvalidWeight {
                id: b.id.clone(),
                weight: b.weight,
            });
        }
        if !seen.insert(b.id.as_str()) {
            return Err(BalanceError::DuplicateId(b.id.clone()));
        }
    }
    Ok(())
}

type States = HashMap<String, Arc<CachePadded<BackendState>>>;

pub(crate) fn build_snapshot<T>(
    cfg: &Config,
    backends: Vec<Backend<T>>,
    old: &States,
    now: u64,
    ramp_new: bool,
) -> Result<Snapshot<T>, BalanceError> {
    validate(&backends)?;
    let mut nodes = Vec::with_capacity(backends.len());
    let mut weights = Vec::with_capacity(backends.len());
    for b in backends {
        let state = match old.get(&b.id) {
            Some(s) => Arc::clone(s),
            None => {
                let s = BackendState::new(cfg.default_rtt_ns, now);
                if ramp_new && cfg.slow_start.is_some() {
                    s.slow_since.store(now, Ordering::Relaxed);
                }
                Arc::new(CachePadded::new(s))
            }
        };
        weights.push(b.weight);
        nodes.push(Arc::new(Node {
            id: b.id,
            value: b.value,
            state,
        }));
    }
    Ok(snapshot_of(cfg, nodes, weights))
}

fn snapshot_of<T>(cfg: &Config, nodes: Vec<Arc<Node<T>>>, weights: Vec<f64>) -> Snapshot<T> {
    let mut cum = Vec::with_capacity(weights.len());
    let mut total = 0.0;
    for w in &weights {
        total += w;
        cum.push(total);
    }
    let table = (cfg.strategy == Strategy::ConsistentHash && !nodes.is_empty()).then(|| {
        let ids: Vec<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
        Table::build(cfg.hash, &ids, &weights)
    });
    let available = nodes.iter().filter(|n| n.state.is_up()).count();
    Snapshot {
        wrr: Mutex::new(vec![0.0; nodes.len()]),
        nodes,
        weights,
        cum,
        total,
        table,
        available: AtomicUsize::new(available),
        // Recomputed by the refresh that follows every swap.
        deadline: AtomicU64::new(0),
    }
}

/// What one pick knows: the snapshot, the time (when something timed is pending) and
/// whether the balancer is in panic mode.
pub(crate) struct Ctx<'s, T> {
    pub(crate) snap: &'s Snapshot<T>,
    pub(crate) now: Option<u64>,
    pub(crate) panic: bool,
}

impl<T> Ctx<'_, T> {
    #[inline]
    pub(crate) fn ok(&self, i: usize) -> bool {
        match self.snap.nodes.get(i) {
            Some(n) => self.up(&n.state),
            None => self.panic,
        }
    }

    /// [`ok`](Self::ok) for a backend already in hand (a walk over the nodes).
    #[inline]
    pub(crate) fn up(&self, st: &BackendState) -> bool {
        self.panic || st.is_up()
    }
}

impl<T> Balancer<T> {
    /// A balancer with default settings (see [`BalancerBuilder`]).
    pub fn new(
        backends: impl IntoIterator<Item = Backend<T>>,
        strategy: Strategy,
    ) -> Result<Self, BalanceError> {
        Self::builder()
            .backends(backends)
            .strategy(strategy)
            .build()
    }

    /// A builder with every setting at its default.
    pub fn builder() -> BalancerBuilder<T> {
        BalancerBuilder::default()
    }

    /// The strategy it was built with.
    pub fn strategy(&self) -> Strategy {
        self.shared.cfg.strategy
    }

    /// Picks a backend. The returned guard derefs to it and counts the request as in flight
    /// until [`Pick::success`] or [`Pick::failure`]; dropping it unfinished counts a
    /// cancellation (not a failure).
    #[inline]
    pub fn pick(&self) -> Result<Pick<'_, T>, BalanceError> {
        self.pick_hashed(None)
    }

    /// Picks the backend for `key` under [`Strategy::ConsistentHash`] (the same key, the same
    /// backend while it is available); under the other strategies, the key is ignored and this
    /// is [`pick`](Self::pick). Keys are hashed with a fixed hash function, so every process
    /// agrees.
    #[inline]
    pub fn pick_by_key<K: Hash + ?Sized>(&self, key: &K) -> Result<Pick<'_, T>, BalanceError> {
        if self.shared.cfg.strategy == Strategy::ConsistentHash {
            self.pick_hashed(Some(hash_of(key)))
        } else {
            self.pick_hashed(None)
        }
    }

    fn pick_hashed(&self, key: Option<u64>) -> Result<Pick<'_, T>, BalanceError> {
        let sh = &*self.shared;
        let snap = sh.snap.load();
        let n = snap.nodes.len();
        if n == 0 {
            return Err(BalanceError::NoBackends);
        }
        let deadline = snap.deadline.load(Ordering::Relaxed);
        let mut now = None;
        // P2C needs the time to decay its estimates; the others only while something timed
        // is pending.
        if deadline != NONE || sh.cfg.strategy == Strategy::P2cPeakEwma {
            let t = sh.now();
            if t >= deadline {
                sh.refresh(&snap, false);
            }
            now = Some(t);
        }
        let available = snap.available.load(Ordering::Relaxed);
        let panic = available < n && (available as f64) * 100.0 < sh.cfg.panic_threshold * n as f64;
        if available == 0 && !panic {
            return Err(BalanceError::AllUnavailable { backends: n });
        }
        if panic {
            sh.panic_picks.fetch_add(1, Ordering::Relaxed);
        }
        let ctx = Ctx {
            snap: &snap,
            now,
            panic,
        };
        let chosen = match sh.cfg.strategy {
            Strategy::RoundRobin => sh.round_robin(&ctx),
            Strategy::WeightedRoundRobin => sh.smooth_wrr(&ctx),
            Strategy::LeastConnections => sh.least_connections(&ctx),
            Strategy::WeightedRandom => sh.weighted_random(&ctx, false),
            Strategy::HealthScore => sh.weighted_random(&ctx, true),
            Strategy::P2cPeakEwma => sh.p2c(&ctx),
            Strategy::ConsistentHash => {
                let h = key.unwrap_or_else(|| sh.rng.next_u64());
                sh.consistent(&ctx, h)
            }
        };
        let idx = chosen
            .filter(|&i| i < n)
            .ok_or(BalanceError::AllUnavailable { backends: n })?;
        if let Some(node) = snap.nodes.get(idx) {
            node.state.started.fetch_add(1, Ordering::Relaxed);
        }
        Ok(Pick::new(sh, snap, idx, now))
    }

    /// Replaces the backend list. Backends whose id was already there keep their counters,
    /// health, ejection state and latency estimate (the new value and weight are used); new
    /// ones start fresh, and ramp up if slow start is on. Picks in flight finish normally.
    /// The list is checked first: on an error nothing changes.
    pub fn set_backends(
        &self,
        backends: impl IntoIterator<Item = Backend<T>>,
    ) -> Result<(), BalanceError> {
        let sh = &*self.shared;
        let _w = sh.writer.lock();
        let old = sh.snap.load();
        let states: States = old
            .nodes
            .iter()
            .map(|n| (n.id.clone(), Arc::clone(&n.state)))
            .collect();
        let snap = build_snapshot(
            &sh.cfg,
            backends.into_iter().collect(),
            &states,
            sh.now(),
            true,
        )?;
        sh.snap.store(Arc::new(snap));
        sh.refresh(&sh.snap.load(), true);
        Ok(())
    }

    /// Changes one backend's weight at run time (no lock on the pick path: the backend list
    /// is swapped atomically).
    pub fn set_weight(&self, id: &str, weight: f64) -> Result<(), BalanceError> {
        if !(weight.is_finite() && weight > 0.0) {
            return Err(BalanceError::InvalidWeight {
                id: id.to_owned(),
                weight,
            });
        }
        let sh = &*self.shared;
        let _w = sh.writer.lock();
        let old = sh.snap.load();
        let pos = old
            .nodes
            .iter()
            .position(|n| n.id == id)
            .ok_or_else(|| BalanceError::UnknownId(id.to_owned()))?;
        let mut weights = old.weights.clone();
        if let Some(w) = weights.get_mut(pos) {
            *w = weight;
        }
        let snap = snapshot_of(&sh.cfg, old.nodes.clone(), weights);
        sh.snap.store(Arc::new(snap));
        sh.refresh(&sh.snap.load(), true);
        Ok(())
    }

    /// Marks a backend healthy or not (what [`HealthChecker`](super::HealthChecker) calls). An
    /// unhealthy backend is skipped, except in panic mode.
    pub fn set_healthy(&self, id: &str, healthy: bool) -> Result<(), BalanceError> {
        let sh = &*self.shared;
        let snap = sh.snap.load();
        let node = snap
            .nodes
            .iter()
            .find(|n| n.id == id)
            .ok_or_else(|| BalanceError::UnknownId(id.to_owned()))?;
        let before = if healthy {
            node.state.down.fetch_and(!UNHEALTHY, Ordering::Relaxed)
        } else {
            node.state.down.fetch_or(UNHEALTHY, Ordering::Relaxed)
        };
        if (before & UNHEALTHY == 0) == healthy {
            return Ok(());
        }
        if healthy && before == UNHEALTHY {
            sh.start_slow(&node.state, sh.now());
        }
        sh.refresh(&snap, true);
        Ok(())
    }

    /// The ids of the current backends, in list order.
    pub fn ids(&self) -> Vec<String> {
        self.shared
            .snap
            .load()
            .nodes
            .iter()
            .map(|n| n.id.clone())
            .collect()
    }

    /// How many backends there are.
    pub fn len(&self) -> usize {
        self.shared.snap.load().nodes.len()
    }

    /// Whether there are no backends.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A snapshot of the counters, per backend and overall.
    pub fn stats(&self) -> BalancerStats {
        let sh = &*self.shared;
        let snap = sh.snap.load();
        let now = sh.now();
        let backends = snap
            .nodes
            .iter()
            .zip(&snap.weights)
            .map(|(n, &w)| {
                let st = &n.state;
                let down = st.down.load(Ordering::Relaxed);
                let successes = st.successes.load(Ordering::Relaxed);
                let failures = st.failures.load(Ordering::Relaxed);
                let cancelled = st.cancelled.load(Ordering::Relaxed);
                let in_flight = st
                    .started
                    .load(Ordering::Relaxed)
                    .saturating_sub(successes + failures + cancelled);
                BackendStats {
                    id: n.id.clone(),
                    weight: w,
                    effective_weight: w * sh.slow_factor(st, Some(now)),
                    in_flight,
                    requests: in_flight + successes + failures + cancelled,
                    successes,
                    failures,
                    cancelled,
                    health_score: st.score.load(Ordering::Relaxed),
                    ejected: down & EJECTED != 0,
                    healthy: down & UNHEALTHY == 0,
                    times_ejected: st.times_ejected.load(Ordering::Relaxed),
                    ejections: st.ejections.load(Ordering::Relaxed),
                    latency_ewma: Duration::from_nanos(st.ewma_at(now, sh.cfg.decay_ns) as u64),
                }
            })
            .collect();
        BalancerStats {
            backends,
            available: snap.available.load(Ordering::Relaxed),
            panic_picks: sh.panic_picks(),
            ejections: sh.ejections.load(Ordering::Relaxed),
        }
    }
}

impl<T> Shared<T> {
    #[inline]
    pub(crate) fn now(&self) -> u64 {
        self.clock.now()
    }

    pub(crate) fn panic_picks(&self) -> u64 {
        self.panic_picks.load(Ordering::Relaxed)
    }

    #[inline]
    pub(crate) fn slow_factor(&self, st: &BackendState, now: Option<u64>) -> f64 {
        match (&self.cfg.slow_start, now) {
            (Some(ss), Some(now)) => {
                let since = st.slow_since.load(Ordering::Relaxed);
                if since == NONE {
                    1.0
                } else {
                    ss.factor(Duration::from_nanos(now.saturating_sub(since)))
                }
            }
            _ => 1.0,
        }
    }

    #[inline]
    pub(crate) fn effective(&self, ctx: &Ctx<'_, T>, i: usize) -> f64 {
        let w = ctx.snap.weights.get(i).copied().unwrap_or(0.0);
        match ctx.snap.nodes.get(i) {
            Some(n) => self.effective_weight(ctx, w, &n.state),
            None => w,
        }
    }

    /// [`effective`](Self::effective) for a backend already in hand: its configured `weight`
    /// scaled by slow start (read only when the pick knows the time).
    #[inline]
    pub(crate) fn effective_weight(&self, ctx: &Ctx<'_, T>, weight: f64, st: &BackendState) -> f64 {
        match ctx.now {
            Some(_) => weight * self.slow_factor(st, ctx.now),
            None => weight,
        }
    }

    pub(crate) fn start_slow(&self, st: &BackendState, now: u64) {
        if self.cfg.slow_start.is_some() {
            st.slow_since.store(now, Ordering::Relaxed);
        }
    }
}
