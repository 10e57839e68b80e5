//! What a call through the breaker can fail with.

use std::time::Duration;

use thiserror::Error;

use super::state::State;

/// The breaker did not let a call through.
///
/// Returned by [`CircuitBreaker::try_acquire`](super::CircuitBreaker::try_acquire), and
/// wrapped in [`BreakerError::Open`] by `call`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("circuit breaker rejected the call ({state}{})", match retry_after {
    Some(d) => format!(", retry after {d:?}"),
    None => String::new(),
})]
#[non_exhaustive]
pub struct Rejected {
    /// The state that rejected the call: [`State::Open`], [`State::ForcedOpen`], or
    /// [`State::HalfOpen`] when all its trial calls are taken.
    pub state: State,
    /// How long until the breaker will let a trial call through, when that is known (in
    /// [`State::Open`]); `None` for forced-open and for a full half-open.
    pub retry_after: Option<Duration>,
}

/// The error of [`CircuitBreaker::call`](super::CircuitBreaker::call).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BreakerError<E> {
    /// The breaker rejected the call; the future was not polled.
    #[error(transparent)]
    Open(#[from] Rejected),
    /// The call ran and returned this error (recorded as a failure or not, per the
    /// predicate of [`call_with`](super::CircuitBreaker::call_with)).
    #[error("{0}")]
    Inner(E),
}

impl<E> BreakerError<E> {
    /// The caller's error, if the call ran and failed.
    pub fn into_inner(self) -> Option<E> {
        match self {
            BreakerError::Inner(e) => Some(e),
            BreakerError::Open(_) => None,
        }
    }

    /// Whether the breaker rejected the call.
    pub fn is_rejected(&self) -> bool {
        matches!(self, BreakerError::Open(_))
    }
}
