//! The breaker's state, and the packed word that holds it.

use std::fmt;

/// Where a [`CircuitBreaker`](super::CircuitBreaker) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// Calls pass; their outcomes fill the sliding window, which may open the breaker.
    Closed,
    /// Calls are rejected until the open wait elapses; the next acquire after that moves
    /// the breaker to [`State::HalfOpen`].
    Open,
    /// A limited number of trial calls pass; their outcomes close or re-open the breaker.
    HalfOpen,
    /// Held open by [`force_open`](super::CircuitBreaker::force_open) until closed by hand.
    ForcedOpen,
    /// Every call passes and nothing is judged, until closed by hand
    /// ([`disable`](super::CircuitBreaker::disable)).
    Disabled,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half-open",
            State::ForcedOpen => "forced-open",
            State::Disabled => "disabled",
        })
    }
}

// The state lives in one `AtomicU64`: the low 3 bits name the state, the rest count
// transitions. A permit remembers the word it was granted under, so an outcome that
// arrives after the breaker moved on (a closed-state call finishing while half-open) is
// recognised by one load and kept out of the new state's window or trial.
pub(crate) const KIND_BITS: u32 = 3;
pub(crate) const KIND_MASK: u64 = (1 << KIND_BITS) - 1;

pub(crate) const CLOSED: u64 = 0;
pub(crate) const OPEN: u64 = 1;
pub(crate) const HALF_OPEN: u64 = 2;
pub(crate) const FORCED_OPEN: u64 = 3;
pub(crate) const DISABLED: u64 = 4;

#[inline]
pub(crate) fn kind(word: u64) -> u64 {
    word & KIND_MASK
}

#[inline]
pub(crate) fn generation(word: u64) -> u64 {
    word >> KIND_BITS
}

/// The word for the state after `word`, of kind `to`.
pub(crate) fn next_word(word: u64, to: State) -> u64 {
    (generation(word).wrapping_add(1) << KIND_BITS) | kind_of(to)
}

pub(crate) fn kind_of(state: State) -> u64 {
    match state {
        State::Closed => CLOSED,
        State::Open => OPEN,
        State::HalfOpen => HALF_OPEN,
        State::ForcedOpen => FORCED_OPEN,
        State::Disabled => DISABLED,
    }
}

pub(crate) fn state_of(word: u64) -> State {
    match kind(word) {
        CLOSED => State::Closed,
        OPEN => State::Open,
        HALF_OPEN => State::HalfOpen,
        FORCED_OPEN => State::ForcedOpen,
        // Only the five kinds above are ever stored.
        _ => State::Disabled,
    }
}
