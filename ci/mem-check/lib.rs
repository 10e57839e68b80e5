//! The loom models of perfkit::mem's lock-free core, compiled here from the crate's own
//! sources under `--cfg perfkit_loom`: the shared free list (`src/mem/stack.rs`) and the
//! per-thread caches' busy flag and close protocol (`src/mem/magazine.rs`), with their
//! atomics shim.
#![cfg(perfkit_loom)]
#![allow(dead_code)]

#[path = "../../src/mem/sync.rs"]
mod sync;

#[path = "../../src/mem/stack.rs"]
mod stack;

#[path = "../../src/mem/magazine.rs"]
mod magazine;
