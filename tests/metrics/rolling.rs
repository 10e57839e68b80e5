use perfkit::clock::ManualClock;
use perfkit::metrics::{MetricsError, RollingHistogram};
use std::sync::Arc;
use std::time::Duration;

fn rolling(clock: &ManualClock) -> RollingHistogram {
    RollingHistogram::new(Duration::from_secs(60), 6)
        .unwrap()
        .with_clock(Arc::new(clock.clone()))
}

#[test]
fn keeps_only_the_last_window() {
    let clock = ManualClock::new();
    let h = rolling(&clock);
    // One value per second for two minutes, value = second number.
    for s in 0..120u64 {
        h.record(s * 1_000_000);
        clock.advance(Duration::from_secs(1));
    }
    // Now at t=120 s, in slot epoch 12: window holds epochs 7..=12, i.e. seconds 70..119.
    let snap = h.snapshot();
    assert_eq!(snap.count(), 50);
    assert_eq!(snap.min(), 70_000_000);
    assert_eq!(snap.max(), 119_000_000);
    let p95 = snap.quantile(0.95) as f64;
    assert!((p95 - 117e6).abs() / 117e6 < 0.01, "{p95}");
}

#[test]
fn an_idle_window_empties() {
    let clock = ManualClock::new();
    let h = rolling(&clock);
    h.record(1);
    clock.advance(Duration::from_secs(59));
    assert_eq!(h.snapshot().count(), 1);
    clock.advance(Duration::from_secs(600));
    assert_eq!(h.snapshot().count(), 0);
    h.record(2);
    assert_eq!(h.snapshot().count(), 1);
    assert_eq!(h.window(), Duration::from_secs(60));
}

#[test]
fn bad_windows_are_rejected() {
    assert!(matches!(
        RollingHistogram::new(Duration::from_secs(1), 0),
        Err(MetricsError::InvalidWindow { .. })
    ));
    assert!(matches!(
        RollingHistogram::new(Duration::from_nanos(3), 6),
        Err(MetricsError::InvalidWindow { .. })
    ));
    assert!(matches!(
        RollingHistogram::new(Duration::MAX, 6),
        Err(MetricsError::InvalidWindow { .. })
    ));
}

#[test]
fn concurrent_writers_within_one_slot_are_counted() {
    let clock = ManualClock::new();
    let h = rolling(&clock);
    std::thread::scope(|s| {
        for _ in 0..4 {
            let h = h.clone();
            s.spawn(move || {
                for i in 0..10_000u64 {
                    h.record_duration(Duration::from_micros(i));
                }
            });
        }
    });
    assert_eq!(h.snapshot().count(), 40_000);
}
