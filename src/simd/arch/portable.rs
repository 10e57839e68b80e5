//! The portable backend: plain Rust on four-element arrays, which LLVM turns into whatever
//! SIMD the compile target has as baseline. No CPU check is needed.

use crate::simd::arch::generic::{Vector, kernel_table};
use crate::simd::element::Real;
use crate::simd::kernels::Kernels;

/// Four lanes of plain scalars.
#[derive(Clone, Copy)]
pub(crate) struct Lanes4<T>([T; 4]);

impl<T: Real + Copy> Lanes4<T> {
    #[inline(always)]
    fn map2(self, o: Self, f: impl Fn(T, T) -> T) -> Self {
        let [a0, a1, a2, a3] = self.0;
        let [b0, b1, b2, b3] = o.0;
        Lanes4([f(a0, b0), f(a1, b1), f(a2, b2), f(a3, b3)])
    }

    #[inline(always)]
    fn mask(self, f: impl Fn(T) -> bool) -> u32 {
        self.0
            .iter()
            .enumerate()
            .fold(0, |m, (i, &v)| if f(v) { m | (1 << i) } else { m })
    }
}

// SAFETY: plain Rust, runs on every CPU. `load`/`store` touch exactly 4 elements at `p`,
// which the generic code guarantees are inside a slice.
unsafe impl<T: Real + Copy + PartialOrd> Vector for Lanes4<T> {
    type Elem = T;
    const LANES: usize = 4;
    // Fused scalar operations are a libm call on most targets: far slower than mul + add.
    const FUSED: bool = false;

    #[inline(always)]
    unsafe fn splat(x: T) -> Self {
        Lanes4([x; 4])
    }
    #[inline(always)]
    unsafe fn load(p: *const T) -> Self {
        // SAFETY: the caller passes a pointer to 4 readable elements.
        Lanes4(unsafe { p.cast::<[T; 4]>().read_unaligned() })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut T) {
        // SAFETY: the caller passes a pointer to 4 writable elements.
        unsafe { p.cast::<[T; 4]>().write_unaligned(self.0) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        self.map2(o, T::add)
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        self.map2(o, T::sub)
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        self.map2(o, T::mul)
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        self.map2(b, T::mul).map2(c, T::add)
    }
    #[inline(always)]
    unsafe fn min(self, o: Self) -> Self {
        self.map2(o, |a, b| if b < a { b } else { a })
    }
    #[inline(always)]
    unsafe fn max(self, o: Self) -> Self {
        self.map2(o, |a, b| if b > a { b } else { a })
    }
    #[inline(always)]
    unsafe fn nan_or(self, acc: Self) -> Self {
        self.map2(acc, |v, a| if v.is_nan() { T::NAN } else { a })
    }
    #[inline(always)]
    unsafe fn eq_mask(self, o: Self) -> u32 {
        let [b0, b1, b2, b3] = o.0;
        let b = [b0, b1, b2, b3];
        self.0
            .iter()
            .zip(b)
            .enumerate()
            .fold(0, |m, (i, (&x, y))| if x == y { m | (1 << i) } else { m })
    }
    #[inline(always)]
    unsafe fn nan_mask(self) -> u32 {
        self.mask(T::is_nan)
    }
}

kernel_table!(mod f32s, super::Lanes4<f32>, f32, crate::simd::Backend::Scalar, true);
kernel_table!(mod f64s, super::Lanes4<f64>, f64, crate::simd::Backend::Scalar, true);

/// The portable tables, which need no CPU check: the fallback when nothing else is available.
pub(crate) static F32: &Kernels<f32> = &f32s::TABLE;
/// See [`F32`].
pub(crate) static F64: &Kernels<f64> = &f64s::TABLE;
