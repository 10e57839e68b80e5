//! AVX2 + FMA: 256-bit registers with a fused multiply-add.

use core::arch::x86_64::*;

use crate::simd::arch::generic::{Vector, kernel_table};

#[derive(Clone, Copy)]
pub(crate) struct F32x8(__m256);
#[derive(Clone, Copy)]
pub(crate) struct F64x4(__m256d);

// SAFETY: every method uses AVX, AVX2 and FMA instructions only, and the trait's contract makes callers
// check AVX2 and FMA support. `load`/`store` access
// exactly LANES elements at `p`, which the generic code guarantees lie inside a slice.
unsafe impl Vector for F32x8 {
    type Elem = f32;
    const LANES: usize = 8;
    const FUSED: bool = true;
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: AVX2 + FMA present (trait contract); register-only operation.
        F32x8(unsafe { _mm256_set1_ps(x) })
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: AVX2 + FMA present (trait contract); `p` points to LANES readable elements.
        F32x8(unsafe { _mm256_loadu_ps(p) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: AVX2 + FMA present (trait contract); `p` points to LANES writable elements.
        unsafe { _mm256_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: AVX2 + FMA present (trait contract); register-only operation.
        F32x8(unsafe { _mm256_add_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        // SAFETY: AVX2 + FMA present (trait contract); register-only operation.
        F32x8(unsafe { _mm256_sub_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // SAFETY: AVX2 + FMA present (trait contract); register-only operation.
        F32x8(unsafe { _mm256_mul_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: AVX2 + FMA present (trait contract); register-only operation.
        F32x8(unsafe { _mm256_fmadd_ps(self.0, b.0, c.0) })
    }
    #[inline(always)]
    unsafe fn min(self, o: Self) -> Self {
        // SAFETY: AVX2 + FMA present (trait contract); register-only operation.
        F32x8(unsafe { _mm256_min_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn max(self, o: Self) -> Self {
        // SAFETY: AVX2 + FMA present (trait contract); register-only operation.
        F32x8(unsafe { _mm256_max_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn nan_or(self, acc: Self) -> Self {
        // SAFETY: AVX2 + FMA present (trait contract); register-only operation.
        F32x8(unsafe { _mm256_or_ps(acc.0, _mm256_cmp_ps::<_CMP_UNORD_Q>(self.0, self.0)) })
    }
    #[inline(always)]
    unsafe fn eq_mask(self, o: Self) -> u32 {
        // SAFETY: AVX2 + FMA present (trait contract); register-only operation.
        unsafe { _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_EQ_OQ>(self.0, o.0)) as u32 }
    }
    #[inline(always)]
    unsafe fn nan_mask(self) -> u32 {
        // SAFETY: AVX2 + FMA present (trait contract); register-only operation.
        unsafe { _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_UNORD_Q>(self.0, self.0)) as u32 }
    }
}

// SAFETY: as for `F32x8`: AVX2 + FMA only; loads/stores of exactly LANES elements.
unsafe impl Vector for F64x4 {
    type Elem = f64;
    const LANES: usize = 4;
    const FUSED: bool = true;
    #[inline(always)]
    unsafe fn splat(x: f64) -> Self {
        // SAFETY: AVX2 + FMA present (trait contract); register-only operation.
        F64x4(unsafe { _mm256_set1_pd(x) })
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> Self {
        // SAFETY: AVX2 + FMA present (trait contract); `p` points to LANES readable elements.
        F64x4(unsafe { _mm256_loadu_pd(p) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f64) {
        // SAFETY: AVX2 + FMA present (trait contract); `p` points to LANES writable elements.
        unsafe { _mm256_storeu_pd(p, self.0) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: AVX2 + FMA present (trait contract); register-only operation.
        F64x4(unsafe { _mm256_add_pd(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        // SAFETY: AVX2 + FMA present (trait contract); register-only operation.
        F64x4(unsafe { _mm256_sub_pd(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // SAFETY: AVX2 + FMA present (trait contract); register-only operation.
        F64x4(unsafe { _mm256_mul_pd(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: AVX2 + FMA present (trait contract); register-only operation.
        F64x4(unsafe { _mm256_fmadd_pd(self.0, b.0, c.0) })
    }
    #[inline(always)]
    unsafe fn min(self, o: Self) -> Self {
        // SAFETY: AVX2 + FMA present (trait contract); register-only operation.
        F64x4(unsafe { _mm256_min_pd(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn max(self, o: Self) -> Self {
        // SAFETY: AVX2 + FMA present (trait contract); register-only operation.
        F64x4(unsafe { _mm256_max_pd(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn nan_or(self, acc: Self) -> Self {
        // SAFETY: AVX2 + FMA present (trait contract); register-only operation.
        F64x4(unsafe { _mm256_or_pd(acc.0, _mm256_cmp_pd::<_CMP_UNORD_Q>(self.0, self.0)) })
    }
    #[inline(always)]
    unsafe fn eq_mask(self, o: Self) -> u32 {
        // SAFETY: AVX2 + FMA present (trait contract); register-only operation.
        unsafe { _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_EQ_OQ>(self.0, o.0)) as u32 }
    }
    #[inline(always)]
    unsafe fn nan_mask(self) -> u32 {
        // SAFETY: AVX2 + FMA present (trait contract); register-only operation.
        unsafe { _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_UNORD_Q>(self.0, self.0)) as u32 }
    }
}

kernel_table!(
    #[target_feature(enable = "avx2,fma")]
    mod f32s, super::F32x8, f32, crate::simd::Backend::Avx2Fma,
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
);
kernel_table!(
    #[target_feature(enable = "avx2,fma")]
    mod f64s, super::F64x4, f64, crate::simd::Backend::Avx2Fma,
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
);
