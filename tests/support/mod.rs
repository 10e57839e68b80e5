//! Shared test harness: real servers started on loopback for one test binary, torn down on
//! drop. Include it from a test crate with `#[path = "../support/mod.rs"] mod support;`.

#![allow(dead_code)] // each test binary uses the part it needs

pub mod postgres;

/// Whether missing tools must fail the run instead of skipping (set by `ci/test.sh`).
pub fn tools_required() -> bool {
    std::env::var_os("PERFKIT_REQUIRE_TOOLS").is_some_and(|v| !v.is_empty() && v != "0")
}
