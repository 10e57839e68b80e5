//! The deterministic mode: the same bits on every backend, equal to a model of the documented
//! layout (blocks of 4 096, element i to lane i % 16, fixed tree, blocks left to right).

use perfkit::simd::{self, Simd, SimdError, deterministic};

use crate::support::*;

/// The documented algorithm, written out plainly.
fn model<T: Float>(n: usize, term: impl Fn(usize) -> T) -> T {
    let zero = T::from_f64(0.0);
    let mut total: Option<T> = None;
    let mut start = 0;
    while start < n {
        let end = (start + 4096).min(n);
        let mut lanes = [zero; 16];
        for i in start..end {
            lanes[(i - start) % 16] = lanes[(i - start) % 16] + term(i);
        }
        for w in [8, 4, 2, 1] {
            for j in 0..w {
                lanes[j] = lanes[j] + lanes[j + w];
            }
        }
        total = Some(match total {
            None => lanes[0],
            Some(t) => t + lanes[0],
        });
        start = end;
    }
    total.unwrap_or(zero)
}

fn same_bits_everywhere<T: Float>() {
    let mut rng = Rng::new(99);
    let max = lengths().into_iter().max().unwrap_or(0) + OFFSETS;
    let (a, b): (Vec<T>, Vec<T>) = (random(&mut rng, max), random(&mut rng, max));
    let all = backends();
    for n in lengths() {
        for o in offsets() {
            let (x, y) = (&a[o..o + n], &b[(o + 5) % OFFSETS..(o + 5) % OFFSETS + n]);
            let want_sum = model(n, |i| x[i]);
            let want_dot = model(n, |i| x[i] * y[i]);
            let want_l2 = model(n, |i| {
                let d = x[i] - y[i];
                d * d
            });
            for (bk, s) in &all {
                let ctx = format!("{bk:?} {} n={n} o={o}", T::NAME);
                assert_eq!(s.sum_deterministic(x).bits(), want_sum.bits(), "sum {ctx}");
                let got = s.dot_deterministic(x, y).unwrap();
                assert_eq!(got.bits(), want_dot.bits(), "dot {ctx}");
                let got = s.l2_squared_deterministic(x, y).unwrap();
                assert_eq!(got.bits(), want_l2.bits(), "l2 {ctx}");
            }
            // And it is still a good sum.
            let (r, abs) = ref_sum(x);
            assert_close("sum_deterministic", want_sum, r, bound::<T>(n, abs));
        }
    }
}

/// `cosine_deterministic` as documented: three `model` sums, then IEEE sqrt, multiply,
/// divide, clamp.
fn model_cosine<T: Float>(x: &[T], y: &[T]) -> T {
    let n = x.len();
    let ab = model(n, |i| x[i] * y[i]);
    let aa = model(n, |i| x[i] * x[i]);
    let bb = model(n, |i| y[i] * y[i]);
    let c = ab / (aa.sqrt() * bb.sqrt());
    let one = T::from_f64(1.0);
    let minus_one = T::from_f64(-1.0);
    if c > one {
        one
    } else if c < minus_one {
        minus_one
    } else {
        c
    }
}

/// `variance_deterministic` as documented: the model mean, then the model sum of squared
/// deviations, over n.
fn model_variance<T: Float>(x: &[T]) -> T {
    let n = T::from_f64(x.len() as f64);
    let m = model(x.len(), |i| x[i]) / n;
    model(x.len(), |i| {
        let d = x[i] - m;
        d * d
    }) / n
}

