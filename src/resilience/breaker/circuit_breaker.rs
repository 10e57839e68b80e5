//! The public handle and the state machine behind it.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::time::Duration;

use crossbeam_utils::CachePadded;
use parking_lot::{Mutex, ReentrantMutex};

use super::builder::CircuitBreakerBuilder;
use super::config::{Config, SlidingWindow};
use super::error::{BreakerError, Rejected};
use super::listener::{Listener, Transition};
use super::permit::Permit;
use super::state::{
    CLOSED, DISABLED, HALF_OPEN, OPEN, State, generation, kind, next_word, state_of,
};
use super::stats::{BreakerStats, Counters, percent};
use super::trial::Trials;
use super::window::{CountWindow, FAILURE, SLOW, TimeWindow, Totals, Window};
use crate::clock::Clock;

/// A circuit breaker: stops calling a failing dependency, then probes it with a few trial
/// calls before trusting it again.
///
/// Cheap to clone (clones share one breaker) and `Send + Sync`. In the closed state,
/// acquiring a permit and recording its outcome take no lock and allocate nothing.
///
/// ```
/// use perfkit::clock::ManualClock;
/// use perfkit::resilience::{BreakerError, CircuitBreaker, State};
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let clock = ManualClock::new();
/// let breaker = CircuitBreaker::builder()
///     .count_based_window(10)
///     .minimum_number_of_calls(4)
///     .wait_duration_in_open(Duration::from_secs(30))
///     .clock(clock.clone())
///     .build()
///     .unwrap();
///
/// for _ in 0..4 {
///     let r = breaker.call(async { Err::<(), _>("connection refused") }).await;
///     assert!(matches!(r, Err(BreakerError::Inner(_))));
/// }
/// assert_eq!(breaker.state(), State::Open);
/// let r = breaker.call(async { Ok::<_, &str>(1) }).await;
/// assert!(r.unwrap_err().is_rejected());
///
/// clock.advance(Duration::from_secs(30));
/// assert_eq!(breaker.call(async { Ok::<_, &str>(1) }).await.unwrap(), 1); // a trial call
/// assert_eq!(breaker.state(), State::HalfOpen);
/// # }
/// ```
#[derive(Clone)]
pub struct CircuitBreaker {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// State kind and generation (see `state.rs`). Read on every acquire and record,
    /// written only on transitions, so it gets its own cache line.
    state: CachePadded<AtomicU64>,
    /// Closed-state outcomes recorded in the window, and the count-based ring's cursor.
    recorded: CachePadded<AtomicU64>,
    window: Window,
    /// Nanoseconds on the clock at which an open breaker lets trial calls through.
    open_until: AtomicU64,
    /// Time-based window: the last judgement found the rate over a threshold but too few
    /// calls, so the next success must judge again (it may bring the minimum).
    pending: AtomicBool,
    trials: Trials,
    counters: CachePadded<Counters>,
    /// Consecutive openings since the breaker last closed (for the backoff).
    opens: Mutex<u32>,
    /// Held while a transition is made and announced, so listeners see transitions in
    /// order; re-entrant so a listener may itself change the state.
    announce: ReentrantMutex<()>,
    listeners: Vec<Listener>,
    clock: Arc<dyn Clock>,
    config: Config,
    /// Whether permits are timed: slow-call detection is on.
    timed: bool,
    minimum: u64,
}

impl CircuitBreaker {
    /// A builder with the documented defaults.
    pub fn builder() -> CircuitBreakerBuilder {
        CircuitBreakerBuilder::new()
    }

