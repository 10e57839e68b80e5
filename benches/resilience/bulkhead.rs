//! Bulkhead, uncontended: what admitting and releasing one call costs.
//!
//! Peer: a bare `tokio::sync::Semaphore` (which the bulkhead is built on), so the ratio is
//! the bulkhead's own overhead: the `accepted` counter and the peak check, plus, for the
//! owned permit, an `Arc` clone, and for the adaptive variant, the check of the limiter's
//! limit. Sync: `try_acquire` + drop.
//! Async: `acquire().await` + drop, each future polled once with a no-op waker — the same
//! harness for both, and uncontended, so both are ready on the first poll.

use std::hint::black_box;
use std::time::Duration;

use crate::poll_once;
use criterion::{Criterion, criterion_group};
use perfkit::resilience::{AdaptiveLimiter, Bulkhead};
use tokio::sync::Semaphore;

const SLOTS: usize = 64;

fn acquire_release(c: &mut Criterion) {
    let mut g = c.benchmark_group("bulkhead_acquire_release");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    let ours = Bulkhead::builder(SLOTS)
        .max_wait(Duration::from_secs(1))
        .build()
        .expect("valid settings");
    let limiter = AdaptiveLimiter::aimd()
        .initial_limit(SLOTS)
        .max_limit(SLOTS)
        .build()
        .expect("valid settings");
    let adaptive = Bulkhead::adaptive(limiter).build().expect("valid settings");
    let sem = Semaphore::new(SLOTS);

    g.bench_function("semaphore/try_acquire+drop", |b| {
        b.iter(|| drop(black_box(sem.try_acquire().expect("free"))))
    });
    g.bench_function("perfkit/try_acquire+drop", |b| {
        b.iter(|| drop(black_box(ours.try_acquire().expect("free"))))
    });
    g.bench_function("perfkit/try_acquire_owned+drop", |b| {
        b.iter(|| drop(black_box(ours.try_acquire_owned().expect("free"))))
    });
    g.bench_function("perfkit/adaptive/try_acquire+drop", |b| {
        b.iter(|| drop(black_box(adaptive.try_acquire().expect("free"))))
    });
    g.bench_function("semaphore/acquire.await+drop", |b| {
        b.iter(|| drop(black_box(poll_once(sem.acquire()).expect("ready"))))
    });
    g.bench_function("perfkit/acquire.await+drop", |b| {
        b.iter(|| drop(black_box(poll_once(ours.acquire()).expect("ready"))))
    });
    g.finish();
}

criterion_group!(benches, acquire_release);