/// `weighted_sum`, `cosine` and `variance` in deterministic mode: the model's bits on every
/// backend, every length and offset, and within the oracle's bounds of the f64 reference.
fn derived_same_bits_everywhere<T: Float>() {
    let mut rng = Rng::new(101);
    let max = lengths().into_iter().max().unwrap_or(0) + OFFSETS;
    let (a, b): (Vec<T>, Vec<T>) = (random(&mut rng, max), random(&mut rng, max));
    let all = backends();
    // Under Miri one (unaligned) offset: the loop shapes depend on the length only, and the
    // bit-model in interpreted scalar code is what would cost the time.
    let offs = if cfg!(miri) { vec![1] } else { offsets() };
    for n in lengths() {
        for &o in &offs {
            let (x, y) = (&a[o..o + n], &b[(o + 3) % OFFSETS..(o + 3) % OFFSETS + n]);
            let want_ws = model(n, |i| x[i] * y[i]);
            for (bk, s) in &all {
                let ctx = format!("{bk:?} {} n={n} o={o}", T::NAME);
                let got = s.weighted_sum_deterministic(x, y).unwrap();
                assert_eq!(got.bits(), want_ws.bits(), "weighted_sum {ctx}");
                if n == 0 {
                    assert_eq!(s.cosine_deterministic(x, y), Err(SimdError::Empty), "{ctx}");
                    assert_eq!(s.variance_deterministic(x), Err(SimdError::Empty), "{ctx}");
                    continue;
                }
                let got = s.cosine_deterministic(x, y).unwrap();
                assert_eq!(got.bits(), model_cosine(x, y).bits(), "cosine {ctx}");
                // The parts are exactly dot_deterministic's.
                let (ab, aa, bb) = (
                    s.dot_deterministic(x, y).unwrap(),
                    s.dot_deterministic(x, x).unwrap(),
                    s.dot_deterministic(y, y).unwrap(),
                );
                let c = ab / (aa.sqrt() * bb.sqrt());
                if c.to_f64().abs() <= 1.0 {
                    assert_eq!(got.bits(), c.bits(), "cosine from dots {ctx}");
                }
                let got = s.variance_deterministic(x).unwrap();
                assert_eq!(got.bits(), model_variance(x).bits(), "variance {ctx}");
            }
            let (want, abs) = ref_dot(x, y);
            assert_close(
                "weighted_sum_deterministic",
                want_ws,
                want,
                bound::<T>(n, abs),
            );
            if n > 0 {
                let s = Simd::detected();
                let (ab, _) = ref_dot(x, y);
                let (aa, _) = ref_dot(x, x);
                let (bb, _) = ref_dot(y, y);
                let want = ab / (aa.sqrt() * bb.sqrt());
                let tol = (n as f64 + 8.0) * T::EPS;
                let got = s.cosine_deterministic(x, y).unwrap();
                assert_close("cosine_deterministic", got, want, tol);

                let mean = ref_sum(x).0 / n as f64;
                let dev: f64 = x.iter().map(|&v| (v.to_f64() - mean).powi(2)).sum();
                let tol = bound::<T>(n, dev) / n as f64 + (n as f64 + 1.0).powi(2) * T::EPS.powi(2);
                let got = s.variance_deterministic(x).unwrap();
                assert_close("variance_deterministic", got, dev / n as f64, tol);
            }
        }
    }
}

#[test]
fn derived_bit_identical_on_every_backend_f32() {
    derived_same_bits_everywhere::<f32>();
}

#[test]
fn derived_bit_identical_on_every_backend_f64() {
    derived_same_bits_everywhere::<f64>();
}

#[test]
fn bit_identical_on_every_backend_f32() {
    same_bits_everywhere::<f32>();
}

#[test]
fn bit_identical_on_every_backend_f64() {
    same_bits_everywhere::<f64>();
}

#[test]
fn free_functions_use_the_detected_backend() {
    let mut rng = Rng::new(5);
    let x: Vec<f32> = random(&mut rng, 5000);
    let s = Simd::detected();
    assert_eq!(
        deterministic::sum(&x).to_bits(),
        s.sum_deterministic(&x).to_bits()
    );
    assert_eq!(
        deterministic::dot(&x, &x).unwrap().to_bits(),
        s.dot_deterministic(&x, &x).unwrap().to_bits()
    );
    assert_eq!(
        deterministic::l2_squared(&x, &x[..]).unwrap(),
        0.0,
        "distance to itself"
    );
    let m = deterministic::mean(&x).unwrap();
    assert_eq!(m.to_bits(), (s.sum_deterministic(&x) / 5000.0).to_bits());
    // The normal sum is close but free to differ in the last bits.
    assert!((simd::sum(&x) - deterministic::sum(&x)).abs() < 1e-3);
    // Shorter under Miri: one block runs every loop shape, the sweep above covers the rest.
    let n = if cfg!(miri) { 40 } else { 5000 };
    let (x, y): (&[f32], Vec<f32>) = (&x[..n], random(&mut rng, n));
    assert_eq!(
        deterministic::weighted_sum(x, &y).unwrap().to_bits(),
        s.weighted_sum_deterministic(x, &y).unwrap().to_bits()
    );
    assert_eq!(
        deterministic::cosine(x, &y).unwrap().to_bits(),
        s.cosine_deterministic(x, &y).unwrap().to_bits()
    );
    assert_eq!(
        deterministic::variance(x).unwrap().to_bits(),
        s.variance_deterministic(x).unwrap().to_bits()
    );
    assert!((simd::variance(x).unwrap() - deterministic::variance(x).unwrap()).abs() < 1e-5);
    assert!((simd::cosine(x, &y).unwrap() - deterministic::cosine(x, &y).unwrap()).abs() < 1e-5);
}
