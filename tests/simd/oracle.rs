//! Every backend against an f64 oracle: every length 0..=257 and a few large ones, every start
//! offset 0..=7 for inputs and outputs; element-wise kernels exact and never writing outside
//! the output slice.

use perfkit::simd::{self, Backend, Simd};

use crate::support::*;

/// Elements kept around each output slice; they must come back untouched.
const GUARD: usize = 9;

/// Input buffers long enough for the largest length at the largest offset.
struct Inputs<T> {
    a: Vec<T>,
    b: Vec<T>,
    c: Vec<T>,
}

fn inputs<T: Float>(seed: u64) -> Inputs<T> {
    let max = lengths().into_iter().max().unwrap_or(0) + OFFSETS;
    let mut rng = Rng::new(seed);
    Inputs {
        a: random(&mut rng, max),
        b: random(&mut rng, max),
        c: random(&mut rng, max),
    }
}

/// Offsets for (a, b, c, out): each takes every value below `OFFSETS` over the sweep, in
/// different combinations, so unaligned inputs meet unaligned outputs.
fn offset_set(o: usize) -> (usize, usize, usize, usize) {
    (
        o,
        (o + 3) % OFFSETS,
        (o + 6) % OFFSETS,
        (o * 3 + 1) % OFFSETS,
    )
}

/// Runs `kernel` into a guarded output slice at `out_off`, checks the guards, and returns
/// the slice's contents.
fn guarded<T: Float>(n: usize, out_off: usize, kernel: impl FnOnce(&mut [T])) -> Vec<T> {
    let sentinel = T::from_f64(12_345.5);
    let mut buf = vec![sentinel; GUARD + out_off + n + GUARD];
    let start = GUARD + out_off;
    kernel(&mut buf[start..start + n]);
    for (i, v) in buf.iter().enumerate() {
        if i < start || i >= start + n {
            assert!(
                v.bits() == sentinel.bits(),
                "wrote outside the output slice at {i} (slice {start}..{})",
                start + n
            );
        }
    }
    buf[start..start + n].to_vec()
}

fn elementwise<T: Float>(backend: Backend, s: &Simd) {
    let inp = inputs::<T>(7);
    let alpha = T::from_f64(-1.375);
    for n in lengths() {
        for o in offsets() {
            let (oa, ob, oc, oo) = offset_set(o);
            let (a, b, c) = (&inp.a[oa..oa + n], &inp.b[ob..ob + n], &inp.c[oc..oc + n]);
            let ctx = format!("{backend:?} {} n={n} offsets={:?}", T::NAME, offset_set(o));
            type Want<'a, T> = (&'static str, Box<dyn Fn(usize) -> T + 'a>);
            type Run<'a, T> = Box<dyn Fn(&mut [T]) + 'a>;
            let cases: [(Want<'_, T>, Run<'_, T>); 6] = [
                (
                    ("add", Box::new(|i| a[i] + b[i])),
                    Box::new(|out| s.add(a, b, out).unwrap()),
                ),
                (
                    ("sub", Box::new(|i| a[i] - b[i])),
                    Box::new(|out| s.sub(a, b, out).unwrap()),
                ),
                (
                    ("mul", Box::new(|i| a[i] * b[i])),
                    Box::new(|out| s.mul(a, b, out).unwrap()),
                ),
                (
                    ("scale", Box::new(|i| a[i] * alpha)),
                    Box::new(|out| s.scale(a, alpha, out).unwrap()),
                ),
                (
                    ("axpy", Box::new(|i| alpha.mul_add(a[i], b[i]))),
                    Box::new(|out| s.axpy(alpha, a, b, out).unwrap()),
                ),
                (
                    ("fma", Box::new(|i| a[i].mul_add(b[i], c[i]))),
                    Box::new(|out| s.fma(a, b, c, out).unwrap()),
                ),
            ];
            for ((name, want), run) in cases {
                let got = guarded(n, oo, |out| run(out));
                for (i, g) in got.iter().enumerate() {
                    assert!(
                        g.bits() == want(i).bits(),
                        "{name} {ctx} at {i}: got {g}, want {}",
                        want(i)
                    );
                }
            }
        }
    }
}

