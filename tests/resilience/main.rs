//! Integration tests for `perfkit::resilience`.

mod breaker;
mod rate;
