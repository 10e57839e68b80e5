use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_utils::CachePadded;

use super::slots::Slots;

/// A monotonically increasing count, cheap to clone and to increment from many threads.
///
/// Each thread adds to a cache-padded slot of its own with a plain load and store (see the
/// `slots` design notes in `docs/architecture.md`), so two threads incrementing the same
/// counter neither fight over a cache line nor pay for a `lock`-prefixed instruction; a
/// single shared `AtomicU64` loses half its rate or more as soon as a second core joins.
/// Reading sums the slots, so [`Counter::get`] costs a few loads instead of one.
///
/// ```
/// use perfkit::metrics::Counter;
///
/// let requests = Counter::new();
/// let handle = requests.clone();
/// std::thread::spawn(move || handle.inc_by(41)).join().unwrap();
/// requests.inc();
/// assert_eq!(requests.get(), 42);
/// ```
#[derive(Clone, Debug)]
pub struct Counter {
    core: Arc<CounterCore>,
}

#[derive(Debug)]
pub(crate) struct CounterCore {
    // Padded: owners' counters are separate allocations that could share a line.
    slots: Slots<CachePadded<AtomicU64>>,
    /// For threads whose slot belongs to another live thread.
    shared: CachePadded<AtomicU64>,
}

impl CounterCore {
    fn new() -> Self {
        Self {
            slots: Slots::new(),
            shared: CachePadded::new(AtomicU64::new(0)),
        }
    }

    #[inline]
    pub(crate) fn add(&self, n: u64) {
        match self.slots.mine(|| CachePadded::new(AtomicU64::new(0))) {
            // Sole writer: no read-modify-write needed.
            Some(mine) => mine.store(
                mine.load(Ordering::Relaxed).wrapping_add(n),
                Ordering::Relaxed,
            ),
            None => {
                self.shared.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    pub(crate) fn get(&self) -> u64 {
        self.slots
            .iter()
            .fold(self.shared.load(Ordering::Relaxed), |acc, s| {
                acc.wrapping_add(s.load(Ordering::Relaxed))
            })
    }

    /// Raises the count to `value` if it is below. Racing increments may land on either side
    /// of the adjustment; the result is never below `value` once this returns.
    pub(crate) fn raise_to(&self, value: u64) {
        let current = self.get();
        if value > current {
            self.add(value - current);
        }
    }
}

impl Counter {
    /// A counter at zero, not registered anywhere (see [`super::Registry::counter`]).
    pub fn new() -> Self {
        Self {
            core: Arc::new(CounterCore::new()),
        }
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.core.add(1);
    }

    /// Adds `n`. The count wraps at `u64::MAX`, as Prometheus clients do.
    #[inline]
    pub fn inc_by(&self, n: u64) {
        self.core.add(n);
    }

    /// The current count: the sum of all slots.
    pub fn get(&self) -> u64 {
        self.core.get()
    }

    pub(crate) fn core(&self) -> &Arc<CounterCore> {
        &self.core
    }
}

impl Default for Counter {
    fn default() -> Self {
        Self::new()
    }
}
