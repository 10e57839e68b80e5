//! Tests of `perfkit::simd`: every backend this CPU runs against an f64 oracle, IEEE special
//! values, errors, the deterministic mode and (feature `parallel`) `simd::par`.

mod support;

mod deterministic;
mod errors;
mod ieee;
mod oracle;
#[cfg(feature = "parallel")]
mod par;
