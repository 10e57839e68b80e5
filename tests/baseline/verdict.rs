use perfkit::baseline::{self, Area, Baseline, Limit, Outcome, Severity, Unit};
use proptest::prelude::*;

fn below(t: f64) -> Baseline {
    Baseline::new("t.below", Area::Api, "test", Limit::Below(t), Unit::Seconds)
}

fn fail(outcome: Outcome) -> (f64, Severity) {
    match outcome {
        Outcome::Fail {
            degradation,
            severity,
        } => (degradation, severity),
        other => panic!("expected Fail, got {other:?}"),
    }
}

fn headroom(outcome: Outcome) -> f64 {
    match outcome {
        Outcome::Pass { headroom } => headroom,
        other => panic!("expected Pass, got {other:?}"),
    }
}

#[test]
fn severity_is_ordered() {
    assert!(Severity::Low < Severity::Medium);
    assert!(Severity::Medium < Severity::High);
    assert!(Severity::High < Severity::Critical);
}

#[test]
fn severity_boundaries_are_exclusive() {
    let b = below(0.5);
    // Exactly on each boundary stays in the lower class; just past it moves up.
    let cases = [
        (0.5, Severity::Low),        // 0 %: on a strict line
        (0.525, Severity::Low),      // 5 %
        (0.55, Severity::Low),       // exactly 10 %
        (0.55005, Severity::Medium), // 10.01 %
        (0.575, Severity::Medium),   // exactly 15 %
        (0.57505, Severity::High),   // 15.01 %
        (0.625, Severity::High),     // exactly 25 %
        (0.62505, Severity::Critical),
        (5.0, Severity::Critical),
    ];
    for (m, want) in cases {
        let (_, got) = fail(b.check(m).outcome);
        assert_eq!(got, want, "measured {m}");
    }
}

#[test]
fn of_degradation_thresholds() {
    assert_eq!(Severity::of_degradation(-0.5), None);
    assert_eq!(Severity::of_degradation(0.0), None);
    assert_eq!(Severity::of_degradation(0.10), None);
    assert_eq!(Severity::of_degradation(0.1001), Some(Severity::Medium));
    assert_eq!(Severity::of_degradation(0.15), Some(Severity::Medium));
    assert_eq!(Severity::of_degradation(0.1501), Some(Severity::High));
    assert_eq!(Severity::of_degradation(0.25), Some(Severity::High));
    assert_eq!(Severity::of_degradation(0.2501), Some(Severity::Critical));
    assert_eq!(
        Severity::of_degradation(f64::INFINITY),
        Some(Severity::Critical)
    );
    assert_eq!(Severity::of_degradation(f64::NAN), None);
    // Binary floating point puts 0.55 / 0.5 - 1 a hair above 0.1; it is still exactly 10 %.
    assert_eq!(Severity::of_degradation(0.55 / 0.5 - 1.0), None);
    assert_eq!(Severity::of_degradation(1.15 - 1.0), Some(Severity::Medium));
}

#[test]
fn below_maths() {
    let b = below(0.5);
    let (d, _) = fail(b.check(0.6).outcome);
    assert!((d - 0.2).abs() < 1e-12, "{d}");
    assert!((headroom(b.check(0.4).outcome) - 0.2).abs() < 1e-12);
    assert!(
        b.check(0.499_999_999_999).passed(),
        "a hair inside a strict line passes"
    );
    assert!(!b.check(0.5).passed(), "< is strict");
}

#[test]
fn above_maths() {
    let hit = baseline::find("cache.hit_ratio").unwrap(); // > 85 %
    let (d, s) = fail(hit.check(0.68).outcome);
    assert!(
        (d - 0.2).abs() < 1e-12,
        "(0.85 - 0.68) / 0.85 = 0.2, got {d}"
    );
    assert_eq!(s, Severity::High);
    assert!(!hit.check(0.85).passed(), "> is strict");
    let h = headroom(hit.check(0.935).outcome);
    assert!((h - 0.1).abs() < 1e-12, "{h}");
    assert_eq!(hit.check(0.80).severity(), Some(Severity::Low)); // 5.9 % short
}

