//! Why a bulkhead did not admit a call.

use std::time::Duration;

use thiserror::Error;

/// The bulkhead did not admit a call; from [`Bulkhead::acquire`](super::Bulkhead::acquire),
/// [`try_acquire`](super::Bulkhead::try_acquire) and [`call`](super::Bulkhead::call) (whose
/// future then was not polled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BulkheadError {
    /// Every slot was taken and the call could not wait: `try_acquire`, or a bulkhead whose
    /// `max_wait` is zero.
    #[error("bulkhead full")]
    Full,
    /// Every slot was taken and `max_queue` calls were already waiting.
    #[error("bulkhead full and its wait queue too")]
    QueueFull,
    /// The call waited `max_wait` without getting a slot.
    #[error("bulkhead full: no slot within {waited:?}")]
    TimedOut {
        /// How long it waited (on tokio's clock, so paused time in tests).
        waited: Duration,
    },
}
