//! What changes with time or with outcomes: the end of ejections, score cooldowns and
//! slow-start ramps; ejection itself; the recount of available backends.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crossbeam_utils::CachePadded;

use super::balancer::{Shared, Snapshot, nanos};
use super::config::OutlierDetection;
use super::state::{BackendState, EJECTED, LOW_SCORE, NONE};

impl<T> Shared<T> {
    /// Brings the snapshot's timed state up to date: ends ejections, score cooldowns and
    /// slow-start ramps that are due, recounts available backends, and sets the next deadline.
    /// From the pick path (`wait == false`) it gives way to a refresh already running.
    pub(crate) fn refresh(&self, snap: &Snapshot<T>, wait: bool) {
        let _g = if wait {
            self.refresher.lock()
        } else {
            match self.refresher.try_lock() {
                Some(g) => g,
                None => return,
            }
        };
        self.refresh_locked(snap, self.now());
    }

    fn refresh_locked(&self, snap: &Snapshot<T>, now: u64) {
        let mut available = 0;
        let mut next = NONE;
        for node in &snap.nodes {
            let st = &node.state;
            let down = st.down.load(Ordering::Relaxed);
            if down & EJECTED != 0 {
                let until = st.ejected_until.load(Ordering::Relaxed);
                if now >= until {
                    st.down.fetch_and(!EJECTED, Ordering::Relaxed);
                    st.returned_at.store(now, Ordering::Relaxed);
                    st.consecutive_failures.store(0, Ordering::Relaxed);
                    if down == EJECTED {
                        self.start_slow(st, now);
                    }
                } else {
                    next = next.min(until);
                }
            }
            if down & LOW_SCORE != 0 {
                let at = st.score_recover_at.load(Ordering::Relaxed);
                if now >= at {
                    st.score.store(self.cfg.score_threshold, Ordering::Relaxed);
                    st.down.fetch_and(!LOW_SCORE, Ordering::Relaxed);
                } else {
                    next = next.min(at);
                }
            }
            let since = st.slow_since.load(Ordering::Relaxed);
            if since != NONE {
                match &self.cfg.slow_start {
                    Some(ss) => {
                        let end = since.saturating_add(nanos(ss.window));
                        if now >= end {
                            st.slow_since.store(NONE, Ordering::Relaxed);
                        } else {
                            next = next.min(end);
                        }
                    }
                    None => st.slow_since.store(NONE, Ordering::Relaxed),
                }
            }
            if st.is_up() {
                available += 1;
            }
        }
        snap.available.store(available, Ordering::Relaxed);
        snap.deadline.store(next, Ordering::Relaxed);
    }

    /// Ejects `state` if the ejection cap allows; called when a rule trips.
    pub(crate) fn try_eject(&self, state: &Arc<CachePadded<BackendState>>, od: &OutlierDetection) {
        let _g = self.refresher.lock();
        let now = self.now();
        let snap = self.snap.load();
        // A backend removed from the list is not ejected from anything.
        if !snap.nodes.iter().any(|n| Arc::ptr_eq(&n.state, state)) {
            return;
        }
        if state.down.load(Ordering::Relaxed) & EJECTED != 0 {
            return;
        }
        let n = snap.nodes.len();
        let ejected = snap
            .nodes
            .iter()
            .filter(|n| {
                n.state.down.load(Ordering::Relaxed) & EJECTED != 0
                    && n.state.ejected_until.load(Ordering::Relaxed) > now
            })
            .count();
        if ejected > 0 && (ejected + 1) as f64 * 100.0 > od.max_ejection_percent * n as f64 {
            return;
        }
        let returned = state.returned_at.load(Ordering::Relaxed);
        if returned != NONE && now.saturating_sub(returned) >= nanos(od.max_ejection_time) {
            state.times_ejected.store(0, Ordering::Relaxed);
        }
        let times = state
            .times_ejected
            .fetch_add(1, Ordering::Relaxed)
            .saturating_add(1);
        let dur = od
            .base_ejection_time
            .saturating_mul(times)
            .min(od.max_ejection_time);
        state
            .ejected_until
            .store(now.saturating_add(nanos(dur)), Ordering::Relaxed);
        state.down.fetch_or(EJECTED, Ordering::Relaxed);
        state.consecutive_failures.store(0, Ordering::Relaxed);
        state.window_total.store(0, Ordering::Relaxed);
        state.window_failures.store(0, Ordering::Relaxed);
        state.slow_since.store(NONE, Ordering::Relaxed);
        state.ejections.fetch_add(1, Ordering::Relaxed);
        self.ejections.fetch_add(1, Ordering::Relaxed);
        self.refresh_locked(&snap, now);
    }

    /// A backend's score fell below the threshold: skip it for the cooldown.
    pub(crate) fn score_dropped(&self, state: &Arc<CachePadded<BackendState>>) {
        let now = self.now();
        state.score_recover_at.store(
            now.saturating_add(self.cfg.score_cooldown_ns),
            Ordering::Relaxed,
        );
        state.down.fetch_or(LOW_SCORE, Ordering::Relaxed);
        self.refresh(&self.snap.load(), true);
    }
}
