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

/// Median seconds per call of `f`, each round long enough (`reps` calls) to time reliably.
fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut xs: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..reps {
                f();
            }
            start.elapsed().as_secs_f64() / reps as f64
        })
        .collect();
    median(&mut xs)
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
            "f32 dot in cache (4 096): dispatched backend / scalar backend throughput",
            t_scalar / t_fast,
            Unit::Ratio,
            Direction::HigherIsBetter,
            format!(
                "{backend:?} {gflops:.1} GFLOP/s, scalar {:.1} GFLOP/s",
                2.0 * SMALL as f64 / t_scalar / 1e9
            ),
        ));
        progress.inc(1);

        progress.set_message("simd: dot out of cache vs read bandwidth");
        let a = vec![0.5f32; LARGE];
        let b = vec![0.25f32; LARGE];
        // Bandwidth probe: the same two streams read by the simplest kernel (a sum of each).
        let t_read = time(3, || {
            black_box(simd::sum(black_box(&a)) + simd::sum(black_box(&b)));
        });
        let t_dot = time(3, || {
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
