//! Counters of a policy, touched only when an attempt fails.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::error::StopReason;

/// A snapshot of a policy's counts, from [`Retry::stats`](super::Retry::stats); clones of a
/// policy share them.
///
/// Runs that succeed at the first attempt are not counted anywhere: keeping them free of
/// shared writes is the point (the healthy path takes no atomic read-modify-write).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RetryStats {
    /// Retries made (attempts after the first).
    pub retries: u64,
    /// Runs that ended with success after at least one retry.
    pub recovered: u64,
    /// Runs that gave up because `max_attempts` was reached.
    pub attempts_exhausted: u64,
    /// Retries the budget refused (each ends its run).
    pub budget_refusals: u64,
    /// Runs that gave up because the next wait would pass `max_elapsed`.
    pub elapsed_exceeded: u64,
    /// Runs that gave up on an error the predicate would not retry.
    pub not_retryable: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    retries: AtomicU64,
    recovered: AtomicU64,
    attempts_exhausted: AtomicU64,
    budget_refusals: AtomicU64,
    elapsed_exceeded: AtomicU64,
    not_retryable: AtomicU64,
}

impl Counters {
    pub(crate) fn retry(&self) {
        self.retries.fetch_add(1, Relaxed);
    }

    pub(crate) fn recovered(&self) {
        self.recovered.fetch_add(1, Relaxed);
    }

    pub(crate) fn stopped(&self, reason: StopReason) {
        let c = match reason {
            StopReason::AttemptsExhausted => &self.attempts_exhausted,
            StopReason::BudgetExhausted => &self.budget_refusals,
            StopReason::ElapsedExceeded => &self.elapsed_exceeded,
            StopReason::NotRetryable => &self.not_retryable,
        };
        c.fetch_add(1, Relaxed);
    }

    pub(crate) fn snapshot(&self) -> RetryStats {
        RetryStats {
            retries: self.retries.load(Relaxed),
            recovered: self.recovered.load(Relaxed),
            attempts_exhausted: self.attempts_exhausted.load(Relaxed),
            budget_refusals: self.budget_refusals.load(Relaxed),
            elapsed_exceeded: self.elapsed_exceeded.load(Relaxed),
            not_retryable: self.not_retryable.load(Relaxed),
        }
    }
}
