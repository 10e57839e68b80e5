//! Deterministic reductions on the detected backend: the same bits on every backend.
#![forbid(unsafe_code)]

use super::{Element, Simd, SimdError};

/// [`Simd::sum_deterministic`] on the detected backend.
#[inline]
pub fn sum<T: Element>(x: &[T]) -> T {
    Simd::detected().sum_deterministic(x)
}

/// [`Simd::dot_deterministic`] on the detected backend.
#[inline]
pub fn dot<T: Element>(a: &[T], b: &[T]) -> Result<T, SimdError> {
    Simd::detected().dot_deterministic(a, b)
}

/// [`Simd::l2_squared_deterministic`] on the detected backend.
#[inline]
pub fn l2_squared<T: Element>(a: &[T], b: &[T]) -> Result<T, SimdError> {
    Simd::detected().l2_squared_deterministic(a, b)
}

/// [`Simd::mean_deterministic`] on the detected backend.
#[inline]
pub fn mean<T: Element>(x: &[T]) -> Result<T, SimdError> {
    Simd::detected().mean_deterministic(x)
}

/// [`Simd::weighted_sum_deterministic`] on the detected backend.
#[inline]
pub fn weighted_sum<T: Element>(values: &[T], weights: &[T]) -> Result<T, SimdError> {
    Simd::detected().weighted_sum_deterministic(values, weights)
}

/// [`Simd::cosine_deterministic`] on the detected backend.
#[inline]
pub fn cosine<T: Element>(a: &[T], b: &[T]) -> Result<T, SimdError> {
    Simd::detected().cosine_deterministic(a, b)
}

/// [`Simd::variance_deterministic`] on the detected backend.
#[inline]
pub fn variance<T: Element>(x: &[T]) -> Result<T, SimdError> {
    Simd::detected().variance_deterministic(x)
}
