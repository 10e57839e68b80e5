//! `CoarseClock`: validated resolution, moves forward, never backwards, drives a limiter.

use perfkit::clock::Clock;
use perfkit::resilience::{CoarseClock, RateLimiter, ResilienceError};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn resolution_outside_1us_to_1s_is_invalid() {
    for bad in [
        Duration::ZERO,
        Duration::from_nanos(999),
        Duration::from_millis(1_001),
    ] {
        match CoarseClock::start(bad) {
            Err(ResilienceError::InvalidConfig { field, .. }) => assert_eq!(field, "resolution"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
}

#[test]
fn it_follows_real_time_monotonically() {
    // Taken before the clock starts, so the clock's origin is never earlier than `real`'s
    // however long `start` takes on a loaded machine.
    let real = Instant::now();
    let clock = CoarseClock::start(Duration::from_micros(500)).unwrap();
    let mut last = clock.now();
    while real.elapsed() < Duration::from_millis(50) {
        let now = clock.now();
        assert!(now >= last, "went backwards: {now:?} < {last:?}");
        last = now;
        std::thread::yield_now();
    }
    // Lenient lower bound: the refresher ran at least a few times in 50 ms of real time,
    // even on a loaded machine; and it never runs ahead of real time.
    assert!(last >= Duration::from_millis(10), "barely moved: {last:?}");
    assert!(clock.now() <= real.elapsed());
}

#[test]
fn a_limiter_on_it_limits() {
    let clock = CoarseClock::start(Duration::from_millis(1)).unwrap();
    let l = RateLimiter::per_second(1)
        .burst(2)
        .clock(Arc::new(clock))
        .build()
        .unwrap();
    l.check().unwrap();
    l.check().unwrap();
    let wait = l.check().unwrap_err().retry_after();
    assert!(
        wait > Duration::from_millis(500) && wait <= Duration::from_secs(1),
        "{wait:?}"
    );
}
