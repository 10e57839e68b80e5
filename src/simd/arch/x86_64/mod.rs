//! x86_64 backends: SSE2 (every x86_64 CPU) and AVX2 + FMA.
//!
//! AVX-512 is not implemented yet: no machine with it was available to test on, and an
//! untested backend is not shipped.

pub(crate) mod avx2;
pub(crate) mod sse2;
