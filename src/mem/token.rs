//! A small per-thread number that picks the thread's cache in a pool.
//!
//! Threads get consecutive numbers in the order they first use any pool, so the threads of
//! a worker pool land on distinct caches. Two live threads can share a cache (more threads
//! than caches, or numbers that wrap); the cache's busy flag then sends the loser to the
//! shared free list, which is slower but equally correct.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT: AtomicUsize = AtomicUsize::new(1);

thread_local! {
    // A `const` thread-local without destructor: one load on the hot path.
    static TOKEN: Cell<usize> = const { Cell::new(0) };
}

/// This thread's number; `0` only if thread-locals are already gone (thread teardown).
#[inline]
pub(crate) fn thread_token() -> usize {
    TOKEN
        .try_with(|t| {
            let v = t.get();
            if v != 0 {
                return v;
            }
            let v = NEXT.fetch_add(1, Ordering::Relaxed).max(1);
            t.set(v);
            v
        })
        .unwrap_or(0)
}
