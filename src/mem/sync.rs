//! The atomics, the cell and the spin-wait of the lock-free core, routed through one place so
//! that `loom` can replace them when the crate is built with `--cfg perfkit_loom`.

#[cfg(perfkit_loom)]
pub(crate) use loom::cell::UnsafeCell;
#[cfg(perfkit_loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize};
#[cfg(perfkit_loom)]
pub(crate) use loom::thread::yield_now;
#[cfg(not(perfkit_loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize};
#[cfg(not(perfkit_loom))]
pub(crate) use std::thread::yield_now;

/// `std`'s cell with loom's closure-based access, so the same code compiles against both;
/// loom's version checks every access against the happens-before order it explores.
#[cfg(not(perfkit_loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(perfkit_loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(std::cell::UnsafeCell::new(value))
    }

    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
