//! simd benchmarks: perfkit's dispatched kernels beside a naive iterator loop, the `simsimd`
//! crate and a hand-written AVX2+FMA loop with four accumulators, in the same groups.
//!
//! - `dot_f32`, `l2sq_f32`, `cosine_f32` at n = 1 024, 65 536 and 16 Mi; `dot_f64` at 65 536.
//!   Throughput is in elements (one element = 2 FLOP for dot, 3 for l2sq, 6 for cosine).
//! - `dot_f32` at 16 Mi also runs `simd::par::dot` (feature `parallel`).
//! - Where dispatch picks AVX-512, each group also runs `perfkit_avx2`: the same kernel forced
//!   onto the AVX2 + FMA backend.
//! - `det_cosine_f32`, `det_weighted_sum_f32`, `det_variance_f32`: the normal kernel beside
//!   its deterministic form at n = 1 024 and 65 536 (the cost of fixed bits).
//! - `read_bandwidth`: a two-stream read (`Σ a[i] + b[i]`, AVX2, four accumulators) over two
//!   16 Mi-f32 arrays: the memory limit the 16 Mi results are held to
//!   (peak dot FLOP/s = 2 × bandwidth ÷ 8 bytes).
//!
//! Run with `cargo bench --bench simd --all-features -- --noplot` (16 Mi inputs take 64 MB
//! each; the samples are kept few).

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};
use perfkit::simd;

const SIZES: [usize; 3] = [1024, 65_536, 16 << 20];

fn configure(group: &mut BenchmarkGroup<'_, WallTime>, n: usize) {
    let big = n >= 1 << 20;
    group
        .sample_size(if big { 10 } else { 30 })
        .warm_up_time(Duration::from_millis(if big { 500 } else { 800 }))
        .measurement_time(Duration::from_secs(if big { 3 } else { 2 }));
}

/// Seeded inputs in [-1, 1).
fn inputs<T: From<f32>>(n: usize, seed: u64) -> Vec<T> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            T::from(((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0)
        })
        .collect()
}

/// The reference: a plain AVX2+FMA loop with four accumulators, as anyone would write it.
#[cfg(target_arch = "x86_64")]
mod hand {
    use std::arch::x86_64::*;

    pub fn available() -> bool {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }

    #[target_feature(enable = "avx2,fma")]
    fn hsum(v: __m256) -> f32 {
        let mut l = [0.0f32; 8];
        // SAFETY: `l` holds 8 floats.
        unsafe { _mm256_storeu_ps(l.as_mut_ptr(), v) };
        l.iter().sum()
    }

    macro_rules! four_acc {
        ($name:ident, |$acc:ident, $x:ident, $y:ident| $step:expr, |$p:ident, $q:ident| $tail:expr) => {
            /// # Safety
            /// The CPU must have AVX2 and FMA.
            #[target_feature(enable = "avx2,fma")]
            pub unsafe fn $name(a: &[f32], b: &[f32]) -> f32 {
                let n = a.len().min(b.len());
                let mut acc = [_mm256_setzero_ps(); 4];
                let mut i = 0;
                while i + 32 <= n {
                    for (k, slot) in acc.iter_mut().enumerate() {
                        // SAFETY: i + 8k + 8 <= n for k < 4, inside both slices.
                        let ($x, $y) = unsafe {
                            (
                                _mm256_loadu_ps(a.as_ptr().add(i + 8 * k)),
                                _mm256_loadu_ps(b.as_ptr().add(i + 8 * k)),
                            )
                        };
                        let $acc = *slot;
                        *slot = $step;
                    }
                    i += 32;
                }
                let mut s = hsum(_mm256_add_ps(
                    _mm256_add_ps(acc[0], acc[1]),
                    _mm256_add_ps(acc[2], acc[3]),
                ));
                for (&$p, &$q) in a[i..n].iter().zip(&b[i..n]) {
                    s += $tail;
                }
                s
            }
        };
    }
    four_acc!(dot, |acc, x, y| _mm256_fmadd_ps(x, y, acc), |p, q| p * q);
    four_acc!(
        l2sq,
        |acc, x, y| {
            let d = _mm256_sub_ps(x, y);
            _mm256_fmadd_ps(d, d, acc)
        },
        |p, q| (p - q) * (p - q)
    );
    // Two streams read, one add each: the read-bandwidth probe.
    four_acc!(
        read2,
        |acc, x, y| _mm256_add_ps(acc, _mm256_add_ps(x, y)),
        |p, q| p + q
    );

