use perfkit::balance::{Backend, Balancer, Strategy};
use std::time::Duration;

use crate::{builder, ok};

#[test]
fn round_robin_is_exact() {
    let lb = builder(4).strategy(Strategy::RoundRobin).build().unwrap();
    let seq: Vec<usize> = (0..12).map(|_| ok(lb.pick().unwrap())).collect();
    assert_eq!(seq, [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]);
}

#[test]
fn smooth_wrr_sequence_for_5_1_1() {
    let lb = Balancer::builder()
        .strategy(Strategy::WeightedRoundRobin)
        .backends([
            Backend::new("a", 'a').weight(5.0),
            Backend::new("b", 'b'),
            Backend::new("c", 'c'),
        ])
        .build()
        .unwrap();
    let seq: String = (0..14)
        .map(|_| {
            let p = lb.pick().unwrap();
            let c = *p;
            p.success(Duration::ZERO);
            c
        })
        .collect();
    assert_eq!(seq, "aabacaaaabacaa");
}

#[test]
fn smooth_wrr_honours_fractional_weights() {
    let lb = Balancer::builder()
        .strategy(Strategy::WeightedRoundRobin)
        .backends([
            Backend::new("a", 0usize).weight(0.5),
            Backend::new("b", 1).weight(1.5),
        ])
        .build()
        .unwrap();
    let mut counts = [0usize; 2];
    for _ in 0..400 {
        counts[crate::ok(lb.pick().unwrap())] += 1;
    }
    assert_eq!(counts, [100, 300]);
}

#[test]
fn weighted_random_within_tolerance() {
    let weights = [1.0, 2.0, 3.0, 4.0];
    let lb = Balancer::builder()
        .strategy(Strategy::WeightedRandom)
        .backends(
            weights
                .iter()
                .enumerate()
                .map(|(i, &w)| Backend::new(format!("b{i}"), i).weight(w)),
        )
        .seed(7)
        .build()
        .unwrap();
    let n = 200_000;
    let mut counts = [0usize; 4];
    for _ in 0..n {
        counts[ok(lb.pick().unwrap())] += 1;
    }
    for (i, w) in weights.iter().enumerate() {
        let share = counts[i] as f64 / n as f64;
        let want = w / 10.0;
        assert!(
            (share - want).abs() / want < 0.02,
            "backend {i}: share {share}, want {want}"
        );
    }
}

