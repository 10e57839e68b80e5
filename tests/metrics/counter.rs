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
