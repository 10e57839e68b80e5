//! Resilience benchmarks: perfkit beside its peers, same inputs, same harness.
//!
//! Run with `cargo bench --bench resilience --no-default-features --features resilience -- --noplot`.

mod breaker;
mod rate;

criterion::criterion_main!(breaker::benches, rate::benches);
