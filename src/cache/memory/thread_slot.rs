//! Small per-thread numbers that no two live threads share.
//!
//! The hit and miss counters give each thread its own cell, so a hit can count with a plain
//! load and store instead of an atomic read-modify-write (which was about a sixth of a
//! hit's time). That is exact only if no other thread writes the same cell, hence a number
//! held for the thread's lifetime: the smallest one free is taken on first use and given
//! back when the thread exits.

use parking_lot::Mutex;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Numbers handed out so far, and those given back by exited threads.
struct Slots {
    next: usize,
    free: BinaryHeap<Reverse<usize>>,
}

static SLOTS: Mutex<Slots> = Mutex::new(Slots {
    next: 0,
    free: BinaryHeap::new(),
});

/// A thread's number; giving it back on drop (thread exit) lets a later thread reuse it.
/// The mutex orders the old thread's last writes to its cells before the new thread's
/// first, so a reused cell still has one writer at a time.
struct Slot(usize);

impl Slot {
    fn take() -> Self {
        let mut slots = SLOTS.lock();
        let n = match slots.free.pop() {
            Some(Reverse(n)) => n,
            None => {
                slots.next += 1;
                slots.next - 1
            }
        };
        Self(n)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        SLOTS.lock().free.push(Reverse(self.0));
    }
}

/// Holds the thread's `Slot` in a thread-local with a destructor, so that it is given back
/// when the thread exits.
struct Guard {
    _slot: Slot,
}

impl Drop for Guard {
    fn drop(&mut self) {
        // Readers of `NUMBER` from here on (other thread-local destructors) get `None`; the
        // slot itself goes back to the pool just after this body.
        let _ = NUMBER.try_with(|n| n.set(GONE));
    }
}

const UNSET: usize = usize::MAX;
const GONE: usize = usize::MAX - 1;

thread_local! {
    /// The number, read on every lookup: a plain `Cell` with a constant initialiser, so
    /// reading it needs no lazy-initialisation check.
    static NUMBER: std::cell::Cell<usize> = const { std::cell::Cell::new(UNSET) };
    /// Registered on first use; its destructor gives the number back.
    static GUARD: std::cell::OnceCell<Guard> = const { std::cell::OnceCell::new() };
}

/// This thread's number, or `None` while the thread is being torn down (its number may
/// already be back in the pool, so the caller must not treat any cell as its own).
#[inline]
pub(super) fn current() -> Option<usize> {
    match NUMBER.try_with(std::cell::Cell::get) {
        Ok(UNSET) => first_use(),
        Ok(GONE) | Err(_) => None,
        Ok(n) => Some(n),
    }
}

#[cold]
fn first_use() -> Option<usize> {
    let slot = Slot::take();
    let n = slot.0;
    // Fails only during teardown; the slot then goes straight back to the pool.
    GUARD
        .try_with(|g| {
            let _ = g.set(Guard { _slot: slot });
        })
        .ok()?;
    NUMBER.try_with(|c| c.set(n)).ok()?;
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::current;

    #[test]
    fn live_threads_never_share_a_number_and_exited_ones_are_reused() {
        let mine = current();
        assert!(mine.is_some());
        let (tx, rx) = std::sync::mpsc::channel();
        let (hold_tx, hold_rx) = std::sync::mpsc::channel::<()>();
        let hold_rx = std::sync::Arc::new(parking_lot::Mutex::new(hold_rx));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let tx = tx.clone();
                let hold = std::sync::Arc::clone(&hold_rx);
                std::thread::spawn(move || {
                    tx.send(current()).unwrap();
                    // Stay alive until every thread has reported.
                    let _ = hold.lock().recv();
                })
            })
            .collect();
        let mut seen: Vec<_> = (0..4).map(|_| rx.recv().unwrap()).collect();
        seen.push(mine);
        let mut unique = seen.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(
            unique.len(),
            seen.len(),
            "live threads shared a number: {seen:?}"
        );
        drop(hold_tx);
        for t in threads {
            t.join().unwrap();
        }
        let after = std::thread::spawn(current).join().unwrap();
        assert!(
            seen[..4].contains(&after),
            "a new thread should reuse a freed number: {after:?} not in {seen:?}"
        );
    }
}
