//! `CircuitBreaker`: scripted sequences on a `ManualClock`, asserting each transition at the
//! exact call, plus a multi-threaded stress test of the lock-free counts.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Waker};
use std::time::Duration;

use perfkit::clock::{Clock, ManualClock};
use perfkit::resilience::{
    BreakerError, CircuitBreaker, CircuitBreakerBuilder, ResilienceError, SlidingWindow, State,
    Transition,
};

const S: bool = true;
const F: bool = false;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// The issue's configuration: window 10, threshold 50 %, minimum 5 calls.
fn issue_breaker(clock: &ManualClock) -> CircuitBreakerBuilder {
    CircuitBreaker::builder()
        .count_based_window(10)
        .failure_rate_threshold(50.0)
        .minimum_number_of_calls(5)
        .wait_duration_in_open(secs(10))
        .clock(clock.clone())
}

/// Reports one outcome through the permit API; panics if the call is rejected.
fn outcome(b: &CircuitBreaker, ok: bool) {
    let permit = b.try_acquire().expect("call should be permitted");
    if ok {
        permit.success();
    } else {
        permit.failure();
    }
}

/// Runs `script` and returns the 1-based call after which the breaker was first open.
fn opened_at(b: &CircuitBreaker, script: &[bool]) -> Option<usize> {
    for (i, &ok) in script.iter().enumerate() {
        outcome(b, ok);
        if b.state() == State::Open {
            return Some(i + 1);
        }
    }
    None
}

/// Every transition seen by a listener, in order.
type Seen = Arc<Mutex<Vec<(State, State)>>>;

fn recorder() -> (Seen, impl Fn(Transition) + Send + Sync) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    (seen, move |t: Transition| {
        sink.lock().unwrap().push((t.from, t.to))
    })
}

