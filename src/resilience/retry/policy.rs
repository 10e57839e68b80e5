//! [`Retry`]: the policy, its builder, and the loop that runs an operation under it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::resilience::ResilienceError;

use super::backoff::{Backoff, Schedule, nanos};
use super::budget::RetryBudget;
use super::error::{RetryError, StopReason};
use super::jitter::{GAMMA, Jitter, random_seed};
use super::stats::{Counters, RetryStats};

/// Attempts per run when [`RetryBuilder::max_attempts`] is not set: the first try and two
/// retries.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Cap on each delay when [`RetryBuilder::max_delay`] is not set.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(30);
/// Growth of an exponential schedule when [`RetryBuilder::multiplier`] is not set.
pub const DEFAULT_MULTIPLIER: f64 = 2.0;

/// Decides whether an error is worth another attempt.
///
/// Implemented for [`RetryAll`] and for every `Fn(&E) -> bool`. A policy's predicate is a
/// type parameter, so a closure costs nothing at run time and a policy without one
/// (`Retry<RetryAll>`) is a plain, nameable type.
pub trait RetryPredicate<E> {
    /// `true` to retry after `error` (the other limits permitting).
    fn should_retry(&self, error: &E) -> bool;
}

/// The default predicate: every error is retried.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetryAll;

impl<E> RetryPredicate<E> for RetryAll {
    #[inline]
    fn should_retry(&self, _: &E) -> bool {
        true
    }
}

impl<E, F: Fn(&E) -> bool> RetryPredicate<E> for F {
    #[inline]
    fn should_retry(&self, error: &E) -> bool {
        self(error)
    }
}

/// A retry policy: backoff with jitter, an attempt limit, an optional time limit, an
/// optional [`RetryBudget`], and a predicate `P` for which errors to retry.
///
/// Cloning is cheap; clones share the jitter seed sequence and the [`stats`](Self::stats).
/// A run that succeeds at the first attempt takes no lock, writes no shared counter,
/// allocates nothing and reads the clock only for a budget deposit or a `max_elapsed` limit.
///
/// ```
/// use perfkit::resilience::{Jitter, Retry, StopReason};
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), perfkit::resilience::ResilienceError> {
/// #[derive(Debug, PartialEq)]
/// enum Error { Timeout, NotFound }
///
/// let retry = Retry::constant(Duration::from_millis(50))
///     .jitter(Jitter::Equal)
///     .max_attempts(5)
///     .retry_if(|e: &Error| *e == Error::Timeout)
///     .build()?;
///
/// let err = retry.run(|| async { Err::<(), _>(Error::NotFound) }).await.unwrap_err();
/// assert_eq!(err.reason(), StopReason::NotRetryable);
/// assert_eq!(err.attempts(), 1);
///
/// let err = retry.run(|| async { Err::<(), _>(Error::Timeout) }).await.unwrap_err();
/// assert_eq!(err.reason(), StopReason::AttemptsExhausted);
/// assert_eq!(err.attempts(), 5);
/// assert_eq!(err.into_inner(), Error::Timeout);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Retry<P = RetryAll> {
    schedule: Schedule,
    max_attempts: u32,
    max_elapsed: Option<Duration>,
    budget: Option<RetryBudget>,
    predicate: P,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    /// Next jitter seed; each run that needs one takes a fresh splitmix64 increment.
    seed: AtomicU64,
    counters: Counters,
}

impl Retry {
    /// Delays that start at `base` and grow by the [`multiplier`](RetryBuilder::multiplier)
    /// (default 2) each retry, up to [`max_delay`](RetryBuilder::max_delay).
    pub fn exponential(base: Duration) -> RetryBuilder {
        RetryBuilder::new(base, DEFAULT_MULTIPLIER)
    }

    /// The same delay before every retry (before jitter; at most `max_delay`).
    pub fn constant(delay: Duration) -> RetryBuilder {
        RetryBuilder::new(delay, 1.0)
    }
}

impl<P> Retry<P> {
    /// Runs `op` until it succeeds or a limit says stop, sleeping the backoff delay between
    /// attempts.
    ///
    /// Each call of `op` is one attempt. In order, a failed attempt stops the run when the
    /// predicate rejects the error, when it was attempt `max_attempts`, when the next delay
    /// would end past `max_elapsed` (measured from the start of the run), or when the budget
    /// refuses the retry; otherwise the run sleeps and tries again. Each run deposits once
    /// into the budget, whatever its outcome.
    ///
    /// Sleeps with `tokio::time::sleep` (skipped for a zero delay), so a run that has to wait
    /// needs a Tokio runtime with time enabled; paused Tokio time makes tests instant. Time
    /// for `max_elapsed` is `tokio::time::Instant`, the clock the sleeps run on.
    pub async fn run<T, E, F, Fut>(&self, op: F) -> Result<T, RetryError<E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        P: RetryPredicate<E>,
    {
        self.drive(op, &self.predicate).await
    }

