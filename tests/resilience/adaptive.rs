//! `AdaptiveLimiter` (AIMD and gradient) on scripted samples, its bounds under random
//! samples, configuration errors, and a `Bulkhead` following it.

use std::time::Duration;

use perfkit::clock::ManualClock;
use perfkit::resilience::{AdaptiveLimiter, Bulkhead, BulkheadError, ResilienceError, Sample};
use proptest::prelude::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A healthy sample with the limit fully in use.
fn busy(limiter: &AdaptiveLimiter, rtt: Duration) -> usize {
    limiter.on_sample(Sample::new(rtt, limiter.limit()))
}

fn aimd(initial: usize, min: usize, max: usize, ratio: f64) -> AdaptiveLimiter {
    AdaptiveLimiter::aimd()
        .initial_limit(initial)
        .min_limit(min)
        .max_limit(max)
        .backoff_ratio(ratio)
        .build()
        .unwrap()
}

#[test]
fn aimd_grows_by_one_per_healthy_sample_up_to_max() {
    let limiter = aimd(10, 2, 13, 0.5);
    let steps: Vec<_> = (0..5).map(|_| busy(&limiter, ms(5))).collect();
    assert_eq!(steps, [11, 12, 13, 13, 13]);
    assert_eq!(limiter.limit(), 13);
}

#[test]
fn aimd_does_not_grow_an_idle_limit() {
    let limiter = aimd(10, 2, 100, 0.5);
    // 4 in flight of 10: below half the limit, so the limit was not what held it back.
    for _ in 0..10 {
        limiter.on_sample(Sample::new(ms(5), 4));
    }
    assert_eq!(limiter.limit(), 10);
    limiter.on_sample(Sample::new(ms(5), 5));
    assert_eq!(limiter.limit(), 11);
}

#[test]
fn aimd_backs_off_by_the_ratio_and_never_below_min() {
    let limiter = aimd(13, 2, 100, 0.5);
    let steps: Vec<_> = (0..4)
        .map(|_| limiter.on_sample(Sample::dropped(1)))
        .collect();
    assert_eq!(steps, [6, 3, 2, 2]);

    let limiter = aimd(100, 1, 100, 0.9);
    assert_eq!(limiter.on_sample(Sample::dropped(100)), 90);
    assert_eq!(limiter.on_sample(Sample::dropped(90)), 81);
}

#[test]
fn aimd_rtt_at_timeout_counts_as_a_drop() {
    let limiter = AdaptiveLimiter::aimd()
        .initial_limit(10)
        .backoff_ratio(0.5)
        .timeout(ms(100))
        .build()
        .unwrap();
    assert_eq!(busy(&limiter, ms(99)), 11);
    assert_eq!(busy(&limiter, ms(100)), 5);
}

#[test]
fn aimd_success_window_needs_that_many_samples_per_step() {
    let limiter = AdaptiveLimiter::aimd()
        .initial_limit(10)
        .success_window(3)
        .build()
        .unwrap();
    let steps: Vec<_> = (0..6).map(|_| busy(&limiter, ms(1))).collect();
    assert_eq!(steps, [10, 10, 11, 11, 11, 12]);
    // A drop restarts the window.
    busy(&limiter, ms(1));
    busy(&limiter, ms(1));
    let after_drop = limiter.on_sample(Sample::dropped(12));
    assert_eq!(after_drop, 10); // 12 × 0.9 = 10.8
    assert_eq!(busy(&limiter, ms(1)), 10);
    assert_eq!(busy(&limiter, ms(1)), 10);
    assert_eq!(busy(&limiter, ms(1)), 11);
}

fn gradient(initial: usize, min: usize, max: usize) -> AdaptiveLimiter {
    AdaptiveLimiter::gradient()
        .initial_limit(initial)
        .min_limit(min)
        .max_limit(max)
        .rtt_tolerance(1.0)
        .build()
        .unwrap()
}

#[test]
fn gradient_falls_when_latency_rises_and_recovers_when_it_returns() {
    let limiter = gradient(50, 5, 1000);
    // Steady latency, limit in use: it probes upwards.
    for _ in 0..50 {
        busy(&limiter, ms(10));
    }
    let steady = limiter.limit();
    assert!(steady > 50, "steady {steady}");

    // Latency four times the long-term average: the gradient bottoms out at 0.5.
    let mut last = steady;
    for i in 0..30 {
        let now = busy(&limiter, ms(40));
        assert!(now <= last, "sample {i}: {now} > {last}");
        last = now;
    }
    let congested = limiter.limit();
    assert!(
        congested < steady / 2,
        "steady {steady}, congested {congested}"
    );

    // Back to normal: the limit climbs again.
    for _ in 0..30 {
        busy(&limiter, ms(10));
    }
    assert!(
        limiter.limit() > congested + 10,
        "congested {congested}, now {}",
        limiter.limit()
    );
}

