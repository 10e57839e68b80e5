//! Integration tests for `perfkit::resilience`.

mod adaptive;
mod breaker;
mod bulkhead;
mod rate;
mod retry;
