//! SSE2: 128-bit registers, no fused multiply-add (element-wise `fma`/`axpy` use the scalar
//! fused operation so results match the other backends bit for bit).

use core::arch::x86_64::*;

use crate::simd::arch::generic::{Vector, kernel_table};

#[derive(Clone, Copy)]
pub(crate) struct F32x4(__m128);
#[derive(Clone, Copy)]
pub(crate) struct F64x2(__m128d);

// SAFETY: every method uses SSE2 instructions only, and the trait's contract makes callers
// check SSE2 support (part of the x86_64 baseline, so always present). `load`/`store` access
// exactly LANES elements at `p`, which the generic code guarantees lie inside a slice.
unsafe impl Vector for F32x4 {
    type Elem = f32;
    const LANES: usize = 4;
    const FUSED: bool = false;
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: SSE2 present (trait contract); register-only operation.
        F32x4(unsafe { _mm_set1_ps(x) })
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: SSE2 present (trait contract); `p` points to LANES readable elements.
        F32x4(unsafe { _mm_loadu_ps(p) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: SSE2 present (trait contract); `p` points to LANES writable elements.
        unsafe { _mm_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: SSE2 present (trait contract); register-only operation.
        F32x4(unsafe { _mm_add_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        // SAFETY: SSE2 present (trait contract); register-only operation.
        F32x4(unsafe { _mm_sub_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // SAFETY: SSE2 present (trait contract); register-only operation.
        F32x4(unsafe { _mm_mul_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: SSE2 present (trait contract); register-only operation.
        F32x4(unsafe { _mm_add_ps(_mm_mul_ps(self.0, b.0), c.0) })
    }
    #[inline(always)]
    unsafe fn min(self, o: Self) -> Self {
        // SAFETY: SSE2 present (trait contract); register-only operation.
        F32x4(unsafe { _mm_min_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn max(self, o: Self) -> Self {
        // SAFETY: SSE2 present (trait contract); register-only operation.
        F32x4(unsafe { _mm_max_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn nan_or(self, acc: Self) -> Self {
        // SAFETY: SSE2 present (trait contract); register-only operation.
        F32x4(unsafe { _mm_or_ps(acc.0, _mm_cmpunord_ps(self.0, self.0)) })
    }
    #[inline(always)]
    unsafe fn eq_mask(self, o: Self) -> u32 {
        // SAFETY: SSE2 present (trait contract); register-only operation.
        unsafe { _mm_movemask_ps(_mm_cmpeq_ps(self.0, o.0)) as u32 }
    }
    #[inline(always)]
    unsafe fn nan_mask(self) -> u32 {
        // SAFETY: SSE2 present (trait contract); register-only operation.
        unsafe { _mm_movemask_ps(_mm_cmpunord_ps(self.0, self.0)) as u32 }
    }
}

// SAFETY: as for `F32x4`: SSE2 only; loads/stores of exactly LANES elements.
unsafe impl Vector for F64x2 {
    type Elem = f64;
    const LANES: usize = 2;
    const FUSED: bool = false;
    #[inline(always)]
    unsafe fn splat(x: f64) -> Self {
        // SAFETY: SSE2 present (trait contract); register-only operation.
        F64x2(unsafe { _mm_set1_pd(x) })
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> Self {
        // SAFETY: SSE2 present (trait contract); `p` points to LANES readable elements.
        F64x2(unsafe { _mm_loadu_pd(p) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f64) {
        // SAFETY: SSE2 present (trait contract); `p` points to LANES writable elements.
        unsafe { _mm_storeu_pd(p, self.0) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: SSE2 present (trait contract); register-only operation.
        F64x2(unsafe { _mm_add_pd(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        // SAFETY: SSE2 present (trait contract); register-only operation.
        F64x2(unsafe { _mm_sub_pd(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // SAFETY: SSE2 present (trait contract); register-only operation.
        F64x2(unsafe { _mm_mul_pd(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: SSE2 present (trait contract); register-only operation.
        F64x2(unsafe { _mm_add_pd(_mm_mul_pd(self.0, b.0), c.0) })
    }
    #[inline(always)]
    unsafe fn min(self, o: Self) -> Self {
        // SAFETY: SSE2 present (trait contract); register-only operation.
        F64x2(unsafe { _mm_min_pd(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn max(self, o: Self) -> Self {
        // SAFETY: SSE2 present (trait contract); register-only operation.
        F64x2(unsafe { _mm_max_pd(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn nan_or(self, acc: Self) -> Self {
        // SAFETY: SSE2 present (trait contract); register-only operation.
        F64x2(unsafe { _mm_or_pd(acc.0, _mm_cmpunord_pd(self.0, self.0)) })
    }
    #[inline(always)]
    unsafe fn eq_mask(self, o: Self) -> u32 {
        // SAFETY: SSE2 present (trait contract); register-only operation.
        unsafe { _mm_movemask_pd(_mm_cmpeq_pd(self.0, o.0)) as u32 }
    }
    #[inline(always)]
    unsafe fn nan_mask(self) -> u32 {
        // SAFETY: SSE2 present (trait contract); register-only operation.
        unsafe { _mm_movemask_pd(_mm_cmpunord_pd(self.0, self.0)) as u32 }
    }
}

kernel_table!(
    #[target_feature(enable = "sse2")]
    mod f32s, super::F32x4, f32, crate::simd::Backend::Sse2,
    std::arch::is_x86_feature_detected!("sse2")
);
kernel_table!(
    #[target_feature(enable = "sse2")]
    mod f64s, super::F64x2, f64, crate::simd::Backend::Sse2,
    std::arch::is_x86_feature_detected!("sse2")
);
