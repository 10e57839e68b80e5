//! perfkit::metrics: histogram record cost beside hdrhistogram, counter scaling over two
//! threads, quantile error against exact quantiles.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::Instant;

use indicatif::ProgressBar;
use perfkit::baseline::{Area, Baseline, Direction, Limit, Unit};
use perfkit::metrics::{Counter, Histogram};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::section::{Figure, Section, median};

pub struct Metrics;

/// perfkit's own goals for this module (from its issue), beside the documented table.
const RECORD_VS_HDR: Baseline = Baseline::new(
    "metrics.histogram_record_vs_hdrhistogram",
    Area::Throughput,
    "histogram record time / hdrhistogram's",
    Limit::AtMost(1.0),
    Unit::Ratio,
);
const COUNTER_SCALING: Baseline = Baseline::new(
    "metrics.counter_two_thread_scaling",
    Area::Throughput,
    "counter rate, 2 threads / 1 thread",
    Limit::AtLeast(1.5),
    Unit::Ratio,
);
const QUANTILE_ERROR: Baseline = Baseline::new(
    "metrics.quantile_relative_error",
    Area::Throughput,
    "worst quantile error (p50..p99.9)",
    Limit::AtMost(0.01),
    Unit::Ratio,
);

const BATCHES: usize = 15;
const VALUES: usize = 4096;
const REPS: usize = 64;

/// Log-normal-ish latencies in nanoseconds, ~10 µs .. 100 ms, seeded.
fn latencies(n: usize, seed: u64) -> Vec<u64> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let exp: f64 = rng.random_range(4.0..8.0);
            10f64.powf(exp) as u64
        })
        .collect()
}

/// Seconds per call of one batch of `VALUES * REPS` calls.
fn batch(values: &[u64], f: &mut impl FnMut(u64)) -> f64 {
    let start = Instant::now();
    for _ in 0..REPS {
        for &v in values {
            f(black_box(v));
        }
    }
    start.elapsed().as_secs_f64() / (REPS * values.len()) as f64
}

/// Median seconds per call of `a` and of `b`, their batches interleaved so that a burst of
/// noise from elsewhere on the machine hits both alike.
fn per_op_pair(values: &[u64], mut a: impl FnMut(u64), mut b: impl FnMut(u64)) -> (f64, f64) {
    let (mut ta, mut tb) = (Vec::with_capacity(BATCHES), Vec::with_capacity(BATCHES));
    for _ in 0..BATCHES {
        ta.push(batch(values, &mut a));
        tb.push(batch(values, &mut b));
    }
    (median(&mut ta), median(&mut tb))
}

/// Seconds for `threads` threads to make `PER_THREAD` increments each on one counter.
fn counter_run(threads: usize, inc: &(dyn Fn() + Sync)) -> f64 {
    let barrier = Barrier::new(threads + 1);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                barrier.wait();
                for _ in 0..PER_THREAD {
                    inc();
                }
            });
        }
        barrier.wait();
        // The scope's end joins the workers, so this times all their increments.
        Instant::now()
    })
    .elapsed()
    .as_secs_f64()
}

const PER_THREAD: usize = 4_000_000;

/// Median rate with 2 threads over the rate with 1, runs alternating.
fn scaling(inc: &(dyn Fn() + Sync)) -> (f64, f64) {
    let (mut one, mut two) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        one.push(PER_THREAD as f64 / counter_run(1, inc));
        two.push(2.0 * PER_THREAD as f64 / counter_run(2, inc));
    }
    let (one, two) = (median(&mut one), median(&mut two));
    (two / one, one)
}

impl Section for Metrics {
    fn name(&self) -> &'static str {
        "metrics"
    }

    fn steps(&self) -> u64 {
        4
    }

    fn run(&self, progress: &ProgressBar) -> Vec<Figure> {
        let mut out = Vec::new();
        let values = latencies(VALUES, 7);

        progress.set_message("metrics: histogram record");
        let ours = Histogram::new();
        let mut hdr = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 2)
            .expect("static bounds are valid");
        let (t_ours, t_hdr) =
            per_op_pair(&values, |v| ours.record(v), |v| hdr.saturating_record(v));
        out.push(Figure::tracked(
            "metrics.histogram_record",
            "histogram record, per value",
            t_ours,
            Unit::Seconds,
            Direction::LowerIsBetter,
            String::new(),
        ));
        out.push(Figure::checked(
            RECORD_VS_HDR.id,
            RECORD_VS_HDR,
            t_ours / t_hdr,
            format!("hdrhistogram: {:.2} ns/value", t_hdr * 1e9),
        ));
        progress.inc(1);

        progress.set_message("metrics: Counter over 1 and 2 threads");
        let counter = Counter::new();
        let (ratio, one) = scaling(&|| counter.inc());
        progress.inc(1);
        progress.set_message("metrics: shared AtomicU64 over 1 and 2 threads");
        let shared = std::sync::atomic::AtomicU64::new(0);
        let (shared_ratio, _) = scaling(&|| {
            shared.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
        out.push(Figure::checked(
            COUNTER_SCALING.id,
            COUNTER_SCALING,
            ratio,
            format!(
                "{:.0} M/s on 1 thread (through a dyn call); a shared AtomicU64 scales {:.2}×",
                one / 1e6,
                shared_ratio
            ),
        ));
        progress.inc(1);

        progress.set_message("metrics: quantile error");
        let mut rng = StdRng::seed_from_u64(11);
        let mut samples: Vec<u64> = (0..200_000)
            .map(|_| 10f64.powf(rng.random_range(0.0..12.5)) as u64)
            .collect();
        let h = Histogram::new();
        for &v in &samples {
            h.record(v);
        }
        samples.sort_unstable();
        let snap = h.snapshot();
        let worst = [0.5, 0.9, 0.95, 0.99, 0.999]
            .iter()
            .map(|&q| {
                let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
                let exact = samples[rank - 1] as f64;
                (snap.quantile(q) as f64 - exact).abs() / exact.max(1.0)
            })
            .fold(0.0f64, f64::max);
        out.push(Figure::checked(
            QUANTILE_ERROR.id,
            QUANTILE_ERROR,
            worst,
            "200k log-uniform samples, 1 ns..1 h".to_string(),
        ));
        progress.inc(1);
        out
    }
}
