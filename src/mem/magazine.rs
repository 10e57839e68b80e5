//! A per-thread cache of free blocks ("magazine", after Bonwick's slab allocator): a small
//! array behind a busy flag that its thread takes with one uncontended swap.
//!
//! The flag is a try-lock, never waited on by the fast path: a thread that finds it taken
//! (another live thread mapped to the same cache, or a thief) goes to the shared lock-free
//! stack instead. Only the pool's last handle, when it drains the caches on close, spins on
//! it, and the holder then runs a bounded number of steps.

use std::cell::UnsafeCell;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Blocks one cache holds at most.
pub(crate) const MAGAZINE: usize = 32;

/// A free block: its address and its index in the pool.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) ptr: NonNull<u8>,
    pub(crate) index: u32,
}

#[derive(Debug)]
pub(crate) struct Magazine {
    busy: AtomicBool,
    /// Written only by the holder of `busy`; read without it by `stats()` (a hint).
    len: AtomicUsize,
    items: UnsafeCell<[Entry; MAGAZINE]>,
}

// SAFETY: `items` is only touched through a `MagazineGuard`, and at most one guard exists at
// a time (the `busy` swap below), so the cell is never accessed from two threads at once.
// The entries are addresses of pool blocks, which are not tied to any thread.
unsafe impl Sync for Magazine {}
// SAFETY: as above; moving the magazine moves plain addresses.
unsafe impl Send for Magazine {}

impl Magazine {
    pub(crate) fn new() -> Self {
        Self {
            busy: AtomicBool::new(false),
            len: AtomicUsize::new(0),
            items: UnsafeCell::new(
                [Entry {
                    ptr: NonNull::dangling(),
                    index: 0,
                }; MAGAZINE],
            ),
        }
    }

    /// Takes the cache if nobody holds it. Acquire: the entries the previous holder left are
    /// visible to us.
    #[inline]
    pub(crate) fn try_lock(&self) -> Option<MagazineGuard<'_>> {
        if self.busy.swap(true, Ordering::Acquire) {
            None
        } else {
            Some(MagazineGuard { mag: self })
        }
    }

    /// Waits for the cache; used only when the pool closes.
    pub(crate) fn lock(&self) -> MagazineGuard<'_> {
        loop {
            if let Some(g) = self.try_lock() {
                return g;
            }
            std::thread::yield_now();
        }
    }

    /// How many blocks the cache holds; exact when no thread is using the pool.
    pub(crate) fn len_hint(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }
}

/// Exclusive access to one cache, released on drop.
pub(crate) struct MagazineGuard<'a> {
    mag: &'a Magazine,
}

impl MagazineGuard<'_> {
    #[inline]
    pub(crate) fn len(&self) -> usize {
        // Only guard holders write `len`, and we are the holder.
        self.mag.len.load(Ordering::Relaxed)
    }

    #[inline]
    pub(crate) fn pop(&mut self) -> Option<Entry> {
        let len = self.len();
        let new_len = len.checked_sub(1)?;
        // SAFETY: the guard is the only access to `items` (see `Magazine`'s `Sync` impl).
        let items = unsafe { &*self.mag.items.get() };
        let e = *items.get(new_len)?;
        self.mag.len.store(new_len, Ordering::Relaxed);
        Some(e)
    }

    /// Adds an entry; hands it back when the cache is full.
    #[inline]
    pub(crate) fn push(&mut self, e: Entry) -> Result<(), Entry> {
        let len = self.len();
        // SAFETY: the guard is the only access to `items` (see `Magazine`'s `Sync` impl).
        let items = unsafe { &mut *self.mag.items.get() };
        match items.get_mut(len) {
            Some(slot) => {
                *slot = e;
                self.mag.len.store(len + 1, Ordering::Relaxed);
                Ok(())
            }
            None => Err(e),
        }
    }
}

impl Drop for MagazineGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // Release: the next holder sees the entries we left.
        self.mag.busy.store(false, Ordering::Release);
    }
}
