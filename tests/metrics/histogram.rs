use perfkit::metrics::{Histogram, HistogramSnapshot};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp, LogNormal, Pareto};
use std::time::Duration;

const QUANTILES: [f64; 9] = [0.0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0];

/// The nearest-rank quantile of sorted data: the ⌈q·n⌉-th smallest value.
fn exact(sorted: &[u64], q: f64) -> u64 {
    let n = sorted.len();
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted[rank - 1]
}

fn assert_within_one_percent(name: &str, mut samples: Vec<u64>) {
    let h = Histogram::new();
    for &v in &samples {
        h.record(v);
    }
    samples.sort_unstable();
    let snap = h.snapshot();
    assert_eq!(snap.count(), samples.len() as u64);
    assert_eq!(snap.min(), samples[0]);
    assert_eq!(snap.max(), *samples.last().unwrap());
    let sum: u64 = samples.iter().sum();
    assert_eq!(snap.sum(), sum);
    for q in QUANTILES {
        let want = exact(&samples, q);
        let got = snap.quantile(q);
        let err = (got as f64 - want as f64).abs() / (want as f64).max(1.0);
        assert!(
            err <= 0.01,
            "{name}: q={q} exact={want} got={got} relative error {err:.5}"
        );
    }
}

/// 1M samples per distribution, from 1 ns to 1 h, against exact sorted quantiles.
#[test]
fn quantile_error_is_within_one_percent_on_a_million_samples() {
    const N: usize = 1_000_000;
    const HOUR_NS: f64 = 3.6e12;
    let mut rng = StdRng::seed_from_u64(0x5eed);
    let clamp = |x: f64| x.clamp(1.0, HOUR_NS) as u64;

    let uniform: Vec<u64> = (0..N)
        .map(|_| rng.random_range(1..=3_600_000_000_000u64))
        .collect();
    assert_within_one_percent("uniform 1ns..1h", uniform);

    let lognormal = LogNormal::new(13.0, 2.0).unwrap(); // median ~0.44 ms, long tail
    let v: Vec<u64> = (0..N).map(|_| clamp(lognormal.sample(&mut rng))).collect();
    assert_within_one_percent("log-normal", v);

    let exp = Exp::new(1.0 / 2_000_000.0).unwrap(); // mean 2 ms
    let v: Vec<u64> = (0..N).map(|_| clamp(exp.sample(&mut rng))).collect();
    assert_within_one_percent("exponential", v);

    let pareto = Pareto::new(1_000.0, 1.1).unwrap(); // heavy tail from 1 µs
    let v: Vec<u64> = (0..N).map(|_| clamp(pareto.sample(&mut rng))).collect();
    assert_within_one_percent("pareto", v);

    // Log-uniform over the whole 1 ns..1 h range: every octave equally represented.
    let v: Vec<u64> = (0..N)
        .map(|_| clamp(HOUR_NS.powf(rng.random::<f64>())))
        .collect();
    assert_within_one_percent("log-uniform 1ns..1h", v);
}

#[test]
fn small_values_are_exact() {
    let h = Histogram::new();
    for v in 0..128u64 {
        h.record(v);
    }
    let snap = h.snapshot();
    for v in 0..128u64 {
        let q = (v + 1) as f64 / 128.0;
        assert_eq!(snap.quantile(q), v);
    }
}

#[test]
fn empty_and_out_of_range_quantiles() {
    let snap = Histogram::new().snapshot();
    assert_eq!(snap.count(), 0);
    assert_eq!(snap.try_quantile(0.5), None);
    assert_eq!(snap.quantile(0.5), 0);
    assert_eq!((snap.min(), snap.max(), snap.mean()), (0, 0, 0.0));

    let h = Histogram::new();
    h.record(1000);
    let snap = h.snapshot();
    assert_eq!(snap.try_quantile(f64::NAN), None);
    assert_eq!(snap.try_quantile(1.5), None);
    assert_eq!(snap.try_quantile(-0.1), None);
    assert_eq!(snap.quantile(7.0), 1000);
    assert_eq!(snap.quantile(f64::NAN), 1000);
}

#[test]
fn extremes_of_u64_are_recorded() {
    let h = Histogram::new();
    h.record(0);
    h.record(u64::MAX);
    let snap = h.snapshot();
    assert_eq!(snap.min(), 0);
    assert_eq!(snap.max(), u64::MAX);
    assert_eq!(snap.quantile(1.0), u64::MAX);
    assert_eq!(snap.quantile(0.0), 0);
}

