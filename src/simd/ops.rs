//! The kernels as methods of a [`Simd`] handle: argument checks, then one call through the
//! backend's table.
#![forbid(unsafe_code)]

use super::{Element, Simd, SimdError};

/// Elements per deterministic block: a multiple of the 16-lane layout, small enough that the
/// per-block partials of a large input fit in cache, large enough that combining them is cheap.
pub(crate) const DET_BLOCK: usize = 4096;

pub(crate) fn same_len(name: &'static str, expected: usize, found: usize) -> Result<(), SimdError> {
    if expected == found {
        Ok(())
    } else {
        Err(SimdError::LengthMismatch {
            name,
            expected,
            found,
        })
    }
}

/// Sums partials left to right, starting from the first, so one partial comes back unchanged.
pub(crate) fn fold_in_order<T: Element>(parts: impl IntoIterator<Item = T>) -> T {
    let mut it = parts.into_iter();
    let first = it.next().unwrap_or_default();
    it.fold(first, |acc, p| acc + p)
}

/// [`fold_in_order`] for each of the three cosine parts.
pub(crate) fn fold3_in_order<T: Element>(parts: impl IntoIterator<Item = [T; 3]>) -> [T; 3] {
    let mut it = parts.into_iter();
    let first = it.next().unwrap_or_default();
    it.fold(first, |[x, y, z], [p, q, r]| [x + p, y + q, z + r])
}

pub(crate) fn finish_cosine<T: Element>([ab, aa, bb]: [T; 3]) -> Result<T, SimdError> {
    let denom = aa.__sqrt() * bb.__sqrt();
    if denom == T::default() {
        return Err(SimdError::ZeroNorm);
    }
    let c = ab / denom;
    let one = T::__from_usize(1);
    let minus_one = T::default() - one;
    // Rounding can push |c| a hair past 1; NaN stays NaN (both comparisons are false).
    Ok(if c > one {
        one
    } else if c < minus_one {
        minus_one
    } else {
        c
    })
}

impl Simd {
    /// `out[i] = a[i] + b[i]`. Exact (one IEEE addition per element) on every backend.
    pub fn add<T: Element>(&self, a: &[T], b: &[T], out: &mut [T]) -> Result<(), SimdError> {
        same_len("b", a.len(), b.len())?;
        same_len("out", a.len(), out.len())?;
        (T::__kernels(self).add)(a, b, out);
        Ok(())
    }

    /// `out[i] = a[i] - b[i]`. Exact on every backend.
    pub fn sub<T: Element>(&self, a: &[T], b: &[T], out: &mut [T]) -> Result<(), SimdError> {
        same_len("b", a.len(), b.len())?;
        same_len("out", a.len(), out.len())?;
        (T::__kernels(self).sub)(a, b, out);
        Ok(())
    }

    /// `out[i] = a[i] * b[i]`. Exact on every backend.
    pub fn mul<T: Element>(&self, a: &[T], b: &[T], out: &mut [T]) -> Result<(), SimdError> {
        same_len("b", a.len(), b.len())?;
        same_len("out", a.len(), out.len())?;
        (T::__kernels(self).mul)(a, b, out);
        Ok(())
    }

    /// `out[i] = alpha * x[i]`. Exact on every backend.
    pub fn scale<T: Element>(&self, x: &[T], alpha: T, out: &mut [T]) -> Result<(), SimdError> {
        same_len("out", x.len(), out.len())?;
        (T::__kernels(self).scale)(x, alpha, out);
        Ok(())
    }

    /// `out[i] = alpha * x[i] + y[i]` with one rounding (fused), identical on every backend.
    /// SSE2 and the scalar backend have no fused instruction and use the (slower) software
    /// fused multiply-add, so the bits match the AVX2 and NEON results.
    pub fn axpy<T: Element>(
        &self,
        alpha: T,
        x: &[T],
        y: &[T],
        out: &mut [T],
    ) -> Result<(), SimdError> {
        same_len("y", x.len(), y.len())?;
        same_len("out", x.len(), out.len())?;
        (T::__kernels(self).axpy)(alpha, x, y, out);
        Ok(())
    }

