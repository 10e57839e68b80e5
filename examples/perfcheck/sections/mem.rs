//! perfkit::mem: what a pooled 4 KiB block, and a pooled 4 KiB `Vec`, cost against asking
//! malloc for one.

use std::hint::black_box;
use std::time::Instant;

use indicatif::ProgressBar;
use perfkit::baseline::{Direction, Unit};
use perfkit::mem::{BlockPool, ObjectPool};

use crate::section::{Figure, Section, median};

pub struct Mem;

const BATCHES: usize = 15;
const OPS: usize = 100_000;
const SIZE: usize = 4096;

/// Seconds per call of each of `a` and `b`, batches interleaved so drift hits both alike.
fn per_op(mut a: impl FnMut(), mut b: impl FnMut()) -> (f64, f64) {
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for _ in 0..BATCHES {
        let start = Instant::now();
        for _ in 0..OPS {
            a();
        }
        ta.push(start.elapsed().as_secs_f64() / OPS as f64);
        let start = Instant::now();
        for _ in 0..OPS {
            b();
        }
        tb.push(start.elapsed().as_secs_f64() / OPS as f64);
    }
    (median(&mut ta), median(&mut tb))
}

impl Section for Mem {
    fn name(&self) -> &'static str {
        "mem"
    }

    fn steps(&self) -> u64 {
        2
    }

    fn run(&self, progress: &ProgressBar) -> Vec<Figure> {
        progress.set_message("mem: block pool vs malloc, 4 KiB");
        let pool = BlockPool::builder()
            .block_size(SIZE)
            .blocks(64)
            .build()
            .expect("valid settings");
        let (pooled, malloc) = per_op(
            || {
                if let Some(mut b) = pool.alloc() {
                    b[0] = 1;
                    black_box(&b);
                }
            },
            || {
                let mut v: Vec<u8> = Vec::with_capacity(SIZE);
                v.push(1);
                black_box(&v);
            },
        );
        progress.inc(1);

        progress.set_message("mem: object pool vs malloc, Vec<u8> of 4 KiB");
        let objects = ObjectPool::new(64, || Vec::<u8>::with_capacity(SIZE)).with_reset(Vec::clear);
        let (pooled_vec, malloc_vec) = per_op(
            || {
                let mut v = objects.get();
                v.push(1);
                black_box(&v);
            },
            || {
                let mut v: Vec<u8> = Vec::with_capacity(SIZE);
                v.push(1);
                black_box(&v);
            },
        );
        progress.inc(1);
        vec![
            Figure::tracked(
                "mem.block_alloc_free_rate_vs_malloc",
                "BlockPool alloc+free rate, as a share of malloc's (4 KiB, 1 thread)",
                malloc / pooled,
                Unit::Ratio,
                Direction::HigherIsBetter,
                format!(
                    "BlockPool {:.1} ns, malloc {:.1} ns per alloc+free",
                    pooled * 1e9,
                    malloc * 1e9
                ),
            ),
            Figure::tracked(
                "mem.block_alloc_free",
                "BlockPool alloc+free of a 4 KiB block",
                pooled,
                Unit::Seconds,
                Direction::LowerIsBetter,
                String::new(),
            ),
            Figure::tracked(
                "mem.object_get_drop_rate_vs_malloc",
                "ObjectPool get+drop rate, as a share of malloc's (Vec<u8> of 4 KiB, 1 thread)",
                malloc_vec / pooled_vec,
                Unit::Ratio,
                Direction::HigherIsBetter,
                format!(
                    "ObjectPool {:.1} ns, malloc {:.1} ns per get+drop (reset: Vec::clear)",
                    pooled_vec * 1e9,
                    malloc_vec * 1e9
                ),
            ),
        ]
    }
}
