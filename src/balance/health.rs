//! Active health checks: a user probe per backend, on an interval, with a timeout, jitter and
//! thresholds in a row.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::balancer::Balancer;
use super::error::{BalanceError, invalid};
use super::rng::Rng;

/// Runs a probe against every backend of a [`Balancer`] at an interval and marks backends
/// unhealthy after `unhealthy_threshold` failed probes in a row, healthy again after
/// `healthy_threshold` good ones in a row ([`Balancer::set_healthy`]). A probe that does not
/// finish within the timeout has failed. All probes of a round run concurrently; rounds are
/// `interval × (1 ± jitter)` apart so many clients do not probe in step.
///
/// It needs a tokio runtime with the timer (`tokio::time`); spawn [`run`](Self::run) on it,
/// or call [`check_once`](Self::check_once) on your own schedule.
///
/// ```
/// use perfkit::balance::{Backend, Balancer, HealthChecker, Strategy};
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), perfkit::balance::BalanceError> {
/// let lb = Balancer::new([Backend::new("a", 8080u16), Backend::new("b", 8081)], Strategy::RoundRobin)?;
/// let mut checker = HealthChecker::builder(&lb)
///     .interval(Duration::from_secs(5))
///     .timeout(Duration::from_secs(1))
///     .unhealthy_threshold(1)
///     .build()?;
/// // The probe: here "b" answers no; a real one would connect to `port`.
/// let probe = |id: &str, _port: &u16| {
///     let up = id != "b";
///     async move { up }
/// };
/// checker.check_once(&probe).await;
/// assert!(!lb.stats().backends[1].healthy);
/// # Ok(())
/// # }
/// ```
pub struct HealthChecker<T> {
    lb: Balancer<T>,
    interval: Duration,
    timeout: Duration,
    jitter: f64,
    healthy_threshold: u32,
    unhealthy_threshold: u32,
    rng: Rng,
    streaks: HashMap<String, Streak>,
}

impl<T> std::fmt::Debug for HealthChecker<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthChecker")
            .field("interval", &self.interval)
            .field("timeout", &self.timeout)
            .field("jitter", &self.jitter)
            .field("healthy_threshold", &self.healthy_threshold)
            .field("unhealthy_threshold", &self.unhealthy_threshold)
            .finish()
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Streak {
    good: u32,
    bad: u32,
}

/// Builds a [`HealthChecker`]; every setting has a default, named in its setter.
#[must_use]
#[derive(Debug)]
pub struct HealthCheckerBuilder<T> {
    lb: Balancer<T>,
    interval: Duration,
    timeout: Duration,
    jitter: f64,
    healthy_threshold: u32,
    unhealthy_threshold: u32,
    seed: u64,
}

impl<T> HealthCheckerBuilder<T> {
    /// Time between rounds of probes. Default 10 s.
    pub fn interval(mut self, d: Duration) -> Self {
        self.interval = d;
        self
    }

    /// How long a probe may take before it counts as failed. Default 2 s.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// Spread of the interval, as a fraction in [0, 1): each wait is
    /// `interval × (1 ± jitter × uniform)`. Default 0.1.
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = fraction;
        self
    }

    /// Good probes in a row that bring an unhealthy backend back. Default 2.
    pub fn healthy_threshold(mut self, n: u32) -> Self {
        self.healthy_threshold = n;
        self
    }

    /// Failed probes in a row that mark a backend unhealthy. Default 3.
    pub fn unhealthy_threshold(mut self, n: u32) -> Self {
        self.unhealthy_threshold = n;
        self
    }

    /// Seed of the jitter. Default 0.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks the settings.
    pub fn build(self) -> Result<HealthChecker<T>, BalanceError> {
        if self.interval.is_zero() {
            return Err(invalid("interval", "must be above zero"));
        }
        if self.timeout.is_zero() {
            return Err(invalid("timeout", "must be above zero"));
        }
        if !(0.0..1.0).contains(&self.jitter) {
            return Err(invalid("jitter", "must be in [0, 1)"));
        }
        if self.healthy_threshold == 0 || self.unhealthy_threshold == 0 {
            return Err(invalid(
                "healthy_threshold / unhealthy_threshold",
                "must be at least 1",
            ));
        }
        Ok(HealthChecker {
            lb: self.lb,
            interval: self.interval,
            timeout: self.timeout,
            jitter: self.jitter,
            healthy_threshold: self.healthy_threshold,
            unhealthy_threshold: self.unhealthy_threshold,
            rng: Rng::new(self.seed),
            streaks: HashMap::new(),
        })
    }
}

