//! `simd::par`: the same answers as the single-threaded kernels (exact for element-wise and
//! extremes, within the bound for sums), and the same bits on any number of threads.

use perfkit::simd::{self, SimdError, deterministic, par};

use crate::support::*;

/// Around one chunk (32 768 f32), and past the 1 MiB threshold where threads start.
fn sizes() -> Vec<usize> {
    vec![
        0, 1, 31, 32_767, 32_768, 32_769, 100_003, 262_144, 600_011, 1_000_003,
    ]
}

fn pools() -> Vec<rayon::ThreadPool> {
    pools_of(&[1, 2, 3])
}

/// One rayon pool per thread count in `threads`.
fn pools_of(threads: &[usize]) -> Vec<rayon::ThreadPool> {
    threads
        .iter()
        .copied()
        .map(|t| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
        })
        .collect()
}

#[test]
fn reductions_match_single_thread() {
    let mut rng = Rng::new(17);
    for n in sizes() {
        let a: Vec<f32> = random(&mut rng, n);
        let b: Vec<f32> = random(&mut rng, n);
        let (want, abs) = ref_sum(&a);
        assert_close("par::sum", par::sum(&a), want, bound::<f32>(n, abs));
        let (want, abs) = ref_dot(&a, &b);
        assert_close(
            "par::dot",
            par::dot(&a, &b).unwrap(),
            want,
            bound::<f32>(n, abs),
        );
        assert_close(
            "par::weighted_sum",
            par::weighted_sum(&a, &b).unwrap(),
            want,
            bound::<f32>(n, abs),
        );
        let want = ref_l2(&a, &b);
        assert_close(
            "par::l2",
            par::l2_squared(&a, &b).unwrap(),
            want,
            bound::<f32>(n, want),
        );
        assert_eq!(par::min(&a), simd::min(&a), "n={n}");
        assert_eq!(par::max(&a), simd::max(&a), "n={n}");
        assert_eq!(par::argmin(&a), simd::argmin(&a), "n={n}");
        assert_eq!(par::argmax(&a), simd::argmax(&a), "n={n}");
        if n > 0 {
            let c = simd::cosine(&a, &b).unwrap();
            assert!((par::cosine(&a, &b).unwrap() - c).abs() < 1e-3, "n={n}");
            let m = simd::mean(&a).unwrap();
            assert!((par::mean(&a).unwrap() - m).abs() < 1e-4, "n={n}");
            let v = simd::variance(&a).unwrap();
            assert!((par::variance(&a).unwrap() - v).abs() < 1e-4, "n={n}");
        } else {
            assert_eq!(par::mean(&a), Err(SimdError::Empty));
            assert_eq!(par::cosine(&a, &b), Err(SimdError::Empty));
        }
        // Below one chunk, par is exactly the single-threaded kernel.
        if n <= 32_768 {
            assert_eq!(par::sum(&a).to_bits(), simd::sum(&a).to_bits(), "n={n}");
            assert_eq!(
                par::dot(&a, &b).unwrap().to_bits(),
                simd::dot(&a, &b).unwrap().to_bits()
            );
        }
    }
}

#[test]
fn same_bits_on_any_thread_count() {
    let mut rng = Rng::new(23);
    let n = 1_000_003;
    let a: Vec<f64> = random(&mut rng, n);
    let b: Vec<f64> = random(&mut rng, n);
    let results: Vec<[u64; 5]> = pools()
        .iter()
        .map(|p| {
            p.install(|| {
                [
                    par::sum(&a).to_bits(),
                    par::dot(&a, &b).unwrap().to_bits(),
                    par::variance(&a).unwrap().to_bits(),
                    par::sum_deterministic(&a).to_bits(),
                    par::dot_deterministic(&a, &b).unwrap().to_bits(),
                ]
            })
        })
        .collect();
    assert!(results.windows(2).all(|w| w[0] == w[1]), "{results:?}");
    // The deterministic ones also equal the single-threaded deterministic functions.
    assert_eq!(results[0][3], deterministic::sum(&a).to_bits());
    assert_eq!(results[0][4], deterministic::dot(&a, &b).unwrap().to_bits());
    assert_eq!(
        par::l2_squared_deterministic(&a, &b).unwrap().to_bits(),
        deterministic::l2_squared(&a, &b).unwrap().to_bits()
    );
}

