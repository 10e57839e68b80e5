//! Circuit breaker, closed state: the overhead a healthy call pays.
//!
//! Primary comparison: perfkit's permit path (`try_acquire` + `success`) against
//! `failsafe`'s synchronous `CircuitBreaker::call(|| Ok(..))`, with its default policy and
//! with `consecutive_failures(5, constant(30 s))`; a direct call of the same trivial
//! function is the floor. perfkit's async `call` is measured by polling a ready future once
//! with a no-op waker, and failsafe is given the same future polled the same way inside its
//! closure, so both pay the same poll.

use std::future::ready;
use std::hint::black_box;
use std::time::Duration;

use crate::poll_once;
use criterion::{Criterion, criterion_group};
use failsafe::CircuitBreaker as _;
use failsafe::{backoff, failure_policy};
use perfkit::resilience::CircuitBreaker;

#[inline(never)]
fn work(x: u64) -> u64 {
    x.wrapping_mul(3).wrapping_add(1)
}

fn closed_call(c: &mut Criterion) {
    let mut g = c.benchmark_group("breaker_closed_call");
    let ours = CircuitBreaker::builder()
        .build()
        .expect("default settings are valid");
    let fs_default = failsafe::Config::new().build();
    let fs_consecutive = failsafe::Config::new()
        .failure_policy(failure_policy::consecutive_failures(
            5,
            backoff::constant(Duration::from_secs(30)),
        ))
        .build();

    g.bench_function("direct", |b| b.iter(|| work(black_box(7))));
    g.bench_function("perfkit/try_acquire+success", |b| {
        b.iter(|| {
            let permit = ours.try_acquire().expect("closed");
            let v = work(black_box(7));
            permit.success();
            v
        })
    });
    g.bench_function("failsafe/default", |b| {
        b.iter(|| fs_default.call(|| Ok::<_, ()>(work(black_box(7)))))
    });
    g.bench_function("failsafe/consecutive_failures", |b| {
        b.iter(|| fs_consecutive.call(|| Ok::<_, ()>(work(black_box(7)))))
    });
    g.bench_function("perfkit/call(ready future)", |b| {
        b.iter(|| poll_once(ours.call(ready(Ok::<_, ()>(work(black_box(7)))))))
    });
    g.bench_function("failsafe/consecutive_failures(ready future)", |b| {
        b.iter(|| {
            fs_consecutive
                .call(|| poll_once(ready(Ok::<_, ()>(work(black_box(7))))).unwrap_or(Err(())))
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = closed_call
}