impl<T> HealthChecker<T> {
    /// A builder for a checker that marks backends of `lb` (it keeps a handle on it).
    pub fn builder(lb: &Balancer<T>) -> HealthCheckerBuilder<T> {
        HealthCheckerBuilder {
            lb: lb.clone(),
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(2),
            jitter: 0.1,
            healthy_threshold: 2,
            unhealthy_threshold: 3,
            seed: 0,
        }
    }

    /// One round: probes every current backend concurrently, each under the timeout, and
    /// marks the balancer. `probe(id, backend)` returns a future that says whether it is up.
    pub async fn check_once<F, Fut>(&mut self, probe: &F)
    where
        F: Fn(&str, &T) -> Fut,
        Fut: Future<Output = bool>,
    {
        let (ids, futs): (Vec<String>, Vec<_>) = {
            let snap = self.lb.shared.snap.load_full();
            snap.nodes
                .iter()
                .map(|n| {
                    let fut = tokio::time::timeout(self.timeout, probe(&n.id, &n.value));
                    (n.id.clone(), Box::pin(fut))
                })
                .unzip()
        };
        let results = JoinAll::new(futs).await;
        // Forget backends that left the list.
        self.streaks.retain(|id, _| ids.contains(id));
        for (id, result) in ids.into_iter().zip(results) {
            let up = matches!(result, Ok(true));
            let streak = self.streaks.entry(id.clone()).or_default();
            if up {
                streak.good = streak.good.saturating_add(1);
                streak.bad = 0;
            } else {
                streak.bad = streak.bad.saturating_add(1);
                streak.good = 0;
            }
            // A backend removed meanwhile is not an error worth reporting.
            if streak.bad >= self.unhealthy_threshold {
                let _ = self.lb.set_healthy(&id, false);
            } else if streak.good >= self.healthy_threshold {
                let _ = self.lb.set_healthy(&id, true);
            }
        }
    }

    /// Probes forever: a round, then a jittered interval, and again. Spawn it, and abort the
    /// task to stop.
    pub async fn run<F, Fut>(mut self, probe: F)
    where
        F: Fn(&str, &T) -> Fut,
        Fut: Future<Output = bool>,
    {
        loop {
            self.check_once(&probe).await;
            let spread = (self.rng.local().unit() * 2.0 - 1.0) * self.jitter;
            tokio::time::sleep(self.interval.mul_f64(1.0 + spread)).await;
        }
    }
}

/// Polls a set of boxed futures to completion, keeping their order.
struct JoinAll<F: Future> {
    futs: Vec<Option<Pin<Box<F>>>>,
    out: Vec<Option<F::Output>>,
}

impl<F: Future> JoinAll<F> {
    fn new(futs: Vec<Pin<Box<F>>>) -> Self {
        let out = futs.iter().map(|_| None).collect();
        Self {
            futs: futs.into_iter().map(Some).collect(),
            out,
        }
    }
}

impl<F: Future> Unpin for JoinAll<F> {}

impl<F: Future> Future for JoinAll<F> {
    type Output = Vec<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut pending = false;
        for (slot, out) in this.futs.iter_mut().zip(this.out.iter_mut()) {
            if let Some(fut) = slot {
                match fut.as_mut().poll(cx) {
                    Poll::Ready(v) => {
                        *out = Some(v);
                        *slot = None;
                    }
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(this.out.iter_mut().filter_map(Option::take).collect())
        }
    }
}
