//! A deterministic discrete-event simulation of a client balancing over backends, shared by
//! the tests (`tests/balance/sim_tests.rs`), the bench (`benches/balance.rs`) and the example
//! (`examples/balance.rs`) through `#[path]`, so all three run one implementation.
//!
//! The event engine is tokio's timer in paused (virtual) time on a current-thread runtime:
//! each request is a task that sleeps for its service time, and the runtime jumps the clock
//! straight to the next timer when every task is idle. Nothing waits on the wall clock, and
//! with one thread and a seeded generator a run replays exactly. Virtual time moves in tokio's
//! timer resolution (1 ms), so latencies are whole milliseconds.
//!
//! That engine is what lets `tower::balance::p2c::Balance` (over `PeakEwmaDiscover`) run beside
//! ours unmodified: its `Service`s are the simulated backends, its peak-EWMA handles measure
//! the same virtual time (tower reads `tokio::time::Instant`), and its random choices come from
//! a seeded `tower::util::rng::Rng`. Our balancers read the same virtual time through a
//! [`Clock`] over `tokio::time::Instant`.
//!
//! A backend: a log-normal service time (median, sigma) multiplied by
//! `max(1, (in flight + 1) / capacity)` (latency grows with load once it is past its
//! capacity), an optional fault (intermittent failures, a restart with a cold warm-up), and a
//! weight. Arrivals are open-loop Poisson at a rate, optionally multiplied in a flash-crowd
//! window.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use perfkit::balance::{Backend, Balancer, OutlierDetection, SlowStart, Strategy};
use perfkit::clock::Clock;
use tokio::time::Instant;

/// What goes wrong with a backend.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Nothing.
    None,
    /// In every other `period` (the odd ones), a request fails fast (1 ms) with `probability`.
    Intermittent { period: Duration, probability: f64 },
    /// Down (every request fails in 1 ms) from `down_at` to `up_at`, then cold: service times
    /// start at 4× and fall back to 1× linearly over `warmup`.
    Restart {
        down_at: Duration,
        up_at: Duration,
        warmup: Duration,
    },
}

/// One simulated backend.
#[derive(Debug, Clone)]
pub struct BackendSpec {
    pub weight: f64,
    pub median: Duration,
    pub sigma: f64,
    pub capacity: u32,
    pub fault: Fault,
}

impl BackendSpec {
    pub fn new(median_ms: u64) -> Self {
        Self {
            weight: 1.0,
            median: Duration::from_millis(median_ms),
            sigma: 0.3,
            capacity: 10,
            fault: Fault::None,
        }
    }
}

/// A load and a set of backends.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: &'static str,
    pub backends: Vec<BackendSpec>,
    /// Requests per second, open loop.
    pub rate: f64,
    pub duration: Duration,
    /// `(from, until, multiplier)` of the arrival rate.
    pub flash: Option<(Duration, Duration, f64)>,
    pub seed: u64,
}

const MEDIAN_MS: u64 = 20;

fn tens(spec: impl Fn(usize) -> BackendSpec) -> Vec<BackendSpec> {
    (0..10).map(spec).collect()
}