    /// `out[i] = a[i] * b[i] + c[i]` with one rounding (fused), identical on every backend
    /// (see [`Simd::axpy`] for the backends without a fused instruction).
    pub fn fma<T: Element>(
        &self,
        a: &[T],
        b: &[T],
        c: &[T],
        out: &mut [T],
    ) -> Result<(), SimdError> {
        same_len("b", a.len(), b.len())?;
        same_len("c", a.len(), c.len())?;
        same_len("out", a.len(), out.len())?;
        (T::__kernels(self).fma)(a, b, c, out);
        Ok(())
    }

    /// `Σ x[i]`; 0 for an empty slice. Several independent accumulators, so the summation
    /// order (and the last bits) depend on the backend; see [`Simd::sum_deterministic`].
    pub fn sum<T: Element>(&self, x: &[T]) -> T {
        (T::__kernels(self).sum)(x)
    }

    /// `Σ a[i]·b[i]`; 0 for empty slices. Fused multiply-adds where the backend has them.
    pub fn dot<T: Element>(&self, a: &[T], b: &[T]) -> Result<T, SimdError> {
        same_len("b", a.len(), b.len())?;
        Ok((T::__kernels(self).dot)(a, b))
    }

    /// `Σ w[i]·x[i]`: the values weighted, not normalised (divide by `sum(weights)` for a
    /// weighted mean); 0 for empty slices.
    pub fn weighted_sum<T: Element>(&self, values: &[T], weights: &[T]) -> Result<T, SimdError> {
        same_len("weights", values.len(), weights.len())?;
        Ok((T::__kernels(self).dot)(values, weights))
    }

    /// `Σ (a[i] - b[i])²`, the squared Euclidean distance; 0 for empty slices.
    pub fn l2_squared<T: Element>(&self, a: &[T], b: &[T]) -> Result<T, SimdError> {
        same_len("b", a.len(), b.len())?;
        Ok((T::__kernels(self).l2_squared)(a, b))
    }

    /// `a·b / (‖a‖·‖b‖)`, clamped to [-1, 1]. [`SimdError::Empty`] for empty slices,
    /// [`SimdError::ZeroNorm`] when either vector is all zeros; NaN when an input holds NaN.
    pub fn cosine<T: Element>(&self, a: &[T], b: &[T]) -> Result<T, SimdError> {
        same_len("b", a.len(), b.len())?;
        if a.is_empty() {
            return Err(SimdError::Empty);
        }
        finish_cosine((T::__kernels(self).cosine_parts)(a, b))
    }

    /// The arithmetic mean; [`SimdError::Empty`] for an empty slice.
    pub fn mean<T: Element>(&self, x: &[T]) -> Result<T, SimdError> {
        if x.is_empty() {
            return Err(SimdError::Empty);
        }
        Ok(self.sum(x) / T::__from_usize(x.len()))
    }

    /// The population variance `Σ (x[i] - mean)² / n`, computed in two passes (mean, then the
    /// squared deviations) so it does not cancel catastrophically; [`SimdError::Empty`] for an
    /// empty slice.
    pub fn variance<T: Element>(&self, x: &[T]) -> Result<T, SimdError> {
        let m = self.mean(x)?;
        Ok((T::__kernels(self).sq_dev)(x, m) / T::__from_usize(x.len()))
    }

    /// The smallest element; `None` for an empty slice, NaN if any element is NaN. Of `-0.0`
    /// and `0.0` (which compare equal) either may be returned.
    pub fn min<T: Element>(&self, x: &[T]) -> Option<T> {
        (!x.is_empty()).then(|| (T::__kernels(self).min)(x))
    }

    /// The largest element; `None` for an empty slice, NaN if any element is NaN. Of `-0.0`
    /// and `0.0` either may be returned.
    pub fn max<T: Element>(&self, x: &[T]) -> Option<T> {
        (!x.is_empty()).then(|| (T::__kernels(self).max)(x))
    }

    /// The index of the first smallest element; `None` for an empty slice; if any element is
    /// NaN, the index of the first NaN (NaN is treated as the extreme, like [`Simd::min`]).
    /// `-0.0` and `0.0` tie, so the first of them wins.
    pub fn argmin<T: Element>(&self, x: &[T]) -> Option<usize> {
        let k = T::__kernels(self);
        let m = self.min(x)?;
        (k.position)(x, m)
    }

    /// The index of the first largest element; `None` for an empty slice; if any element is
    /// NaN, the index of the first NaN.
    pub fn argmax<T: Element>(&self, x: &[T]) -> Option<usize> {
        let k = T::__kernels(self);
        let m = self.max(x)?;
        (k.position)(x, m)
    }