#[test]
fn elementwise_matches_exactly() {
    let mut rng = Rng::new(29);
    for n in sizes() {
        let a: Vec<f32> = random(&mut rng, n);
        let b: Vec<f32> = random(&mut rng, n);
        let c: Vec<f32> = random(&mut rng, n);
        let (mut want, mut got) = (vec![0.0f32; n], vec![1.0f32; n]);
        simd::fma(&a, &b, &c, &mut want).unwrap();
        par::fma(&a, &b, &c, &mut got).unwrap();
        assert!(want == got, "fma n={n}");
        simd::axpy(0.5, &a, &b, &mut want).unwrap();
        par::axpy(0.5, &a, &b, &mut got).unwrap();
        assert!(want == got, "axpy n={n}");
        simd::add(&a, &b, &mut want).unwrap();
        par::add(&a, &b, &mut got).unwrap();
        assert!(want == got, "add n={n}");
        simd::sub(&a, &b, &mut want).unwrap();
        par::sub(&a, &b, &mut got).unwrap();
        assert!(want == got, "sub n={n}");
        simd::mul(&a, &b, &mut want).unwrap();
        par::mul(&a, &b, &mut got).unwrap();
        assert!(want == got, "mul n={n}");
        simd::scale(&a, 3.0, &mut want).unwrap();
        par::scale(&a, 3.0, &mut got).unwrap();
        assert!(want == got, "scale n={n}");
    }
}

#[test]
fn extremes_across_chunks() {
    let n = 1_000_003;
    let mut x = vec![0.0f32; n];
    // The minimum appears in two chunks: the first one wins.
    x[700_000] = -1.0;
    x[900_000] = -1.0;
    x[12] = 5.0;
    assert_eq!(par::argmin(&x), Some(700_000));
    assert_eq!(par::argmax(&x), Some(12));
    // A NaN in a later chunk beats any value; the first NaN wins.
    x[800_000] = f32::NAN;
    x[999_999] = f32::NAN;
    assert_eq!(par::argmin(&x), Some(800_000));
    assert_eq!(par::argmax(&x), Some(800_000));
    assert!(par::min(&x).unwrap().is_nan());
    assert!(par::sum(&x).is_nan());
    assert_eq!(par::argmin::<f64>(&[]), None);
}

#[test]
fn errors() {
    let a = vec![1.0f32; 300_000];
    let mut out = vec![0.0f32; 299_999];
    assert!(matches!(
        par::add(&a, &a, &mut out),
        Err(SimdError::LengthMismatch { .. })
    ));
    assert!(matches!(
        par::dot(&a, &a[1..]),
        Err(SimdError::LengthMismatch { .. })
    ));
    assert!(matches!(
        par::fma(&a, &a, &a[1..], &mut out),
        Err(SimdError::LengthMismatch { .. })
    ));
    assert_eq!(par::variance::<f64>(&[]), Err(SimdError::Empty));
}