#[tokio::test]
async fn issue_script_opens_at_the_exact_call() {
    let clock = ManualClock::new();
    let b = issue_breaker(&clock).build().unwrap();
    // S S S F F F: 2/5 = 40 % at the minimum, 3/6 = 50 % at the sixth call.
    let script = [S, S, S, F, F, F];
    for (i, &ok) in script.iter().enumerate() {
        let r = b
            .call(async move { if ok { Ok(i) } else { Err("boom") } })
            .await;
        assert_eq!(r.is_ok(), ok);
        let expected = if i + 1 < 6 {
            State::Closed
        } else {
            State::Open
        };
        assert_eq!(b.state(), expected, "after call {}", i + 1);
    }
    let stats = b.stats();
    assert_eq!((stats.calls, stats.successes, stats.failures), (6, 3, 3));
    assert_eq!(stats.failure_rate, Some(50.0));
    // Rejected without running the future.
    let ran = AtomicUsize::new(0);
    let r = b
        .call(async {
            ran.fetch_add(1, Ordering::SeqCst);
            Ok::<_, &str>(())
        })
        .await;
    match r {
        Err(BreakerError::Open(rej)) => {
            assert_eq!(rej.state, State::Open);
            assert_eq!(rej.retry_after, Some(secs(10)));
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    assert_eq!(b.stats().rejected, 1);
}

#[test]
fn minimum_number_of_calls_gates_the_judgement() {
    let clock = ManualClock::new();
    let b = issue_breaker(&clock).build().unwrap();
    // Four failures are 100 %, but below the minimum; the fifth call, a success, brings
    // the window to the minimum at 80 % and opens it.
    assert_eq!(opened_at(&b, &[F, F, F, F, S]), Some(5));
    let b = issue_breaker(&clock).build().unwrap();
    for _ in 0..4 {
        outcome(&b, F);
    }
    assert_eq!(b.stats().failure_rate, None, "not judged below the minimum");
}

#[test]
fn count_window_slides() {
    let clock = ManualClock::new();
    let b = CircuitBreaker::builder()
        .count_based_window(4)
        .minimum_number_of_calls(4)
        .failure_rate_threshold(50.0)
        .clock(clock)
        .build()
        .unwrap();
    // F S S S: 25 %; S pushes the failure out; F 25 %; F 50 % opens.
    assert_eq!(opened_at(&b, &[F, S, S, S]), None);
    assert_eq!(b.stats().window_failures, 1);
    outcome(&b, S);
    assert_eq!(b.stats().window_failures, 0);
    assert_eq!(b.stats().window_calls, 4);
    assert_eq!(opened_at(&b, &[F, F]), Some(2));
}

#[test]
fn slow_calls_open_the_breaker() {
    let clock = ManualClock::new();
    let b = CircuitBreaker::builder()
        .count_based_window(4)
        .minimum_number_of_calls(4)
        .failure_rate_threshold(100.0)
        .slow_call_duration(Duration::from_millis(100))
        .slow_call_rate_threshold(50.0)
        .clock(clock.clone())
        .build()
        .unwrap();
    // fast, slow (timed by the clock), fast: 1/3, below the minimum.
    b.try_acquire().unwrap().success();
    let p = b.try_acquire().unwrap();
    clock.advance(Duration::from_millis(150));
    p.success();
    let p = b.try_acquire().unwrap();
    clock.advance(Duration::from_millis(99));
    p.success();
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.stats().window_slow, 1);
    // A slow call reported with its own duration: 2/4 = 50 % opens.
    b.try_acquire()
        .unwrap()
        .success_after(Duration::from_millis(100));
    assert_eq!(b.state(), State::Open);
    let stats = b.stats();
    assert_eq!((stats.slow, stats.failures, stats.successes), (2, 0, 4));
    assert_eq!(stats.slow_call_rate, Some(50.0));
}

#[tokio::test]
async fn call_times_the_future_on_the_clock() {
    let clock = ManualClock::new();
    let b = CircuitBreaker::builder()
        .count_based_window(2)
        .minimum_number_of_calls(2)
        .slow_call_duration(secs(1))
        .slow_call_rate_threshold(100.0)
        .clock(clock.clone())
        .build()
        .unwrap();
    for _ in 0..2 {
        let c = clock.clone();
        let r = b
            .call(async move {
                c.advance(secs(2));
                Ok::<_, ()>(())
            })
            .await;
        assert!(r.is_ok());
    }
    assert_eq!(b.stats().slow, 2);
    assert_eq!(b.state(), State::Open);
}

#[test]
fn open_moves_to_half_open_when_the_wait_elapses() {
    let clock = ManualClock::new();
    let b = issue_breaker(&clock).build().unwrap();
    assert_eq!(opened_at(&b, &[F; 5]), Some(5));
    clock.advance(secs(4));
    let rej = b.try_acquire().unwrap_err();
    assert_eq!((rej.state, rej.retry_after), (State::Open, Some(secs(6))));
    clock.advance(Duration::from_nanos(5_999_999_999));
    assert_eq!(
        b.try_acquire().unwrap_err().retry_after,
        Some(Duration::from_nanos(1))
    );
    // Still reported open: the move is made lazily by the next acquire.
    clock.advance(Duration::from_nanos(1));
    assert_eq!(b.state(), State::Open);
    let trial = b.try_acquire().expect("the wait is over");
    assert_eq!(b.state(), State::HalfOpen);
    drop(trial);
}

#[test]
fn half_open_successes_close_with_an_empty_window() {
    let clock = ManualClock::new();
    let b = issue_breaker(&clock)
        .permitted_calls_in_half_open(3)
        .build()
        .unwrap();
    assert_eq!(opened_at(&b, &[F; 5]), Some(5));
    clock.advance(secs(10));
    // 1 failure of 3 trials = 33 % < 50 %: closes, after the third outcome only.
    outcome(&b, S);
    outcome(&b, F);
    assert_eq!(b.state(), State::HalfOpen);
    assert_eq!(b.stats().window_calls, 2, "half-open stats show the trials");
    outcome(&b, S);
    assert_eq!(b.state(), State::Closed);
    let stats = b.stats();
    assert_eq!((stats.window_calls, stats.window_failures), (0, 0));
    // A fresh window: it takes the minimum again to open.
    assert_eq!(opened_at(&b, &[F; 5]), Some(5));
}

#[test]
fn half_open_failures_reopen_with_exponential_backoff() {
    let clock = ManualClock::new();
    let (seen, listener) = recorder();
    let b = issue_breaker(&clock)
        .permitted_calls_in_half_open(2)
        .exponential_backoff(2.0, secs(35))
        .on_state_change(listener)
        .build()
        .unwrap();
    assert_eq!(opened_at(&b, &[F; 5]), Some(5));
    let mut expected_waits = vec![];
    // Each failed trial round re-opens with the wait doubled, capped at 35 s.
    for wait in [10, 20, 35, 35] {
        assert_eq!(b.try_acquire().unwrap_err().retry_after, Some(secs(wait)));
        clock.advance(secs(wait) - Duration::from_nanos(1));
        assert!(b.try_acquire().is_err(), "still open just before {wait} s");
        clock.advance(Duration::from_nanos(1));
        outcome(&b, S);
        outcome(&b, F); // 1/2 = 50 %: re-opens.
        assert_eq!(b.state(), State::Open);
        expected_waits.push(wait);
    }
    assert_eq!(expected_waits, [10, 20, 35, 35]);
    // Closing starts the backoff over.
    clock.advance(secs(35));
    outcome(&b, S);
    outcome(&b, S);
    assert_eq!(b.state(), State::Closed);
    assert_eq!(opened_at(&b, &[F; 5]), Some(5));
    assert_eq!(b.try_acquire().unwrap_err().retry_after, Some(secs(10)));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1 + 4 * 2 + 2 + 1);
}

