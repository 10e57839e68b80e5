//! Empty: this crate exists for its test target, `tests/simd` of the main crate, compiled
//! with only `perfkit/simd` and no other dev-dependency (see `Cargo.toml`).
