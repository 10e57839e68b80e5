//! Why a run gave up.

use std::fmt;

use thiserror::Error;

/// The rule that ended a run of [`Retry::run`](super::Retry::run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StopReason {
    /// The last attempt allowed by `max_attempts` failed.
    AttemptsExhausted,
    /// The [`RetryBudget`](super::RetryBudget) had no retry left.
    BudgetExhausted,
    /// The next wait would have ended past `max_elapsed`.
    ElapsedExceeded,
    /// The predicate said this error is not worth retrying.
    NotRetryable,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StopReason::AttemptsExhausted => "attempts exhausted",
            StopReason::BudgetExhausted => "retry budget exhausted",
            StopReason::ElapsedExceeded => "max elapsed time reached",
            StopReason::NotRetryable => "error not retryable",
        })
    }
}

/// The error of [`Retry::run`](super::Retry::run): the last error of the operation, how many
/// attempts were made, and why no more were.
///
/// The operation's error is the [`source`](std::error::Error::source), not part of the
/// message, so error reporters print it once.
#[derive(Debug, Error)]
#[error("gave up after {attempts} attempt(s): {reason}")]
#[non_exhaustive]
pub struct RetryError<E> {
    /// Why the run stopped.
    pub reason: StopReason,
    /// Attempts made, the first included (at least 1).
    pub attempts: u32,
    /// The error of the last attempt.
    #[source]
    pub error: E,
}

impl<E> RetryError<E> {
    pub(crate) fn new(reason: StopReason, attempts: u32, error: E) -> Self {
        Self {
            reason,
            attempts,
            error,
        }
    }

    /// The error of the last attempt.
    pub fn into_inner(self) -> E {
        self.error
    }

    /// Why the run stopped.
    pub fn reason(&self) -> StopReason {
        self.reason
    }

    /// Attempts made, the first included.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}