#[test]
fn gradient_is_left_alone_while_the_limit_is_not_in_use() {
    let limiter = gradient(50, 5, 1000);
    for _ in 0..20 {
        limiter.on_sample(Sample::new(ms(10), 10));
    }
    assert_eq!(limiter.limit(), 50);
}

#[test]
fn gradient_backs_off_on_drops_down_to_min() {
    let limiter = gradient(100, 20, 200);
    let first = limiter.on_sample(Sample::dropped(100));
    assert!(first < 100, "{first}");
    for _ in 0..200 {
        limiter.on_sample(Sample::dropped(1));
    }
    assert_eq!(limiter.limit(), 20);
}

#[test]
fn gradient_stops_at_max() {
    let limiter = gradient(10, 1, 30);
    for _ in 0..500 {
        busy(&limiter, ms(10));
    }
    assert_eq!(limiter.limit(), 30);
}

proptest! {
    #[test]
    fn limits_stay_within_bounds(
        min in 1usize..50,
        span in 0usize..200,
        samples in prop::collection::vec((0u64..10_000_000, 0usize..400, any::<bool>()), 1..300),
    ) {
        let max = min + span;
        let initial = min + span / 2;
        let limiters = [
            AdaptiveLimiter::aimd().initial_limit(initial).min_limit(min).max_limit(max).build().unwrap(),
            AdaptiveLimiter::gradient().initial_limit(initial).min_limit(min).max_limit(max).build().unwrap(),
        ];
        for limiter in &limiters {
            for &(micros, in_flight, dropped) in &samples {
                let l = limiter.on_sample(Sample { rtt: Duration::from_micros(micros), in_flight, dropped });
                prop_assert!((min..=max).contains(&l), "{l} outside [{min}, {max}]");
                prop_assert_eq!(l, limiter.limit());
            }
        }
    }
}

fn field_of<T: std::fmt::Debug>(r: Result<T, ResilienceError>) -> &'static str {
    match r {
        Err(ResilienceError::InvalidConfig { field, .. }) => field,
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
}

#[test]
fn bad_config_is_a_typed_error() {
    let a = AdaptiveLimiter::aimd;
    assert_eq!(
        field_of(a().min_limit(10).max_limit(5).initial_limit(7).build()),
        "min_limit"
    );
    assert_eq!(field_of(a().min_limit(0).build()), "min_limit");
    assert_eq!(field_of(a().initial_limit(500).build()), "initial_limit");
    assert_eq!(field_of(a().max_limit(usize::MAX).build()), "max_limit");
    for ratio in [0.0, 1.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
        assert_eq!(
            field_of(a().backoff_ratio(ratio).build()),
            "backoff_ratio",
            "{ratio}"
        );
    }
    assert_eq!(field_of(a().timeout(Duration::ZERO).build()), "timeout");
    assert_eq!(field_of(a().success_window(0).build()), "success_window");

    let g = AdaptiveLimiter::gradient;
    assert_eq!(
        field_of(g().min_limit(10).max_limit(5).initial_limit(7).build()),
        "min_limit"
    );
    assert_eq!(field_of(g().initial_limit(0).build()), "initial_limit");
    for s in [0.0, -1.0, 1.01, f64::NAN] {
        assert_eq!(field_of(g().smoothing(s).build()), "smoothing", "{s}");
    }
    for t in [0.5, f64::NAN, f64::INFINITY] {
        assert_eq!(
            field_of(g().rtt_tolerance(t).build()),
            "rtt_tolerance",
            "{t}"
        );
    }
    assert_eq!(field_of(g().long_window(0).build()), "long_window");
    // The edges that are allowed.
    assert!(
        g().smoothing(1.0)
            .rtt_tolerance(1.0)
            .long_window(1)
            .build()
            .is_ok()
    );
    assert!(
        a().min_limit(7)
            .max_limit(7)
            .initial_limit(7)
            .build()
            .is_ok()
    );
}

