//! Rate limiters: GCRA in one atomic word, and a keyed variant with bounded memory.
//!
//! - [`RateLimiter`] (`limiter.rs`): one quota for all callers; `check` is one clock read and
//!   one compare-and-swap, no lock. `until_ready` books a slot and sleeps, with jitter.
//! - [`KeyedRateLimiter`] (`keyed.rs`): the same quota per key, sharded maps of one `u64` per
//!   key, idle keys forgotten lazily, a hard cap on tracked keys.
//! - `gcra.rs`: the decision itself, as pure arithmetic on a theoretical arrival time.
//! - [`RateLimited`], [`InsufficientCapacity`], [`RateLimitError`] (`error.rs`): "not yet"
//!   and "never".
//! - [`CoarseClock`] (`coarse.rs`): an opt-in clock read with one atomic load, refreshed by a
//!   background thread; cheaper than `Instant::now()` and not exact (see its docs).
//! - `time.rs` (clock source, jitter) and `hash.rs` (the seeded key hasher) are machinery.

mod coarse;
mod error;
mod gcra;
mod hash;
mod keyed;
mod limiter;
mod time;

pub use coarse::CoarseClock;
pub use error::{InsufficientCapacity, RateLimitError, RateLimited};
pub use keyed::{DEFAULT_MAX_KEYS, KeyedRateLimiter, KeyedRateLimiterBuilder};
pub use limiter::{RateLimiter, RateLimiterBuilder};