/// The deterministic reductions derived from the block kernels (`weighted_sum`, `cosine`,
/// `variance`, and `mean`): the same bits on 1, 2 and several threads, at unaligned offsets,
/// below and above the threading threshold, as the single-threaded deterministic functions on
/// every backend this CPU runs; and within the oracle's bounds of the f64 reference.
fn derived_deterministic_any_threads<T: Float>() {
    let pools = pools_of(&[1, 2, 3, 5, 8]);
    let all = backends();
    let mut rng = Rng::new(31);
    for n in [0, 1, 4_097, 100_003, 1_000_003] {
        let a: Vec<T> = random(&mut rng, n + 8);
        let b: Vec<T> = random(&mut rng, n + 8);
        for (oa, ob) in [(0, 0), (1, 6), (3, 5)] {
            let (x, y) = (&a[oa..oa + n], &b[ob..ob + n]);
            let ctx = format!("{} n={n} offsets {oa}/{ob}", T::NAME);
            let run = || {
                [
                    par::weighted_sum_deterministic(x, y).map(Float::bits),
                    par::cosine_deterministic(x, y).map(Float::bits),
                    par::variance_deterministic(x).map(Float::bits),
                    par::mean_deterministic(x).map(Float::bits),
                ]
            };
            let per_pool: Vec<_> = pools.iter().map(|p| p.install(run)).collect();
            for (p, got) in pools.iter().zip(&per_pool) {
                assert_eq!(
                    got,
                    &per_pool[0],
                    "{} threads vs 1, {ctx}",
                    p.current_num_threads()
                );
            }
            for (bk, s) in &all {
                let single = [
                    s.weighted_sum_deterministic(x, y).map(Float::bits),
                    s.cosine_deterministic(x, y).map(Float::bits),
                    s.variance_deterministic(x).map(Float::bits),
                    s.mean_deterministic(x).map(Float::bits),
                ];
                assert_eq!(per_pool[0], single, "par vs {bk:?}, {ctx}");
            }
            if n == 0 {
                assert_eq!(per_pool[0][1], Err(SimdError::Empty));
                assert_eq!(per_pool[0][2], Err(SimdError::Empty));
                assert_eq!(per_pool[0][3], Err(SimdError::Empty));
                continue;
            }
            let (want, abs) = ref_dot(x, y);
            let got = par::weighted_sum_deterministic(x, y).unwrap();
            assert_close(
                "par::weighted_sum_deterministic",
                got,
                want,
                bound::<T>(n, abs),
            );
            let (aa, _) = ref_dot(x, x);
            let (bb, _) = ref_dot(y, y);
            let got = par::cosine_deterministic(x, y).unwrap();
            let tol = (n as f64 + 8.0) * T::EPS;
            assert_close(
                "par::cosine_deterministic",
                got,
                want / (aa.sqrt() * bb.sqrt()),
                tol,
            );
            let mean = ref_sum(x).0 / n as f64;
            let dev: f64 = x.iter().map(|&v| (v.to_f64() - mean).powi(2)).sum();
            let tol = bound::<T>(n, dev) / n as f64 + (n as f64 + 1.0).powi(2) * T::EPS.powi(2);
            let got = par::variance_deterministic(x).unwrap();
            assert_close("par::variance_deterministic", got, dev / n as f64, tol);
        }
    }
}

#[test]
fn derived_deterministic_same_bits_any_threads_f32() {
    derived_deterministic_any_threads::<f32>();
}

#[test]
fn derived_deterministic_same_bits_any_threads_f64() {
    derived_deterministic_any_threads::<f64>();
}

#[test]
fn derived_deterministic_errors() {
    let a = vec![1.0f32; 300_000];
    assert_eq!(
        par::weighted_sum_deterministic(&a, &a[1..]),
        Err(SimdError::LengthMismatch {
            name: "weights",
            expected: 300_000,
            found: 299_999
        })
    );
    assert!(matches!(
        par::cosine_deterministic(&a, &a[1..]),
        Err(SimdError::LengthMismatch { name: "b", .. })
    ));
    let z = vec![0.0f32; 300_000];
    assert_eq!(par::cosine_deterministic(&a, &z), Err(SimdError::ZeroNorm));
    assert_eq!(par::weighted_sum_deterministic::<f64>(&[], &[]), Ok(0.0));
    assert_eq!(
        par::cosine_deterministic::<f64>(&[], &[]),
        Err(SimdError::Empty)
    );
    assert_eq!(
        par::variance_deterministic::<f32>(&[]),
        Err(SimdError::Empty)
    );
    assert_eq!(par::mean_deterministic::<f32>(&[]), Err(SimdError::Empty));
    let mut x = a.clone();
    x[250_000] = f32::NAN;
    assert!(par::variance_deterministic(&x).unwrap().is_nan());
    assert!(par::cosine_deterministic(&x, &a).unwrap().is_nan());
    assert!(par::weighted_sum_deterministic(&a, &x).unwrap().is_nan());
}