#[test]
fn seeded_runs_replay_exactly() {
    let run = || {
        let lb = crate::builder(10)
            .strategy(Strategy::WeightedRandom)
            .seed(99)
            .build()
            .unwrap();
        (0..100).map(|_| ok(lb.pick().unwrap())).collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

#[test]
fn least_connections_follows_in_flight_counts() {
    let lb = builder(3)
        .strategy(Strategy::LeastConnections)
        .build()
        .unwrap();
    // Three picks in flight land on three different backends.
    let p1 = lb.pick().unwrap();
    let p2 = lb.pick().unwrap();
    let p3 = lb.pick().unwrap();
    let mut held = vec![*p1, *p2, *p3];
    held.sort();
    assert_eq!(held, [0, 1, 2]);
    // Finishing one makes it the least loaded: the next pick goes there.
    let freed = *p2;
    p2.success(Duration::from_millis(1));
    let p4 = lb.pick().unwrap();
    assert_eq!(*p4, freed);
    let stats = lb.stats();
    assert_eq!(stats.backends.iter().map(|b| b.in_flight).sum::<u64>(), 3);
    drop((p1, p3, p4));
    assert_eq!(
        lb.stats().backends.iter().map(|b| b.in_flight).sum::<u64>(),
        0
    );
}

/// Picks (each finished at once, so every backend is idle and tied every time) per backend
/// of `n` under least connections.
fn idle_least_connections_counts(n: usize, picks: usize) -> Vec<usize> {
    let lb = builder(n)
        .strategy(Strategy::LeastConnections)
        .build()
        .unwrap();
    let mut counts = vec![0usize; n];
    for _ in 0..picks {
        counts[ok(lb.pick().unwrap())] += 1;
    }
    counts
}

#[test]
fn least_connections_breaks_ties_at_random() {
    // A fixed tie-break would send everything to one backend. 1 000 expected each.
    let counts = idle_least_connections_counts(4, 4000);
    assert!(counts.iter().all(|c| (800..1200).contains(c)), "{counts:?}");
}

/// More tied backends than the selector keeps in its buffer (16): the ones past it and the
/// ones in it are still equally likely.
#[test]
fn least_connections_breaks_wide_ties_uniformly() {
    // 200 expected each; the binomial's deviation is about 14.
    let counts = idle_least_connections_counts(40, 8000);
    assert!(counts.iter().all(|c| (130..270).contains(c)), "{counts:?}");
}

#[test]
fn least_connections_divides_by_weight() {
    let lb = Balancer::builder()
        .strategy(Strategy::LeastConnections)
        .backends([Backend::new("a", 0usize).weight(3.0), Backend::new("b", 1)])
        .seed(1)
        .build()
        .unwrap();
    let held: Vec<_> = (0..8).map(|_| lb.pick().unwrap()).collect();
    let on_a = held.iter().filter(|p| ***p == 0).count();
    assert_eq!(on_a, 6, "3:1 weights hold 6 of 8 in flight on a");
}

#[test]
fn p2c_avoids_the_slow_backend() {
    let lb = builder(10).strategy(Strategy::P2cPeakEwma).build().unwrap();
    let mut counts = [0usize; 10];
    for _ in 0..10_000 {
        let p = lb.pick().unwrap();
        let i = *p;
        counts[i] += 1;
        let lat = if i == 3 { 100 } else { 1 };
        p.success(Duration::from_millis(lat));
    }
    // It still gets probed (when it is drawn against... nothing cheaper), but rarely.
    assert!(counts[3] < 300, "{counts:?}");
}

#[test]
fn p2c_honours_weights() {
    let lb = Balancer::builder()
        .strategy(Strategy::P2cPeakEwma)
        .backends([Backend::new("a", 0usize).weight(4.0), Backend::new("b", 1)])
        .seed(3)
        .build()
        .unwrap();
    // With equal latency, cost is ∝ (in flight + 1) / weight: holding requests open shows
    // the split the weights ask for.
    let held: Vec<_> = (0..50).map(|_| lb.pick().unwrap()).collect();
    let on_a = held.iter().filter(|p| ***p == 0).count();
    assert!(
        (38..=42).contains(&on_a),
        "{on_a} of 50 on the weight-4 backend"
    );
}

#[test]
fn health_score_skips_failing_backend_and_recovers() {
    let clock = perfkit::clock::ManualClock::new();
    let lb = builder(3)
        .strategy(Strategy::HealthScore)
        .health_score_threshold(50)
        .health_score_cooldown(Duration::from_secs(5))
        .clock(std::sync::Arc::new(clock.clone()))
        .build()
        .unwrap();
    // Fail backend 1 until its score (100, -20 each) drops below 50: three failures.
    let mut fails = 0;
    while fails < 3 {
        let p = lb.pick().unwrap();
        if *p == 1 {
            p.failure();
            fails += 1;
        } else {
            p.success(Duration::ZERO);
        }
    }
    let s = lb.stats();
    assert_eq!(s.backends[1].health_score, 40);
    assert_eq!(s.available, 2);
    for _ in 0..300 {
        assert_ne!(ok(lb.pick().unwrap()), 1);
    }
    clock.advance(Duration::from_secs(5));
    let back = (0..300).filter(|_| ok(lb.pick().unwrap()) == 1).count();
    assert!(back > 0);
    let s = lb.stats();
    assert!(s.backends[1].health_score >= 50);
    assert_eq!(s.available, 3);
}

#[test]
fn health_score_is_clamped() {
    let lb = builder(1)
        .strategy(Strategy::HealthScore)
        .panic_threshold(100.0)
        .build()
        .unwrap();
    for _ in 0..10 {
        lb.pick().unwrap().failure();
    }
    assert_eq!(lb.stats().backends[0].health_score, 0);
    for _ in 0..20 {
        lb.pick().unwrap().success(Duration::ZERO);
    }
    assert_eq!(lb.stats().backends[0].health_score, 100);
}

#[test]
fn cancelled_is_counted_not_failed() {
    let lb = builder(2).strategy(Strategy::RoundRobin).build().unwrap();
    drop(lb.pick().unwrap());
    lb.pick().unwrap().failure();
    let s = lb.stats();
    assert_eq!(s.backends[0].cancelled, 1);
    assert_eq!(s.backends[0].failures, 0);
    assert_eq!(s.backends[1].failures, 1);
    assert_eq!(s.backends[0].requests + s.backends[1].requests, 2);
    assert_eq!(s.backends[0].in_flight + s.backends[1].in_flight, 0);
}

#[test]
fn set_backends_keeps_counters_of_those_that_stay() {
    let lb = builder(3).strategy(Strategy::RoundRobin).build().unwrap();
    for _ in 0..6 {
        ok(lb.pick().unwrap());
    }
    let held = lb.pick().unwrap(); // on b0, in flight across the update
    assert_eq!(held.id(), "b0");
    lb.set_backends([
        Backend::new("b0", 10).weight(2.0),
        Backend::new("b2", 12),
        Backend::new("b9", 19),
    ])
    .unwrap();
    let s = lb.stats();
    assert_eq!(s.backends.len(), 3);
    assert_eq!(
        (s.backends[0].id.as_str(), s.backends[0].successes),
        ("b0", 2)
    );
    assert_eq!(s.backends[0].in_flight, 1);
    assert_eq!(s.backends[0].weight, 2.0);
    assert_eq!(
        (s.backends[1].id.as_str(), s.backends[1].successes),
        ("b2", 2)
    );
    assert_eq!(
        (s.backends[2].id.as_str(), s.backends[2].successes),
        ("b9", 0)
    );
    held.success(Duration::ZERO);
    assert_eq!(lb.stats().backends[0].in_flight, 0);
    assert_eq!(lb.stats().backends[0].successes, 3);
    // The new values are served.
    let mut seen: Vec<usize> = (0..3).map(|_| ok(lb.pick().unwrap())).collect();
    seen.sort();
    assert_eq!(seen, [10, 12, 19]);
}

#[test]
fn set_weight_changes_shares() {
    let lb = builder(2)
        .strategy(Strategy::WeightedRoundRobin)
        .build()
        .unwrap();
    lb.set_weight("b1", 3.0).unwrap();
    let mut counts = [0usize; 2];
    for _ in 0..400 {
        counts[ok(lb.pick().unwrap())] += 1;
    }
    assert_eq!(counts, [100, 300]);
}

#[test]
fn pick_and_balancer_are_send_and_sync() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<perfkit::balance::Pick<'static, String>>();
    send::<Balancer<String>>();
    sync::<Balancer<String>>();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pick_can_cross_an_await_on_another_thread() {
    let lb = std::sync::Arc::new(
        crate::builder(3)
            .strategy(Strategy::P2cPeakEwma)
            .build()
            .unwrap(),
    );
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let lb = std::sync::Arc::clone(&lb);
        tasks.push(tokio::spawn(async move {
            let p = lb.pick().unwrap();
            tokio::task::yield_now().await;
            p.success(Duration::from_millis(1));
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let s = lb.stats();
    assert_eq!(s.backends.iter().map(|b| b.successes).sum::<u64>(), 64);
    assert_eq!(s.backends.iter().map(|b| b.in_flight).sum::<u64>(), 0);
}
