//! The guard a pick returns: counts the request in flight until it is finished.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use arc_swap::Guard;

use super::balancer::{Node, Shared, Snapshot, nanos};
use super::state::MAX_SCORE;
use super::strategy::Strategy;

/// A picked backend: derefs to it, and counts one request in flight on it until
/// [`success`](Self::success) or [`failure`](Self::failure). Dropped unfinished, the request
/// counts as cancelled: it leaves the in-flight count and touches neither the health score
/// nor the outlier rules.
///
/// `Send` when `T: Send + Sync`, so it can be held across an `.await`.
///
/// ```
/// use perfkit::balance::{Backend, Balancer, Strategy};
///
/// let lb = Balancer::new([Backend::new("a", 1), Backend::new("b", 2)], Strategy::LeastConnections)?;
/// let first = lb.pick()?;
/// let second = lb.pick()?; // the other one: `first` is still in flight
/// assert_ne!(*first, *second);
/// first.failure();
/// drop(second); // cancelled
/// let s = lb.stats();
/// assert_eq!(s.backends.iter().map(|b| b.failures + b.cancelled).sum::<u64>(), 2);
/// # Ok::<(), perfkit::balance::BalanceError>(())
/// ```
#[must_use = "a pick counts as in flight until success() or failure(); dropping it cancels"]
pub struct Pick<'a, T> {
    shared: &'a Shared<T>,
    // The snapshot the backend was picked from, held through arc-swap's guard (a debt slot,
    // no reference-count traffic in the common case); `idx` is valid in it.
    snap: Guard<Arc<Snapshot<T>>>,
    idx: usize,
    /// When it was picked, if the pick read the clock: a finish then dates itself as
    /// `picked_at + latency` instead of reading the clock again.
    picked_at: Option<u64>,
    done: bool,
}

impl<T> std::fmt::Debug for Pick<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pick").field("id", &self.node().id).finish()
    }
}

impl<T> Deref for Pick<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.node().value
    }
}

impl<'a, T> Pick<'a, T> {
    #[inline]
    pub(crate) fn new(
        shared: &'a Shared<T>,
        snap: Guard<Arc<Snapshot<T>>>,
        idx: usize,
        picked_at: Option<u64>,
    ) -> Self {
        Self {
            shared,
            snap,
            idx,
            picked_at,
            done: false,
        }
    }

    #[inline]
    fn node(&self) -> &Node<T> {
        &self.snap.nodes[self.idx]
    }

    /// The picked backend's id.
    pub fn id(&self) -> &str {
        &self.node().id
    }

    /// The request succeeded after `latency` (fed to the P2C latency estimate; a `Duration`
    /// cannot be NaN or negative, and one above about 584 years is clamped to that).
    #[inline]
    pub fn success(mut self, latency: Duration) {
        self.done = true;
        let sh = self.shared;
        let st = &self.node().state;
        st.successes.fetch_add(1, Ordering::Relaxed);
        if st.consecutive_failures.load(Ordering::Relaxed) != 0 {
            st.consecutive_failures.store(0, Ordering::Relaxed);
        }
        if st.score.load(Ordering::Relaxed) < MAX_SCORE {
            st.add_score(10);
        }
        let p2c = sh.cfg.strategy == Strategy::P2cPeakEwma;
        let rate_rule = sh
            .cfg
            .outlier
            .as_ref()
            .is_some_and(|od| od.failure_rate_minimum_requests > 0);
        if p2c || rate_rule {
            let now = match self.picked_at {
                Some(at) => at.saturating_add(nanos(latency)),
                None => sh.now(),
            };
            if p2c {
                st.ewma_update(nanos(latency) as f64, now, sh.cfg.decay_ns);
            }
            if rate_rule {
                self.window(now, false);
            }
        }
    }

    /// The request failed. Counts towards the health score (−20), the outlier rules, and, under
    /// P2C, doubles the backend's latency estimate so a backend that fails fast does not look
    /// attractive.
    pub fn failure(mut self) {
        self.done = true;
        let sh = self.shared;
        let st = &self.node().state;
        st.failures.fetch_add(1, Ordering::Relaxed);
        let consecutive = st
            .consecutive_failures
            .fetch_add(1, Ordering::Relaxed)
            .saturating_add(1);
        let (old, new) = st.add_score(-20);
        let threshold = sh.cfg.score_threshold;
        if sh.cfg.strategy == Strategy::HealthScore && old >= threshold && new < threshold {
            sh.score_dropped(&self.node().state);
        }
        let now = sh.now();
        if sh.cfg.strategy == Strategy::P2cPeakEwma {
            let est = st.ewma_at(now, sh.cfg.decay_ns).max(sh.cfg.default_rtt_ns);
            st.ewma_update(est * 2.0, now, sh.cfg.decay_ns);
        }
        if let Some(od) = &sh.cfg.outlier {
            if od.consecutive_failures > 0 && consecutive >= od.consecutive_failures {
                sh.try_eject(&self.node().state, od);
            } else if od.failure_rate_minimum_requests > 0 {
                self.window(now, true);
            }
        }
    }

    /// The failure-rate rule: a tumbling window of finished requests.
    fn window(&self, now: u64, failed: bool) {
        let sh = self.shared;
        let Some(od) = &sh.cfg.outlier else { return };
        let st = &self.node().state;
        let start = st.window_start.load(Ordering::Relaxed);
        if now.saturating_sub(start) >= nanos(od.window)
            && st
                .window_start
                .compare_exchange(start, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            st.window_total.store(0, Ordering::Relaxed);
            st.window_failures.store(0, Ordering::Relaxed);
        }
        let total = st.window_total.fetch_add(1, Ordering::Relaxed) + 1;
        if !failed {
            return;
        }
        let failures = st.window_failures.fetch_add(1, Ordering::Relaxed) + 1;
        if total >= od.failure_rate_minimum_requests
            && f64::from(failures) * 100.0 >= od.failure_rate_threshold * f64::from(total)
        {
            sh.try_eject(&self.node().state, od);
        }
    }
}

impl<T> Drop for Pick<'_, T> {
    #[inline]
    fn drop(&mut self) {
        if !self.done {
            let st = &self.node().state;
            st.cancelled.fetch_add(1, Ordering::Relaxed);
        }
    }
}