#[test]
fn half_open_limits_trial_calls_and_dropped_trials_give_back_their_slot() {
    let clock = ManualClock::new();
    let b = issue_breaker(&clock)
        .permitted_calls_in_half_open(2)
        .build()
        .unwrap();
    assert_eq!(opened_at(&b, &[F; 5]), Some(5));
    clock.advance(secs(10));
    let first = b.try_acquire().unwrap();
    let second = b.try_acquire().unwrap();
    let rej = b.try_acquire().unwrap_err();
    assert_eq!((rej.state, rej.retry_after), (State::HalfOpen, None));
    drop(second); // cancelled: its slot is free again
    let third = b.try_acquire().expect("a cancelled trial frees its slot");
    assert!(b.try_acquire().is_err());
    first.success();
    assert_eq!(b.state(), State::HalfOpen, "one trial outcome of two");
    third.success();
    assert_eq!(b.state(), State::Closed);
    let stats = b.stats();
    assert_eq!((stats.cancelled, stats.rejected), (1, 2));
}

#[test]
fn outcomes_from_an_earlier_state_do_not_count_in_the_next() {
    let clock = ManualClock::new();
    let b = issue_breaker(&clock)
        .permitted_calls_in_half_open(1)
        .build()
        .unwrap();
    let late = b.try_acquire().unwrap(); // granted while closed
    assert_eq!(opened_at(&b, &[F; 5]), Some(5));
    clock.advance(secs(10));
    let trial = b.try_acquire().unwrap();
    assert_eq!(b.state(), State::HalfOpen);
    late.failure(); // must not be taken as the trial's outcome
    assert_eq!(b.state(), State::HalfOpen);
    trial.success();
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.stats().failures, 6, "still counted in the lifetime stats");
}

