use std::cell::Cell;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crossbeam_utils::CachePadded;

/// A monotonically increasing count, cheap to clone and to increment from many threads.
///
/// The count is split over a few cache-padded stripes and each thread adds to its own, so two
/// threads incrementing the same counter do not fight over one cache line (a single shared
/// `AtomicU64` loses half its rate or more as soon as a second core joins). Reading sums the
/// stripes, so [`Counter::get`] costs a few loads instead of one.
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
    stripes: Box<[CachePadded<AtomicU64>]>,
    mask: usize,
}

/// Stripes per counter: twice the cores, so consecutive threads of a pool land on distinct
/// cache lines, bounded to keep a counter under 8 KiB.
fn stripe_count() -> usize {
    static COUNT: OnceLock<usize> = OnceLock::new();
    *COUNT.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(4, |n| n.get());
        (cores * 2).next_power_of_two().clamp(4, 64)
    })
}

/// This thread's stripe number, handed out round-robin on first use.
#[inline]
fn thread_stripe() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    STRIPE
        .try_with(|s| {
            let mut v = s.get();
            if v == usize::MAX {
                v = NEXT.fetch_add(1, Ordering::Relaxed);
                s.set(v);
            }
            v
        })
        // During thread teardown the thread-local is gone; any stripe is correct, only slower.
        .unwrap_or(0)
}

impl CounterCore {
    fn new() -> Self {
        let n = stripe_count();
        Self {
            stripes: (0..n)
                .map(|_| CachePadded::new(AtomicU64::new(0)))
                .collect(),
            mask: n - 1,
        }
    }

    #[inline]
    pub(crate) fn add(&self, n: u64) {
        let i = thread_stripe() & self.mask;
        if let Some(stripe) = self.stripes.get(i) {
            stripe.fetch_add(n, Ordering::Relaxed);
        }
    }

    pub(crate) fn get(&self) -> u64 {
        self.stripes
            .iter()
            .fold(0u64, |acc, s| acc.wrapping_add(s.load(Ordering::Relaxed)))
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

    /// The current count: the sum of all stripes.
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
