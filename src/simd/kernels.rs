//! The table of kernel entry points one backend provides for one element type.
//!
//! Every entry is a safe `fn`: a backend hands out its table only after checking that the CPU
//! has its features, so calling through the table can never run an instruction the CPU lacks.
//! Entries take slices of any lengths and read/write only within them; the public functions
//! check lengths first, so the kernels see equal lengths in practice.
#![forbid(unsafe_code)]

use super::Backend;

/// `out = a ∘ b ∘ c` element-wise.
pub type Ternary<T> = fn(&[T], &[T], &[T], &mut [T]);
/// `out = alpha ∘ x ∘ y` element-wise.
pub type ScalarTernary<T> = fn(T, &[T], &[T], &mut [T]);

/// Kernel entry points of one backend for element type `T`.
pub struct Kernels<T: 'static> {
    pub backend: Backend,
    pub add: fn(&[T], &[T], &mut [T]),
    pub sub: fn(&[T], &[T], &mut [T]),
    pub mul: fn(&[T], &[T], &mut [T]),
    pub scale: fn(&[T], T, &mut [T]),
    /// `out = alpha * x + y`, one rounding.
    pub axpy: ScalarTernary<T>,
    /// `out = a * b + c`, one rounding.
    pub fma: Ternary<T>,
    pub sum: fn(&[T]) -> T,
    pub dot: fn(&[T], &[T]) -> T,
    pub l2_squared: fn(&[T], &[T]) -> T,
    /// `[a·b, a·a, b·b]` in one pass.
    pub cosine_parts: fn(&[T], &[T]) -> [T; 3],
    /// `Σ (x - m)²`.
    pub sq_dev: fn(&[T], T) -> T,
    /// NaN if any element is NaN (or the slice is empty).
    pub min: fn(&[T]) -> T,
    /// NaN if any element is NaN (or the slice is empty).
    pub max: fn(&[T]) -> T,
    /// First index whose element equals `v`; with `v` NaN, the first NaN.
    pub position: fn(&[T], T) -> Option<usize>,
    /// The fixed-layout partial of one deterministic block (see `deterministic`).
    pub det_sum: fn(&[T]) -> T,
    pub det_dot: fn(&[T], &[T]) -> T,
    pub det_l2: fn(&[T], &[T]) -> T,
    /// `Σ (x - m)²` of one block, in the deterministic layout.
    pub det_sq_dev: fn(&[T], T) -> T,
    /// `[a·b, a·a, b·b]` of one block in one pass, each exactly as `det_dot` computes it.
    pub det_cosine_parts: fn(&[T], &[T]) -> [T; 3],
}