#[test]
fn dropped_and_ignored_permits_count_as_neither_outcome() {
    let clock = ManualClock::new();
    let b = CircuitBreaker::builder()
        .count_based_window(10)
        .minimum_number_of_calls(1)
        .clock(clock)
        .build()
        .unwrap();
    for _ in 0..10 {
        drop(b.try_acquire().unwrap());
    }
    for _ in 0..3 {
        b.try_acquire().unwrap().ignore();
    }
    let stats = b.stats();
    assert_eq!((stats.cancelled, stats.ignored), (10, 3));
    assert_eq!((stats.calls, stats.window_calls), (0, 0));
    // With a minimum of one call, a single failure now opens it: nothing was recorded.
    outcome(&b, F);
    assert_eq!(b.state(), State::Open);
}

#[test]
fn a_dropped_call_future_is_cancelled() {
    let b = CircuitBreaker::builder().build().unwrap();
    {
        let mut fut = pin!(b.call(std::future::pending::<Result<(), ()>>()));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
    }
    let stats = b.stats();
    assert_eq!((stats.cancelled, stats.calls), (1, 0));
}

#[tokio::test]
async fn the_error_predicate_decides_what_is_a_failure() {
    let clock = ManualClock::new();
    let b = issue_breaker(&clock).build().unwrap();
    let server_error = |status: &u16| *status >= 500;
    for _ in 0..5 {
        let r = b
            .call_with(server_error, async { Err::<(), u16>(404) })
            .await;
        assert_eq!(r.unwrap_err().into_inner(), Some(404));
    }
    assert_eq!(b.state(), State::Closed);
    assert_eq!((b.stats().successes, b.stats().failures), (5, 0));
    for i in 0..5 {
        let r = b
            .call_with(server_error, async { Err::<(), u16>(503) })
            .await;
        assert!(matches!(r, Err(BreakerError::Inner(503))));
        // 5 successes then failures: 5/10 = 50 % at the fifth failure.
        assert_eq!(b.state() == State::Open, i == 4, "after failure {}", i + 1);
    }
}

#[test]
fn forced_open_and_disabled_are_held_until_closed() {
    let clock = ManualClock::new();
    let (seen, listener) = recorder();
    let b = issue_breaker(&clock)
        .on_state_change(listener)
        .build()
        .unwrap();
    b.force_open();
    assert_eq!(b.state(), State::ForcedOpen);
    clock.advance(secs(3600));
    let rej = b.try_acquire().unwrap_err();
    assert_eq!((rej.state, rej.retry_after), (State::ForcedOpen, None));
    b.close();
    assert_eq!(b.state(), State::Closed);

    b.disable();
    for _ in 0..50 {
        outcome(&b, F);
    }
    assert_eq!(b.state(), State::Disabled, "outcomes are not judged");
    assert_eq!(b.stats().failures, 50);
    b.reset();
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.stats().failures, 0, "reset zeroes the lifetime stats");
    b.close(); // already closed: not a transition
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (State::Closed, State::ForcedOpen),
            (State::ForcedOpen, State::Closed),
            (State::Closed, State::Disabled),
            (State::Disabled, State::Closed),
        ]
    );
}

#[test]
fn listeners_see_each_transition_exactly_once_in_order() {
    let clock = ManualClock::new();
    let (seen, listener) = recorder();
    let times = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&times);
    let b = issue_breaker(&clock)
        .permitted_calls_in_half_open(1)
        .on_state_change(listener)
        .on_state_change(move |t| sink.lock().unwrap().push(t.at))
        .build()
        .unwrap();
    opened_at(&b, &[F; 5]);
    clock.advance(secs(10));
    outcome(&b, F); // half-open, re-open
    clock.advance(secs(10));
    outcome(&b, S); // half-open, close
    use State::*;
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (Closed, Open),
            (Open, HalfOpen),
            (HalfOpen, Open),
            (Open, HalfOpen),
            (HalfOpen, Closed)
        ]
    );
    assert_eq!(
        *times.lock().unwrap(),
        [secs(0), secs(10), secs(10), secs(20), secs(20)]
    );
}