    pub(crate) fn from_parts(
        config: Config,
        clock: Arc<dyn Clock>,
        listeners: Vec<Listener>,
    ) -> Self {
        let window = match config.window {
            SlidingWindow::CountBased(n) => Window::Count(CountWindow::new(n)),
            SlidingWindow::TimeBased(n) => Window::Time(TimeWindow::new(n)),
        };
        Self {
            inner: Arc::new(Inner {
                state: CachePadded::new(AtomicU64::new(CLOSED)),
                recorded: CachePadded::new(AtomicU64::new(0)),
                window,
                open_until: AtomicU64::new(0),
                pending: AtomicBool::new(false),
                trials: Trials::default(),
                counters: CachePadded::new(Counters::default()),
                opens: Mutex::new(0),
                announce: ReentrantMutex::new(()),
                listeners,
                clock,
                timed: config.slow_call_duration.is_some(),
                minimum: config.effective_minimum(),
                config,
            }),
        }
    }

    /// The current state. An open breaker whose wait has elapsed still reports
    /// [`State::Open`] until the next acquire moves it to half-open.
    pub fn state(&self) -> State {
        state_of(self.inner.state.load(Acquire))
    }

    /// Asks to make one call.
    ///
    /// # Errors
    /// [`Rejected`] when open (with the time left to wait), forced-open, or half-open with
    /// every trial call taken.
    #[inline]
    pub fn try_acquire(&self) -> Result<Permit<'_>, Rejected> {
        let word = self.inner.state.load(Acquire);
        if kind(word) == CLOSED && !self.inner.timed {
            return Ok(Permit::new(&self.inner, word, None));
        }
        self.inner.acquire_slow(word)
    }

    /// Runs `fut` if the breaker allows, recording every `Err` as a failure and timing the
    /// call for slow-call detection. The future is not polled when the call is rejected; if
    /// the returned future is dropped before `fut` completes, the call counts as cancelled.
    ///
    /// # Errors
    /// [`BreakerError::Open`] when rejected, [`BreakerError::Inner`] with `fut`'s error.
    pub async fn call<F, T, E>(&self, fut: F) -> Result<T, BreakerError<E>>
    where
        F: Future<Output = Result<T, E>>,
    {
        // Written out rather than through `call_with`: one state machine instead of two
        // nested ones is measurably cheaper for a future that is ready at once.
        let permit = self.try_acquire()?;
        match fut.await {
            Ok(value) => {
                permit.success();
                Ok(value)
            }
            Err(e) => {
                permit.failure();
                Err(BreakerError::Inner(e))
            }
        }
    }

    /// Like [`call`](Self::call), but an error counts as a failure only when `is_failure`
    /// says so; other errors count as successes (the dependency answered), as in
    /// resilience4j's `recordExceptions`.
    ///
    /// ```
    /// use perfkit::resilience::CircuitBreaker;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let breaker = CircuitBreaker::builder().build().unwrap();
    /// // A 404 is the caller's problem, not the dependency's.
    /// let r = breaker.call_with(|status: &u16| *status >= 500, async { Err::<(), u16>(404) }).await;
    /// assert_eq!(r.unwrap_err().into_inner(), Some(404));
    /// assert_eq!((breaker.stats().successes, breaker.stats().failures), (1, 0));
    /// # }
    /// ```
    ///
    /// # Errors
    /// As for [`call`](Self::call).
    pub async fn call_with<P, F, T, E>(&self, is_failure: P, fut: F) -> Result<T, BreakerError<E>>
    where
        P: FnOnce(&E) -> bool,
        F: Future<Output = Result<T, E>>,
    {
        let permit = self.try_acquire()?;
        match fut.await {
            Ok(value) => {
                permit.success();
                Ok(value)
            }
            Err(e) => {
                if is_failure(&e) {
                    permit.failure();
                } else {
                    permit.success();
                }
                Err(BreakerError::Inner(e))
            }
        }
    }

    /// [`try_acquire`](Self::try_acquire) with a permit that owns a handle to the breaker.
    #[cfg(feature = "tower")]
    #[inline]
    pub(crate) fn try_acquire_owned(&self) -> Result<super::permit::OwnedPermit, Rejected> {
        Ok(self.try_acquire()?.into_owned(Arc::clone(&self.inner)))
    }

    /// Holds the breaker open, rejecting every call, until [`close`](Self::close) or
    /// [`reset`](Self::reset).
    pub fn force_open(&self) {
        self.inner.transition(None, State::ForcedOpen);
    }

    /// Lets every call through without judging outcomes (they still count in the lifetime
    /// stats), until [`close`](Self::close) or [`reset`](Self::reset).
    pub fn disable(&self) {
        self.inner.transition(None, State::Disabled);
    }

    /// Moves to closed from any state, with an empty window and the backoff started over.
    /// Lifetime stats are kept.
    pub fn close(&self) {
        self.inner.transition(None, State::Closed);
    }

    /// Like [`close`](Self::close), and also zeroes the lifetime stats.
    pub fn reset(&self) {
        self.inner.transition(None, State::Closed);
        self.inner.recorded.store(0, Relaxed);
        self.inner.counters.clear();
    }

    /// A snapshot of the counts. Reads a few atomics; does not stop callers.
    pub fn stats(&self) -> BreakerStats {
        let inner = &*self.inner;
        let word = inner.state.load(Acquire);
        let (window, minimum) = match kind(word) {
            HALF_OPEN => (
                inner.trials.totals(),
                u64::from(inner.config.permitted_calls_in_half_open),
            ),
            _ => (inner.window_totals(inner.clock.now()), inner.minimum),
        };
        let c = &inner.counters;
        let calls = inner.recorded.load(Relaxed) + c.other_calls.load(Relaxed);
        let failures = c.failures.load(Relaxed);
        let judged = window.calls >= minimum && window.calls > 0;
        BreakerStats {
            state: state_of(word),
            calls,
            successes: calls.saturating_sub(failures),
            failures,
            slow: c.slow.load(Relaxed),
            rejected: c.rejected.load(Relaxed),
            ignored: c.ignored.load(Relaxed),
            cancelled: c.cancelled.load(Relaxed),
            window_calls: window.calls,
            window_failures: window.failures,
            window_slow: window.slow,
            failure_rate: judged.then(|| percent(window.failures, window.calls)),
            slow_call_rate: judged.then(|| percent(window.slow, window.calls)),
        }
    }
}