/// The five scenarios, each `secs` long, at about half the backends' capacity.
pub fn scenarios(secs: u64) -> Vec<Scenario> {
    let d = Duration::from_secs(secs);
    let at = |f: f64| Duration::from_secs_f64(secs as f64 * f);
    let base = Scenario {
        name: "",
        backends: tens(|_| BackendSpec::new(MEDIAN_MS)),
        rate: 2500.0,
        duration: d,
        flash: None,
        seed: 0x5eed,
    };
    vec![
        Scenario {
            name: "one slow backend of 10 (10x median)",
            backends: tens(|i| BackendSpec::new(if i == 3 { 10 * MEDIAN_MS } else { MEDIAN_MS })),
            ..base.clone()
        },
        Scenario {
            name: "one backend failing intermittently (50 % in alternate 2 s periods)",
            backends: tens(|i| {
                let mut b = BackendSpec::new(MEDIAN_MS);
                if i == 3 {
                    b.fault = Fault::Intermittent {
                        period: Duration::from_secs(2),
                        probability: 0.5,
                    };
                }
                b
            }),
            ..base.clone()
        },
        Scenario {
            name: "heterogeneous weights 1,1,2,2,4 (capacity follows weight)",
            backends: [1.0, 1.0, 2.0, 2.0, 4.0]
                .iter()
                .map(|&w| {
                    let mut b = BackendSpec::new(MEDIAN_MS);
                    b.weight = w;
                    b.capacity = (10.0 * w) as u32;
                    b
                })
                .collect(),
            ..base.clone()
        },
        Scenario {
            name: "a backend restarts (down 25-40 %, then 4x cold, warming over 25 %)",
            backends: tens(|i| {
                let mut b = BackendSpec::new(MEDIAN_MS);
                if i == 3 {
                    b.fault = Fault::Restart {
                        down_at: at(0.25),
                        up_at: at(0.4),
                        warmup: at(0.25),
                    };
                }
                b
            }),
            ..base.clone()
        },
        Scenario {
            name: "flash crowd (1.8x arrivals, to 90 % of capacity, for 10 % of the run)",
            flash: Some((at(0.45), at(0.55), 1.8)),
            ..base
        },
    ]
}

/// Who balances.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Contender {
    /// Our round robin with no health rules: the plain baseline.
    PlainRoundRobin,
    /// One of our strategies with outlier ejection (5 in a row) and slow start (5 s).
    Ours(Strategy),
    /// `tower::balance::p2c::Balance` over `PeakEwmaDiscover`.
    TowerP2c,
}

impl Contender {
    pub fn name(&self) -> String {
        match self {
            Contender::PlainRoundRobin => "round robin (plain)".into(),
            Contender::Ours(Strategy::P2cPeakEwma) => "perfkit P2C peak-EWMA".into(),
            Contender::Ours(s) => format!("perfkit {s:?}"),
            Contender::TowerP2c => "tower p2c PeakEwma".into(),
        }
    }
}

/// The contenders every table shows.
pub fn contenders() -> Vec<Contender> {
    vec![
        Contender::PlainRoundRobin,
        Contender::Ours(Strategy::WeightedRoundRobin),
        Contender::Ours(Strategy::LeastConnections),
        Contender::Ours(Strategy::P2cPeakEwma),
        Contender::TowerP2c,
    ]
}

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub contender: String,
    pub requests: u64,
    pub p50: Duration,
    pub p99: Duration,
    pub p999: Duration,
    pub error_rate: f64,
    pub shares: Vec<f64>,
    pub ejections: u64,
}

/// splitmix64: small, seedable, good enough for arrivals and service times.
#[derive(Debug)]
pub struct SimRng(u64);

impl SimRng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// In (0, 1).
    pub fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

impl tower::util::rng::Rng for SimRng {
    fn next_u64(&mut self) -> u64 {
        SimRng::next_u64(self)
    }
}

/// Virtual time for our balancers.
#[derive(Debug)]
pub struct TokioClock(Instant);

impl Clock for TokioClock {
    fn now(&self) -> Duration {
        Instant::now().saturating_duration_since(self.0)
    }
}

/// The simulated backends and what they saw.
struct World {
    specs: Vec<BackendSpec>,
    start: Instant,
    in_flight: Vec<AtomicU64>,
    served: Vec<AtomicU64>,
    rng: Mutex<SimRng>,
    latencies: Mutex<Vec<u32>>,
    errors: AtomicU64,
}

impl World {
    fn new(s: &Scenario) -> Self {
        let n = s.backends.len();
        Self {
            specs: s.backends.clone(),
            start: Instant::now(),
            in_flight: (0..n).map(|_| AtomicU64::new(0)).collect(),
            served: (0..n).map(|_| AtomicU64::new(0)).collect(),
            rng: Mutex::new(SimRng::new(s.seed ^ 0xb4c4)),
            latencies: Mutex::new(Vec::new()),
            errors: AtomicU64::new(0),
        }
    }

