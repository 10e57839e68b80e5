use perfkit::baseline::{self, BaselineError, memory_growth_per_hour};
use std::time::Duration;

const MIB: u64 = 1024 * 1024;

#[test]
fn slope_of_linear_data_is_exact() {
    // 300 MiB growing 12 MiB/h, sampled every 30 s for two hours.
    let per_sec = 12.0 * MIB as f64 / 3600.0;
    let samples: Vec<(Duration, u64)> = (0..=240u64)
        .map(|i| {
            let t = Duration::from_secs(1000 + 30 * i);
            (t, 300 * MIB + (per_sec * 30.0 * i as f64).round() as u64)
        })
        .collect();
    let rate = memory_growth_per_hour(&samples).unwrap();
    assert!((rate - 12.0 * MIB as f64).abs() < 1.0, "{rate}");
    let v = baseline::find("resources.memory_growth")
        .unwrap()
        .check(rate);
    assert!(!v.passed(), "12 MiB/h is over < 10 MiB/h");
}

#[test]
fn two_samples_give_their_difference() {
    let s = [
        (Duration::from_secs(0), 1000),
        (Duration::from_secs(1800), 3000),
    ];
    assert_eq!(memory_growth_per_hour(&s).unwrap(), 4000.0);
}

#[test]
fn order_does_not_matter_and_shrinking_is_negative() {
    let s = [
        (Duration::from_secs(3600), 500 * MIB),
        (Duration::from_secs(0), 502 * MIB),
        (Duration::from_secs(1800), 501 * MIB),
    ];
    let rate = memory_growth_per_hour(&s).unwrap();
    assert!((rate + 2.0 * MIB as f64).abs() < 1e-3, "{rate}");
}

#[test]
fn noise_around_a_line_is_fitted_not_endpoint_differenced() {
    // Flat memory for an hour with a spike at the last sample: last-minus-first would say
    // 10 MiB/h (a failure); the fit of 61 samples says about 1 MiB/h.
    let mut s: Vec<(Duration, u64)> = (0..60u64)
        .map(|i| (Duration::from_secs(60 * i), 100 * MIB))
        .collect();
    s.push((Duration::from_secs(3600), 110 * MIB));
    let rate = memory_growth_per_hour(&s).unwrap();
    assert!(rate > 0.5 * MIB as f64 && rate < 1.5 * MIB as f64, "{rate}");
}

#[test]
fn huge_values_do_not_lose_the_slope() {
    let base = 1u64 << 50; // 1 PiB
    let s: Vec<(Duration, u64)> = (0..10u64)
        .map(|i| (Duration::from_secs(360 * i), base + i * 1024))
        .collect();
    let rate = memory_growth_per_hour(&s).unwrap();
    assert!((rate - 10240.0).abs() < 1e-3, "{rate}");
}

#[test]
fn too_few_samples() {
    assert!(matches!(
        memory_growth_per_hour(&[]),
        Err(BaselineError::NotEnoughSamples { needed: 2, got: 0 })
    ));
    assert!(matches!(
        memory_growth_per_hour(&[(Duration::from_secs(1), 5)]),
        Err(BaselineError::NotEnoughSamples { needed: 2, got: 1 })
    ));
}

#[test]
fn all_at_one_time() {
    let t = Duration::from_millis(1234);
    assert!(matches!(
        memory_growth_per_hour(&[(t, 1), (t, 2), (t, 3)]),
        Err(BaselineError::NoTimeSpan)
    ));
}

#[test]
fn extreme_times_do_not_panic() {
    let s = [(Duration::ZERO, 0), (Duration::MAX, u64::MAX)];
    let rate = memory_growth_per_hour(&s).unwrap();
    assert!(rate.is_finite() && rate >= 0.0);
}