    /// [`run`](Self::run) with `predicate` in place of the policy's own, for a call site whose
    /// errors need a different rule.
    pub async fn run_if<T, E, F, Fut, Q>(&self, op: F, predicate: Q) -> Result<T, RetryError<E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        Q: RetryPredicate<E>,
    {
        self.drive(op, &predicate).await
    }

    /// The healthy path: one deposit, one attempt.
    #[inline]
    async fn drive<T, E, F, Fut, Q>(&self, mut op: F, predicate: &Q) -> Result<T, RetryError<E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        Q: RetryPredicate<E>,
    {
        let start = self.begin();
        let error = match op().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        // Boxed: the retry loop's state (the backoff, a Tokio `Sleep`) is several times the size
        // of everything else, and inline it would make every run's future that large even when
        // the first attempt succeeds. One allocation per failed first attempt is nothing next
        // to the sleep that follows it.
        Box::pin(self.retry_loop(op, predicate, start, error)).await
    }

    /// What every run does before its first attempt: one deposit in the budget, and the
    /// start time when a time limit exists (a clock read is most of a healthy run's cost).
    #[inline]
    pub(crate) fn begin(&self) -> Option<tokio::time::Instant> {
        if let Some(budget) = &self.budget {
            budget.deposit();
        }
        self.max_elapsed.map(|_| tokio::time::Instant::now())
    }

    /// Everything after a failed first attempt that started at `start` (from
    /// [`begin`](Self::begin)), under the policy's own predicate.
    #[cfg(feature = "tower")]
    pub(crate) async fn resume<T, E, F, Fut>(
        &self,
        op: F,
        start: Option<tokio::time::Instant>,
        error: E,
    ) -> Result<T, RetryError<E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        P: RetryPredicate<E>,
    {
        self.retry_loop(op, &self.predicate, start, error).await
    }

    /// Everything after the first failure, out of line so the healthy path stays small.
    async fn retry_loop<T, E, F, Fut, Q>(
        &self,
        mut op: F,
        predicate: &Q,
        start: Option<tokio::time::Instant>,
        mut error: E,
    ) -> Result<T, RetryError<E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        Q: RetryPredicate<E>,
    {
        let counters = &self.shared.counters;
        let mut backoff = self.delays();
        let mut attempts: u32 = 1;
        loop {
            let stop = if !predicate.should_retry(&error) {
                Some(StopReason::NotRetryable)
            } else if attempts >= self.max_attempts {
                Some(StopReason::AttemptsExhausted)
            } else {
                let delay = backoff.next_delay();
                if self.passes_deadline(start, delay) {
                    Some(StopReason::ElapsedExceeded)
                } else if self.budget.as_ref().is_some_and(|b| !b.withdraw()) {
                    Some(StopReason::BudgetExhausted)
                } else {
                    counters.retry();
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    None
                }
            };
            if let Some(reason) = stop {
                counters.stopped(reason);
                return Err(RetryError::new(reason, attempts, error));
            }
            attempts += 1;
            match op().await {
                Ok(v) => {
                    counters.recovered();
                    return Ok(v);
                }
                Err(e) => error = e,
            }
        }
    }

    fn passes_deadline(&self, start: Option<tokio::time::Instant>, delay: Duration) -> bool {
        match (start, self.max_elapsed) {
            (Some(start), Some(limit)) => start.elapsed().saturating_add(delay) > limit,
            _ => false,
        }
    }

    /// The delays of one run, for a loop driven by hand: `max_attempts - 1` of them, each
    /// jittered from a fresh stream (see [`Backoff`]).
    pub fn delays(&self) -> Backoff {
        let seed = self.shared.seed.fetch_add(GAMMA, Relaxed);
        Backoff::new(self.schedule, self.max_attempts - 1, seed)
    }

    /// Counts of retries and of the reasons runs gave up.
    pub fn stats(&self) -> RetryStats {
        self.shared.counters.snapshot()
    }

    /// Attempts per run, the first included.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The budget this policy draws on, if any.
    pub fn budget(&self) -> Option<&RetryBudget> {
        self.budget.as_ref()
    }
}

/// Settings of a [`Retry`]; `build()` checks them.
#[must_use]
#[derive(Debug, Clone)]
pub struct RetryBuilder<P = RetryAll> {
    base: Duration,
    multiplier: f64,
    max_delay: Duration,
    jitter: Jitter,
    max_attempts: u32,
    max_elapsed: Option<Duration>,
    budget: Option<RetryBudget>,
    seed: Option<u64>,
    predicate: P,
}

impl RetryBuilder {
    fn new(base: Duration, multiplier: f64) -> Self {
        Self {
            base,
            multiplier,
            max_delay: DEFAULT_MAX_DELAY,
            jitter: Jitter::default(),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            max_elapsed: None,
            budget: None,
            seed: None,
            predicate: RetryAll,
        }
    }
}