#[test]
fn racing_threads_make_one_transition_each() {
    let clock = ManualClock::new();
    let (seen, listener) = recorder();
    let b = issue_breaker(&clock)
        .permitted_calls_in_half_open(1_000)
        .on_state_change(listener)
        .build()
        .unwrap();
    opened_at(&b, &[F; 5]);
    clock.advance(secs(10));
    // Eight threads all find the wait over at once; only one moves to half-open.
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..100 {
                    b.try_acquire().unwrap().ignore();
                }
            });
        }
    });
    assert_eq!(
        *seen.lock().unwrap(),
        [(State::Closed, State::Open), (State::Open, State::HalfOpen)]
    );
    assert_eq!(b.stats().ignored, 800);
}

#[test]
fn a_listener_may_change_the_state() {
    let clock = ManualClock::new();
    let slot: Arc<Mutex<Option<CircuitBreaker>>> = Arc::new(Mutex::new(None));
    let handle = Arc::clone(&slot);
    let b = issue_breaker(&clock)
        .on_state_change(move |t| {
            if t.to == State::Open
                && let Some(b) = handle.lock().unwrap().as_ref()
            {
                b.force_open();
            }
        })
        .build()
        .unwrap();
    *slot.lock().unwrap() = Some(b.clone());
    opened_at(&b, &[F; 5]);
    assert_eq!(b.state(), State::ForcedOpen);
    slot.lock().unwrap().take(); // break the cycle
}

#[test]
fn time_window_forgets_old_outcomes() {
    let clock = ManualClock::new();
    let b = CircuitBreaker::builder()
        .sliding_window(SlidingWindow::TimeBased(10))
        .minimum_number_of_calls(5)
        .failure_rate_threshold(50.0)
        .clock(clock.clone())
        .build()
        .unwrap();
    for _ in 0..4 {
        outcome(&b, F);
    }
    clock.advance(secs(9));
    assert_eq!(b.stats().window_failures, 4, "still inside the 10 s window");
    clock.advance(secs(2));
    assert_eq!(b.stats().window_calls, 0, "older than 10 s");
    // 1 failure in 5 = 20 %; had the old failures stayed, 5/9 = 56 % would open.
    assert_eq!(opened_at(&b, &[F, S, S, S, S]), None);
    assert_eq!((b.stats().window_calls, b.stats().window_failures), (5, 1));
}

#[test]
fn time_window_opens_on_the_call_that_reaches_the_minimum() {
    let clock = ManualClock::new();
    let b = CircuitBreaker::builder()
        .time_based_window(10)
        .minimum_number_of_calls(5)
        .failure_rate_threshold(50.0)
        .clock(clock.clone())
        .build()
        .unwrap();
    // Spread over several seconds (several buckets): F F F at 0-2 s, S at 5 s, S at 9 s.
    for (at, ok) in [(0, F), (1, F), (2, F), (5, S)] {
        clock.advance(secs(at) - clock.now().min(secs(at)));
        outcome(&b, ok);
        assert_eq!(b.state(), State::Closed);
    }
    clock.advance(secs(4));
    outcome(&b, S);
    assert_eq!(
        b.state(),
        State::Open,
        "3/5 = 60 % once the minimum is reached"
    );
}

