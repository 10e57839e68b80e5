//! Integration tests for `perfkit::balance`.

mod active;
mod concurrency;
mod errors;
mod hashing;
mod health;
#[cfg(feature = "metrics")]
mod metrics;
mod props;
mod sim;
mod sim_tests;
mod strategies;

use perfkit::balance::{Backend, Balancer, BalancerBuilder, Pick};
use std::time::Duration;

/// `n` backends named `b0..`, values `0..n`.
pub fn backends(n: usize) -> Vec<Backend<usize>> {
    (0..n).map(|i| Backend::new(format!("b{i}"), i)).collect()
}

/// A seeded builder over `backends(n)`.
pub fn builder(n: usize) -> BalancerBuilder<usize> {
    Balancer::builder().backends(backends(n)).seed(42)
}

/// Finishes a pick successfully and returns its value.
pub fn ok(p: Pick<'_, usize>) -> usize {
    let v = *p;
    p.success(Duration::from_millis(1));
    v
}