impl<P> RetryBuilder<P> {
    /// Growth of each delay over the last. Default 2 for [`Retry::exponential`], 1 for
    /// [`Retry::constant`]; must be finite and at least 1. Ignored by
    /// [`Jitter::Decorrelated`], which grows from the last delay drawn.
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        self.multiplier = multiplier;
        self
    }

    /// Cap on every delay, jitter included. Default 30 s ([`DEFAULT_MAX_DELAY`]). A base above
    /// it is not an error: every delay is then `max_delay`.
    pub fn max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// How delays are randomised. Default [`Jitter::Full`].
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// Attempts per run, the first included: 1 never retries. Default 3
    /// ([`DEFAULT_MAX_ATTEMPTS`]); must be at least 1.
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n;
        self
    }

    /// Stop retrying when the next delay would end more than `limit` after the run started.
    /// Default: no limit.
    pub fn max_elapsed(mut self, limit: Duration) -> Self {
        self.max_elapsed = Some(limit);
        self
    }

    /// Draw retries from `budget` (shared with whoever else holds a clone). Default: none,
    /// every retry allowed by the other limits is made.
    pub fn budget(mut self, budget: RetryBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Seed of the jitter streams, to make them reproducible. Default: random per policy.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Retry only errors for which `predicate` returns `true` (a closure `|e: &E| -> bool`
    /// or any [`RetryPredicate`]). Default [`RetryAll`].
    pub fn retry_if<Q>(self, predicate: Q) -> RetryBuilder<Q> {
        RetryBuilder {
            base: self.base,
            multiplier: self.multiplier,
            max_delay: self.max_delay,
            jitter: self.jitter,
            max_attempts: self.max_attempts,
            max_elapsed: self.max_elapsed,
            budget: self.budget,
            seed: self.seed,
            predicate,
        }
    }

    /// Checks the settings and builds the policy.
    pub fn build(self) -> Result<Retry<P>, ResilienceError> {
        if self.max_attempts == 0 {
            return Err(ResilienceError::InvalidConfig {
                field: "max_attempts",
                reason: "must be at least 1 (the first attempt counts)".to_owned(),
            });
        }
        if !(self.multiplier.is_finite() && self.multiplier >= 1.0) {
            return Err(ResilienceError::InvalidConfig {
                field: "multiplier",
                reason: format!("{} is not a finite number >= 1", self.multiplier),
            });
        }
        let max = nanos(self.max_delay);
        let schedule = Schedule {
            base: nanos(self.base).min(max),
            multiplier: self.multiplier,
            max,
            jitter: self.jitter,
        };
        Ok(Retry {
            schedule,
            max_attempts: self.max_attempts,
            max_elapsed: self.max_elapsed,
            budget: self.budget,
            predicate: self.predicate,
            shared: Arc::new(Shared {
                seed: AtomicU64::new(self.seed.unwrap_or_else(random_seed)),
                counters: Counters::default(),
            }),
        })
    }
}

#[cfg(feature = "metrics")]
impl<P> Retry<P> {
    /// Exposes [`stats`](Self::stats) in `registry`, read at each render:
    /// `{prefix}_retries_total`, `{prefix}_recovered_total` and
    /// `{prefix}_gave_up_total{reason="attempts_exhausted"|"budget_exhausted"|"elapsed_exceeded"|"not_retryable"}`;
    /// with a budget, also its series under `{prefix}_budget` (see
    /// [`RetryBudget::register_metrics`]). Clones of a policy share one set of counts; the
    /// series disappear with the last clone.
    ///
    /// ```
    /// use perfkit::metrics::Registry;
    /// use perfkit::resilience::Retry;
    /// use std::time::Duration;
    ///
    /// let registry = Registry::new();
    /// let retry = Retry::constant(Duration::ZERO).max_attempts(3).build()?;
    /// retry.register_metrics(&registry, "inventory_retry")?;
    /// assert!(registry.render_prometheus().contains("inventory_retry_retries_total 0"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn register_metrics(
        &self,
        registry: &crate::metrics::Registry,
        prefix: &str,
    ) -> Result<(), crate::metrics::MetricsError> {
        let export = crate::metrics::export::Exporter::new(registry, prefix, &self.shared)?;
        export.counter("retries_total", &[], |s| s.counters.snapshot().retries)?;
        export.counter("recovered_total", &[], |s| s.counters.snapshot().recovered)?;
        let reasons: [crate::metrics::export::Field<RetryStats, u64>; 4] = [
            ("attempts_exhausted", |s| s.attempts_exhausted),
            ("budget_exhausted", |s| s.budget_refusals),
            ("elapsed_exceeded", |s| s.elapsed_exceeded),
            ("not_retryable", |s| s.not_retryable),
        ];
        for (reason, read) in reasons {
            export.counter("gave_up_total", &[("reason", reason)], move |s| {
                read(&s.counters.snapshot())
            })?;
        }
        if let Some(budget) = &self.budget {
            budget.register_metrics(registry, &format!("{prefix}_budget"))?;
        }
        Ok(())
    }
}
