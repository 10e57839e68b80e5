//! Pull-style export of the balancer's counters into a [`crate::metrics::Registry`].

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use super::balancer::{Balancer, Shared};
use super::state::{BackendState, EJECTED};
use crate::metrics::{MetricsError, Registry};

/// Reads `f` of the backend `id` in the current list, or `None` once the balancer or the
/// backend is gone (the registry then drops the series).
fn backend<T, R>(
    w: &Weak<Shared<T>>,
    id: &str,
    f: impl Fn(&Shared<T>, &BackendState) -> R,
) -> Option<R> {
    let shared = w.upgrade()?;
    let snap = shared.snap.load();
    let node = snap.nodes.iter().find(|n| n.id == id)?;
    Some(f(&shared, &node.state))
}

impl<T: Send + Sync + 'static> Balancer<T> {
    /// Registers the balancer's counters in `registry` under `prefix`, read when the registry
    /// renders (the pick path pays nothing for it):
    ///
    /// - `{prefix}_backends` and `{prefix}_available_backends` (gauges);
    /// - `{prefix}_ejections_total`, `{prefix}_panic_picks_total`;
    /// - per backend (label `backend` = its id): `{prefix}_requests_total{outcome="success"|"failure"|"cancelled"}`,
    ///   `{prefix}_in_flight`, `{prefix}_health_score`, `{prefix}_ejected` (0 or 1),
    ///   `{prefix}_latency_ewma_seconds`.
    ///
    /// The registry holds no strong reference: once every clone of the balancer is dropped,
    /// the series disappear, and a backend's series disappear when it leaves the list. Series
    /// for backends added later by [`set_backends`](Self::set_backends) appear when this is
    /// called again (registering the same names again replaces them).
    ///
    /// ```
    /// use perfkit::balance::{Backend, Balancer, Strategy};
    /// use perfkit::metrics::Registry;
    ///
    /// let registry = Registry::new();
    /// let lb = Balancer::new([Backend::new("a", ()), Backend::new("b", ())], Strategy::RoundRobin)?;
    /// lb.register_metrics(&registry, "api_lb")?;
    /// lb.pick()?.failure();
    /// let text = registry.render_prometheus();
    /// assert!(text.contains("api_lb_requests_total{backend=\"a\",outcome=\"failure\"} 1"));
    /// assert!(text.contains("api_lb_available_backends 2"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn register_metrics(&self, registry: &Registry, prefix: &str) -> Result<(), MetricsError> {
        let weak = Arc::downgrade(&self.shared);
        let name = |s: &str| format!("{prefix}_{s}");

        let w = weak.clone();
        registry.gauge_fn(&name("backends"), &[], move || {
            w.upgrade().map(|s| s.snap.load().nodes.len() as f64)
        })?;
        let w = weak.clone();
        registry.gauge_fn(&name("available_backends"), &[], move || {
            w.upgrade()
                .map(|s| s.snap.load().available.load(Ordering::Relaxed) as f64)
        })?;
        let w = weak.clone();
        registry.counter_fn(&name("ejections_total"), &[], move || {
            w.upgrade().map(|s| s.ejections.load(Ordering::Relaxed))
        })?;
        let w = weak.clone();
        registry.counter_fn(&name("panic_picks_total"), &[], move || {
            w.upgrade().map(|s| s.panic_picks())
        })?;

        for id in self.ids() {
            let labels = [("backend", id.as_str())];
            type Read = fn(&BackendState) -> u64;
            let outcomes: [(&str, Read); 3] = [
                ("success", |st| st.successes.load(Ordering::Relaxed)),
                ("failure", |st| st.failures.load(Ordering::Relaxed)),
                ("cancelled", |st| st.cancelled.load(Ordering::Relaxed)),
            ];
            for (outcome, read) in outcomes {
                let (w, key) = (weak.clone(), id.clone());
                registry.counter_fn(
                    &name("requests_total"),
                    &[("backend", id.as_str()), ("outcome", outcome)],
                    move || backend(&w, &key, |_, st| read(st)),
                )?;
            }
            let (w, key) = (weak.clone(), id.clone());
            registry.gauge_fn(&name("in_flight"), &labels, move || {
                backend(&w, &key, |_, st| st.in_flight() as f64)
            })?;
            let (w, key) = (weak.clone(), id.clone());
            registry.gauge_fn(&name("health_score"), &labels, move || {
                backend(&w, &key, |_, st| {
                    f64::from(st.score.load(Ordering::Relaxed))
                })
            })?;
            let (w, key) = (weak.clone(), id.clone());
            registry.gauge_fn(&name("ejected"), &labels, move || {
                backend(&w, &key, |_, st| {
                    f64::from(u8::from(st.down.load(Ordering::Relaxed) & EJECTED != 0))
                })
            })?;
            let (w, key) = (weak.clone(), id.clone());
            registry.gauge_fn(&name("latency_ewma_seconds"), &labels, move || {
                backend(&w, &key, |sh, st| {
                    st.ewma_at(sh.now(), sh.cfg.decay_ns) / 1e9
                })
            })?;
        }
        Ok(())
    }
}
