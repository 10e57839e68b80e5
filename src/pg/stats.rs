//! [`PoolStats`]: the pool's counts and acquire latency, as plain data.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// A snapshot of a pool, from [`PgPool::stats`](super::PgPool::stats).
///
/// Counts run from the pool's creation. Gauges (`open`, `idle`, `in_use`, `waiting`,
/// `opening`) are read together under the pool's lock, so they agree with each other.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct PoolStats {
    /// The configured maximum.
    pub max_size: usize,
    /// Connections open now (idle and in use).
    pub open: usize,
    /// Open connections not in use.
    pub idle: usize,
    /// Connections checked out now.
    pub in_use: usize,
    /// Callers waiting for a connection now.
    pub waiting: usize,
    /// Connects in progress now.
    pub opening: usize,
    /// Successful `get` calls.
    pub acquires: u64,
    /// Of those, the ones that had to wait (no idle connection at the call).
    pub waits: u64,
    /// `get` calls that ended without a connection at the acquire timeout.
    pub timeouts: u64,
    /// Connections opened.
    pub created: u64,
    /// Connections closed by the pool (idle too long, past their lifetime, broken).
    pub closed: u64,
    /// Of those, the ones found broken (closed by the server, failed mid-query, timed out).
    pub broken: u64,
    /// Connect attempts that failed.
    pub connect_errors: u64,
    /// Checkouts held past the leak threshold (counted when given back).
    pub held_too_long: u64,
    /// Transactions run again after a serialization failure or deadlock.
    pub transaction_retries: u64,
    /// Acquire latency (the whole `get`), median.
    pub acquire_p50: Duration,
    /// Acquire latency, 95th percentile.
    pub acquire_p95: Duration,
    /// Acquire latency, 99th percentile.
    pub acquire_p99: Duration,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) acquires: AtomicU64,
    pub(crate) waits: AtomicU64,
    pub(crate) timeouts: AtomicU64,
    pub(crate) created: AtomicU64,
    pub(crate) closed: AtomicU64,
    pub(crate) broken: AtomicU64,
    pub(crate) connect_errors: AtomicU64,
    pub(crate) held_too_long: AtomicU64,
    pub(crate) transaction_retries: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(c: &AtomicU64) {
        c.fetch_add(1, Relaxed);
    }
}
