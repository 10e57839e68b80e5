use perfkit::balance::{Backend, Balancer, OutlierDetection, SlowStart, Strategy};
use perfkit::clock::ManualClock;
use std::sync::Arc;
use std::time::Duration;

use crate::{backends, ok};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Picks until `id` comes up and fails it; other picks succeed.
fn fail_on(lb: &Balancer<usize>, target: usize) {
    for _ in 0..1000 {
        let p = lb.pick().unwrap();
        if *p == target {
            p.failure();
            return;
        }
        p.success(Duration::from_millis(1));
    }
    panic!("backend {target} never picked");
}

fn ejecting(clock: &ManualClock, od: OutlierDetection, n: usize) -> Balancer<usize> {
    Balancer::builder()
        .strategy(Strategy::RoundRobin)
        .backends(backends(n))
        .outlier_detection(od)
        .clock(Arc::new(clock.clone()))
        .seed(1)
        .build()
        .unwrap()
}

#[test]
fn consecutive_failures_eject_at_the_configured_count() {
    let clock = ManualClock::new();
    let od = OutlierDetection::new()
        .consecutive_failures(3)
        .base_ejection_time(secs(30));
    let lb = ejecting(&clock, od, 10);
    fail_on(&lb, 4);
    fail_on(&lb, 4);
    assert!(!lb.stats().backends[4].ejected, "not before the 3rd");
    fail_on(&lb, 4);
    let s = lb.stats();
    assert!(s.backends[4].ejected);
    assert_eq!((s.available, s.ejections), (9, 1));
    for _ in 0..100 {
        assert_ne!(ok(lb.pick().unwrap()), 4);
    }
    // Back after the base ejection time.
    clock.advance(secs(30));
    assert!((0..10).any(|_| ok(lb.pick().unwrap()) == 4));
    assert!(!lb.stats().backends[4].ejected);
}

#[test]
fn a_success_resets_the_consecutive_count() {
    let clock = ManualClock::new();
    let lb = ejecting(&clock, OutlierDetection::new().consecutive_failures(2), 1);
    for _ in 0..10 {
        lb.pick().unwrap().failure();
        lb.pick().unwrap().success(Duration::ZERO);
    }
    assert_eq!(lb.stats().ejections, 0);
}

#[test]
fn ejection_time_grows_with_times_ejected_and_is_capped() {
    let clock = ManualClock::new();
    let od = OutlierDetection::new()
        .consecutive_failures(1)
        .base_ejection_time(secs(10))
        .max_ejection_time(secs(25))
        .max_ejection_percent(100.0);
    let lb = ejecting(&clock, od, 2);
    let mut durations = Vec::new();
    for _ in 0..3 {
        fail_on(&lb, 0);
        assert!(lb.stats().backends[0].ejected);
        let mut waited = 0;
        while lb.stats().backends[0].ejected || waited == 0 {
            clock.advance(secs(1));
            waited += 1;
            ok(lb.pick().unwrap()); // picks notice the end of an ejection
            assert!(waited < 100);
        }
        durations.push(waited);
    }
    assert_eq!(durations, [10, 20, 25]);
    assert_eq!(lb.stats().backends[0].times_ejected, 3);
}

#[test]
fn failure_rate_over_a_window_ejects() {
    let clock = ManualClock::new();
    let od = OutlierDetection::new()
        .consecutive_failures(0)
        .failure_rate_threshold(50.0)
        .failure_rate_minimum_requests(20)
        .window(secs(10));
    let lb = ejecting(&clock, od, 2);
    // Backend 0 fails every other request: 50 % once 20 have finished in the window.
    let mut finished_on_0 = 0;
    while !lb.stats().backends[0].ejected {
        let p = lb.pick().unwrap();
        if *p == 0 {
            finished_on_0 += 1;
            if finished_on_0 % 2 == 0 {
                p.failure();
            } else {
                p.success(Duration::ZERO);
            }
        } else {
            p.success(Duration::ZERO);
        }
        assert!(
            finished_on_0 <= 20,
            "not ejected within the minimum request count"
        );
    }
    assert_eq!(finished_on_0, 20);
}

#[test]
fn failure_rate_window_tumbles() {
    let clock = ManualClock::new();
    let od = OutlierDetection::new()
        .consecutive_failures(0)
        .failure_rate_threshold(50.0)
        .failure_rate_minimum_requests(10)
        .window(secs(10));
    let lb = ejecting(&clock, od, 1);
    // Nine failures, then the window ends: they no longer count.
    for _ in 0..9 {
        lb.pick().unwrap().failure();
    }
    clock.advance(secs(11));
    for _ in 0..9 {
        lb.pick().unwrap().success(Duration::ZERO);
    }
    lb.pick().unwrap().failure();
    assert_eq!(lb.stats().ejections, 0);
}

#[test]
fn never_ejects_more_than_the_max_percent() {
    let clock = ManualClock::new();
    let od = OutlierDetection::new()
        .consecutive_failures(1)
        .max_ejection_percent(20.0);
    let lb = ejecting(&clock, od, 10);
    // Everything fails: only 2 of 10 may be out.
    for _ in 0..200 {
        lb.pick().unwrap().failure();
    }
    let s = lb.stats();
    assert_eq!(s.backends.iter().filter(|b| b.ejected).count(), 2);
    assert_eq!(s.available, 8);
}

