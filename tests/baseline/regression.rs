use perfkit::baseline::{Direction, Severity, compare};

#[test]
fn lower_is_better_thresholds() {
    let sev = |cur| compare(100.0, cur, Direction::LowerIsBetter).severity;
    assert_eq!(sev(100.0), None);
    assert_eq!(sev(105.0), None, "5 % worse is noise");
    assert_eq!(sev(110.0), None, "exactly 10 % is still noise");
    assert_eq!(sev(110.01), Some(Severity::Medium));
    assert_eq!(sev(115.0), Some(Severity::Medium));
    assert_eq!(sev(115.01), Some(Severity::High));
    assert_eq!(sev(125.0), Some(Severity::High));
    assert_eq!(sev(125.01), Some(Severity::Critical));
    assert_eq!(sev(50.0), None, "an improvement is never an alert");
}

#[test]
fn higher_is_better_thresholds() {
    let sev = |cur| compare(1000.0, cur, Direction::HigherIsBetter).severity;
    assert_eq!(sev(1000.0), None);
    assert_eq!(sev(900.0), None, "exactly 10 % less");
    assert_eq!(sev(899.0), Some(Severity::Medium));
    assert_eq!(sev(849.0), Some(Severity::High));
    assert_eq!(sev(740.0), Some(Severity::Critical));
    assert_eq!(sev(2000.0), None);
}

#[test]
fn decimal_boundaries_survive_binary_floats() {
    // 0.55 / 0.5 - 1 is 0.10000000000000009 in f64; it must still count as exactly 10 %.
    assert_eq!(compare(0.5, 0.55, Direction::LowerIsBetter).severity, None);
    assert_eq!(
        compare(0.1, 0.125, Direction::LowerIsBetter).severity,
        Some(Severity::High)
    );
}

#[test]
fn relative_and_worsening() {
    let c = compare(200.0, 250.0, Direction::LowerIsBetter);
    assert_eq!(c.relative, Some(0.25));
    assert_eq!(c.worsening(), Some(0.25));
    assert!(c.is_regression());
    assert_eq!(c.previous, 200.0);
    assert_eq!(c.current, 250.0);
    assert_eq!(c.to_string(), "+25 %");

    let c = compare(200.0, 250.0, Direction::HigherIsBetter);
    assert_eq!(c.relative, Some(0.25));
    assert_eq!(c.worsening(), Some(-0.25));
    assert!(!c.is_regression());
    assert_eq!(c.severity, None);

    let c = compare(200.0, 150.0, Direction::HigherIsBetter);
    assert_eq!(c.to_string(), "-25 %");
    assert_eq!(c.severity, Some(Severity::High));
}

#[test]
fn negative_previous_uses_its_magnitude() {
    // Memory growth going from -10 MiB/h to +10 MiB/h is worse by 200 %.
    let c = compare(-10.0, 10.0, Direction::LowerIsBetter);
    assert_eq!(c.relative, Some(2.0));
    assert_eq!(c.severity, Some(Severity::Critical));
}

#[test]
fn uncomparable_values_are_flagged_without_severity() {
    for (prev, cur) in [
        (0.0, 5.0),
        (-0.0, 5.0),
        (f64::NAN, 5.0),
        (5.0, f64::NAN),
        (f64::INFINITY, 5.0),
        (5.0, f64::NEG_INFINITY),
    ] {
        for dir in [Direction::LowerIsBetter, Direction::HigherIsBetter] {
            let c = compare(prev, cur, dir);
            assert!(!c.is_comparable(), "{prev} -> {cur}");
            assert_eq!(c.relative, None);
            assert_eq!(c.severity, None);
            assert_eq!(c.worsening(), None);
            assert_eq!(c.to_string(), "n/a");
        }
    }
}

#[test]
fn overflowing_change_is_not_comparable() {
    let c = compare(f64::MIN_POSITIVE, f64::MAX, Direction::LowerIsBetter);
    assert!(!c.is_comparable());
}
