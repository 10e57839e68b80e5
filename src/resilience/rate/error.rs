//! Runtime outcomes of a rate limiter: "not yet" and "never".
//!
//! Configuration mistakes are [`ResilienceError`](crate::resilience::ResilienceError) from
//! `build()`; these types are what a built limiter answers per request.

use std::time::Duration;
use thiserror::Error;

/// A request did not conform to the quota; it would conform after [`retry_after`](Self::retry_after).
///
/// The wait is exact for the limiter's state at the moment of the decision: a caller that
/// retries after it, with no other request admitted in between, is admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[error("rate limited: retry after {retry_after:?}")]
pub struct RateLimited {
    retry_after: Duration,
}

impl RateLimited {
    #[inline]
    pub(crate) fn from_nanos(nanos: u64) -> Self {
        Self {
            retry_after: Duration::from_nanos(nanos),
        }
    }

    /// How long from the decision until the same request would be admitted.
    #[inline]
    pub fn retry_after(&self) -> Duration {
        self.retry_after
    }
}

/// A request costs more cells than the burst, so it can never be admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[error("insufficient capacity: cost {cost} exceeds the burst of {burst}")]
pub struct InsufficientCapacity {
    cost: u32,
    burst: u32,
}

impl InsufficientCapacity {
    #[inline]
    pub(crate) fn new(cost: u32, burst: u32) -> Self {
        Self { cost, burst }
    }

    /// The cost that was asked for.
    pub fn cost(&self) -> u32 {
        self.cost
    }

    /// The most cells a single request can ever be granted (the limiter's burst).
    pub fn burst(&self) -> u32 {
        self.burst
    }
}

/// Why a request of several cells (`check_n`) was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum RateLimitError {
    /// Not now; it would be admitted after a wait.
    #[error(transparent)]
    RateLimited(#[from] RateLimited),
    /// Never: the cost exceeds the burst.
    #[error(transparent)]
    InsufficientCapacity(#[from] InsufficientCapacity),
}

impl RateLimitError {
    /// The wait before a retry can succeed, or `None` if it never can.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited(r) => Some(r.retry_after()),
            Self::InsufficientCapacity(_) => None,
        }
    }
}
