//! Any sequence of calls a user can make: no panic, and the counts add up.

use perfkit::balance::{Backend, Balancer, HashRing, OutlierDetection, Pick, SlowStart, Strategy};
use perfkit::clock::ManualClock;
use proptest::prelude::*;
use proptest::strategy::Strategy as PStrategy;
use std::sync::Arc;
use std::time::Duration;

const STRATEGIES: [Strategy; 7] = [
    Strategy::RoundRobin,
    Strategy::WeightedRoundRobin,
    Strategy::LeastConnections,
    Strategy::WeightedRandom,
    Strategy::HealthScore,
    Strategy::P2cPeakEwma,
    Strategy::ConsistentHash,
];

#[derive(Debug, Clone)]
enum Op {
    Pick(u16),
    Success(u64),
    Failure,
    Drop,
    SetBackends(Vec<(u8, f64)>),
    SetWeight(u8, f64),
    SetHealthy(u8, bool),
    Advance(u64),
}

fn weight() -> impl PStrategy<Value = f64> {
    prop_oneof![
        4 => 0.01f64..100.0,
        1 => Just(0.0),
        1 => Just(-1.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::MIN_POSITIVE),
    ]
}

fn op() -> impl PStrategy<Value = Op> {
    prop_oneof![
        6 => any::<u16>().prop_map(Op::Pick),
        3 => (0u64..10_000_000).prop_map(Op::Success),
        2 => Just(Op::Failure),
        1 => Just(Op::Drop),
        1 => prop::collection::vec((0u8..12, weight()), 0..8).prop_map(Op::SetBackends),
        1 => (0u8..12, weight()).prop_map(|(i, w)| Op::SetWeight(i, w)),
        1 => (0u8..12, any::<bool>()).prop_map(|(i, h)| Op::SetHealthy(i, h)),
        1 => (0u64..60_000).prop_map(Op::Advance),
    ]
}

fn run(strategy: Strategy, ring: HashRing, ops: &[Op]) -> Result<(), TestCaseError> {
    let clock = ManualClock::new();
    let lb = Balancer::builder()
        .strategy(strategy)
        .hash_ring(ring)
        .backends((0..4u8).map(|i| Backend::new(format!("b{i}"), i)))
        .outlier_detection(
            OutlierDetection::new()
                .consecutive_failures(2)
                .failure_rate_minimum_requests(4)
                .failure_rate_threshold(50.0)
                .max_ejection_percent(50.0),
        )
        .slow_start(SlowStart::new(Duration::from_secs(10)))
        .health_score_cooldown(Duration::from_secs(5))
        .clock(Arc::new(clock.clone()))
        .seed(9)
        .build()
        .unwrap();
    let mut held: Vec<Pick<'_, u8>> = Vec::new();
    let mut finished = 0u64;
    let mut picked = 0u64;
    for op in ops {
        match op {
            Op::Pick(k) => {
                if let Ok(p) = lb.pick_by_key(k) {
                    picked += 1;
                    held.push(p);
                }
            }
            Op::Success(us) => {
                if let Some(p) = held.pop() {
                    p.success(Duration::from_micros(*us));
                    finished += 1;
                }
            }
            Op::Failure => {
                if let Some(p) = held.pop() {
                    p.failure();
                    finished += 1;
                }
            }
            Op::Drop => {
                if held.pop().is_some() {
                    finished += 1;
                }
            }
            Op::SetBackends(list) => {
                let _ = lb.set_backends(
                    list.iter()
                        .map(|&(i, w)| Backend::new(format!("b{i}"), i).weight(w)),
                );
            }
            Op::SetWeight(i, w) => {
                let _ = lb.set_weight(&format!("b{i}"), *w);
            }
            Op::SetHealthy(i, h) => {
                let _ = lb.set_healthy(&format!("b{i}"), *h);
            }
            Op::Advance(ms) => clock.advance(Duration::from_millis(*ms)),
        }
    }
    let s = lb.stats();
    prop_assert!(s.available <= s.backends.len());
    for b in &s.backends {
        prop_assert!(b.health_score <= 100);
        prop_assert_eq!(
            b.requests,
            b.in_flight + b.successes + b.failures + b.cancelled
        );
    }
    // Picks of backends still listed are in flight there; removed ones took theirs along.
    let in_flight: u64 = s.backends.iter().map(|b| b.in_flight).sum();
    prop_assert!(in_flight <= held.len() as u64);
    prop_assert_eq!(picked - finished, held.len() as u64);
    drop(held);
    prop_assert_eq!(
        lb.stats().backends.iter().map(|b| b.in_flight).sum::<u64>(),
        0
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_sequence_of_calls_is_safe(ops in prop::collection::vec(op(), 0..120)) {
        for s in STRATEGIES {
            run(s, HashRing::Ring { vnodes: 16 }, &ops)?;
        }
        run(Strategy::ConsistentHash, HashRing::Maglev { table_size: 251 }, &ops)?;
    }
}
