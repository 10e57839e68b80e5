use perfkit::metrics::{Counter, Gauge};

#[test]
fn counts_from_many_threads_add_up() {
    let c = Counter::new();
    std::thread::scope(|s| {
        for _ in 0..8 {
            let c = c.clone();
            s.spawn(move || {
                for _ in 0..100_000 {
                    c.inc();
                }
                c.inc_by(5);
            });
        }
    });
    assert_eq!(c.get(), 8 * 100_005);
}

#[test]
fn gauge_adds_from_many_threads() {
    let g = Gauge::new();
    std::thread::scope(|s| {
        for _ in 0..4 {
            let g = g.clone();
            s.spawn(move || {
                for _ in 0..10_000 {
                    g.inc();
                    g.add(2.0);
                    g.sub(1.0);
                    g.dec();
                    g.inc();
                }
            });
        }
    });
    // Each round: +1 +2 -1 -1 +1 = +2.
    assert_eq!(g.get(), 80_000.0);
    g.set(f64::NAN);
    assert!(g.get().is_nan());
}

/// More threads than slots: some share the atomic fallback, and none of their counts is lost.
#[test]
fn more_threads_than_slots_lose_nothing() {
    let c = Counter::new();
    let h = perfkit::metrics::Histogram::new();
    std::thread::scope(|s| {
        for t in 0..96u64 {
            let (c, h) = (c.clone(), h.clone());
            s.spawn(move || {
                for i in 0..2_000u64 {
                    c.inc();
                    h.record(t * 10_000 + i);
                }
            });
        }
    });
    assert_eq!(c.get(), 96 * 2_000);
    let snap = h.snapshot();
    assert_eq!(snap.count(), 96 * 2_000);
    let expected: u64 = (0..96u64)
        .map(|t| (0..2_000u64).map(|i| t * 10_000 + i).sum::<u64>())
        .sum();
    assert_eq!(snap.sum(), expected);
}

/// Threads that come and go hand their slots on; counts written by dead threads stay.
#[test]
fn thread_churn_keeps_every_count() {
    let c = Counter::new();
    for round in 0..50u64 {
        let c = c.clone();
        std::thread::spawn(move || c.inc_by(round)).join().unwrap();
    }
    c.inc();
    assert_eq!(c.get(), (0..50u64).sum::<u64>() + 1);
}