    /// `Σ x[i]` with the deterministic layout: bit-identical on every backend and every
    /// thread count (see [`crate::simd`], "Deterministic mode"); 0 for an empty slice.
    pub fn sum_deterministic<T: Element>(&self, x: &[T]) -> T {
        let k = T::__kernels(self);
        fold_in_order(x.chunks(DET_BLOCK).map(k.det_sum))
    }

    /// `Σ a[i]·b[i]` with the deterministic layout (separate multiply and add, never fused).
    pub fn dot_deterministic<T: Element>(&self, a: &[T], b: &[T]) -> Result<T, SimdError> {
        same_len("b", a.len(), b.len())?;
        let k = T::__kernels(self);
        Ok(fold_in_order(
            a.chunks(DET_BLOCK)
                .zip(b.chunks(DET_BLOCK))
                .map(|(x, y)| (k.det_dot)(x, y)),
        ))
    }

    /// `Σ (a[i] - b[i])²` with the deterministic layout.
    pub fn l2_squared_deterministic<T: Element>(&self, a: &[T], b: &[T]) -> Result<T, SimdError> {
        same_len("b", a.len(), b.len())?;
        let k = T::__kernels(self);
        Ok(fold_in_order(
            a.chunks(DET_BLOCK)
                .zip(b.chunks(DET_BLOCK))
                .map(|(x, y)| (k.det_l2)(x, y)),
        ))
    }

    /// The mean from [`Simd::sum_deterministic`]; [`SimdError::Empty`] for an empty slice.
    pub fn mean_deterministic<T: Element>(&self, x: &[T]) -> Result<T, SimdError> {
        if x.is_empty() {
            return Err(SimdError::Empty);
        }
        Ok(self.sum_deterministic(x) / T::__from_usize(x.len()))
    }

    /// `Σ w[i]·x[i]` with the deterministic layout (it is [`Simd::dot_deterministic`] of the
    /// values and weights); 0 for empty slices, [`SimdError::LengthMismatch`] naming
    /// `weights` when the lengths differ.
    pub fn weighted_sum_deterministic<T: Element>(
        &self,
        values: &[T],
        weights: &[T],
    ) -> Result<T, SimdError> {
        same_len("weights", values.len(), weights.len())?;
        let k = T::__kernels(self);
        Ok(fold_in_order(
            values
                .chunks(DET_BLOCK)
                .zip(weights.chunks(DET_BLOCK))
                .map(|(x, w)| (k.det_dot)(x, w)),
        ))
    }

    /// [`Simd::cosine`] with the deterministic layout: `a·b`, `a·a` and `b·b` are each
    /// computed exactly as [`Simd::dot_deterministic`] would (one pass over both inputs), then
    /// `a·b / (√(a·a)·√(b·b))` (correctly rounded IEEE operations), clamped to [-1, 1].
    /// [`SimdError::Empty`] for empty slices, [`SimdError::ZeroNorm`] when either vector is all
    /// zeros; NaN when an input holds NaN.
    pub fn cosine_deterministic<T: Element>(&self, a: &[T], b: &[T]) -> Result<T, SimdError> {
        same_len("b", a.len(), b.len())?;
        if a.is_empty() {
            return Err(SimdError::Empty);
        }
        let k = T::__kernels(self);
        finish_cosine(fold3_in_order(
            a.chunks(DET_BLOCK)
                .zip(b.chunks(DET_BLOCK))
                .map(|(x, y)| (k.det_cosine_parts)(x, y)),
        ))
    }

    /// The population variance with the deterministic layout, in two fixed passes: the mean
    /// `m` from [`Simd::mean_deterministic`], then `Σ (x[i] - m)²` (deviation rounded, squared,
    /// added to lane `i % 16` of its block), divided by `n`. [`SimdError::Empty`] for an empty
    /// slice; NaN when an element is NaN or infinite.
    pub fn variance_deterministic<T: Element>(&self, x: &[T]) -> Result<T, SimdError> {
        let m = self.mean_deterministic(x)?;
        let k = T::__kernels(self);
        let dev = fold_in_order(x.chunks(DET_BLOCK).map(|c| (k.det_sq_dev)(c, m)));
        Ok(dev / T::__from_usize(x.len()))
    }
}
