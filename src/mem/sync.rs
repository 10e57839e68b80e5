//! The atomics of the lock-free core, routed through one place so that `loom` can replace
//! them when the crate is built with `--cfg perfkit_loom`.

#[cfg(perfkit_loom)]
pub(crate) use loom::sync::atomic::{AtomicU32, AtomicU64};
#[cfg(not(perfkit_loom))]
pub(crate) use std::sync::atomic::{AtomicU32, AtomicU64};
