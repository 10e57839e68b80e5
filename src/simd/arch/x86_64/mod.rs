//! x86_64 backends: SSE2 (every x86_64 CPU), AVX2 + FMA, and AVX-512F.

pub(crate) mod avx2;
pub(crate) mod avx512;
pub(crate) mod sse2;
