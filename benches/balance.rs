//! Balancer benchmarks: the cost of one pick + finish per strategy, beside tower's P2C pick
//! over `PeakEwma`, with 10 and 1 000 backends, on 1 and 2 threads. The simulator's tables
//! come from `cargo run --release --example balance` (the same simulator the tests run).
//!
//! Run with `cargo bench --bench balance --no-default-features --features balance -- --noplot`.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use perfkit::balance::{Backend, Balancer, Strategy};

const STRATEGIES: [Strategy; 7] = [
    Strategy::RoundRobin,
    Strategy::WeightedRoundRobin,
    Strategy::LeastConnections,
    Strategy::WeightedRandom,
    Strategy::HealthScore,
    Strategy::P2cPeakEwma,
    Strategy::ConsistentHash,
];

fn balancer(n: usize, strategy: Strategy) -> Balancer<usize> {
    Balancer::builder()
        .strategy(strategy)
        .backends((0..n).map(|i| Backend::new(format!("10.0.{}.{}:80", i / 256, i % 256), i)))
        .seed(1)
        .build()
        .expect("valid settings")
}

#[inline]
fn ours_once(lb: &Balancer<usize>, key: u64) {
    let pick = lb.pick_by_key(&key).expect("backends are up");
    black_box(*pick);
    pick.success(Duration::from_micros(250));
}

/// tower's P2C over `PeakEwma`, driven without a runtime: `poll_ready` picks (P2C over the
/// ready set), `call` routes, and polling the response future to completion drops the load
/// handle, which is the "finish" that feeds the EWMA.
mod tower_p2c {
    use super::*;
    use tower::Service;
    use tower::balance::p2c::Balance;
    use tower::discover::ServiceList;
    use tower::load::{CompleteOnResponse, PeakEwmaDiscover};

    #[derive(Clone)]
    pub struct Instant0(pub usize);

    impl Service<()> for Instant0 {
        type Response = usize;
        type Error = tower::BoxError;
        type Future = std::future::Ready<Result<usize, tower::BoxError>>;
        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, _: ()) -> Self::Future {
            std::future::ready(Ok(self.0))
        }
    }

    pub type P2c = Balance<PeakEwmaDiscover<ServiceList<Vec<Instant0>>, CompleteOnResponse>, ()>;

    pub fn new(n: usize) -> P2c {
        let list = ServiceList::new::<()>((0..n).map(Instant0).collect::<Vec<_>>());
        let ewma = PeakEwmaDiscover::new::<()>(
            list,
            Duration::from_millis(30),
            Duration::from_secs(10),
            CompleteOnResponse::default(),
        );
        let mut p2c = Balance::new(ewma);
        // The first poll discovers the services and readies them.
        let mut cx = Context::from_waker(Waker::noop());
        let _ = p2c.poll_ready(&mut cx);
        p2c
    }

    #[inline]
    pub fn once(p2c: &mut P2c) {
        let mut cx = Context::from_waker(Waker::noop());
        match p2c.poll_ready(&mut cx) {
            Poll::Ready(Ok(())) => {}
            other => panic!("tower p2c not ready: {other:?}"),
        }
        let fut = p2c.call(());
        match pin!(fut).poll(&mut cx) {
            Poll::Ready(r) => {
                black_box(r.ok());
            }
            Poll::Pending => panic!("ready future pending"),
        }
    }
}

fn pick_finish(c: &mut Criterion) {
    for n in [10usize, 1000] {
        let mut g = c.benchmark_group(format!("balance/pick_finish/{n}_backends/1_thread"));
        g.sample_size(30)
            .measurement_time(Duration::from_secs(2))
            .warm_up_time(Duration::from_millis(500))
            .throughput(Throughput::Elements(1));
        for s in STRATEGIES {
            let lb = balancer(n, s);
            let mut key = 0u64;
            g.bench_function(BenchmarkId::new("perfkit", format!("{s:?}")), |b| {
                b.iter(|| {
                    key = key.wrapping_add(1);
                    ours_once(&lb, key)
                })
            });
        }
        let mut p2c = tower_p2c::new(n);
        g.bench_function(BenchmarkId::new("tower", "p2c_PeakEwma"), |b| {
            b.iter(|| tower_p2c::once(&mut p2c))
        });
        g.finish();
    }
}

/// Two threads picking from one balancer; the time reported is per pick on each thread
/// (wall time of `iters` picks done by each of the two at once).
fn pick_finish_two_threads(c: &mut Criterion) {
    for n in [10usize, 1000] {
        let mut g = c.benchmark_group(format!("balance/pick_finish/{n}_backends/2_threads"));
        g.sample_size(20)
            .measurement_time(Duration::from_secs(2))
            .warm_up_time(Duration::from_millis(500))
            .throughput(Throughput::Elements(1));
        for s in STRATEGIES {
            let lb = balancer(n, s);
            g.bench_function(BenchmarkId::new("perfkit", format!("{s:?}")), |b| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    std::thread::scope(|scope| {
                        for t in 0..2u64 {
                            let lb = &lb;
                            scope.spawn(move || {
                                for i in 0..iters {
                                    ours_once(lb, i.wrapping_mul(2).wrapping_add(t));
                                }
                            });
                        }
                    });
                    start.elapsed()
                })
            });
        }
        // tower's `Balance` needs `&mut self` to pick: two threads cannot share one without a
        // lock around it (its `Buffer` is the usual answer), so it has no entry here.
        g.finish();
    }
}

criterion::criterion_group!(benches, pick_finish, pick_finish_two_threads);
criterion::criterion_main!(benches);
