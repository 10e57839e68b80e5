//! A bulkhead: a cap on concurrent calls, with a bounded FIFO wait.
//!
//! [`Bulkhead`] admits at most a fixed number of calls at once — or as many as an
//! [`AdaptiveLimiter`](crate::resilience::AdaptiveLimiter) currently allows — so one slow
//! dependency cannot take every task, thread or connection a service has. A call that finds
//! it full waits in line for at most [`max_wait`](BulkheadBuilder::max_wait) (by default it
//! does not wait at all), behind at most [`max_queue`](BulkheadBuilder::max_queue) others,
//! and is otherwise rejected with a typed [`BulkheadError`].
//!
//! What lives where:
//! - `bulkhead.rs`: the public handle, `acquire` / `try_acquire` / `call`;
//! - `builder.rs`: settings, their defaults and validation;
//! - `capacity.rs`: the semaphore, and how it follows an adaptive limit;
//! - `permit.rs`: [`BulkheadPermit`] and [`OwnedBulkheadPermit`], the guards that give the
//!   slot back and carry the call's outcome to the limiter;
//! - `stats.rs`: [`BulkheadStats`] and the counters behind it;
//! - `error.rs`: [`BulkheadError`].
//!
//! Promises: waiters are served in arrival order (tokio's fair semaphore); a slot is given
//! back when its permit drops, and a waiter that is dropped (cancelled) leaves the line
//! without taking or leaking a slot; `try_acquire` never waits; nothing panics.

mod builder;
#[allow(clippy::module_inception)]
mod bulkhead;
mod capacity;
mod error;
mod permit;
mod stats;

pub use builder::{BulkheadBuilder, DEFAULT_MAX_QUEUE};
pub use bulkhead::Bulkhead;
pub use error::BulkheadError;
pub use permit::{BulkheadPermit, OwnedBulkheadPermit};
pub use stats::BulkheadStats;
