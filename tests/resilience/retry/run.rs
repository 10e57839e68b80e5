//! `Retry::run`: when it stops, how often it calls, and how long it sleeps (paused time).

use super::ms;
use perfkit::resilience::{Jitter, Retry, RetryError, StopReason};
use std::cell::RefCell;
use std::time::Duration;
use tokio::time::Instant;

fn exp(max_attempts: u32) -> Retry {
    Retry::exponential(ms(100))
        .jitter(Jitter::None)
        .max_attempts(max_attempts)
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn success_on_attempt_k_takes_exactly_k_calls() {
    for k in 1..=5u32 {
        let retry = exp(5);
        let start = Instant::now();
        let mut calls = 0u32;
        let out = retry
            .run(|| {
                calls += 1;
                let n = calls;
                async move { if n < k { Err(n) } else { Ok(n) } }
            })
            .await;
        assert_eq!(out.unwrap(), k);
        assert_eq!(calls, k);
        let stats = retry.stats();
        assert_eq!(stats.retries, u64::from(k - 1));
        assert_eq!(stats.recovered, u64::from(k > 1));
        // Slept 100, 200, 400, ... for the k - 1 retries.
        let slept: u64 = (0..k - 1).map(|i| 100 << i).sum();
        assert_eq!(start.elapsed(), ms(slept), "k = {k}");
    }
}

#[tokio::test(start_paused = true)]
async fn max_attempts_counts_the_first_try() {
    let retry = exp(4);
    let start = Instant::now();
    let times = RefCell::new(Vec::new());
    let mut calls = 0u32;
    let err = retry
        .run(|| {
            calls += 1;
            times.borrow_mut().push(start.elapsed());
            let n = calls;
            async move { Err::<(), _>(n) }
        })
        .await
        .unwrap_err();
    assert_eq!(calls, 4);
    assert_eq!(err.reason(), StopReason::AttemptsExhausted);
    assert_eq!(err.attempts(), 4);
    assert_eq!(err.into_inner(), 4, "carries the last error");
    assert_eq!(*times.borrow(), [ms(0), ms(100), ms(300), ms(700)]);
    assert_eq!(retry.stats().attempts_exhausted, 1);
    assert_eq!(retry.stats().retries, 3);
}

#[tokio::test(start_paused = true)]
async fn one_attempt_never_retries() {
    let retry = exp(1);
    let mut calls = 0;
    let err = retry
        .run(|| {
            calls += 1;
            async { Err::<(), _>("down") }
        })
        .await
        .unwrap_err();
    assert_eq!((calls, err.attempts()), (1, 1));
    assert_eq!(err.reason(), StopReason::AttemptsExhausted);
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_stops_before_a_sleep_that_would_pass_it() {
    let retry = Retry::exponential(ms(100))
        .jitter(Jitter::None)
        .max_attempts(100)
        .max_elapsed(ms(1000))
        .build()
        .unwrap();
    let start = Instant::now();
    let mut calls = 0;
    let err = retry
        .run(|| {
            calls += 1;
            async { Err::<(), _>(()) }
        })
        .await
        .unwrap_err();
    // Attempts at 0, 100, 300, 700 ms; the next (800 ms more) would end at 1500.
    assert_eq!(calls, 4);
    assert_eq!(err.reason(), StopReason::ElapsedExceeded);
    assert_eq!(err.attempts(), 4);
    assert_eq!(
        start.elapsed(),
        ms(700),
        "gave up at once, without sleeping"
    );
    assert_eq!(retry.stats().elapsed_exceeded, 1);
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_counts_the_time_of_the_attempts() {
    let retry = Retry::constant(ms(100))
        .jitter(Jitter::None)
        .max_attempts(100)
        .max_elapsed(ms(1000))
        .build()
        .unwrap();
    let mut calls = 0;
    let err = retry
        .run(|| {
            calls += 1;
            async {
                tokio::time::sleep(ms(300)).await;
                Err::<(), _>(())
            }
        })
        .await
        .unwrap_err();
    // Attempts end at 300, 700 and 1100 ms (each 300 ms plus a 100 ms wait between); the
    // wait after the third would end at 1200 > 1000. Without the attempts' own time it
    // would have gone on to attempt 10.
    assert_eq!(calls, 3);
    assert_eq!(err.reason(), StopReason::ElapsedExceeded);
}

#[derive(Debug, PartialEq)]
enum Error {
    Transient,
    Fatal,
}

#[tokio::test(start_paused = true)]
async fn non_retryable_error_stops_at_once() {
    let retry = Retry::constant(ms(10))
        .max_attempts(5)
        .retry_if(|e: &Error| *e == Error::Transient)
        .build()
        .unwrap();
    let start = Instant::now();
    let mut calls = 0;
    let err = retry
        .run(|| {
            calls += 1;
            async { Err::<(), _>(Error::Fatal) }
        })
        .await
        .unwrap_err();
    assert_eq!((calls, err.attempts()), (1, 1));
    assert_eq!(err.reason(), StopReason::NotRetryable);
    assert_eq!(start.elapsed(), Duration::ZERO);

    // Transient, then fatal: stops at the fatal one.
    let mut calls = 0;
    let err = retry
        .run(|| {
            calls += 1;
            let e = if calls < 3 {
                Error::Transient
            } else {
                Error::Fatal
            };
            async move { Err::<(), _>(e) }
        })
        .await
        .unwrap_err();
    assert_eq!((calls, err.attempts()), (3, 3));
    assert_eq!(err.reason(), StopReason::NotRetryable);
    assert_eq!(retry.stats().not_retryable, 2);
}

#[tokio::test(start_paused = true)]
async fn run_if_overrides_the_policy_predicate() {
    let retry = exp(3); // retries everything
    let mut calls = 0;
    let err = retry
        .run_if(
            || {
                calls += 1;
                async { Err::<(), _>(Error::Fatal) }
            },
            |e: &Error| *e != Error::Fatal,
        )
        .await
        .unwrap_err();
    assert_eq!((calls, err.reason()), (1, StopReason::NotRetryable));
    let mut calls = 0;
    let _ = retry
        .run(|| {
            calls += 1;
            async { Err::<(), _>(Error::Fatal) }
        })
        .await;
    assert_eq!(calls, 3);
}

#[tokio::test(start_paused = true)]
async fn jittered_sleeps_match_the_delay_iterator() {
    // The same seed and the same order of runs: run's sleeps are the iterator's delays.
    let build = || {
        Retry::exponential(ms(100))
            .jitter(Jitter::Full)
            .max_attempts(5)
            .seed(99)
            .build()
            .unwrap()
    };
    let expected: Duration = build().delays().sum();
    let retry = build();
    let start = Instant::now();
    let _ = retry.run(|| async { Err::<(), _>(()) }).await;
    // Tokio's timer has a 1 ms resolution and rounds each deadline up: at most 1 ms per
    // sleep on top of the drawn delays (4 sleeps).
    let slept = start.elapsed();
    assert!(
        slept >= expected && slept <= expected + ms(4),
        "{slept:?} vs {expected:?}"
    );
    assert!(
        expected < ms(100 + 200 + 400 + 800),
        "jitter shortened nothing"
    );
}

#[test]
fn error_reports_reason_and_source() {
    let err: RetryError<std::io::Error> = {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        rt.block_on(
            exp(2).run(|| async { Err::<(), _>(std::io::Error::other("connection reset")) }),
        )
        .unwrap_err()
    };
    assert_eq!(
        err.to_string(),
        "gave up after 2 attempt(s): attempts exhausted"
    );
    let source = std::error::Error::source(&err).expect("the last error is the source");
    assert_eq!(source.to_string(), "connection reset");
}
