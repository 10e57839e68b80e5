//! A resilience4j-style circuit breaker.
//!
//! [`CircuitBreaker`] watches the outcomes of calls to a dependency and stops calling it
//! while it fails: **closed** (calls pass, outcomes go into a sliding window), **open**
//! (calls are rejected until a wait elapses), **half-open** (a few trial calls decide
//! between closing and re-opening), plus the manual states **forced-open** and
//! **disabled**. See [`CircuitBreakerBuilder`] for every setting and its default.
//!
//! What lives where:
//! - `circuit_breaker.rs`: the public handle, `call` / `try_acquire`, the state machine;
//! - `builder.rs` / `config.rs`: settings, their defaults and validation;
//! - `state.rs`: [`State`] and the packed state word (state + generation in one atomic);
//! - `window.rs`: count-based ring and time-based buckets, lock-free recording;
//! - `trial.rs`: the half-open trial-call budget and its outcomes;
//! - `permit.rs`: [`Permit`], the guard that carries one call's outcome back;
//! - `stats.rs`: [`BreakerStats`] and the counters behind it;
//! - `listener.rs`: [`Transition`] and state-change listeners;
//! - `error.rs`: [`BreakerError`] and [`Rejected`].
//!
//! Promises: the closed-state path (acquire + record) takes no lock and does not allocate;
//! a lock is taken only on a state transition (and, in the time-based window, once per
//! bucket per second). Outcomes recorded concurrently are never lost from the counts.

mod builder;
mod circuit_breaker;
mod config;
mod error;
mod listener;
mod permit;
mod state;
mod stats;
mod trial;
mod window;

pub use builder::CircuitBreakerBuilder;
pub use circuit_breaker::CircuitBreaker;
pub use config::SlidingWindow;
pub use error::{BreakerError, Rejected};
pub use listener::Transition;
#[cfg(feature = "tower")]
pub(crate) use permit::OwnedPermit;
pub use permit::Permit;
pub use state::State;
pub use stats::BreakerStats;