#[test]
fn bad_configuration_is_a_typed_error() {
    let cases: Vec<(&str, CircuitBreakerBuilder)> = vec![
        (
            "failure_rate_threshold",
            CircuitBreaker::builder().failure_rate_threshold(0.0),
        ),
        (
            "failure_rate_threshold",
            CircuitBreaker::builder().failure_rate_threshold(100.1),
        ),
        (
            "failure_rate_threshold",
            CircuitBreaker::builder().failure_rate_threshold(-5.0),
        ),
        (
            "failure_rate_threshold",
            CircuitBreaker::builder().failure_rate_threshold(f32::NAN),
        ),
        (
            "slow_call_rate_threshold",
            CircuitBreaker::builder().slow_call_rate_threshold(0.0),
        ),
        (
            "slow_call_rate_threshold",
            CircuitBreaker::builder().slow_call_rate_threshold(f32::NAN),
        ),
        (
            "slow_call_rate_threshold",
            CircuitBreaker::builder().slow_call_rate_threshold(f32::INFINITY),
        ),
        (
            "sliding_window",
            CircuitBreaker::builder().count_based_window(0),
        ),
        (
            "sliding_window",
            CircuitBreaker::builder().time_based_window(0),
        ),
        (
            "sliding_window",
            CircuitBreaker::builder().count_based_window(u32::MAX),
        ),
        (
            "sliding_window",
            CircuitBreaker::builder().time_based_window(u32::MAX),
        ),
        (
            "minimum_number_of_calls",
            CircuitBreaker::builder().minimum_number_of_calls(0),
        ),
        (
            "permitted_calls_in_half_open",
            CircuitBreaker::builder().permitted_calls_in_half_open(0),
        ),
        (
            "permitted_calls_in_half_open",
            CircuitBreaker::builder().permitted_calls_in_half_open(u32::MAX),
        ),
        (
            "exponential_backoff",
            CircuitBreaker::builder().exponential_backoff(0.5, secs(600)),
        ),
        (
            "exponential_backoff",
            CircuitBreaker::builder().exponential_backoff(f64::NAN, secs(600)),
        ),
        (
            "exponential_backoff",
            CircuitBreaker::builder().exponential_backoff(2.0, secs(1)),
        ),
    ];
    for (field, builder) in cases {
        match builder.build() {
            Err(ResilienceError::InvalidConfig { field: f, reason }) => {
                assert_eq!(f, field);
                assert!(!reason.is_empty());
            }
            other => panic!("{field}: expected InvalidConfig, got {other:?}"),
        }
    }
    // The edges that are allowed.
    assert!(
        CircuitBreaker::builder()
            .failure_rate_threshold(100.0)
            .slow_call_rate_threshold(0.001)
            .count_based_window(1)
            .minimum_number_of_calls(u32::MAX)
            .permitted_calls_in_half_open(1)
            .wait_duration_in_open(Duration::ZERO)
            .exponential_backoff(1.0, Duration::MAX)
            .build()
            .is_ok()
    );
}

#[test]
fn extreme_settings_do_not_panic() {
    let clock = ManualClock::new();
    let b = CircuitBreaker::builder()
        .count_based_window(1)
        .minimum_number_of_calls(1)
        .wait_duration_in_open(Duration::MAX)
        .exponential_backoff(f64::MAX, Duration::MAX)
        .slow_call_duration(Duration::ZERO)
        .clock(clock.clone())
        .build()
        .unwrap();
    outcome(&b, F);
    assert_eq!(b.state(), State::Open);
    clock.advance(Duration::MAX);
    assert!(
        b.try_acquire().is_err(),
        "an open wait of Duration::MAX never ends"
    );
}

#[test]
fn clones_share_one_breaker_across_threads() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<CircuitBreaker>();
    let clock = ManualClock::new();
    let b = issue_breaker(&clock).build().unwrap();
    let c = b.clone();
    std::thread::spawn(move || opened_at(&c, &[F; 5]))
        .join()
        .unwrap();
    assert_eq!(b.state(), State::Open);
}

