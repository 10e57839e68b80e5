//! The loom models of perfkit::mem's shared free list, compiled here from the crate's own
//! sources (`src/mem/stack.rs` and its atomics shim) under `--cfg perfkit_loom`.
#![cfg(perfkit_loom)]
#![allow(dead_code)]

#[path = "../../src/mem/sync.rs"]
mod sync;

#[path = "../../src/mem/stack.rs"]
mod stack;
