//! State-change notifications.

use std::time::Duration;

use super::state::State;

/// One change of state, as passed to listeners registered with
/// [`CircuitBreakerBuilder::on_state_change`](super::CircuitBreakerBuilder::on_state_change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Transition {
    /// The state the breaker left.
    pub from: State,
    /// The state the breaker entered.
    pub to: State,
    /// When, on the breaker's clock.
    pub at: Duration,
}

pub(crate) type Listener = Box<dyn Fn(Transition) + Send + Sync + 'static>;