#[test]
fn scaled_values_clamp_and_count() {
    let h = Histogram::new(); // latency options: seconds -> nanoseconds
    h.record_scaled(0.002);
    h.record_scaled(f64::NAN);
    h.record_scaled(-1.0);
    h.record_scaled(1e30);
    let snap = h.snapshot();
    assert_eq!(snap.count(), 3, "NaN is dropped, the others recorded");
    assert_eq!(snap.clamped(), 3);
    assert_eq!(snap.min(), 0);
    assert_eq!(snap.max(), u64::MAX);
    let median = snap.quantile(0.5) as f64;
    assert!((median - 2e6).abs() / 2e6 <= 0.01, "{median}");
}

#[test]
fn huge_durations_saturate_and_count() {
    let h = Histogram::new();
    h.record_duration(Duration::MAX);
    h.record_duration(Duration::from_nanos(5));
    let snap = h.snapshot();
    assert_eq!(snap.clamped(), 1);
    assert_eq!(snap.max(), u64::MAX);
    assert_eq!(snap.min(), 5);
}

#[test]
fn concurrent_records_are_all_counted() {
    let h = Histogram::new();
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let h = h.clone();
            s.spawn(move || {
                for i in 0..50_000u64 {
                    h.record(t * 1_000_000 + i);
                }
            });
        }
    });
    let snap = h.snapshot();
    assert_eq!(snap.count(), 200_000);
    assert_eq!(snap.min(), 0);
    assert_eq!(snap.max(), 3_049_999);
    let expected_sum: u64 = (0..4u64)
        .map(|t| (0..50_000u64).map(|i| t * 1_000_000 + i).sum::<u64>())
        .sum();
    assert_eq!(snap.sum(), expected_sum);
}

#[test]
fn count_at_or_below_includes_the_bucket_of_the_bound() {
    let h = Histogram::new();
    for v in [10, 100, 1_000, 10_000, 100_000] {
        h.record(v);
    }
    let snap = h.snapshot();
    assert_eq!(snap.count_at_or_below(9), 0);
    assert_eq!(snap.count_at_or_below(10), 1);
    assert_eq!(snap.count_at_or_below(10_000), 4);
    assert_eq!(snap.count_at_or_below(9_800), 3);
    assert_eq!(snap.count_at_or_below(u64::MAX), 5);
    let buckets: Vec<_> = snap.buckets().collect();
    assert_eq!(buckets.len(), 5);
    assert!(buckets.iter().all(|(lo, hi, n)| lo <= hi && *n == 1));
}

proptest! {
    /// Merging snapshots equals recording everything into one histogram.
    #[test]
    fn merge_equals_recording_together(
        a in proptest::collection::vec(any::<u64>(), 0..200),
        b in proptest::collection::vec(any::<u64>(), 0..200),
    ) {
        let (ha, hb, hall) = (Histogram::new(), Histogram::new(), Histogram::new());
        for &v in &a { ha.record(v); hall.record(v); }
        for &v in &b { hb.record(v); hall.record(v); }
        let mut merged = ha.snapshot();
        merged.merge(&hb.snapshot());
        prop_assert_eq!(&merged, &hall.snapshot());

        let into = Histogram::new();
        into.merge(&ha.snapshot());
        into.merge(&hb.snapshot());
        prop_assert_eq!(into.snapshot(), hall.snapshot());
    }

    /// Every quantile of any data set is within 1 % of the exact nearest-rank value.
    #[test]
    fn any_data_any_quantile(mut data in proptest::collection::vec(any::<u64>(), 1..300), q in 0.0f64..=1.0) {
        let h = Histogram::new();
        for &v in &data { h.record(v); }
        data.sort_unstable();
        let want = exact(&data, q);
        let got = h.snapshot().quantile(q);
        let err = (got as f64 - want as f64).abs() / (want as f64).max(1.0);
        prop_assert!(err <= 0.01, "q={} want={} got={}", q, want, got);
    }
}

#[test]
fn empty_snapshot_merges_as_identity() {
    let h = Histogram::new();
    h.record(42);
    let mut snap = h.snapshot();
    snap.merge(&HistogramSnapshot::empty());
    assert_eq!(snap, h.snapshot());
}
