//! perfkit::simd: f32 dot throughput of the dispatched backend against the scalar backend in
//! cache, and against a measured read bandwidth out of cache, as ratios.

use std::hint::black_box;
use std::time::Instant;

use indicatif::ProgressBar;
use perfkit::baseline::{Direction, Unit};
use perfkit::simd::{self, Backend, Simd};

use crate::section::{Figure, Section, median};

pub struct SimdSection;

const ROUNDS: usize = 9;
/// In L1/L2: 2 × 16 KiB.
const SMALL: usize = 4096;
/// Far out of cache: 2 × 64 MiB.
const LARGE: usize = 16 << 20;

/// Seconds per call of `f` over `ROUNDS` rounds of `reps` calls: the median, and the fastest
/// round (the least disturbed by other tenants: the right estimate of a hardware limit).
fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    time_both(reps, &mut f).0
}

fn fastest(reps: usize, mut f: impl FnMut()) -> f64 {
    time_both(reps, &mut f).1
}

fn time_both(reps: usize, f: &mut impl FnMut()) -> (f64, f64) {
    let mut xs: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..reps {
                f();
            }
            start.elapsed().as_secs_f64() / reps as f64
        })
        .collect();
    let best = xs.iter().copied().fold(f64::INFINITY, f64::min);
    (median(&mut xs), best)
}

impl Section for SimdSection {
    fn name(&self) -> &'static str {
        "simd"
    }

    fn steps(&self) -> u64 {
        2
    }

    fn run(&self, progress: &ProgressBar) -> Vec<Figure> {
        let mut out = Vec::new();
        let backend = simd::backend();

        progress.set_message("simd: dot in cache, dispatched vs scalar");
        let a: Vec<f32> = (0..SMALL).map(|i| (i % 13) as f32 * 0.1).collect();
        let b: Vec<f32> = (0..SMALL).map(|i| (i % 7) as f32 * 0.2).collect();
        let fast = Simd::detected();
        let scalar = Simd::new(Backend::Scalar).expect("the scalar backend runs everywhere");
        let t_fast = time(20_000, || {
            black_box(fast.dot(black_box(&a), black_box(&b)).ok());
        });
        let t_scalar = time(2_000, || {
            black_box(scalar.dot(black_box(&a), black_box(&b)).ok());
        });
        let gflops = 2.0 * SMALL as f64 / t_fast / 1e9;
        out.push(Figure::tracked(
            "simd.dot_speedup_over_scalar",
            "f32 dot in cache (4 096): dispatched backend / portable backend throughput",
            t_scalar / t_fast,
            Unit::Ratio,
            Direction::HigherIsBetter,
            format!(
                "{backend:?} {gflops:.1} GFLOP/s, portable {:.1} GFLOP/s (compiler-vectorised)",
                2.0 * SMALL as f64 / t_scalar / 1e9
            ),
        ));
        progress.inc(1);

        progress.set_message("simd: dot out of cache vs read bandwidth");
        let a = vec![0.5f32; LARGE];
        let b = vec![0.25f32; LARGE];
        // Bandwidth probe: the same bytes read by the simplest kernels — a sum of each input
        // (one stream at a time) and l2_squared (both at once, like dot); the faster is the
        // read bandwidth. Fastest rounds throughout: a limit is what the machine does when
        // undisturbed.
        let t_one_stream = fastest(2, || {
            black_box(simd::sum(black_box(&a)) + simd::sum(black_box(&b)));
        });
        let t_two_streams = fastest(2, || {
            black_box(simd::l2_squared(black_box(&a), black_box(&b)).ok());
        });
        let t_read = t_one_stream.min(t_two_streams);
        let t_dot = fastest(2, || {
            black_box(simd::dot(black_box(&a), black_box(&b)).ok());
        });
        let bytes = (2 * LARGE * size_of::<f32>()) as f64;
        out.push(Figure::tracked(
            "simd.dot_share_of_bandwidth",
            "f32 dot out of cache (16 Mi): bytes/s as a share of the measured read bandwidth",
            t_read / t_dot,
            Unit::Ratio,
            Direction::HigherIsBetter,
            format!(
                "dot {:.1} GB/s ({:.2} GFLOP/s), read {:.1} GB/s",
                bytes / t_dot / 1e9,
                2.0 * LARGE as f64 / t_dot / 1e9,
                bytes / t_read / 1e9
            ),
        ));
        progress.inc(1);
        out
    }
}