    /// # Safety
    /// The CPU must have AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn cosine(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let z = _mm256_setzero_ps();
        let (mut ab, mut aa, mut bb) = ([z; 2], [z; 2], [z; 2]);
        let mut i = 0;
        while i + 16 <= n {
            for k in 0..2 {
                // SAFETY: i + 8k + 8 <= n for k < 2, inside both slices.
                let (x, y) = unsafe {
                    (
                        _mm256_loadu_ps(a.as_ptr().add(i + 8 * k)),
                        _mm256_loadu_ps(b.as_ptr().add(i + 8 * k)),
                    )
                };
                ab[k] = _mm256_fmadd_ps(x, y, ab[k]);
                aa[k] = _mm256_fmadd_ps(x, x, aa[k]);
                bb[k] = _mm256_fmadd_ps(y, y, bb[k]);
            }
            i += 16;
        }
        let (mut sab, mut saa, mut sbb) = (
            hsum(_mm256_add_ps(ab[0], ab[1])),
            hsum(_mm256_add_ps(aa[0], aa[1])),
            hsum(_mm256_add_ps(bb[0], bb[1])),
        );
        for (&x, &y) in a[i..n].iter().zip(&b[i..n]) {
            sab += x * y;
            saa += x * x;
            sbb += y * y;
        }
        sab / (saa.sqrt() * sbb.sqrt())
    }

    /// # Safety
    /// The CPU must have AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn dot_f64(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len().min(b.len());
        let mut acc = [_mm256_setzero_pd(); 4];
        let mut i = 0;
        while i + 16 <= n {
            for (k, slot) in acc.iter_mut().enumerate() {
                // SAFETY: i + 4k + 4 <= n for k < 4, inside both slices.
                let (x, y) = unsafe {
                    (
                        _mm256_loadu_pd(a.as_ptr().add(i + 4 * k)),
                        _mm256_loadu_pd(b.as_ptr().add(i + 4 * k)),
                    )
                };
                *slot = _mm256_fmadd_pd(x, y, *slot);
            }
            i += 16;
        }
        let v = _mm256_add_pd(_mm256_add_pd(acc[0], acc[1]), _mm256_add_pd(acc[2], acc[3]));
        let mut l = [0.0f64; 4];
        // SAFETY: `l` holds 4 doubles.
        unsafe { _mm256_storeu_pd(l.as_mut_ptr(), v) };
        let mut s: f64 = l.iter().sum();
        for (&x, &y) in a[i..n].iter().zip(&b[i..n]) {
            s += x * y;
        }
        s
    }
}

type Kernel<T> = fn(&[T], &[T]) -> T;
/// Optional contenders for dot, l2sq, cosine (f32) and dot (f64).
type Four = (
    Option<Kernel<f32>>,
    Option<Kernel<f32>>,
    Option<Kernel<f32>>,
    Option<Kernel<f64>>,
);

/// The contenders of one two-input reduction, in one group per element type and size.
struct Contenders<T: 'static> {
    group: &'static str,
    ours: Kernel<T>,
    naive: Kernel<T>,
    simsimd: Option<Kernel<T>>,
    hand: Option<Kernel<T>>,
    /// perfkit forced onto AVX2 + FMA, beside the dispatched AVX-512 kernel (only when
    /// dispatch picked AVX-512), so one run shows what the wider registers buy.
    avx2: Option<Kernel<T>>,
    par: Option<Kernel<T>>,
}

fn run<T: Copy + From<f32>>(c: &mut Criterion, k: &Contenders<T>, sizes: &[usize]) {
    let mut group = c.benchmark_group(k.group);
    for &n in sizes {
        configure(&mut group, n);
        group.throughput(Throughput::Elements(n as u64));
        let a: Vec<T> = inputs(n, 1);
        let b: Vec<T> = inputs(n, 2);
        let mut contenders: Vec<(&str, Kernel<T>)> = vec![("perfkit", k.ours), ("naive", k.naive)];
        contenders.extend(k.simsimd.map(|f| ("simsimd", f)));
        contenders.extend(k.hand.map(|f| ("hand_avx2_4acc", f)));
        if simd::backend() == simd::Backend::Avx512F {
            contenders.extend(k.avx2.map(|f| ("perfkit_avx2", f)));
        }
        if n >= 1 << 20 {
            contenders.extend(k.par.map(|f| ("perfkit_par", f)));
        }
        for (name, f) in contenders {
            group.bench_with_input(BenchmarkId::new(name, n), &n, |bench, _| {
                bench.iter(|| f(black_box(&a), black_box(&b)))
            });
        }
    }
    group.finish();
}

