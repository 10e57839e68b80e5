//! Mismatched lengths, empty inputs and unavailable backends: typed errors, never a panic.

use perfkit::simd::{self, Backend, Simd, SimdError, deterministic};

use crate::support::backends;

fn mismatch(name: &'static str, expected: usize, found: usize) -> SimdError {
    SimdError::LengthMismatch {
        name,
        expected,
        found,
    }
}

#[test]
fn length_mismatch_is_an_error() {
    for (b, s) in backends() {
        let a = [1.0f32; 5];
        let short = [1.0f32; 4];
        let mut out = [0.0f32; 5];
        let mut out_short = [7.0f32; 3];
        assert_eq!(
            s.add(&a, &short, &mut out),
            Err(mismatch("b", 5, 4)),
            "{b:?}"
        );
        assert_eq!(s.sub(&a, &a, &mut out_short), Err(mismatch("out", 5, 3)));
        assert_eq!(out_short, [7.0; 3], "nothing written on error");
        assert_eq!(s.mul(&a, &short, &mut out), Err(mismatch("b", 5, 4)));
        assert_eq!(s.scale(&a, 2.0, &mut out_short), Err(mismatch("out", 5, 3)));
        assert_eq!(s.axpy(2.0, &a, &short, &mut out), Err(mismatch("y", 5, 4)));
        assert_eq!(s.fma(&a, &a, &short, &mut out), Err(mismatch("c", 5, 4)));
        assert_eq!(
            s.fma(&a, &a, &a, &mut out_short),
            Err(mismatch("out", 5, 3))
        );
        assert_eq!(s.dot(&a, &short), Err(mismatch("b", 5, 4)));
        assert_eq!(s.l2_squared(&short, &a), Err(mismatch("b", 4, 5)));
        assert_eq!(s.cosine(&a, &short), Err(mismatch("b", 5, 4)));
        assert_eq!(s.weighted_sum(&a, &short), Err(mismatch("weights", 5, 4)));
        assert_eq!(s.dot_deterministic(&a, &short), Err(mismatch("b", 5, 4)));
        assert_eq!(
            s.l2_squared_deterministic(&a, &short),
            Err(mismatch("b", 5, 4))
        );
        assert_eq!(
            s.weighted_sum_deterministic(&a, &short),
            Err(mismatch("weights", 5, 4))
        );
        assert_eq!(s.cosine_deterministic(&short, &a), Err(mismatch("b", 4, 5)));
        // Length checks come before the empty check, as in `cosine`.
        assert_eq!(s.cosine_deterministic(&[], &a), Err(mismatch("b", 0, 5)));
    }
    assert_eq!(
        deterministic::weighted_sum(&[1.0f64], &[]),
        Err(mismatch("weights", 1, 0))
    );
    assert_eq!(
        deterministic::cosine(&[1.0f64], &[]),
        Err(mismatch("b", 1, 0))
    );
    assert_eq!(simd::dot(&[1.0f64], &[]), Err(mismatch("b", 1, 0)));
    let e = simd::dot(&[1.0f64], &[]).unwrap_err().to_string();
    assert_eq!(e, "length mismatch: b has 0 elements, expected 1");
}

#[test]
fn empty_inputs() {
    for (b, s) in backends() {
        let e: [f32; 0] = [];
        let mut out: [f32; 0] = [];
        assert_eq!(s.sum(&e), 0.0, "{b:?}");
        assert_eq!(s.dot(&e, &e), Ok(0.0));
        assert_eq!(s.l2_squared(&e, &e), Ok(0.0));
        assert_eq!(s.weighted_sum(&e, &e), Ok(0.0));
        assert_eq!(s.sum_deterministic(&e), 0.0);
        assert_eq!(s.dot_deterministic(&e, &e), Ok(0.0));
        assert_eq!(s.mean(&e), Err(SimdError::Empty));
        assert_eq!(s.mean_deterministic(&e), Err(SimdError::Empty));
        assert_eq!(s.weighted_sum_deterministic(&e, &e), Ok(0.0));
        assert_eq!(s.cosine_deterministic(&e, &e), Err(SimdError::Empty));
        assert_eq!(s.variance_deterministic(&e), Err(SimdError::Empty));
        assert_eq!(s.variance(&e), Err(SimdError::Empty));
        assert_eq!(s.cosine(&e, &e), Err(SimdError::Empty));
        assert_eq!(s.min(&e), None);
        assert_eq!(s.max(&e), None);
        assert_eq!(s.argmin(&e), None);
        assert_eq!(s.argmax(&e), None);
        assert_eq!(s.add(&e, &e, &mut out), Ok(()));
        assert_eq!(s.fma(&e, &e, &e, &mut out), Ok(()));
        assert_eq!(s.axpy(1.0, &e, &e, &mut out), Ok(()));
    }
}

