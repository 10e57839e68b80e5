//! Resilience benchmarks: perfkit beside its peers, same inputs, same harness.
//!
//! Run with `cargo bench --bench resilience --no-default-features --features tower -- --noplot`
//! (with `--features resilience` instead, the tower layer group is left out).

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

mod breaker;
mod bulkhead;
#[cfg(feature = "tower")]
mod layers;
mod rate;
mod retry;

#[cfg(not(feature = "tower"))]
criterion::criterion_main!(
    breaker::benches,
    rate::benches,
    retry::benches,
    bulkhead::benches
);
#[cfg(feature = "tower")]
criterion::criterion_main!(
    breaker::benches,
    rate::benches,
    retry::benches,
    bulkhead::benches,
    layers::benches
);

/// Polls a future that is expected to be ready on its first poll, with a no-op waker and no
/// runtime: the harness every async contender in these benches shares.
#[inline]
fn poll_once<F: Future>(fut: F) -> Option<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(fut).poll(&mut cx) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}
