//! Integration tests for `perfkit::resilience`.

mod adaptive;
mod breaker;
mod bulkhead;
#[cfg(feature = "metrics")]
mod metrics;
mod rate;
mod retry;