#[cfg(target_arch = "x86_64")]
fn hand_or_none<T>(f: Kernel<T>) -> Option<Kernel<T>> {
    hand::available().then_some(f)
}

#[cfg(target_arch = "x86_64")]
mod peers {
    use simsimd::SpatialSimilarity;

    pub fn dot(a: &[f32], b: &[f32]) -> f32 {
        f32::dot(a, b).unwrap_or(f64::NAN) as f32
    }
    pub fn l2sq(a: &[f32], b: &[f32]) -> f32 {
        f32::l2sq(a, b).unwrap_or(f64::NAN) as f32
    }
    /// simsimd returns the cosine distance, 1 − similarity.
    pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
        1.0 - <f32 as SpatialSimilarity>::cos(a, b).unwrap_or(f64::NAN) as f32
    }
    pub fn dot_f64(a: &[f64], b: &[f64]) -> f64 {
        f64::dot(a, b).unwrap_or(f64::NAN)
    }
}

/// perfkit's kernels forced onto AVX2 + FMA through one handle, fetched per call like the
/// free functions' dispatched one (a `OnceLock` load). NaN where the CPU lacks AVX2.
mod forced_avx2 {
    use std::sync::OnceLock;

    use perfkit::simd::{Backend, Simd};

    fn simd() -> Option<&'static Simd> {
        static HANDLE: OnceLock<Option<Simd>> = OnceLock::new();
        HANDLE
            .get_or_init(|| Simd::new(Backend::Avx2Fma).ok())
            .as_ref()
    }
    pub fn dot(a: &[f32], b: &[f32]) -> f32 {
        simd().and_then(|s| s.dot(a, b).ok()).unwrap_or(f32::NAN)
    }
    pub fn l2sq(a: &[f32], b: &[f32]) -> f32 {
        simd()
            .and_then(|s| s.l2_squared(a, b).ok())
            .unwrap_or(f32::NAN)
    }
    pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
        simd().and_then(|s| s.cosine(a, b).ok()).unwrap_or(f32::NAN)
    }
    pub fn dot_f64(a: &[f64], b: &[f64]) -> f64 {
        simd().and_then(|s| s.dot(a, b).ok()).unwrap_or(f64::NAN)
    }
}

fn kernels(c: &mut Criterion) {
    #[cfg(target_arch = "x86_64")]
    let (hand_dot, hand_l2, hand_cos, hand_dot64): Four = (
        // SAFETY (all four): only offered when `hand::available()` saw AVX2 and FMA.
        hand_or_none(|a, b| unsafe { hand::dot(a, b) }),
        hand_or_none(|a, b| unsafe { hand::l2sq(a, b) }),
        hand_or_none(|a, b| unsafe { hand::cosine(a, b) }),
        hand_or_none(|a, b| unsafe { hand::dot_f64(a, b) }),
    );
    #[cfg(not(target_arch = "x86_64"))]
    let (hand_dot, hand_l2, hand_cos, hand_dot64): Four = (None, None, None, None);
    #[cfg(target_arch = "x86_64")]
    let (ss_dot, ss_l2, ss_cos, ss_dot64): Four = (
        Some(peers::dot),
        Some(peers::l2sq),
        Some(peers::cosine),
        Some(peers::dot_f64),
    );
    #[cfg(not(target_arch = "x86_64"))]
    let (ss_dot, ss_l2, ss_cos, ss_dot64): Four = (None, None, None, None);
    #[cfg(feature = "parallel")]
    let par_dot: Option<Kernel<f32>> = Some(|a, b| simd::par::dot(a, b).unwrap_or(f32::NAN));
    #[cfg(not(feature = "parallel"))]
    let par_dot = None;

    eprintln!("simd backend: {:?}", simd::backend());
    run(
        c,
        &Contenders {
            group: "dot_f32",
            ours: |a, b| simd::dot(a, b).unwrap_or(f32::NAN),
            naive: |a, b| a.iter().zip(b).map(|(x, y)| x * y).sum(),
            simsimd: ss_dot,
            hand: hand_dot,
            avx2: Some(forced_avx2::dot),
            par: par_dot,
        },
        &SIZES,
    );
    run(
        c,
        &Contenders {
            group: "l2sq_f32",
            ours: |a, b| simd::l2_squared(a, b).unwrap_or(f32::NAN),
            naive: |a, b| a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum(),
            simsimd: ss_l2,
            hand: hand_l2,
            avx2: Some(forced_avx2::l2sq),
            par: None,
        },
        &SIZES,
    );
    run(
        c,
        &Contenders {
            group: "cosine_f32",
            ours: |a, b| simd::cosine(a, b).unwrap_or(f32::NAN),
            naive: |a, b| {
                let (ab, aa, bb) = a
                    .iter()
                    .zip(b)
                    .fold((0.0f32, 0.0f32, 0.0f32), |(ab, aa, bb), (x, y)| {
                        (ab + x * y, aa + x * x, bb + y * y)
                    });
                ab / (aa.sqrt() * bb.sqrt())
            },
            simsimd: ss_cos,
            hand: hand_cos,
            avx2: Some(forced_avx2::cosine),
            par: None,
        },
        &SIZES,
    );
    run(
        c,
        &Contenders {
            group: "dot_f64",
            ours: |a, b| simd::dot(a, b).unwrap_or(f64::NAN),
            naive: |a, b| a.iter().zip(b).map(|(x, y)| x * y).sum(),
            simsimd: ss_dot64,
            hand: hand_dot64,
            avx2: Some(forced_avx2::dot_f64),
            par: None,
        },
        &[65_536],
    );
}

