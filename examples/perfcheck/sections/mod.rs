//! The registration point: one line per module. A module issue adds its file beside this one
//! and one `#[cfg]` line below; no other section changes.

use crate::section::Section;

#[cfg(feature = "balance")]
mod balance;
#[cfg(feature = "cache")]
mod cache;
#[cfg(feature = "mem")]
mod mem;
mod metrics;
#[cfg(feature = "pg")]
mod pg;
#[cfg(feature = "resilience")]
mod resilience;
mod resources;
#[cfg(feature = "simd")]
mod simd;

// One `push` per module, each under the module's `#[cfg(feature)]` as modules arrive.
#[allow(clippy::vec_init_then_push)]
pub fn all() -> Vec<Box<dyn Section>> {
    let mut sections: Vec<Box<dyn Section>> = Vec::new();
    sections.push(Box::new(metrics::Metrics));
    #[cfg(feature = "resilience")]
    sections.push(Box::new(resilience::Resilience));
    #[cfg(feature = "mem")]
    sections.push(Box::new(mem::Mem));
    #[cfg(feature = "balance")]
    sections.push(Box::new(balance::Balance));
    #[cfg(feature = "pg")]
    sections.push(Box::new(pg::Pg));
    #[cfg(feature = "simd")]
    sections.push(Box::new(simd::SimdSection));
    #[cfg(feature = "cache")]
    sections.push(Box::new(cache::Cache));
    sections.push(Box::new(resources::Resources));
    sections
}
