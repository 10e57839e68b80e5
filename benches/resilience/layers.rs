//! tower layers: what one request pays to pass each layer, beside tower's own middleware
//! where it has an equivalent (`ConcurrencyLimit` for the bulkhead, `RateLimit` for the rate
//! limiter, `Retry` with a policy that never retries for ours with no failure).
//!
//! The inner service answers at once, so each figure is the layer's overhead plus the
//! `ready().await` + `call().await` round both share. Requests run back to back inside one
//! current-thread tokio runtime (tower's `RateLimit` needs its timer), timed over the whole
//! batch with `iter_custom` so the runtime's `block_on` is paid once per sample.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use perfkit::resilience::{
    AdaptiveLimitLayer, AdaptiveLimiter, Bulkhead, BulkheadLayer, CircuitBreaker,
    CircuitBreakerLayer, RateLimitLayer, RateLimiter, Retry, RetryLayer,
};
use tower::{Layer, Service, ServiceBuilder, ServiceExt, service_fn};

/// A limit no request in the bench reaches, so rate limiters always admit.
const HUGE_RATE: u32 = 1_000_000_000;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime")
}

fn echo()
-> impl Service<u64, Response = u64, Error = Infallible, Future = Ready<Result<u64, Infallible>>> + Clone
{
    service_fn(|req: u64| ready(Ok::<_, Infallible>(req + 1)))
}

/// Times `iters` requests through `svc`, back to back.
fn drive<S>(rt: &tokio::runtime::Runtime, mut svc: S, iters: u64) -> Duration
where
    S: Service<u64, Response = u64>,
    S::Error: std::fmt::Debug,
{
    rt.block_on(async {
        let start = Instant::now();
        for i in 0..iters {
            let ready = svc.ready().await.expect("the service stays ready");
            black_box(ready.call(black_box(i)).await.expect("the echo answers"));
        }
        start.elapsed()
    })
}

/// A tower retry policy that never retries: the peer of our retry layer on the success path.
#[derive(Clone)]
struct NeverRetry;

impl<Req: Clone, Res, E> tower::retry::Policy<Req, Res, E> for NeverRetry {
    type Future = Ready<()>;

    fn retry(&mut self, _req: &mut Req, _result: &mut Result<Res, E>) -> Option<Self::Future> {
        None
    }

    fn clone_request(&mut self, req: &Req) -> Option<Req> {
        Some(req.clone())
    }
}

fn per_request(c: &mut Criterion) {
    let mut g = c.benchmark_group("tower_layer_call");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let rt = runtime();

    g.bench_function("bare", |b| b.iter_custom(|n| drive(&rt, echo(), n)));

    let breaker = CircuitBreaker::builder().build().expect("valid settings");
    g.bench_function("perfkit/circuit_breaker", |b| {
        b.iter_custom(|n| {
            drive(
                &rt,
                CircuitBreakerLayer::new(breaker.clone()).layer(echo()),
                n,
            )
        })
    });

    let limiter = RateLimiter::per_second(HUGE_RATE)
        .build()
        .expect("valid settings");
    g.bench_function("perfkit/rate_limit", |b| {
        b.iter_custom(|n| drive(&rt, RateLimitLayer::new(limiter.clone()).layer(echo()), n))
    });
    g.bench_function("tower/rate_limit", |b| {
        b.iter_custom(|n| {
            let layer =
                tower::limit::RateLimitLayer::new(u64::from(HUGE_RATE), Duration::from_secs(1));
            // tower's limiter reads tokio's clock, so it is built inside the runtime.
            let svc = rt.block_on(async { layer.layer(echo()) });
            drive(&rt, svc, n)
        })
    });

    let bulkhead = Bulkhead::new(64).expect("valid settings");
    g.bench_function("perfkit/bulkhead", |b| {
        b.iter_custom(|n| drive(&rt, BulkheadLayer::new(bulkhead.clone()).layer(echo()), n))
    });
    g.bench_function("tower/concurrency_limit", |b| {
        b.iter_custom(|n| {
            drive(
                &rt,
                tower::limit::ConcurrencyLimitLayer::new(64).layer(echo()),
                n,
            )
        })
    });

    let adaptive = AdaptiveLimiter::aimd()
        .initial_limit(64)
        .build()
        .expect("valid settings");
    g.bench_function("perfkit/adaptive_limit", |b| {
        b.iter_custom(|n| {
            let layer = AdaptiveLimitLayer::new(adaptive.clone()).expect("valid settings");
            drive(&rt, layer.layer(echo()), n)
        })
    });

    let retry = Retry::exponential(Duration::from_millis(10))
        .max_attempts(3)
        .build()
        .expect("valid settings");
    g.bench_function("perfkit/retry", |b| {
        b.iter_custom(|n| drive(&rt, RetryLayer::new(retry.clone()).layer(echo()), n))
    });
    g.bench_function("tower/retry", |b| {
        b.iter_custom(|n| {
            drive(
                &rt,
                tower::retry::RetryLayer::new(NeverRetry).layer(echo()),
                n,
            )
        })
    });

    g.bench_function("perfkit/all_five", |b| {
        b.iter_custom(|n| {
            let svc = ServiceBuilder::new()
                .layer(RetryLayer::new(retry.clone()))
                .layer(CircuitBreakerLayer::new(breaker.clone()))
                .layer(RateLimitLayer::new(limiter.clone()))
                .layer(BulkheadLayer::new(bulkhead.clone()))
                .layer(AdaptiveLimitLayer::new(adaptive.clone()).expect("valid settings"))
                .service(echo());
            drive(&rt, svc, n)
        })
    });
    g.finish();
}

criterion_group!(benches, per_request);