    /// A request arrives at backend `i` now: how long it takes and whether it succeeds.
    fn begin(&self, i: usize) -> (Duration, bool) {
        let spec = &self.specs[i];
        let now = Instant::now() - self.start;
        let mut rng = self.rng.lock().unwrap();
        let inflight = self.in_flight[i].fetch_add(1, Ordering::Relaxed);
        self.served[i].fetch_add(1, Ordering::Relaxed);
        let mut service = spec.median.as_secs_f64() * (spec.sigma * rng.normal()).exp();
        match spec.fault {
            Fault::None => {}
            Fault::Intermittent {
                period,
                probability,
            } => {
                let odd = (now.as_nanos() / period.as_nanos().max(1)) % 2 == 1;
                if odd && rng.unit() < probability {
                    return (Duration::from_millis(1), false);
                }
            }
            Fault::Restart {
                down_at,
                up_at,
                warmup,
            } => {
                if now >= down_at && now < up_at {
                    return (Duration::from_millis(1), false);
                }
                if now >= up_at && now < up_at + warmup {
                    let left = 1.0 - (now - up_at).as_secs_f64() / warmup.as_secs_f64();
                    service *= 1.0 + 3.0 * left;
                }
            }
        }
        let load = ((inflight + 1) as f64 / f64::from(spec.capacity)).max(1.0);
        (Duration::from_secs_f64(service * load), true)
    }