impl Inner {
    #[cold]
    fn acquire_slow(&self, mut word: u64) -> Result<Permit<'_>, Rejected> {
        loop {
            match kind(word) {
                CLOSED | DISABLED => {
                    let start = self.timed.then(|| self.clock.now());
                    return Ok(Permit::new(self, word, start));
                }
                HALF_OPEN => {
                    if self
                        .trials
                        .try_take(generation(word), self.config.permitted_calls_in_half_open)
                    {
                        let start = self.timed.then(|| self.clock.now());
                        return Ok(Permit::new(self, word, start));
                    }
                    // The trials may have been taken by a half-open period that just
                    // ended; only reject if this is still the current state.
                    let now_word = self.state.load(Acquire);
                    if now_word != word {
                        word = now_word;
                        continue;
                    }
                    return Err(self.reject(State::HalfOpen, None));
                }
                OPEN => {
                    let now = nanos(self.clock.now());
                    let until = self.open_until.load(Acquire);
                    // A wait that saturated the clock's range never ends.
                    if now < until || until == u64::MAX {
                        let left = Duration::from_nanos(until - now);
                        return Err(self.reject(State::Open, Some(left)));
                    }
                    // The wait is over: this acquire moves the breaker to half-open (or
                    // another caller already did); either way, look again.
                    self.transition(Some(word), State::HalfOpen);
                    word = self.state.load(Acquire);
                }
                _ => return Err(self.reject(State::ForcedOpen, None)),
            }
        }
    }

    fn reject(&self, state: State, retry_after: Option<Duration>) -> Rejected {
        Counters::bump(&self.counters.rejected);
        Rejected { state, retry_after }
    }

    /// Records one outcome of a permit granted under `word`.
    #[inline]
    pub(crate) fn record(
        &self,
        word: u64,
        start: Option<Duration>,
        mut outcome: u8,
        elapsed: Option<Duration>,
    ) {
        let mut now = None;
        if let Some(limit) = self.config.slow_call_duration {
            let took = elapsed.or_else(|| {
                let n = self.clock.now();
                now = Some(n);
                start.map(|s| n.saturating_sub(s))
            });
            if took.is_some_and(|t| t >= limit) {
                outcome |= SLOW;
            }
        }
        if outcome & FAILURE != 0 {
            Counters::bump(&self.counters.failures);
        }
        if outcome & SLOW != 0 {
            Counters::bump(&self.counters.slow);
        }
        // An outcome counts towards the window only if the breaker is still in the closed
        // period the permit was granted in.
        if kind(word) == CLOSED && self.state.load(Acquire) == word {
            let ticket = self.recorded.fetch_add(1, Relaxed);
            match &self.window {
                Window::Count(w) => {
                    if let Some(totals) = w.record(ticket, outcome) {
                        self.judge_closed(word, totals);
                    }
                }
                Window::Time(w) => {
                    let now = now.unwrap_or_else(|| self.clock.now());
                    w.record(now, outcome);
                    // A success can only open the breaker by bringing the window up to
                    // the minimum; otherwise summing the buckets is wasted work.
                    if outcome & (FAILURE | SLOW) != 0 || self.pending.load(Relaxed) {
                        let totals = w.totals(now);
                        let over = self.over_threshold(totals);
                        self.pending
                            .store(over && totals.calls < self.minimum, Relaxed);
                        if over && totals.calls >= self.minimum {
                            self.transition(Some(word), State::Open);
                        }
                    }
                }
            }
        } else {
            self.record_outside_window(word, outcome);
        }
    }

    #[cold]
    fn record_outside_window(&self, word: u64, outcome: u8) {
        Counters::bump(&self.counters.other_calls);
        if kind(word) == HALF_OPEN && self.state.load(Acquire) == word {
            let permitted = self.config.permitted_calls_in_half_open;
            if let Some(totals) = self.trials.record(generation(word), outcome, permitted) {
                let to = if self.over_threshold(totals) {
                    State::Open
                } else {
                    State::Closed
                };
                self.transition(Some(word), to);
            }
        }
    }

    #[inline]
    fn judge_closed(&self, word: u64, totals: Totals) {
        if totals.calls >= self.minimum && self.over_threshold(totals) {
            self.transition(Some(word), State::Open);
        }
    }

    fn over_threshold(&self, t: Totals) -> bool {
        if t.calls == 0 {
            return false;
        }
        let calls = t.calls as f64;
        let failing =
            t.failures as f64 * 100.0 >= f64::from(self.config.failure_rate_threshold) * calls;
        let slow = self.config.slow_call_duration.is_some()
            && t.slow as f64 * 100.0 >= f64::from(self.config.slow_call_rate_threshold) * calls;
        failing || slow
    }

    /// A permit ended without an outcome: cancelled (dropped) or ignored on purpose.
    pub(crate) fn release(&self, word: u64, cancelled: bool) {
        Counters::bump(if cancelled {
            &self.counters.cancelled
        } else {
            &self.counters.ignored
        });
        if kind(word) == HALF_OPEN {
            self.trials.give_back(generation(word));
        }
    }

    fn window_totals(&self, now: Duration) -> Totals {
        match &self.window {
            Window::Count(w) => w.totals(),
            Window::Time(w) => w.totals(now),
        }
    }

    /// Moves to `to`, if the state word is still `expect` (any state when `None`);
    /// returns whether this call made the move. Announces it to the listeners.
    fn transition(&self, expect: Option<u64>, to: State) -> bool {
        let _announce = self.announce.lock();
        let (from, at) = {
            let mut opens = self.opens.lock();
            let word = self.state.load(Acquire);
            if expect.is_some_and(|e| e != word) {
                return false;
            }
            let now = self.clock.now();
            let next = next_word(word, to);
            match to {
                State::Open => {
                    *opens = opens.saturating_add(1);
                    let until = nanos(now).saturating_add(nanos(self.config.wait_for(*opens)));
                    // Published before the state word, which readers load first.
                    self.open_until.store(until, Release);
                }
                State::HalfOpen => self.trials.begin(generation(next)),
                State::Closed => {
                    *opens = 0;
                    self.pending.store(false, Relaxed);
                    match &self.window {
                        Window::Count(w) => w.reset(),
                        Window::Time(w) => w.reset(),
                    }
                }
                State::ForcedOpen | State::Disabled => {}
            }
            self.state.store(next, Release);
            (state_of(word), now)
        };
        if from == to {
            // A manual move to the state the breaker is in (say `close()` while closed)
            // still empties the window, but is not a change of state to announce.
            return true;
        }
        let transition = Transition { from, to, at };
        for listener in &self.listeners {
            listener(transition);
        }
        true
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("state", &self.state())
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "metrics")]
impl CircuitBreaker {
    /// Exposes [`stats`](Self::stats) in `registry`, read at each render (the call path
    /// pays nothing for it):
    ///
    /// - `{prefix}_state{state="closed"|"open"|"half-open"|"forced-open"|"disabled"}`: 1 for
    ///   the current state, 0 for the others;
    /// - `{prefix}_calls_total{outcome="success"|"failure"|"rejected"|"ignored"|"cancelled"}`;
    /// - `{prefix}_slow_calls_total`;
    /// - `{prefix}_failure_rate` and `{prefix}_slow_call_rate`: percent over the window, NaN
    ///   until the window holds the minimum number of calls.
    ///
    /// The registry holds no strong reference: once every clone of the breaker is dropped,
    /// its series disappear. Registering a second breaker under the same prefix replaces
    /// the first one's series.
    ///
    /// ```
    /// use perfkit::metrics::Registry;
    /// use perfkit::resilience::CircuitBreaker;
    ///
    /// let registry = Registry::new();
    /// let breaker = CircuitBreaker::builder().build()?;
    /// breaker.register_metrics(&registry, "payments_breaker")?;
    /// breaker.try_acquire().unwrap().failure();
    ///
    /// let text = registry.render_prometheus();
    /// assert!(text.contains("payments_breaker_state{state=\"closed\"} 1"));
    /// assert!(text.contains("payments_breaker_calls_total{outcome=\"failure\"} 1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn register_metrics(
        &self,
        registry: &crate::metrics::Registry,
        prefix: &str,
    ) -> Result<(), crate::metrics::MetricsError> {
        use crate::metrics::export::{Exporter, rate_or_nan};

        fn stats(inner: &Arc<Inner>) -> BreakerStats {
            CircuitBreaker {
                inner: Arc::clone(inner),
            }
            .stats()
        }

        let export = Exporter::new(registry, prefix, &self.inner)?;
        for state in [
            State::Closed,
            State::Open,
            State::HalfOpen,
            State::ForcedOpen,
            State::Disabled,
        ] {
            let label = state.to_string();
            export.gauge("state", &[("state", &label)], move |i| {
                f64::from(u8::from(state_of(i.state.load(Acquire)) == state))
            })?;
        }
        let outcomes: [crate::metrics::export::Field<BreakerStats, u64>; 5] = [
            ("success", |s| s.successes),
            ("failure", |s| s.failures),
            ("rejected", |s| s.rejected),
            ("ignored", |s| s.ignored),
            ("cancelled", |s| s.cancelled),
        ];
        for (outcome, read) in outcomes {
            export.counter("calls_total", &[("outcome", outcome)], move |i| {
                read(&stats(i))
            })?;
        }
        export.counter("slow_calls_total", &[], |i| stats(i).slow)?;
        export.gauge("failure_rate", &[], |i| rate_or_nan(stats(i).failure_rate))?;
        export.gauge("slow_call_rate", &[], |i| {
            rate_or_nan(stats(i).slow_call_rate)
        })?;
        Ok(())
    }
}
