//! IEEE special values on every backend: NaN propagates through sums and dots, inf + -inf is
//! NaN, min/max return NaN when any element is NaN and argmin/argmax its first index.

use crate::support::*;

fn max_n() -> usize {
    if cfg!(miri) { 9 } else { 67 }
}

fn nan_everywhere<T: Float>() {
    let nan = T::from_f64(f64::NAN);
    for (b, s) in backends() {
        for n in 1..=max_n() {
            for p in 0..n {
                let mut x: Vec<T> = (0..n).map(|i| T::from_f64(i as f64 * 0.25 - 3.0)).collect();
                let y: Vec<T> = (0..n).map(|i| T::from_f64(1.0 + i as f64)).collect();
                x[p] = nan;
                let ctx = format!("{b:?} {} n={n} NaN at {p}", T::NAME);
                assert!(s.sum(&x).is_nan(), "sum {ctx}");
                assert!(s.dot(&x, &y).unwrap().is_nan(), "dot {ctx}");
                assert!(s.dot(&y, &x).unwrap().is_nan(), "dot swapped {ctx}");
                assert!(s.l2_squared(&x, &y).unwrap().is_nan(), "l2 {ctx}");
                assert!(s.weighted_sum(&y, &x).unwrap().is_nan(), "weighted {ctx}");
                assert!(s.mean(&x).unwrap().is_nan(), "mean {ctx}");
                assert!(s.variance(&x).unwrap().is_nan(), "variance {ctx}");
                assert!(s.cosine(&x, &y).unwrap().is_nan(), "cosine {ctx}");
                assert!(s.sum_deterministic(&x).is_nan(), "sum_det {ctx}");
                assert!(
                    s.dot_deterministic(&x, &y).unwrap().is_nan(),
                    "dot_det {ctx}"
                );
                assert!(
                    s.weighted_sum_deterministic(&y, &x).unwrap().is_nan(),
                    "weighted_det {ctx}"
                );
                assert!(
                    s.cosine_deterministic(&x, &y).unwrap().is_nan(),
                    "cosine_det {ctx}"
                );
                assert!(
                    s.cosine_deterministic(&y, &x).unwrap().is_nan(),
                    "cosine_det swapped {ctx}"
                );
                assert!(
                    s.variance_deterministic(&x).unwrap().is_nan(),
                    "variance_det {ctx}"
                );
                assert!(s.min(&x).unwrap().is_nan(), "min {ctx}");
                assert!(s.max(&x).unwrap().is_nan(), "max {ctx}");
                assert_eq!(s.argmin(&x), Some(p), "argmin {ctx}");
                assert_eq!(s.argmax(&x), Some(p), "argmax {ctx}");
                // Two NaNs: the first one is reported.
                if p + 2 < n {
                    x[n - 1] = nan;
                    assert_eq!(s.argmin(&x), Some(p), "argmin 2 NaNs {ctx}");
                    assert_eq!(s.argmax(&x), Some(p), "argmax 2 NaNs {ctx}");
                }
                // Element-wise: NaN in, NaN out in that element only.
                let mut out = vec![T::from_f64(0.0); n];
                s.add(&x, &y, &mut out).unwrap();
                for (i, v) in out.iter().enumerate() {
                    assert_eq!(v.is_nan(), x[i].is_nan(), "add {ctx} at {i}");
                }
            }
        }
    }
}

#[test]
fn nan_propagates_f32() {
    nan_everywhere::<f32>();
}

#[test]
fn nan_propagates_f64() {
    nan_everywhere::<f64>();
}

#[test]
fn infinities() {
    for (b, s) in backends() {
        for n in [2usize, 9, 33, 40] {
            let mut x = vec![1.0f32; n];
            x[0] = f32::INFINITY;
            assert_eq!(s.sum(&x), f32::INFINITY, "{b:?} n={n}");
            assert_eq!(s.sum_deterministic(&x), f32::INFINITY, "{b:?} n={n}");
            x[n - 1] = f32::NEG_INFINITY;
            assert!(s.sum(&x).is_nan(), "inf + -inf {b:?} n={n}");
            assert!(
                s.sum_deterministic(&x).is_nan(),
                "inf + -inf det {b:?} n={n}"
            );
            assert_eq!(s.min(&x), Some(f32::NEG_INFINITY));
            assert_eq!(s.max(&x), Some(f32::INFINITY));
            assert_eq!(s.argmin(&x), Some(n - 1));
            assert_eq!(s.argmax(&x), Some(0));
            // inf · 0 is NaN.
            let mut a = vec![0.0f64; n];
            let mut z = vec![1.0f64; n];
            a[n / 2] = f64::INFINITY;
            z[n / 2] = 0.0;
            assert!(s.dot(&a, &z).unwrap().is_nan(), "{b:?} n={n}");
            // An infinity makes the deviations inf - inf: the variance is NaN, not inf.
            let mut v = vec![1.0f64; n];
            v[n - 1] = f64::INFINITY;
            assert!(s.variance(&v).unwrap().is_nan(), "{b:?} n={n}");
            assert!(
                s.variance_deterministic(&v).unwrap().is_nan(),
                "{b:?} n={n}"
            );
            // Overflow to infinity in a sum of finite values.
            let big = vec![f32::MAX; n];
            assert_eq!(s.sum(&big), f32::INFINITY, "{b:?} n={n}");
        }
    }
}

#[test]
fn signed_zeros_tie() {
    for (b, s) in backends() {
        let x = [1.0f32, -0.0, 0.0, 2.0, -0.0];
        assert_eq!(s.argmin(&x), Some(1), "{b:?}");
        assert_eq!(s.min(&x), Some(0.0), "{b:?}"); // -0.0 == 0.0
        let y = [-1.0f64, 0.0, -0.0, -2.0];
        assert_eq!(s.argmax(&y), Some(1), "{b:?}");
        assert_eq!(s.sum(&[-0.0f64, -0.0]), 0.0);
    }
}
