//! Shared helpers: a seeded generator, the element types as test floats, the f64 references,
//! the lengths and offsets to sweep (shrunk under Miri), and each backend this CPU runs.

use perfkit::simd::{Backend, Element, Simd};

/// splitmix64: seeded, so every failure reproduces.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

pub trait Float: Element + PartialEq + core::fmt::Display {
    const EPS: f64;
    const NAME: &'static str;
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    fn is_nan(self) -> bool;
    fn bits(self) -> u64;
    fn mul_add(self, b: Self, c: Self) -> Self;
    fn sqrt(self) -> Self;
}

macro_rules! float {
    ($t:ty) => {
        impl Float for $t {
            const EPS: f64 = <$t>::EPSILON as f64;
            const NAME: &'static str = stringify!($t);
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            fn bits(self) -> u64 {
                self.to_bits() as u64
            }
            fn mul_add(self, b: Self, c: Self) -> Self {
                <$t>::mul_add(self, b, c)
            }
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
        }
    };
}
float!(f32);
float!(f64);

/// Every length 0..=257 plus a few large ones (crossing the 4 096-element deterministic
/// block); under Miri the shortest set that still runs every loop shape of every backend.
pub fn lengths() -> Vec<usize> {
    if cfg!(miri) {
        // Empty, tails of every short length class, one register, and the four-register loop
        // of every backend (16 f32 on SSE2, 32 on AVX2, 64 on AVX-512) with one-register
        // steps and a tail after it.
        vec![0, 1, 3, 7, 8, 9, 17, 35, 83]
    } else {
        (0..=257)
            .chain([1000, 4095, 4096, 4097, 10_007, 65_537])
            .collect()
    }
}

/// Offsets are taken below this: 16 f32 fill a 64-byte (AVX-512) register.
pub const OFFSETS: usize = 16;

/// Start offsets (in elements) to slice inputs at: every one of `0..OFFSETS`, i.e. every
/// misalignment of a 64-byte register for f32.
pub fn offsets() -> Vec<usize> {
    if cfg!(miri) {
        vec![0, 1, 3]
    } else {
        (0..OFFSETS).collect()
    }
}

/// Whether `backend`'s compares and min/max can run here. Miri (nightly 2026-05) emulates
/// AVX-512 loads, stores, arithmetic and FMA but not `vminps`/`vmaxps`/`vcmpps` on zmm
/// registers, so under Miri the AVX-512 backend skips `min`, `max`, `argmin` and `argmax`
/// (they run natively wherever the CPU has AVX-512, and in Bochs in `ci/simd-avx512.sh`).
pub fn runs_compares(backend: Backend) -> bool {
    !(cfg!(miri) && backend == Backend::Avx512F)
}

/// Every backend this CPU runs, with its handle. Prints what is exercised, and a notice for
/// what is not, so a test log says which paths ran.
///
/// `PERFKIT_TEST_SIMD_BACKENDS` (backend names as `Debug` prints them, comma-separated) keeps
/// only those: `ci/simd-avx512.sh` runs just `Avx512F` on an emulated CPU, where every other
/// backend has already been tested natively and each one costs minutes.
pub fn backends() -> Vec<(Backend, Simd)> {
    let all = Backend::available();
    for b in Backend::ALL {
        if !all.contains(&b) {
            eprintln!("notice: backend {b:?} not available on this CPU/target, not tested here");
        }
    }
    let only = std::env::var("PERFKIT_TEST_SIMD_BACKENDS").ok();
    all.into_iter()
        .filter(|b| {
            let keep = only
                .as_deref()
                .is_none_or(|list| list.split(',').any(|name| name.trim() == format!("{b:?}")));
            if !keep {
                eprintln!("notice: backend {b:?} left out by PERFKIT_TEST_SIMD_BACKENDS");
            }
            keep
        })
        .map(|b| (b, Simd::new(b).expect("listed as available")))
        .collect()
}

pub fn random<T: Float>(rng: &mut Rng, n: usize) -> Vec<T> {
    (0..n).map(|_| T::from_f64(rng.unit())).collect()
}

pub fn ref_sum<T: Float>(x: &[T]) -> (f64, f64) {
    x.iter().fold((0.0, 0.0), |(s, a), &v| {
        (s + v.to_f64(), a + v.to_f64().abs())
    })
}

pub fn ref_dot<T: Float>(a: &[T], b: &[T]) -> (f64, f64) {
    a.iter().zip(b).fold((0.0, 0.0), |(s, m), (&x, &y)| {
        let p = x.to_f64() * y.to_f64();
        (s + p, m + p.abs())
    })
}

pub fn ref_l2<T: Float>(a: &[T], b: &[T]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (x.to_f64() - y.to_f64()).powi(2))
        .sum()
}

/// The stated bound for a sum of `n` terms computed in `T`: |error| ≤ (n + 4)·ε·Σ|terms|
/// (blocked summation with a rounding per add and per product), plus one rounding of the
/// result.
pub fn bound<T: Float>(n: usize, abs_sum: f64) -> f64 {
    (n as f64 + 4.0) * T::EPS * abs_sum + f64::MIN_POSITIVE
}

#[track_caller]
pub fn assert_close<T: Float>(what: &str, got: T, want: f64, tol: f64) {
    let err = (got.to_f64() - want).abs();
    assert!(
        err <= tol,
        "{what} ({}): got {got}, want {want}, error {err:e} > bound {tol:e}",
        T::NAME
    );
}