#[test]
fn one_backend_may_always_be_ejected() {
    let clock = ManualClock::new();
    let od = OutlierDetection::new()
        .consecutive_failures(1)
        .max_ejection_percent(0.0);
    let lb = ejecting(&clock, od, 3);
    for _ in 0..30 {
        lb.pick().unwrap().failure();
    }
    assert_eq!(lb.stats().backends.iter().filter(|b| b.ejected).count(), 1);
}

#[test]
fn panic_threshold_spreads_over_all_backends() {
    let clock = ManualClock::new();
    let lb = Balancer::builder()
        .strategy(Strategy::RoundRobin)
        .backends(backends(4))
        .panic_threshold(50.0)
        .clock(Arc::new(clock))
        .build()
        .unwrap();
    lb.set_healthy("b0", false).unwrap();
    lb.set_healthy("b1", false).unwrap();
    // 2 of 4 healthy = 50 %: not below the threshold, so the unhealthy are skipped.
    assert!((0..20).all(|_| ok(lb.pick().unwrap()) >= 2));
    assert_eq!(lb.stats().panic_picks, 0);
    lb.set_healthy("b2", false).unwrap();
    // 25 % healthy: panic, every backend gets its turn again.
    let seen: Vec<usize> = (0..4).map(|_| ok(lb.pick().unwrap())).collect();
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, [0, 1, 2, 3]);
    assert_eq!(lb.stats().panic_picks, 4);
}

#[test]
fn panic_threshold_zero_gives_a_typed_error() {
    let lb = crate::builder(2)
        .strategy(Strategy::P2cPeakEwma)
        .panic_threshold(0.0)
        .build()
        .unwrap();
    lb.set_healthy("b0", false).unwrap();
    assert_eq!(ok(lb.pick().unwrap()), 1);
    lb.set_healthy("b1", false).unwrap();
    assert_eq!(
        lb.pick().unwrap_err(),
        perfkit::balance::BalanceError::AllUnavailable { backends: 2 }
    );
}

fn share_of_new(lb: &Balancer<usize>, new: usize, picks: usize) -> f64 {
    (0..picks).filter(|_| ok(lb.pick().unwrap()) == new).count() as f64 / picks as f64
}

#[test]
fn slow_start_ramps_a_joining_backend() {
    let clock = ManualClock::new();
    let lb = Balancer::builder()
        .strategy(Strategy::WeightedRoundRobin)
        .backends(backends(3))
        .slow_start(SlowStart::new(secs(100)).min_weight_percent(10.0))
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    let mut list = backends(3);
    list.push(Backend::new("b3", 3));
    lb.set_backends(list).unwrap();
    // Weight factor 0.1 at first: 0.1 / 3.1 of picks.
    let s0 = share_of_new(&lb, 3, 3100);
    assert!((s0 - 0.1 / 3.1).abs() < 0.005, "{s0}");
    clock.advance(secs(50));
    let s50 = share_of_new(&lb, 3, 3500);
    assert!((s50 - 0.5 / 3.5).abs() < 0.005, "{s50}");
    assert!((lb.stats().backends[3].effective_weight - 0.5).abs() < 1e-9);
    clock.advance(secs(50));
    let s100 = share_of_new(&lb, 3, 4000);
    assert!((s100 - 0.25).abs() < 0.005, "{s100}");
    // Backends there from the start never ramped.
    assert_eq!(lb.stats().backends[0].effective_weight, 1.0);
}

#[test]
fn slow_start_after_ejection() {
    let clock = ManualClock::new();
    let lb = Balancer::builder()
        .strategy(Strategy::WeightedRandom)
        .backends(backends(2))
        .outlier_detection(OutlierDetection::new().consecutive_failures(1))
        .slow_start(SlowStart::new(secs(60)))
        .clock(Arc::new(clock.clone()))
        .seed(5)
        .build()
        .unwrap();
    fail_on(&lb, 1);
    assert!(lb.stats().backends[1].ejected);
    clock.advance(secs(30)); // the base ejection time
    ok(lb.pick().unwrap());
    let s = lb.stats();
    assert!(!s.backends[1].ejected);
    assert!((s.backends[1].effective_weight - 0.1).abs() < 1e-9);
    let share = share_of_new(&lb, 1, 20_000);
    assert!((share - 0.1 / 1.1).abs() < 0.01, "{share}");
    clock.advance(secs(60));
    ok(lb.pick().unwrap());
    assert_eq!(lb.stats().backends[1].effective_weight, 1.0);
}

#[test]
fn slow_start_after_active_health_returns_a_backend() {
    let clock = ManualClock::new();
    let lb = Balancer::builder()
        .strategy(Strategy::LeastConnections)
        .backends(backends(2))
        .slow_start(SlowStart::new(secs(10)).min_weight_percent(25.0))
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    lb.set_healthy("b1", false).unwrap();
    assert_eq!(lb.stats().available, 1);
    lb.set_healthy("b1", true).unwrap();
    let s = lb.stats();
    assert_eq!(s.available, 2);
    assert!((s.backends[1].effective_weight - 0.25).abs() < 1e-9);
    // Least connections per unit of weight: at 0.25 the returning backend holds 1 in 5.
    let held: Vec<_> = (0..10).map(|_| lb.pick().unwrap()).collect();
    assert_eq!(held.iter().filter(|p| ***p == 1).count(), 2);
    drop(held);
    clock.advance(secs(10));
    ok(lb.pick().unwrap());
    assert_eq!(lb.stats().backends[1].effective_weight, 1.0);
}