#[test]
fn bulkhead_admits_the_new_limit_after_it_changes() {
    let limiter = aimd(2, 1, 10, 0.5);
    let bulkhead = Bulkhead::adaptive(limiter.clone()).build().unwrap();
    let a = bulkhead.try_acquire().unwrap();
    let b = bulkhead.try_acquire().unwrap();
    assert_eq!(bulkhead.try_acquire().unwrap_err(), BulkheadError::Full);

    // Grown outside the bulkhead: 2 → 4.
    busy(&limiter, ms(1));
    busy(&limiter, ms(1));
    assert_eq!(limiter.limit(), 4);
    let c = bulkhead.try_acquire().unwrap();
    let d = bulkhead.try_acquire().unwrap();
    assert_eq!(bulkhead.try_acquire().unwrap_err(), BulkheadError::Full);
    assert_eq!(bulkhead.stats().limit, 4);

    // Shrunk to 1 with four calls in progress: none is cut short, no new one is admitted
    // until the calls in progress are below the new limit.
    limiter.on_sample(Sample::dropped(4));
    limiter.on_sample(Sample::dropped(2));
    assert_eq!(limiter.limit(), 1);
    assert_eq!(bulkhead.try_acquire().unwrap_err(), BulkheadError::Full);
    drop(a);
    drop(b);
    drop(c);
    assert_eq!(bulkhead.try_acquire().unwrap_err(), BulkheadError::Full);
    drop(d);
    let only = bulkhead.try_acquire().unwrap();
    assert_eq!(bulkhead.try_acquire().unwrap_err(), BulkheadError::Full);
    drop(only);

    // And back up: 1 → 3.
    busy(&limiter, ms(1));
    busy(&limiter, ms(1));
    let three: Vec<_> = (0..3).map(|_| bulkhead.try_acquire().unwrap()).collect();
    assert_eq!(bulkhead.try_acquire().unwrap_err(), BulkheadError::Full);
    drop(three);
}

#[test]
fn permit_outcomes_feed_the_limiter_and_a_drop_reports_nothing() {
    let limiter = aimd(2, 1, 10, 0.5);
    let bulkhead = Bulkhead::adaptive(limiter.clone()).build().unwrap();

    let p = bulkhead.try_acquire().unwrap();
    assert_eq!(p.in_flight(), 1);
    p.success(ms(3)); // 1 in flight of 2: in use, +1
    assert_eq!(limiter.limit(), 3);

    drop(bulkhead.try_acquire().unwrap());
    assert_eq!(limiter.limit(), 3, "a dropped permit reports nothing");

    bulkhead.try_acquire().unwrap().failure();
    assert_eq!(limiter.limit(), 1);
    // The shrink applied at once: one slot.
    let only = bulkhead.try_acquire().unwrap();
    assert!(bulkhead.try_acquire().is_err());
    drop(only);
}

#[tokio::test(start_paused = true)]
async fn call_times_the_future_on_the_bulkhead_clock() {
    let clock = ManualClock::new();
    let limiter = AdaptiveLimiter::aimd()
        .initial_limit(4)
        .backoff_ratio(0.5)
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let bulkhead = Bulkhead::adaptive(limiter.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    // 1 in flight of 4 is idle: no change for a fast call.
    bulkhead
        .call(async { clock.advance(ms(10)) })
        .await
        .unwrap();
    assert_eq!(limiter.limit(), 4);
    // A call that takes the timeout counts as a drop.
    bulkhead
        .call(async { clock.advance(Duration::from_secs(2)) })
        .await
        .unwrap();
    assert_eq!(limiter.limit(), 2);
    assert_eq!(bulkhead.stats().limit, 2);
}

#[tokio::test(start_paused = true)]
async fn a_limit_grown_by_an_outcome_wakes_waiters_at_once() {
    let limiter = aimd(2, 1, 10, 0.5);
    let bulkhead = Bulkhead::adaptive(limiter.clone())
        .max_wait(Duration::from_secs(10))
        .build()
        .unwrap();
    let a = bulkhead.try_acquire().unwrap();
    let _b = bulkhead.try_acquire().unwrap();
    let waiters: Vec<_> = (0..2)
        .map(|_| {
            let b = bulkhead.clone();
            tokio::spawn(async move { b.acquire().await.map(std::mem::forget) })
        })
        .collect();
    while bulkhead.stats().waiting < 2 {
        tokio::task::yield_now().await;
    }
    let start = tokio::time::Instant::now();
    // 2 → 3: `a`'s slot goes to one waiter, the new slot to the other — now, not at the
    // next acquire (nobody else arrives, so without that the second would time out).
    a.success(ms(1));
    for w in waiters {
        assert_eq!(w.await.unwrap(), Ok(()));
    }
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(limiter.limit(), 3);
    assert_eq!(bulkhead.stats().in_use, 3);
}
