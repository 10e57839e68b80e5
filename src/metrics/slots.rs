//! Per-thread slots: the reason counters and histograms scale and record without
//! read-modify-write instructions.
//!
//! Every thread that records gets a small *token*, unique among live threads and handed back
//! to a free list when the thread exits, so tokens stay dense (1, 2, 3, ...) in programs that
//! start and stop threads. A [`Slots`] has a fixed number of slots; the thread whose token
//! maps to a slot claims it on first use and from then on is its only writer. A single
//! writer needs no `lock`-prefixed instruction: it updates its slot with a relaxed load and a
//! relaxed store, and readers sum the slots with relaxed loads. A thread whose slot is owned
//! by another live thread is served by a shared fallback that uses atomic read-modify-write,
//! slower but equally correct.
//!
//! Why ownership is sound: a slot's owner token is set once; a token belongs to at most one
//! live thread; a token is released (under a mutex) only by the owning thread's exit, after
//! its last write, and taken (under the same mutex) by the next thread before its first, so
//! the old owner's stores happen-before the new owner's loads.

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

/// Not yet given a token; tokens start at 1.
const FREE: u64 = 0;

static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);
static RELEASED: Mutex<BinaryHeap<Reverse<u64>>> = Mutex::new(BinaryHeap::new());

/// Marks a thread whose token was already handed back (it is exiting).
const GONE: u64 = u64::MAX;

/// Owns a token for the life of its thread and hands it back on exit.
struct Token(u64);

impl Drop for Token {
    fn drop(&mut self) {
        // Later recordings from this thread's other destructors use the shared fallback.
        let _ = CACHED.try_with(|c| c.set(GONE));
        RELEASED.lock().push(Reverse(self.0));
    }
}

thread_local! {
    /// The token, read on every recording: a `const` thread-local without destructor is a
    /// single load, where a lazily initialised one checks its state first.
    static CACHED: Cell<u64> = const { Cell::new(FREE) };
    /// Holds the token so that its destructor runs when the thread exits.
    static OWNED: RefCell<Option<Token>> = const { RefCell::new(None) };
}

/// This thread's token, or `None` while the thread is being torn down (its token already
/// released), in which case callers use their shared fallback.
#[inline]
pub(crate) fn thread_token() -> Option<u64> {
    match CACHED.try_with(Cell::get) {
        // One comparison on the hot path: FREE (0) wraps to the top, GONE is the top.
        Ok(token) if token.wrapping_sub(1) < GONE - 1 => Some(token),
        Ok(FREE) => first_token(),
        _ => None,
    }
}

#[cold]
fn first_token() -> Option<u64> {
    // Reuse the smallest released token, so live tokens stay dense.
    let token = match RELEASED.lock().pop() {
        Some(Reverse(t)) => t,
        None => NEXT_TOKEN.fetch_add(1, Ordering::Relaxed),
    };
    let registered = OWNED
        .try_with(|owned| *owned.borrow_mut() = Some(Token(token)))
        .is_ok();
    if !registered {
        // Too late in the thread's life to be told when it ends: give the token back now.
        RELEASED.lock().push(Reverse(token));
        return None;
    }
    CACHED.try_with(|c| c.set(token)).ok()?;
    Some(token)
}

/// Slots per counter or histogram. Enough for every thread of a pool sized to any common
/// machine; a thread whose token maps onto a live thread's slot uses the shared fallback.
pub(crate) const SLOTS: usize = 64;

/// A fixed set of single-writer slots, each holding a lazily created, boxed `T`.
///
/// The slot cells are written once (when claimed) and only read afterwards, so they pack
/// densely without false sharing; each owner's `T` is a separate allocation.
#[derive(Debug)]
pub(crate) struct Slots<T> {
    slots: [Slot<T>; SLOTS],
}

/// The owner's token and its value, set together, once, by the first thread to use the slot:
/// one check of the `OnceLock` both finds the value and says whose it is.
type Slot<T> = OnceLock<(u64, Box<T>)>;

impl<T> Slots<T> {
    pub(crate) fn new() -> Self {
        Self {
            slots: std::array::from_fn(|_| OnceLock::new()),
        }
    }

    /// The calling thread's own slot, created with `init` on first use; `None` when the slot
    /// this thread maps to belongs to another live thread. The caller is the only writer of
    /// what it gets back, for as long as the thread lives.
    #[inline]
    pub(crate) fn mine(&self, init: impl FnOnce() -> T) -> Option<&T> {
        let token = thread_token()?;
        // A power-of-two array indexed by a mask: no bounds check on the hot path.
        let slot = &self.slots[(token % SLOTS as u64) as usize];
        let (owner, value) = slot.get_or_init(|| (token, Box::new(init())));
        (*owner == token).then_some(&**value)
    }

    /// Every slot's value that has been created, for readers.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().filter_map(|s| s.get().map(|(_, v)| &**v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_threads_have_distinct_tokens_and_tokens_are_reused() {
        let mine = thread_token().unwrap();
        let others: Vec<u64> = (0..50)
            .map(|_| {
                std::thread::spawn(|| thread_token().unwrap())
                    .join()
                    .unwrap()
            })
            .collect();
        assert!(others.iter().all(|&t| t != mine));
        // Each spawned thread exited before the next started, so tokens came back for reuse.
        // Other tests run threads in parallel and may take some, so allow a few distinct.
        let mut distinct = others.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(distinct.len() <= 10, "tokens not reused: {distinct:?}");
    }

    #[test]
    fn a_slot_has_one_owner() {
        let slots: Slots<AtomicU64> = Slots::new();
        let main_token = thread_token().unwrap();
        assert!(slots.mine(|| AtomicU64::new(0)).is_some());
        assert!(
            slots.mine(|| AtomicU64::new(0)).is_some(),
            "the owner keeps its slot"
        );
        // Another live thread gets the slot only if its token maps elsewhere.
        std::thread::scope(|s| {
            s.spawn(|| {
                let t = thread_token().unwrap();
                let got = slots.mine(|| AtomicU64::new(0));
                assert_eq!(got.is_none(), t % SLOTS as u64 == main_token % SLOTS as u64);
            });
        });
    }
}
