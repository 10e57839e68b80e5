//! The sealed element trait: `f32` and `f64`, nothing else.
#![forbid(unsafe_code)]

use core::ops::{Add, Div, Mul, Sub};

use super::Simd;
use super::kernels::Kernels;

/// A floating-point type the kernels run on: `f32` or `f64`. Sealed: the backends are written
/// for exactly these two.
pub trait Element:
    sealed::Sealed
    + Copy
    + PartialOrd
    + core::fmt::Debug
    + Default
    + Send
    + Sync
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + 'static
{
}

impl Element for f32 {}
impl Element for f64 {}

pub(crate) mod sealed {
    use super::{Kernels, Simd};

    /// Public in a private module so `Element` is sealed. The methods are prefixed so they
    /// cannot clash with a caller's methods on `T: Element`.
    pub trait Sealed: Sized {
        #[doc(hidden)]
        fn __kernels(simd: &Simd) -> &'static Kernels<Self>;
        #[doc(hidden)]
        fn __sqrt(self) -> Self;
        #[doc(hidden)]
        fn __is_nan(self) -> bool;
        #[doc(hidden)]
        fn __from_usize(n: usize) -> Self;
    }

    macro_rules! sealed_float {
        ($t:ty, $field:ident) => {
            impl Sealed for $t {
                #[inline(always)]
                fn __kernels(simd: &Simd) -> &'static Kernels<Self> {
                    simd.$field
                }
                #[inline(always)]
                fn __sqrt(self) -> Self {
                    <$t>::sqrt(self)
                }
                #[inline(always)]
                fn __is_nan(self) -> bool {
                    <$t>::is_nan(self)
                }
                #[inline(always)]
                fn __from_usize(n: usize) -> Self {
                    n as $t
                }
            }
        };
    }
    sealed_float!(f32, f32);
    sealed_float!(f64, f64);
}

/// The scalar arithmetic the backends need, by name so generic code reads like the vector
/// code beside it. Crate-private, so it never shows on `T: Element`.
pub(crate) trait Real: Copy + PartialOrd {
    const ZERO: Self;
    const NAN: Self;
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    /// One rounding, on every backend (software `fma` where the CPU has none).
    fn fused(self, b: Self, c: Self) -> Self;
    fn is_nan(self) -> bool;
}

macro_rules! real {
    ($t:ty) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const NAN: Self = <$t>::NAN;
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                self + o
            }
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                self - o
            }
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                self * o
            }
            #[inline(always)]
            fn fused(self, b: Self, c: Self) -> Self {
                self.mul_add(b, c)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
        }
    };
}
real!(f32);
real!(f64);
