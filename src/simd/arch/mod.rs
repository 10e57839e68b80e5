//! The backends. The only place in `simd` with `unsafe`: raw loads and stores of one register
//! inside a slice, and calls into `#[target_feature]` code after the CPU check.

#[cfg(target_arch = "aarch64")]
pub(crate) mod aarch64;
pub(crate) mod generic;
pub(crate) mod portable;
#[cfg(target_arch = "x86_64")]
pub(crate) mod x86_64;
