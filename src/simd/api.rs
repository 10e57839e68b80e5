//! The kernels as free functions on the backend chosen at first use ([`Simd::detected`]).
#![forbid(unsafe_code)]

use super::{Element, Simd, SimdError};

/// [`Simd::add`] on the detected backend.
#[inline]
pub fn add<T: Element>(a: &[T], b: &[T], out: &mut [T]) -> Result<(), SimdError> {
    Simd::detected().add(a, b, out)
}

/// [`Simd::sub`] on the detected backend.
#[inline]
pub fn sub<T: Element>(a: &[T], b: &[T], out: &mut [T]) -> Result<(), SimdError> {
    Simd::detected().sub(a, b, out)
}

/// [`Simd::mul`] on the detected backend.
#[inline]
pub fn mul<T: Element>(a: &[T], b: &[T], out: &mut [T]) -> Result<(), SimdError> {
    Simd::detected().mul(a, b, out)
}

/// [`Simd::scale`] on the detected backend.
#[inline]
pub fn scale<T: Element>(x: &[T], alpha: T, out: &mut [T]) -> Result<(), SimdError> {
    Simd::detected().scale(x, alpha, out)
}

/// [`Simd::axpy`] on the detected backend.
#[inline]
pub fn axpy<T: Element>(alpha: T, x: &[T], y: &[T], out: &mut [T]) -> Result<(), SimdError> {
    Simd::detected().axpy(alpha, x, y, out)
}

/// [`Simd::fma`] on the detected backend.
#[inline]
pub fn fma<T: Element>(a: &[T], b: &[T], c: &[T], out: &mut [T]) -> Result<(), SimdError> {
    Simd::detected().fma(a, b, c, out)
}

/// [`Simd::sum`] on the detected backend.
#[inline]
pub fn sum<T: Element>(x: &[T]) -> T {
    Simd::detected().sum(x)
}

/// [`Simd::dot`] on the detected backend.
#[inline]
pub fn dot<T: Element>(a: &[T], b: &[T]) -> Result<T, SimdError> {
    Simd::detected().dot(a, b)
}

/// [`Simd::weighted_sum`] on the detected backend.
#[inline]
pub fn weighted_sum<T: Element>(values: &[T], weights: &[T]) -> Result<T, SimdError> {
    Simd::detected().weighted_sum(values, weights)
}

/// [`Simd::l2_squared`] on the detected backend.
#[inline]
pub fn l2_squared<T: Element>(a: &[T], b: &[T]) -> Result<T, SimdError> {
    Simd::detected().l2_squared(a, b)
}

/// [`Simd::cosine`] on the detected backend.
#[inline]
pub fn cosine<T: Element>(a: &[T], b: &[T]) -> Result<T, SimdError> {
    Simd::detected().cosine(a, b)
}

/// [`Simd::mean`] on the detected backend.
#[inline]
pub fn mean<T: Element>(x: &[T]) -> Result<T, SimdError> {
    Simd::detected().mean(x)
}

/// [`Simd::variance`] on the detected backend.
#[inline]
pub fn variance<T: Element>(x: &[T]) -> Result<T, SimdError> {
    Simd::detected().variance(x)
}

/// [`Simd::min`] on the detected backend.
#[inline]
pub fn min<T: Element>(x: &[T]) -> Option<T> {
    Simd::detected().min(x)
}

/// [`Simd::max`] on the detected backend.
#[inline]
pub fn max<T: Element>(x: &[T]) -> Option<T> {
    Simd::detected().max(x)
}

/// [`Simd::argmin`] on the detected backend.
#[inline]
pub fn argmin<T: Element>(x: &[T]) -> Option<usize> {
    Simd::detected().argmin(x)
}

/// [`Simd::argmax`] on the detected backend.
#[inline]
pub fn argmax<T: Element>(x: &[T]) -> Option<usize> {
    Simd::detected().argmax(x)
}
