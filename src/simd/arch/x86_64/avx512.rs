//! AVX-512F: 512-bit registers, fused multiply-add, compare results in mask registers.
//!
//! Only AVX-512 Foundation instructions are used, so every AVX-512 CPU runs this backend
//! (Skylake-SP and later, Zen 4 and later). Bitwise operations on floats (`vorps` on zmm) are
//! AVX-512DQ, so the NaN flag is kept with a masked move instead.

use core::arch::x86_64::*;

use crate::simd::arch::generic::{Vector, kernel_table};

#[derive(Clone, Copy)]
pub(crate) struct F32x16(__m512);
#[derive(Clone, Copy)]
pub(crate) struct F64x8(__m512d);

// SAFETY: every method uses AVX-512F instructions only, and the trait's contract makes callers
// check AVX-512F support. `load`/`store` access exactly LANES elements at `p`, which the
// generic code guarantees lie inside a slice.
unsafe impl Vector for F32x16 {
    type Elem = f32;
    const LANES: usize = 16;
    const FUSED: bool = true;
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: AVX-512F present (trait contract); register-only operation.
        F32x16(unsafe { _mm512_set1_ps(x) })
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: AVX-512F present (trait contract); `p` points to LANES readable elements.
        F32x16(unsafe { _mm512_loadu_ps(p) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: AVX-512F present (trait contract); `p` points to LANES writable elements.
        unsafe { _mm512_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: AVX-512F present (trait contract); register-only operation.
        F32x16(unsafe { _mm512_add_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        // SAFETY: AVX-512F present (trait contract); register-only operation.
        F32x16(unsafe { _mm512_sub_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // SAFETY: AVX-512F present (trait contract); register-only operation.
        F32x16(unsafe { _mm512_mul_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: AVX-512F present (trait contract); register-only operation.
        F32x16(unsafe { _mm512_fmadd_ps(self.0, b.0, c.0) })
    }
    #[inline(always)]
    unsafe fn min(self, o: Self) -> Self {
        // SAFETY: AVX-512F present (trait contract); register-only operation.
        F32x16(unsafe { _mm512_min_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn max(self, o: Self) -> Self {
        // SAFETY: AVX-512F present (trait contract); register-only operation.
        F32x16(unsafe { _mm512_max_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn nan_or(self, acc: Self) -> Self {
        // SAFETY: AVX-512F present (trait contract); register-only operations.
        unsafe {
            let nan = _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(self.0, self.0);
            let ones = _mm512_castsi512_ps(_mm512_set1_epi32(-1));
            F32x16(_mm512_mask_mov_ps(acc.0, nan, ones))
        }
    }
    #[inline(always)]
    unsafe fn eq_mask(self, o: Self) -> u32 {
        // SAFETY: AVX-512F present (trait contract); register-only operation.
        u32::from(unsafe { _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn nan_mask(self) -> u32 {
        // SAFETY: AVX-512F present (trait contract); register-only operation.
        u32::from(unsafe { _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(self.0, self.0) })
    }
}

// SAFETY: as for `F32x16`: AVX-512F only; loads/stores of exactly LANES elements.
unsafe impl Vector for F64x8 {
    type Elem = f64;
    const LANES: usize = 8;
    const FUSED: bool = true;
    #[inline(always)]
    unsafe fn splat(x: f64) -> Self {
        // SAFETY: AVX-512F present (trait contract); register-only operation.
        F64x8(unsafe { _mm512_set1_pd(x) })
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> Self {
        // SAFETY: AVX-512F present (trait contract); `p` points to LANES readable elements.
        F64x8(unsafe { _mm512_loadu_pd(p) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f64) {
        // SAFETY: AVX-512F present (trait contract); `p` points to LANES writable elements.
        unsafe { _mm512_storeu_pd(p, self.0) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: AVX-512F present (trait contract); register-only operation.
        F64x8(unsafe { _mm512_add_pd(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        // SAFETY: AVX-512F present (trait contract); register-only operation.
        F64x8(unsafe { _mm512_sub_pd(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // SAFETY: AVX-512F present (trait contract); register-only operation.
        F64x8(unsafe { _mm512_mul_pd(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: AVX-512F present (trait contract); register-only operation.
        F64x8(unsafe { _mm512_fmadd_pd(self.0, b.0, c.0) })
    }
    #[inline(always)]
    unsafe fn min(self, o: Self) -> Self {
        // SAFETY: AVX-512F present (trait contract); register-only operation.
        F64x8(unsafe { _mm512_min_pd(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn max(self, o: Self) -> Self {
        // SAFETY: AVX-512F present (trait contract); register-only operation.
        F64x8(unsafe { _mm512_max_pd(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn nan_or(self, acc: Self) -> Self {
        // SAFETY: AVX-512F present (trait contract); register-only operations.
        unsafe {
            let nan = _mm512_cmp_pd_mask::<_CMP_UNORD_Q>(self.0, self.0);
            let ones = _mm512_castsi512_pd(_mm512_set1_epi64(-1));
            F64x8(_mm512_mask_mov_pd(acc.0, nan, ones))
        }
    }
    #[inline(always)]
    unsafe fn eq_mask(self, o: Self) -> u32 {
        // SAFETY: AVX-512F present (trait contract); register-only operation.
        u32::from(unsafe { _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn nan_mask(self) -> u32 {
        // SAFETY: AVX-512F present (trait contract); register-only operation.
        u32::from(unsafe { _mm512_cmp_pd_mask::<_CMP_UNORD_Q>(self.0, self.0) })
    }
}

kernel_table!(
    #[target_feature(enable = "avx512f")]
    mod f32s, super::F32x16, f32, crate::simd::Backend::Avx512F,
    std::arch::is_x86_feature_detected!("avx512f")
);
kernel_table!(
    #[target_feature(enable = "avx512f")]
    mod f64s, super::F64x8, f64, crate::simd::Backend::Avx512F,
    std::arch::is_x86_feature_detected!("avx512f")
);
