//! Resilience benchmarks: perfkit beside its peers, same inputs, same harness.
//!
//! Run with `cargo bench --bench resilience --no-default-features --features resilience -- --noplot`.

mod breaker;
mod bulkhead;
mod rate;
mod retry;

criterion::criterion_main!(
    breaker::benches,
    rate::benches,
    retry::benches,
    bulkhead::benches
);