/// What the deterministic mode costs: each reduction beside its `*_deterministic` form, f32 at
/// n = 1 024 and 65 536 (in cache, where the difference shows; out of cache both read at
/// memory bandwidth). The group names are `det_<kernel>_f32`; `perfkit` is the normal kernel.
fn deterministic(c: &mut Criterion) {
    type Pair = (&'static str, Kernel<f32>, Kernel<f32>);
    let pairs: [Pair; 3] = [
        (
            "det_cosine_f32",
            |a, b| simd::cosine(a, b).unwrap_or(f32::NAN),
            |a, b| simd::deterministic::cosine(a, b).unwrap_or(f32::NAN),
        ),
        (
            "det_weighted_sum_f32",
            |a, b| simd::weighted_sum(a, b).unwrap_or(f32::NAN),
            |a, b| simd::deterministic::weighted_sum(a, b).unwrap_or(f32::NAN),
        ),
        (
            "det_variance_f32",
            |a, _| simd::variance(a).unwrap_or(f32::NAN),
            |a, _| simd::deterministic::variance(a).unwrap_or(f32::NAN),
        ),
    ];
    for (name, normal, det) in pairs {
        let mut group = c.benchmark_group(name);
        for n in [1024, 65_536] {
            configure(&mut group, n);
            group.throughput(Throughput::Elements(n as u64));
            let a: Vec<f32> = inputs(n, 5);
            let b: Vec<f32> = inputs(n, 6);
            for (label, f) in [("perfkit", normal), ("perfkit_deterministic", det)] {
                group.bench_with_input(BenchmarkId::new(label, n), &n, |bench, _| {
                    bench.iter(|| f(black_box(&a), black_box(&b)))
                });
            }
        }
        group.finish();
    }
}

/// Two 16 Mi-f32 streams read once each: the bandwidth the 16 Mi results are held to.
fn read_bandwidth(c: &mut Criterion) {
    let n = 16 << 20;
    let a: Vec<f32> = inputs(n, 3);
    let b: Vec<f32> = inputs(n, 4);
    let mut group = c.benchmark_group("read_bandwidth");
    configure(&mut group, n);
    group.throughput(Throughput::Bytes((2 * n * size_of::<f32>()) as u64));
    #[cfg(target_arch = "x86_64")]
    if hand::available() {
        group.bench_function(BenchmarkId::new("read2_avx2", n), |bench| {
            // SAFETY: AVX2 and FMA were detected just above.
            bench.iter(|| unsafe { hand::read2(black_box(&a), black_box(&b)) })
        });
    }
    group.bench_function(BenchmarkId::new("perfkit_sum_both", n), |bench| {
        bench.iter(|| simd::sum(black_box(&a)) + simd::sum(black_box(&b)))
    });
    group.finish();
}

criterion_group!(benches, kernels, deterministic, read_bandwidth);
criterion_main!(benches);
