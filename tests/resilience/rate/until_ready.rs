//! `until_ready`: bookings in arrival order, waits within the jitter bound, cancellation.
//!
//! Tokio's clock is paused, and the limiters read it too (through `TokioClock`), so virtual
//! time moves only when every task sleeps and the assertions are exact.

use perfkit::clock::Clock;
use perfkit::resilience::{KeyedRateLimiter, RateLimiter};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Tokio's (pausable) clock as a perfkit `Clock`.
#[derive(Debug)]
struct TokioClock(Instant);

impl Clock for TokioClock {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

fn tokio_clock() -> Arc<dyn Clock> {
    Arc::new(TokioClock(Instant::now()))
}

/// Tokio's timer has a 1 ms resolution and rounds deadlines up.
const TIMER_SLACK: Duration = Duration::from_millis(1);

#[tokio::test(start_paused = true)]
async fn waiters_wake_in_booking_order_within_the_jitter_bound() {
    let jitter = Duration::from_millis(20);
    let limiter = RateLimiter::per_second(10) // slots 100 ms apart
        .burst(1)
        .jitter(jitter)
        .jitter_seed(42)
        .clock(tokio_clock())
        .build()
        .unwrap();
    let start = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // current_thread runtime: tasks first run in spawn order, so they book in that order.
    for i in 0..20u64 {
        let (limiter, tx) = (limiter.clone(), tx.clone());
        tokio::spawn(async move {
            limiter.until_ready().await;
            tx.send((i, start.elapsed())).unwrap();
        });
    }
    drop(tx);
    let mut woke = Vec::new();
    while let Some(w) = rx.recv().await {
        woke.push(w);
    }
    assert_eq!(woke.len(), 20);
    let mut jittered = 0;
    for (pos, &(i, at)) in woke.iter().enumerate() {
        assert_eq!(i, pos as u64, "woke out of booking order: {woke:?}");
        let slot = Duration::from_millis(100 * i);
        assert!(
            at >= slot,
            "waiter {i} woke at {at:?}, before its slot {slot:?}"
        );
        assert!(
            at <= slot + jitter + TIMER_SLACK,
            "waiter {i} woke at {at:?}, beyond slot {slot:?} + jitter {jitter:?}"
        );
        if at > slot + TIMER_SLACK {
            jittered += 1;
        }
    }
    // With a 20 ms bound, 19 waiters that slept and a fixed seed, jitter must show.
    assert!(jittered >= 5, "jitter was not applied: {woke:?}");
}

#[tokio::test(start_paused = true)]
async fn zero_jitter_wakes_exactly_at_the_slot() {
    let limiter = RateLimiter::per_second(4)
        .burst(2)
        .jitter(Duration::ZERO)
        .clock(tokio_clock())
        .build()
        .unwrap();
    let start = Instant::now();
    let mut at = Vec::new();
    for _ in 0..6 {
        limiter.until_ready().await;
        at.push(start.elapsed());
    }
    let expected: Vec<_> = [0, 0, 250, 500, 750, 1000]
        .map(Duration::from_millis)
        .into();
    assert_eq!(at, expected);
}

#[tokio::test(start_paused = true)]
async fn until_n_ready_waits_for_the_whole_cost_and_refuses_impossible_costs() {
    let limiter = RateLimiter::per_second(10)
        .burst(5)
        .jitter(Duration::ZERO)
        .clock(tokio_clock())
        .build()
        .unwrap();
    let start = Instant::now();
    limiter.until_n_ready(5).await.unwrap();
    assert_eq!(start.elapsed(), Duration::ZERO);
    limiter.until_n_ready(3).await.unwrap(); // 3 cells replenish in 300 ms
    assert_eq!(start.elapsed(), Duration::from_millis(300));
    let err = limiter.until_n_ready(6).await.unwrap_err();
    assert_eq!((err.cost(), err.burst()), (6, 5));
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(300),
        "refusal must not wait"
    );
    limiter.until_n_ready(0).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_last_booking_is_given_back() {
    let limiter = RateLimiter::per_second(1)
        .burst(1)
        .jitter(Duration::ZERO)
        .clock(tokio_clock())
        .build()
        .unwrap();
    limiter.check().unwrap(); // TAT 1 s
    let timed_out = tokio::time::timeout(Duration::from_millis(10), limiter.until_ready()).await;
    assert!(timed_out.is_err());
    // Without the refund the booking would hold the slot at 1 s and this would say 1.99 s.
    assert_eq!(
        limiter.check().unwrap_err().retry_after(),
        Duration::from_millis(990)
    );
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_booking_with_later_bookings_is_forfeited_not_double_spent() {
    let limiter = RateLimiter::per_second(1)
        .burst(1)
        .jitter(Duration::ZERO)
        .clock(tokio_clock())
        .build()
        .unwrap();
    limiter.check().unwrap(); // slot 0 s; next slots 1 s, 2 s
    let first = tokio::spawn({
        let l = limiter.clone();
        async move { tokio::time::timeout(Duration::from_millis(500), l.until_ready()).await }
    });
    tokio::task::yield_now().await; // `first` books the 1 s slot
    let second = tokio::spawn({
        let l = limiter.clone();
        let start = Instant::now();
        async move {
            l.until_ready().await;
            start.elapsed()
        }
    });
    assert!(
        first.await.unwrap().is_err(),
        "first waiter should time out"
    );
    // The 1 s slot cannot be handed back (the 2 s booking depends on it), so a check at
    // 500 ms still waits for 2 s + 1 s: admitting there would put two cells in one slot.
    assert_eq!(
        limiter.check().unwrap_err().retry_after(),
        Duration::from_millis(2_500)
    );
    assert_eq!(second.await.unwrap(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn keyed_waiters_wait_per_key() {
    let limiter = KeyedRateLimiter::<&'static str>::per_second(2)
        .burst(1)
        .jitter(Duration::ZERO)
        .clock(tokio_clock())
        .build()
        .unwrap();
    let start = Instant::now();
    limiter.until_key_ready(&"a").await;
    limiter.until_key_ready(&"b").await; // another key: no wait
    assert_eq!(start.elapsed(), Duration::ZERO);
    limiter.until_key_ready(&"a").await;
    assert_eq!(start.elapsed(), Duration::from_millis(500));
    let err = limiter.until_key_n_ready(&"a", 2).await.unwrap_err();
    assert_eq!(err.burst(), 1);
    // A cancelled last booking of a key is given back too.
    let timed_out =
        tokio::time::timeout(Duration::from_millis(100), limiter.until_key_ready(&"a")).await;
    assert!(timed_out.is_err());
    assert_eq!(
        limiter.check_key(&"a").unwrap_err().retry_after(),
        Duration::from_millis(400)
    );
}