#[test]
fn cosine_of_a_zero_vector_is_an_error() {
    for (b, s) in backends() {
        for n in [1usize, 7, 40] {
            let z = vec![0.0f64; n];
            let x = vec![1.5f64; n];
            assert_eq!(s.cosine(&z, &x), Err(SimdError::ZeroNorm), "{b:?} n={n}");
            assert_eq!(s.cosine(&x, &z), Err(SimdError::ZeroNorm), "{b:?} n={n}");
            assert_eq!(s.cosine_deterministic(&z, &x), Err(SimdError::ZeroNorm));
            assert_eq!(s.cosine_deterministic(&x, &z), Err(SimdError::ZeroNorm));
            // Parallel vectors: 1, opposite: -1, to a few ulps and never past them.
            let same = s.cosine(&x, &x).unwrap();
            assert!(
                same <= 1.0 && same > 1.0 - 4.0 * f64::EPSILON,
                "{b:?}: {same}"
            );
            let neg: Vec<f64> = x.iter().map(|v| -v).collect();
            let opposite = s.cosine(&x, &neg).unwrap();
            assert!((-1.0..-1.0 + 4.0 * f64::EPSILON).contains(&opposite));
            // Rounding above 1 is clamped: 3 elements of 0.1 give a·b / (‖a‖·‖b‖) > 1 unclamped.
            let t = [0.1f32, 0.1, 0.1];
            assert!(s.cosine(&t, &t).unwrap() <= 1.0);
            assert!(s.cosine_deterministic(&t, &t).unwrap() <= 1.0);
            let same = s.cosine_deterministic(&x, &x).unwrap();
            assert!(same <= 1.0 && same > 1.0 - 4.0 * f64::EPSILON);
            let opposite = s.cosine_deterministic(&x, &neg).unwrap();
            assert!((-1.0..-1.0 + 4.0 * f64::EPSILON).contains(&opposite));
        }
    }
}

#[test]
fn unavailable_backend_is_an_error() {
    #[cfg(target_arch = "x86_64")]
    let missing = Backend::Neon;
    #[cfg(not(target_arch = "x86_64"))]
    let missing = Backend::Avx2Fma;
    assert!(!missing.is_available());
    assert_eq!(
        Simd::new(missing).unwrap_err(),
        SimdError::Unavailable(missing)
    );
    let mut called = false;
    let r = simd::with_backend(missing, |_| called = true);
    assert_eq!(r, Err(SimdError::Unavailable(missing)));
    assert!(
        !called,
        "the closure must not run on an unavailable backend"
    );
    assert!(Backend::Scalar.is_available());
}

#[test]
fn variance_and_mean_values() {
    for (b, s) in backends() {
        let x = [2.0f64, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_eq!(s.mean(&x), Ok(5.0), "{b:?}");
        assert_eq!(s.variance(&x), Ok(4.0), "{b:?}");
        assert_eq!(s.variance(&[3.0f32]), Ok(0.0));
        // Two-pass: a large offset does not cancel the variance away.
        // (100 elements under Miri, where this test only needs to reach the kernels.)
        let len = if cfg!(miri) { 100 } else { 1000 };
        let y: Vec<f32> = (0..len).map(|i| 1.0e4 + (i % 2) as f32).collect();
        let v = s.variance(&y).unwrap();
        assert!((v - 0.25).abs() < 1e-3, "{b:?}: {v}");
        assert_eq!(s.variance_deterministic(&x), Ok(4.0), "{b:?}");
        assert_eq!(s.variance_deterministic(&[3.0f32]), Ok(0.0));
        let v = s.variance_deterministic(&y).unwrap();
        assert!((v - 0.25).abs() < 1e-3, "{b:?}: {v}");
    }
}
