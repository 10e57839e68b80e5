//! Retry with no failure: the overhead a healthy call pays for being retryable.
//!
//! The same trivial async fn, returning `Ok`, is called directly and through
//! `Retry::run` (without and with a `RetryBudget`, whose deposit reads the clock), each
//! future polled once with a no-op waker and no runtime: it is ready on its first poll, so
//! nothing sleeps and the difference is the policy's own cost.

use std::hint::black_box;
use std::time::Duration;

use crate::poll_once;
use criterion::{Criterion, criterion_group};
use perfkit::resilience::{Jitter, Retry, RetryBudget};

/// The work itself, kept out of line so neither arm can fold it away.
#[inline(never)]
fn compute(x: u64) -> u64 {
    x.wrapping_mul(3).wrapping_add(1)
}

/// The operation: an async fn that is ready at once. Not `#[inline(never)]` itself: an
/// out-of-line constructor returns its future through memory, and copying that just-written
/// future into `run`'s state costs a store-to-load forwarding stall (about 15 ns on the Zen
/// machine here) that measures the bench, not the policy.
async fn work(x: u64) -> Result<u64, ()> {
    Ok(compute(x))
}

fn no_failure(c: &mut Criterion) {
    let mut g = c.benchmark_group("retry_no_failure");
    let retry = Retry::exponential(Duration::from_millis(10))
        .max_delay(Duration::from_secs(1))
        .jitter(Jitter::Full)
        .max_attempts(3)
        .build()
        .expect("valid settings");
    let budget = RetryBudget::builder()
        .build()
        .expect("default settings are valid");
    let budgeted = Retry::exponential(Duration::from_millis(10))
        .max_attempts(3)
        .budget(budget)
        .build()
        .expect("valid settings");
    let timed = Retry::exponential(Duration::from_millis(10))
        .max_attempts(3)
        .max_elapsed(Duration::from_secs(5))
        .build()
        .expect("valid settings");

    g.bench_function("direct", |b| b.iter(|| poll_once(work(black_box(7)))));
    g.bench_function("perfkit/run", |b| {
        b.iter(|| poll_once(retry.run(|| work(black_box(7)))))
    });
    g.bench_function("perfkit/run+budget", |b| {
        b.iter(|| poll_once(budgeted.run(|| work(black_box(7)))))
    });
    g.bench_function("perfkit/run+max_elapsed", |b| {
        b.iter(|| poll_once(timed.run(|| work(black_box(7)))))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = no_failure
}
