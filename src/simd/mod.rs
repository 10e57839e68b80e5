//! Numeric kernels on `f32` and `f64` slices with one-time CPU dispatch.
//!
//! - Element-wise, into an output slice: [`add`], [`sub`], [`mul`], [`scale`], [`axpy`],
//!   [`fma`].
//! - Reductions: [`sum`], [`dot`], [`min`], [`max`], [`argmin`], [`argmax`], [`l2_squared`],
//!   [`cosine`], [`weighted_sum`], [`mean`], [`variance`].
//! - [`deterministic`]: `sum`, `dot`, `l2_squared`, `mean`, `weighted_sum`, `cosine`,
//!   `variance` with the same bits on every backend.
//! - `par` (feature `parallel`): the same kernels over rayon chunks.
//!
//! All are generic over the sealed [`Element`] trait (`f32`, `f64`) and never panic: slices
//! whose lengths must match return [`SimdError::LengthMismatch`], and inputs with no defined
//! result return an error or `None` (below).
//!
//! ## Dispatch
//!
//! The first call detects the CPU (`is_x86_feature_detected!` / `is_aarch64_feature_detected!`)
//! and stores a handle on static tables of function pointers ([`Simd::detected`]); every later
//! call is an atomic load and one indirect call. [`backend`] says what was chosen. Backends:
//! [`Backend::Avx512F`], [`Backend::Avx2Fma`] and [`Backend::Sse2`] on x86_64,
//! [`Backend::Neon`] on aarch64, and the portable [`Backend::Scalar`] everywhere. [`Simd::new`] and
//! [`with_backend`] force a backend (for tests and benches); asking for one the CPU cannot run
//! is [`SimdError::Unavailable`], never undefined behaviour.
//!
//! Reductions keep four independent vector accumulators (e.g. 4 × 8 `f32` lanes on AVX2, 4 × 16
//! on AVX-512), so
//! they run at the load-port limit in cache and at the memory-bandwidth limit out of it.
//!
//! ## Results and IEEE semantics
//!
//! - Element-wise kernels are exact: one IEEE operation per element (`axpy` and `fma` round
//!   once), bit-identical on every backend.
//! - Sums and dots are reassociated across lanes and accumulators, so the last bits depend on
//!   the backend. The error is within the usual bound for blocked summation,
//!   `|error| ≤ n · ε · Σ|terms|` (ε = `T::EPSILON`), and in practice far below it.
//! - NaN propagates: a NaN anywhere makes `sum`, `dot`, `l2_squared`, `weighted_sum`, `mean`,
//!   `variance` and `cosine` NaN, and `inf + -inf` is NaN, as IEEE 754 says.
//! - `min` and `max` return NaN if any element is NaN (like IEEE 754-2019 `minimum` /
//!   `maximum`, not like `f32::min`, which ignores NaN); `argmin` and `argmax` then return the
//!   index of the first NaN. Every backend agrees. Of equal elements `argmin`/`argmax` return
//!   the first; `-0.0` and `0.0` compare equal and tie.
//! - Empty input: `sum`, `dot`, `l2_squared`, `weighted_sum` are 0; `min`, `max`, `argmin`,
//!   `argmax` are `None`; `mean`, `variance` and `cosine` are [`SimdError::Empty`].
//!
//! ## Deterministic mode
//!
//! [`Simd::sum_deterministic`] (and `dot`, `l2_squared`, `mean`, `weighted_sum`, `cosine`,
//! `variance`; free functions in [`deterministic`]) fix the arithmetic, not just the backend:
//! the input is cut into blocks of 4 096 elements; in each block term `i` is added to lane
//! `i % 16` in index order (products rounded before the add, never fused), the 16 lanes are
//! combined in a fixed tree (lane `j` += lane `j + w` for `w` = 8, 4, 2, 1), and the block
//! results are added left to right. The terms: `x[i]` for `sum` and `mean` (then one division
//! by `n`); `a[i]·b[i]` for `dot` and `weighted_sum`; `(a[i] - b[i])²` for `l2_squared`;
//! for `cosine` the three sums `a·b`, `a·a`, `b·b` side by side in one pass (each the same
//! bits as `dot_deterministic` of its pair), then `a·b / (√(a·a)·√(b·b))` clamped to [-1, 1];
//! for `variance` two passes, the deterministic mean `m`, then terms `(x[i] - m)²`, divided by
//! `n`. Square root and division are correctly rounded in IEEE 754, so they add no backend
//! dependence. Every backend runs exactly these operations, so the result has the same bits
//! on Scalar, SSE2, AVX2, AVX-512 and NEON; `par`'s deterministic functions use the same blocks, so
//! their result does not depend on the number of threads either. Errors, empty inputs and
//! NaN behave as in the non-deterministic functions (above). In cache they can be slower
//! than the normal kernels (16 lanes are only two AVX2 accumulators, and there is no fused
//! multiply-add); out of cache both run at memory bandwidth.
//!
//! ```
//! use perfkit::simd;
//!
//! let a = [1.0f32, 2.0, 3.0, 4.0];
//! let b = [0.5f32, 0.5, 0.5, 0.5];
//! assert_eq!(simd::dot(&a, &b)?, 5.0);
//! assert_eq!(simd::sum(&a), 10.0);
//! assert_eq!(simd::argmax(&a), Some(3));
//!
//! let mut out = [0.0f32; 4];
//! simd::axpy(2.0, &a, &b, &mut out)?; // out = 2·a + b
//! assert_eq!(out, [2.5, 4.5, 6.5, 8.5]);
//!
//! assert!(simd::dot(&a, &b[..3]).is_err()); // lengths differ: an error, not a panic
//! assert_eq!(simd::mean::<f64>(&[]), Err(simd::SimdError::Empty));
//! # Ok::<(), simd::SimdError>(())
//! ```

mod api;
#[allow(unsafe_code)]
mod arch;
mod backend;
pub mod deterministic;
mod element;
mod error;
mod kernels;
mod ops;
#[cfg(feature = "parallel")]
#[cfg_attr(docsrs, doc(cfg(feature = "parallel")))]
pub mod par;

pub use api::{
    add, argmax, argmin, axpy, cosine, dot, fma, l2_squared, max, mean, min, mul, scale, sub, sum,
    variance, weighted_sum,
};
pub use backend::{Backend, Simd, backend, with_backend};
pub use element::Element;
pub use error::SimdError;
