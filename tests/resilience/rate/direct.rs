//! `RateLimiter`: exact GCRA decisions and waits, costs, races.

use super::{LeakyBucket, manual, ms, set};
use perfkit::clock::Clock;
use perfkit::resilience::{RateLimitError, RateLimiter};
use proptest::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

/// 10/s (T = 100 ms), burst 3 (window 300 ms): each arrival with its exact outcome.
#[test]
fn scripted_arrivals_10_per_second_burst_3() {
    let (clock, shared) = manual();
    let l = RateLimiter::per_second(10)
        .burst(3)
        .clock(shared)
        .build()
        .unwrap();
    // (arrival in ms, None = admitted, Some(retry_after in ms))
    let script: &[(u64, Option<u64>)] = &[
        (0, None),      // TAT 100
        (0, None),      // TAT 200
        (0, None),      // TAT 300: burst used up
        (0, Some(100)), // would need TAT 400 > 0 + 300
        (50, Some(50)), // one cell drains at 100
        (100, None),    // TAT 400
        (100, Some(100)),
        (250, None),     // TAT 500 (250 ahead, within 300)
        (250, Some(50)), // would be 600 - 250 = 350 ahead
        (299, Some(1)),
        (300, None), // TAT 600
        (1000, None),
        (1000, None),
        (1000, None), // idle long enough: the full burst again, not more
        (1000, Some(100)),
        (1150, None), // TAT 1400 - 1150 = 250 ahead
        (1150, Some(50)),
    ];
    for (i, &(at, expected)) in script.iter().enumerate() {
        set(&clock, ms(at));
        let got = l.check().err().map(|e| e.retry_after());
        assert_eq!(got, expected.map(ms), "arrival #{i} at {at} ms");
    }
}

#[test]
fn retrying_after_retry_after_is_admitted_and_not_a_nanosecond_earlier() {
    let (clock, shared) = manual();
    let l = RateLimiter::per_period(7, ms(1000))
        .burst(2)
        .clock(shared)
        .build()
        .unwrap();
    l.check().unwrap();
    l.check().unwrap();
    for _ in 0..20 {
        let wait = l.check().unwrap_err().retry_after();
        assert!(wait > Duration::ZERO);
        clock.advance(wait - Duration::from_nanos(1));
        assert_eq!(
            l.check().unwrap_err().retry_after(),
            Duration::from_nanos(1)
        );
        clock.advance(Duration::from_nanos(1));
        l.check().unwrap();
    }
}

#[test]
fn check_n_books_all_or_nothing() {
    let (clock, shared) = manual();
    // T = 200 ms, window = 1 s.
    let l = RateLimiter::per_second(5)
        .burst(5)
        .clock(shared)
        .build()
        .unwrap();
    l.check_n(3).unwrap(); // TAT 600
    let err = l.check_n(3).unwrap_err(); // would be TAT 1200 > 1000
    assert_eq!(err.retry_after(), Some(ms(200)));
    assert!(matches!(err, RateLimitError::RateLimited(r) if r.retry_after() == ms(200)));
    l.check_n(2).unwrap(); // TAT 1000: exactly the window
    assert_eq!(l.check().unwrap_err().retry_after(), ms(200));
    // The refused check_n(3) took nothing: after 600 ms exactly three cells are back.
    set(&clock, ms(600));
    l.check_n(3).unwrap();
    assert!(l.check().is_err());
}

#[test]
fn cost_zero_always_passes_and_takes_nothing() {
    let (_clock, shared) = manual();
    let l = RateLimiter::per_second(1)
        .burst(1)
        .clock(shared)
        .build()
        .unwrap();
    l.check().unwrap();
    assert!(l.check().is_err());
    for _ in 0..10 {
        l.check_n(0).unwrap();
    }
    assert_eq!(l.check().unwrap_err().retry_after(), ms(1000));
}

