use perfkit::balance::{Backend, Strategy};
use std::time::Duration;

const THREADS: usize = 4;
const PER_THREAD: usize = 20_000;

fn hammer(strategy: Strategy) {
    let lb = crate::builder(8).strategy(strategy).build().unwrap();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let lb = lb.clone();
            s.spawn(move || {
                for i in 0..PER_THREAD {
                    let p = lb
                        .pick_by_key(&(t * PER_THREAD + i))
                        .unwrap_or_else(|e| panic!("{strategy:?}: {e}"));
                    match i % 3 {
                        0 => p.success(Duration::from_micros(50)),
                        1 => p.failure(),
                        _ => drop(p),
                    }
                }
            });
        }
    });
    let s = lb.stats();
    let sum = |f: fn(&perfkit::balance::BackendStats) -> u64| s.backends.iter().map(f).sum::<u64>();
    let total = (THREADS * PER_THREAD) as u64;
    assert_eq!(sum(|b| b.requests), total, "{strategy:?}");
    assert_eq!(sum(|b| b.in_flight), 0);
    assert_eq!(sum(|b| b.successes), THREADS as u64 * 6667);
    assert_eq!(sum(|b| b.failures), THREADS as u64 * 6667);
    assert_eq!(sum(|b| b.cancelled), THREADS as u64 * 6666);
}

#[test]
fn concurrent_picks_keep_counts_exact() {
    for s in [
        Strategy::RoundRobin,
        Strategy::WeightedRoundRobin,
        Strategy::LeastConnections,
        Strategy::WeightedRandom,
        Strategy::HealthScore,
        Strategy::P2cPeakEwma,
        Strategy::ConsistentHash,
    ] {
        hammer(s);
    }
}

#[test]
fn concurrent_updates_while_picking() {
    let lb = crate::builder(4)
        .strategy(Strategy::P2cPeakEwma)
        .build()
        .unwrap();
    std::thread::scope(|s| {
        for _ in 0..2 {
            let lb = lb.clone();
            s.spawn(move || {
                for _ in 0..20_000 {
                    lb.pick().unwrap().success(Duration::from_micros(10));
                }
            });
        }
        let lb = lb.clone();
        s.spawn(move || {
            for round in 0..200 {
                let n = 2 + round % 3;
                lb.set_backends((0..n).map(|i| Backend::new(format!("b{i}"), i)))
                    .unwrap();
                lb.set_weight("b0", 1.0 + (round % 5) as f64).unwrap();
            }
        });
    });
    let s = lb.stats();
    assert_eq!(s.backends.iter().map(|b| b.in_flight).sum::<u64>(), 0);
    // b0 and b1 were in every list, so they kept every count they ever had.
    assert!(s.backends[0].successes + s.backends[1].successes > 0);
}
