//! Integration tests of `perfkit::mem`. Under Miri the case counts and thread counts shrink
//! so the run takes minutes, not hours.

mod arena;
mod block;
mod block_model;
mod block_stress;
mod buffer;
#[cfg(feature = "metrics")]
mod metrics;
mod object;

/// Scales a count down under Miri.
pub fn scaled(normal: usize, miri: usize) -> usize {
    if cfg!(miri) { miri } else { normal }
}