#[test]
fn at_most_maths() {
    let max = baseline::find("database.max_connections").unwrap(); // ≤ 20
    assert!(max.check(20.0).passed(), "≤ includes the line");
    assert_eq!(headroom(max.check(20.0).outcome), 0.0);
    assert!(headroom(max.check(20.0).outcome).is_sign_positive());
    assert!((headroom(max.check(15.0).outcome) - 0.25).abs() < 1e-12);
    let (d, s) = fail(max.check(21.0).outcome);
    assert!((d - 0.05).abs() < 1e-12);
    assert_eq!(s, Severity::Low);
    assert_eq!(max.check(23.0).severity(), Some(Severity::Medium)); // 15 %: not > 15
    assert_eq!(max.check(26.0).severity(), Some(Severity::Critical)); // 30 %
}

#[test]
fn at_least_maths() {
    let sustained = baseline::find("throughput.api.sustained").unwrap(); // ≥ 50/s
    assert!(sustained.check(50.0).passed());
    let (d, s) = fail(sustained.check(35.0).outcome);
    assert!((d - 0.3).abs() < 1e-12);
    assert_eq!(s, Severity::Critical);
}

#[test]
fn bad_measurements_are_invalid() {
    let b = below(0.5);
    for m in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.1] {
        let v = b.check(m);
        assert_eq!(v.outcome, Outcome::Invalid, "{m}");
        assert!(!v.passed());
        assert!(v.is_invalid());
        assert_eq!(v.severity(), None);
        assert_eq!(v.fraction_of_limit(), None);
    }
}

#[test]
fn negative_growth_is_a_real_measurement() {
    let growth = baseline::find("resources.memory_growth").unwrap();
    assert!(growth.check(-1_000_000.0).passed());
}

#[test]
fn unusable_thresholds_are_invalid() {
    for t in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(
            below(t).check(0.1).outcome,
            Outcome::Invalid,
            "threshold {t}"
        );
    }
}

#[test]
fn verdict_carries_the_baseline() {
    let b = baseline::find("api.simple_query.p95").unwrap();
    let v = b.check(0.62);
    assert_eq!(v.id, "api.simple_query.p95");
    assert_eq!(v.measured, 0.62);
    assert_eq!(v.limit, Limit::Below(0.5));
    assert_eq!(v.unit, Unit::Seconds);
    assert_eq!(v.severity(), Some(Severity::High));
    assert!((v.fraction_of_limit().unwrap() - 1.24).abs() < 1e-12);
    let shown = v.to_string();
    assert!(
        shown.contains("HIGH") && shown.contains("620 ms") && shown.contains("< 500 ms"),
        "{shown}"
    );
}

#[test]
fn overflowing_ratio_is_critical_not_a_panic() {
    let tiny = below(f64::MIN_POSITIVE);
    assert_eq!(tiny.check(f64::MAX).severity(), Some(Severity::Critical));
}

proptest! {
    #[test]
    fn check_never_panics_and_is_consistent(m in proptest::num::f64::ANY, t in proptest::num::f64::ANY) {
        for limit in [Limit::Below(t), Limit::Above(t), Limit::AtMost(t), Limit::AtLeast(t)] {
            let b = Baseline::new("p", Area::Api, "p", limit, Unit::Ratio);
            let v = b.check(m);
            match v.outcome {
                Outcome::Invalid => prop_assert!(!m.is_finite() || !t.is_finite() || t <= 0.0 || m < 0.0),
                Outcome::Pass { headroom } => prop_assert!(headroom >= 0.0),
                Outcome::Fail { degradation, .. } => prop_assert!(degradation >= 0.0),
            }
        }
    }

    #[test]
    fn severity_grows_with_the_miss(t in 0.001f64..1e6, a in 0.0f64..2.0, b in 0.0f64..2.0) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let base = below(t);
        let s_lo = base.check(t * (1.0 + lo)).severity();
        let s_hi = base.check(t * (1.0 + hi)).severity();
        prop_assert!(s_lo <= s_hi);
    }
}