#[test]
fn cost_above_burst_is_insufficient_capacity_not_a_wait() {
    let (_clock, shared) = manual();
    let l = RateLimiter::per_second(10)
        .burst(4)
        .clock(shared)
        .build()
        .unwrap();
    for cost in [5, 100, u32::MAX] {
        match l.check_n(cost) {
            Err(RateLimitError::InsufficientCapacity(e)) => {
                assert_eq!((e.cost(), e.burst()), (cost, 4));
            }
            other => panic!("cost {cost}: {other:?}"),
        }
        assert_eq!(l.check_n(cost).unwrap_err().retry_after(), None);
    }
    // Nothing was taken by the refusals; the full burst is still there.
    l.check_n(4).unwrap();
}

#[test]
fn clones_share_one_quota() {
    let (_clock, shared) = manual();
    let a = RateLimiter::per_second(2).clock(shared).build().unwrap();
    let b = a.clone();
    a.check().unwrap();
    b.check().unwrap();
    assert!(a.check().is_err());
    assert!(b.check().is_err());
}

#[test]
fn limiter_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<RateLimiter>();
    assert_send_sync::<perfkit::resilience::KeyedRateLimiter<String>>();
}

/// With time frozen, racing threads must together get exactly the burst: the CAS may not
/// let two threads spend the same cell.
#[test]
fn racing_threads_on_a_frozen_clock_get_exactly_the_burst() {
    const BURST: u32 = 20_000;
    let threads = 4;
    for round in 0..5 {
        let (_clock, shared) = manual();
        let l = RateLimiter::per_second(1)
            .burst(BURST)
            .clock(shared)
            .build()
            .unwrap();
        let admitted = Arc::new(AtomicU64::new(0));
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (l, admitted, barrier) = (l.clone(), admitted.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let mut mine = 0u64;
                    let mut denied_in_a_row = 0;
                    // Mixed costs (1 and 3) so that partial fits are exercised too.
                    let cost = if t % 2 == 0 { 1 } else { 3 };
                    while denied_in_a_row < 1_000 {
                        match l.check_n(cost) {
                            Ok(()) => {
                                mine += u64::from(cost);
                                denied_in_a_row = 0;
                            }
                            Err(_) => denied_in_a_row += 1,
                        }
                    }
                    admitted.fetch_add(mine, Ordering::Relaxed);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let total = admitted.load(Ordering::Relaxed);
        // Cost-1 threads stop only after the bucket is empty, and the clock is frozen, so
        // exactly the burst was handed out: more is over-admission, less is a lost cell.
        assert_eq!(total, u64::from(BURST), "round {round}");
        assert!(l.check().is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Every decision and every wait equals the leaky-bucket reference, for random quotas,
    /// arrival gaps and costs (including 0 and costs above the burst).
    #[test]
    fn matches_the_leaky_bucket_reference(
        cells in 1u32..1_000,
        period_ms in 1u64..5_000,
        burst in 1u32..20,
        steps in proptest::collection::vec((0u64..400_000_000, 0u32..25), 1..200),
    ) {
        let (clock, shared) = manual();
        let l = RateLimiter::per_period(cells, ms(period_ms)).burst(burst).clock(shared).build().unwrap();
        let t = l.emission_interval().as_nanos() as u64;
        let mut reference = LeakyBucket::new(t, u64::from(burst));
        for (gap, cost) in steps {
            clock.advance(Duration::from_nanos(gap));
            let now = clock.now().as_nanos() as u64;
            let expected = if cost == 0 { Some(Ok(())) } else { reference.offer(now, u64::from(cost)) };
            let got = l.check_n(cost);
            match (expected, got) {
                (None, Err(RateLimitError::InsufficientCapacity(_))) => {}
                (Some(Ok(())), Ok(())) => {}
                (Some(Err(wait)), Err(RateLimitError::RateLimited(r))) => {
                    prop_assert_eq!(r.retry_after(), Duration::from_nanos(wait));
                }
                (e, g) => prop_assert!(false, "expected {:?}, got {:?}", e, g),
            }
        }
    }
}
