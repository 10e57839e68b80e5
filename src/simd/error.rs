#![forbid(unsafe_code)]

use thiserror::Error;

use super::Backend;

/// What can go wrong in a [`crate::simd`] call. Every kernel returns this instead of panicking.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SimdError {
    /// Two slices that must have the same length do not.
    #[error("length mismatch: {name} has {found} elements, expected {expected}")]
    LengthMismatch {
        /// Which argument is off, as named by the function (`b`, `out`, `weights`, ...).
        name: &'static str,
        /// The length of the first input, which the others must match.
        expected: usize,
        /// The length the argument has.
        found: usize,
    },
    /// The input is empty and the result is undefined for an empty input (`mean`, `variance`,
    /// `cosine`).
    #[error("empty input: the result is undefined")]
    Empty,
    /// `cosine` of a vector whose norm is zero: the angle is undefined.
    #[error("zero-norm vector: cosine is undefined")]
    ZeroNorm,
    /// A backend was asked for that this CPU (or this build target) cannot run.
    #[error("backend {0:?} is not available on this CPU")]
    Unavailable(Backend),
}