/// Outcomes from several threads at once: the lifetime counts and the window's running
/// totals must come out exact.
#[test]
fn concurrent_outcomes_lose_no_counts() {
    const THREADS: u64 = 4;
    const PER_THREAD: u64 = 200_000;
    let clock = ManualClock::new();
    // A window larger than all calls: its totals must equal the exact counts.
    let big = CircuitBreaker::builder()
        .count_based_window(1 << 20)
        .minimum_number_of_calls(u32::MAX)
        .slow_call_duration(Duration::from_millis(10))
        .clock(clock.clone())
        .build()
        .unwrap();
    // A small window that wraps thousands of times under contention.
    let small = CircuitBreaker::builder()
        .count_based_window(64)
        .failure_rate_threshold(100.0)
        .clock(clock)
        .build()
        .unwrap();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (big, small) = (&big, &small);
            s.spawn(move || {
                for i in 0..PER_THREAD {
                    let fail = (i + t) % 7 == 0;
                    let slow = i % 5 == 0;
                    let took = Duration::from_millis(if slow { 10 } else { 1 });
                    let p = big.try_acquire().unwrap();
                    if fail {
                        p.failure_after(took)
                    } else {
                        p.success_after(took)
                    }
                    let p = small.try_acquire().unwrap();
                    if fail || i % 3 == 0 {
                        p.failure()
                    } else {
                        p.success()
                    }
                }
            });
        }
    });
    let fails: u64 = (0..THREADS)
        .map(|t| (0..PER_THREAD).filter(|i| (i + t) % 7 == 0).count() as u64)
        .sum();
    let slow = THREADS * PER_THREAD.div_ceil(5);
    let stats = big.stats();
    assert_eq!(stats.calls, THREADS * PER_THREAD);
    assert_eq!((stats.failures, stats.slow), (fails, slow));
    assert_eq!(
        (stats.window_calls, stats.window_failures, stats.window_slow),
        (THREADS * PER_THREAD, fails, slow)
    );

    let stats = small.stats();
    assert_eq!(stats.state, State::Closed, "never 100 % failures");
    assert_eq!(stats.calls, THREADS * PER_THREAD);
    assert_eq!(stats.window_calls, 64);
    assert!(stats.window_failures <= 64);
    // If any slot change had been lost or counted twice, the totals would drift from the
    // slots; 64 successes must bring the failures back to exactly zero.
    for _ in 0..64 {
        outcome(&small, S);
    }
    let stats = small.stats();
    assert_eq!((stats.window_calls, stats.window_failures), (64, 0));
}

/// Concurrent recorders racing transitions: the breaker opens, half-opens and closes under
/// load, and every permit is accounted for exactly once.
#[test]
fn concurrent_transitions_account_for_every_permit() {
    let clock = ManualClock::new();
    let b = CircuitBreaker::builder()
        .count_based_window(20)
        .minimum_number_of_calls(10)
        .wait_duration_in_open(Duration::from_micros(1))
        .permitted_calls_in_half_open(3)
        .clock(clock.clone())
        .build()
        .unwrap();
    let granted = AtomicUsize::new(0);
    let refused = AtomicUsize::new(0);
    let dropped = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let (b, clock, granted, refused, dropped) = (&b, &clock, &granted, &refused, &dropped);
            s.spawn(move || {
                for i in 0..50_000u64 {
                    if i % 100 == 0 {
                        clock.advance(Duration::from_micros(1));
                    }
                    match b.try_acquire() {
                        Ok(p) => {
                            granted.fetch_add(1, Ordering::Relaxed);
                            match (i * 7 + t) % 5 {
                                0 | 1 => p.failure(),
                                2 => {
                                    dropped.fetch_add(1, Ordering::Relaxed);
                                    drop(p);
                                }
                                _ => p.success(),
                            }
                        }
                        Err(_) => {
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    let stats = b.stats();
    let granted = granted.load(Ordering::Relaxed) as u64;
    assert_eq!(stats.rejected, refused.load(Ordering::Relaxed) as u64);
    assert_eq!(stats.cancelled, dropped.load(Ordering::Relaxed) as u64);
    assert_eq!(stats.calls + stats.cancelled, granted);
    assert_eq!(stats.calls, stats.successes + stats.failures);
    assert!(stats.rejected > 0, "40 % failures must have opened it");
}
