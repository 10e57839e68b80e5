//! NEON: 128-bit registers with a fused multiply-add (`vfmaq`).

use core::arch::aarch64::*;

use crate::simd::arch::generic::{Vector, kernel_table};

#[derive(Clone, Copy)]
pub(crate) struct F32x4(float32x4_t);
#[derive(Clone, Copy)]
pub(crate) struct F64x2(float64x2_t);

/// Bit `i` set when lane `i` of the comparison result is all ones.
#[inline(always)]
fn bits<const N: usize>(lanes: [u64; N]) -> u32 {
    lanes
        .iter()
        .enumerate()
        .fold(0, |m, (i, &l)| if l != 0 { m | (1 << i) } else { m })
}

// SAFETY: every method uses NEON instructions only, and the trait's contract makes callers
// check NEON support. `load`/`store` access exactly LANES elements at `p`, which the generic
// code guarantees lie inside a slice.
unsafe impl Vector for F32x4 {
    type Elem = f32;
    const LANES: usize = 4;
    const FUSED: bool = true;
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: NEON present (trait contract); register-only operation.
        F32x4(unsafe { vdupq_n_f32(x) })
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: NEON present (trait contract); `p` points to LANES readable elements.
        F32x4(unsafe { vld1q_f32(p) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: NEON present (trait contract); `p` points to LANES writable elements.
        unsafe { vst1q_f32(p, self.0) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: NEON present (trait contract); register-only operation.
        F32x4(unsafe { vaddq_f32(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        // SAFETY: NEON present (trait contract); register-only operation.
        F32x4(unsafe { vsubq_f32(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // SAFETY: NEON present (trait contract); register-only operation.
        F32x4(unsafe { vmulq_f32(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: NEON present (trait contract); register-only operation.
        F32x4(unsafe { vfmaq_f32(c.0, self.0, b.0) })
    }
    #[inline(always)]
    unsafe fn min(self, o: Self) -> Self {
        // SAFETY: NEON present (trait contract); register-only operation.
        F32x4(unsafe { vminq_f32(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn max(self, o: Self) -> Self {
        // SAFETY: NEON present (trait contract); register-only operation.
        F32x4(unsafe { vmaxq_f32(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn nan_or(self, acc: Self) -> Self {
        // SAFETY: NEON present (trait contract); register-only operation.
        F32x4(unsafe {
            let not_nan = vceqq_f32(self.0, self.0);
            vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(acc.0), vmvnq_u32(not_nan)))
        })
    }
    #[inline(always)]
    unsafe fn eq_mask(self, o: Self) -> u32 {
        // SAFETY: NEON present (trait contract); register-only operation.
        let m = unsafe { vceqq_f32(self.0, o.0) };
        // SAFETY: as above; lane indices are constants below LANES.
        let lanes = unsafe {
            [
                vgetq_lane_u32::<0>(m),
                vgetq_lane_u32::<1>(m),
                vgetq_lane_u32::<2>(m),
                vgetq_lane_u32::<3>(m),
            ]
        };
        bits(lanes.map(u64::from))
    }
    #[inline(always)]
    unsafe fn nan_mask(self) -> u32 {
        // SAFETY: NEON present (trait contract); register-only operation.
        let m = unsafe { vmvnq_u32(vceqq_f32(self.0, self.0)) };
        // SAFETY: as above; lane indices are constants below LANES.
        let lanes = unsafe {
            [
                vgetq_lane_u32::<0>(m),
                vgetq_lane_u32::<1>(m),
                vgetq_lane_u32::<2>(m),
                vgetq_lane_u32::<3>(m),
            ]
        };
        bits(lanes.map(u64::from))
    }
}

// SAFETY: as for `F32x4`: NEON only; loads/stores of exactly LANES elements.
unsafe impl Vector for F64x2 {
    type Elem = f64;
    const LANES: usize = 2;
    const FUSED: bool = true;
    #[inline(always)]
    unsafe fn splat(x: f64) -> Self {
        // SAFETY: NEON present (trait contract); register-only operation.
        F64x2(unsafe { vdupq_n_f64(x) })
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> Self {
        // SAFETY: NEON present (trait contract); `p` points to LANES readable elements.
        F64x2(unsafe { vld1q_f64(p) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f64) {
        // SAFETY: NEON present (trait contract); `p` points to LANES writable elements.
        unsafe { vst1q_f64(p, self.0) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: NEON present (trait contract); register-only operation.
        F64x2(unsafe { vaddq_f64(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        // SAFETY: NEON present (trait contract); register-only operation.
        F64x2(unsafe { vsubq_f64(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // SAFETY: NEON present (trait contract); register-only operation.
        F64x2(unsafe { vmulq_f64(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: NEON present (trait contract); register-only operation.
        F64x2(unsafe { vfmaq_f64(c.0, self.0, b.0) })
    }
    #[inline(always)]
    unsafe fn min(self, o: Self) -> Self {
        // SAFETY: NEON present (trait contract); register-only operation.
        F64x2(unsafe { vminq_f64(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn max(self, o: Self) -> Self {
        // SAFETY: NEON present (trait contract); register-only operation.
        F64x2(unsafe { vmaxq_f64(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn nan_or(self, acc: Self) -> Self {
        // SAFETY: NEON present (trait contract); register-only operation.
        F64x2(unsafe {
            let nan = vmvnq_u32(vreinterpretq_u32_u64(vceqq_f64(self.0, self.0)));
            vreinterpretq_f64_u32(vorrq_u32(vreinterpretq_u32_f64(acc.0), nan))
        })
    }
    #[inline(always)]
    unsafe fn eq_mask(self, o: Self) -> u32 {
        // SAFETY: NEON present (trait contract); register-only operation.
        let m = unsafe { vceqq_f64(self.0, o.0) };
        // SAFETY: as above; lane indices are constants below LANES.
        bits(unsafe { [vgetq_lane_u64::<0>(m), vgetq_lane_u64::<1>(m)] })
    }
    #[inline(always)]
    unsafe fn nan_mask(self) -> u32 {
        // SAFETY: NEON present (trait contract); register-only operation.
        let m = unsafe { vceqq_f64(self.0, self.0) };
        // SAFETY: as above; lane indices are constants below LANES.
        let lanes = unsafe { [vgetq_lane_u64::<0>(m), vgetq_lane_u64::<1>(m)] };
        bits(lanes.map(|l| u64::from(l == 0)))
    }
}

kernel_table!(
    #[target_feature(enable = "neon")]
    mod f32s, super::F32x4, f32, crate::simd::Backend::Neon,
    std::arch::is_aarch64_feature_detected!("neon")
);
kernel_table!(
    #[target_feature(enable = "neon")]
    mod f64s, super::F64x2, f64, crate::simd::Backend::Neon,
    std::arch::is_aarch64_feature_detected!("neon")
);
