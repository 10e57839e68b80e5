//! The deterministic mode: the same bits on every backend, equal to a model of the documented
//! layout (blocks of 4 096, element i to lane i % 16, fixed tree, blocks left to right).

use perfkit::simd::{self, Simd, deterministic};

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
    let max = lengths().into_iter().max().unwrap_or(0) + 8;
    let (a, b): (Vec<T>, Vec<T>) = (random(&mut rng, max), random(&mut rng, max));
    let all = backends();
    for n in lengths() {
        for o in offsets() {
            let (x, y) = (&a[o..o + n], &b[(o + 5) % 8..(o + 5) % 8 + n]);
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
}