fn reductions<T: Float>(backend: Backend, s: &Simd) {
    let inp = inputs::<T>(11);
    for n in lengths() {
        for o in offsets() {
            let (oa, ob, ..) = offset_set(o);
            let (a, b) = (&inp.a[oa..oa + n], &inp.b[ob..ob + n]);
            let ctx = format!("{backend:?} n={n} offset a={oa} b={ob}");

            let (want, abs) = ref_sum(a);
            assert_close(&format!("sum {ctx}"), s.sum(a), want, bound::<T>(n, abs));

            let (want, abs) = ref_dot(a, b);
            assert_close(
                &format!("dot {ctx}"),
                s.dot(a, b).unwrap(),
                want,
                bound::<T>(n, abs),
            );
            let got = s.weighted_sum(a, b).unwrap();
            assert_close(
                &format!("weighted_sum {ctx}"),
                got,
                want,
                bound::<T>(n, abs),
            );

            let want = ref_l2(a, b);
            let got = s.l2_squared(a, b).unwrap();
            assert_close(&format!("l2_squared {ctx}"), got, want, bound::<T>(n, want));

            if n > 0 {
                let (ab, _) = ref_dot(a, b);
                let (aa, _) = ref_dot(a, a);
                let (bb, _) = ref_dot(b, b);
                let want = ab / (aa.sqrt() * bb.sqrt());
                let tol = (n as f64 + 8.0) * T::EPS;
                assert_close(&format!("cosine {ctx}"), s.cosine(a, b).unwrap(), want, tol);

                let (sum, abs) = ref_sum(a);
                let mean = sum / n as f64;
                let tol = bound::<T>(n, abs) / n as f64;
                assert_close(&format!("mean {ctx}"), s.mean(a).unwrap(), mean, tol);

                let dev: f64 = a.iter().map(|&x| (x.to_f64() - mean).powi(2)).sum();
                let var = dev / n as f64;
                // Rounding of the squares and sums, plus the error of the mean entering squared.
                let tol = bound::<T>(n, dev) / n as f64 + (n as f64 + 1.0).powi(2) * T::EPS.powi(2);
                assert_close(&format!("variance {ctx}"), s.variance(a).unwrap(), var, tol);
            }

            if !runs_compares(backend) {
                continue;
            }
            // min / max / argmin / argmax are exact.
            let want_min = a.iter().copied().reduce(|m, v| if v < m { v } else { m });
            let want_max = a.iter().copied().reduce(|m, v| if v > m { v } else { m });
            assert_eq!(s.min(a), want_min, "min {ctx}");
            assert_eq!(s.max(a), want_max, "max {ctx}");
            let want_argmin = want_min.and_then(|m| a.iter().position(|&v| v == m));
            let want_argmax = want_max.and_then(|m| a.iter().position(|&v| v == m));
            assert_eq!(s.argmin(a), want_argmin, "argmin {ctx}");
            assert_eq!(s.argmax(a), want_argmax, "argmax {ctx}");
        }
    }
}

#[test]
fn elementwise_exact_and_in_bounds_f32() {
    for (b, s) in backends() {
        elementwise::<f32>(b, &s);
    }
}

#[test]
fn elementwise_exact_and_in_bounds_f64() {
    for (b, s) in backends() {
        elementwise::<f64>(b, &s);
    }
}

#[test]
fn reductions_within_bound_f32() {
    for (b, s) in backends() {
        reductions::<f32>(b, &s);
    }
}

#[test]
fn reductions_within_bound_f64() {
    for (b, s) in backends() {
        reductions::<f64>(b, &s);
    }
}

/// Extremes placed at every position of every short length, so each lane, accumulator and the
/// scalar tail get to hold the winner; ties resolve to the first index.
#[test]
fn argmin_argmax_every_position_and_ties() {
    for (b, s) in backends().into_iter().filter(|(b, _)| runs_compares(*b)) {
        for n in 1..=if cfg!(miri) { 10 } else { 70 } {
            for p in 0..n {
                let mut x: Vec<f32> = (0..n).map(|i| (i % 5) as f32).collect();
                x[p] = -3.0;
                assert_eq!(s.argmin(&x), Some(p), "{b:?} n={n} p={p}");
                assert_eq!(s.min(&x), Some(-3.0));
                x[p] = 9.0;
                assert_eq!(s.argmax(&x), Some(p), "{b:?} n={n} p={p}");
                assert_eq!(s.max(&x), Some(9.0));
                // A tie later on does not move the answer.
                let mut y = vec![1.0f64; n];
                y[p] = 0.5;
                if p + 1 < n {
                    y[n - 1] = 0.5;
                }
                assert_eq!(s.argmin(&y), Some(p), "{b:?} tie n={n} p={p}");
            }
        }
    }
}

/// The free functions run the backend dispatch picked: the fastest one available.
#[test]
fn dispatch_picks_the_fastest_available() {
    let available = Backend::available();
    assert_eq!(available.first(), Some(&Backend::Scalar));
    assert_eq!(Some(&simd::backend()), available.last());
    assert_eq!(Simd::detected().backend(), simd::backend());
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        let want = if std::arch::is_x86_feature_detected!("avx512f") {
            Backend::Avx512F
        } else if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
        {
            Backend::Avx2Fma
        } else {
            Backend::Sse2
        };
        assert_eq!(simd::backend(), want);
    }
    #[cfg(target_arch = "aarch64")]
    assert_eq!(simd::backend(), Backend::Neon);

    let mut rng = Rng::new(3);
    let a: Vec<f32> = random(&mut rng, 1001);
    let b: Vec<f32> = random(&mut rng, 1001);
    let s = Simd::detected();
    assert_eq!(
        simd::dot(&a, &b).unwrap().to_bits(),
        s.dot(&a, &b).unwrap().to_bits()
    );
    assert_eq!(simd::sum(&a).to_bits(), s.sum(&a).to_bits());
    if runs_compares(s.backend()) {
        assert_eq!(simd::argmax(&a), s.argmax(&a));
    }
    let run = simd::with_backend(Backend::Scalar, |s| s.backend()).unwrap();
    assert_eq!(run, Backend::Scalar);
}