    fn end(&self, i: usize, latency: Duration, ok: bool) {
        self.in_flight[i].fetch_sub(1, Ordering::Relaxed);
        if ok {
            let us = u32::try_from(latency.as_micros()).unwrap_or(u32::MAX);
            self.latencies.lock().unwrap().push(us);
        } else {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn outcome(&self, contender: String, ejections: u64) -> Outcome {
        let mut lat = std::mem::take(&mut *self.latencies.lock().unwrap());
        lat.sort_unstable();
        let q = |p: f64| {
            let idx = ((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1));
            Duration::from_micros(lat.get(idx).copied().unwrap_or(0).into())
        };
        let served: Vec<u64> = self
            .served
            .iter()
            .map(|s| s.load(Ordering::Relaxed))
            .collect();
        let total: u64 = served.iter().sum();
        let errors = self.errors.load(Ordering::Relaxed);
        Outcome {
            contender,
            requests: total,
            p50: q(0.5),
            p99: q(0.99),
            p999: q(0.999),
            error_rate: errors as f64 / total.max(1) as f64,
            shares: served
                .iter()
                .map(|&s| s as f64 / total.max(1) as f64)
                .collect(),
            ejections,
        }
    }
}

/// Settings both P2C implementations get, so they differ only in their logic.
pub const DEFAULT_RTT: Duration = Duration::from_millis(20);
pub const DECAY: Duration = Duration::from_secs(1);

/// Runs one scenario with one contender, in virtual time. Deterministic.
pub fn run(scenario: &Scenario, contender: Contender) -> Outcome {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a current-thread runtime");
    rt.block_on(run_async(scenario, contender))
}

/// The arrival times, Poisson at the scenario's rate (times the flash multiplier).
fn arrivals(s: &Scenario) -> Vec<Duration> {
    let mut rng = SimRng::new(s.seed);
    let mut t = 0.0;
    let end = s.duration.as_secs_f64();
    let mut out = Vec::new();
    while t < end {
        let mut rate = s.rate;
        if let Some((from, until, m)) = s.flash
            && t >= from.as_secs_f64()
            && t < until.as_secs_f64()
        {
            rate *= m;
        }
        t += -rng.unit().ln() / rate;
        out.push(Duration::from_secs_f64(t));
    }
    out
}

async fn run_async(s: &Scenario, contender: Contender) -> Outcome {
    let world = Arc::new(World::new(s));
    let times = arrivals(s);
    let mut tasks = tokio::task::JoinSet::new();
    let ejections = match contender {
        Contender::TowerP2c => {
            use tower::{Service, ServiceExt};
            let services: Vec<SimService> = (0..s.backends.len())
                .map(|i| SimService {
                    i,
                    world: Arc::clone(&world),
                })
                .collect();
            let discover = tower::discover::ServiceList::new::<()>(services);
            let ewma = tower::load::PeakEwmaDiscover::new::<()>(
                discover,
                DEFAULT_RTT,
                DECAY,
                tower::load::CompleteOnResponse::default(),
            );
            let mut balance =
                tower::balance::p2c::Balance::from_rng(ewma, SimRng::new(s.seed ^ 0x7043));
            for t in times {
                tokio::time::sleep_until(world.start + t).await;
                let ready = balance
                    .ready()
                    .await
                    .expect("simulated backends are always ready");
                let fut = ready.call(());
                tasks.spawn(async move {
                    // The backend records the outcome; a P2C error here is impossible (the
                    // simulated services never fail `poll_ready`).
                    let _ = fut.await;
                });
            }
            0
        }
        Contender::PlainRoundRobin | Contender::Ours(_) => {
            let strategy = match contender {
                Contender::Ours(st) => st,
                _ => Strategy::RoundRobin,
            };
            let mut b = Balancer::builder()
                .strategy(strategy)
                .backends(
                    s.backends
                        .iter()
                        .enumerate()
                        .map(|(i, spec)| Backend::new(format!("b{i}"), i).weight(spec.weight)),
                )
                .clock(Arc::new(TokioClock(world.start)))
                .p2c_default_rtt(DEFAULT_RTT)
                .p2c_decay(DECAY)
                .seed(s.seed ^ 0x7043);
            if contender != Contender::PlainRoundRobin {
                b = b
                    .outlier_detection(
                        OutlierDetection::new()
                            .consecutive_failures(5)
                            .base_ejection_time(Duration::from_secs(2))
                            .max_ejection_time(Duration::from_secs(10))
                            .max_ejection_percent(10.0),
                    )
                    .slow_start(SlowStart::new(Duration::from_secs(5)));
            }
            let lb = Arc::new(b.build().expect("valid settings"));
            for t in times {
                tokio::time::sleep_until(world.start + t).await;
                let lb = Arc::clone(&lb);
                let world = Arc::clone(&world);
                tasks.spawn(async move {
                    let t0 = Instant::now();
                    let Ok(pick) = lb.pick() else {
                        world.errors.fetch_add(1, Ordering::Relaxed);
                        return;
                    };
                    let i = *pick;
                    let (service, ok) = world.begin(i);
                    tokio::time::sleep(service).await;
                    let latency = t0.elapsed();
                    world.end(i, latency, ok);
                    if ok {
                        pick.success(latency);
                    } else {
                        pick.failure();
                    }
                });
            }
            while tasks.join_next().await.is_some() {}
            lb.stats().ejections
        }
    };
    while tasks.join_next().await.is_some() {}
    world.outcome(contender.name(), ejections)
}

/// A simulated backend as a tower `Service`.
struct SimService {
    i: usize,
    world: Arc<World>,
}

impl tower::Service<()> for SimService {
    type Response = bool;
    type Error = tower::BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<bool, tower::BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: ()) -> Self::Future {
        let (i, world) = (self.i, Arc::clone(&self.world));
        let t0 = Instant::now();
        let (service, ok) = world.begin(i);
        Box::pin(async move {
            tokio::time::sleep(service).await;
            world.end(i, t0.elapsed(), ok);
            Ok(ok)
        })
    }
}

fn ms(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1e3)
}

/// A markdown table of one scenario's outcomes.
pub fn table(s: &Scenario, outcomes: &[Outcome]) -> String {
    let mut out = format!(
        "### {}\n\n{} backends, {} req/s for {} s (virtual), seed {:#x}\n\n",
        s.name,
        s.backends.len(),
        s.rate,
        s.duration.as_secs(),
        s.seed
    );
    out.push_str(
        "| balancer | p50 ms | p99 ms | p99.9 ms | errors | ejections | share per backend % |\n",
    );
    out.push_str("|---|---:|---:|---:|---:|---:|---|\n");
    for o in outcomes {
        let shares: Vec<String> = o
            .shares
            .iter()
            .map(|s| format!("{:.1}", s * 100.0))
            .collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {:.2} % | {} | {} |\n",
            o.contender,
            ms(o.p50),
            ms(o.p99),
            ms(o.p999),
            o.error_rate * 100.0,
            o.ejections,
            shares.join(" / ")
        ));
    }
    out
}
