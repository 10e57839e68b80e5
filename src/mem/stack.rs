//! The shared free list: a Treiber stack of block indices whose head packs the top index
//! with a generation tag in one `AtomicU64`, so a pop that raced with a pop and a push of
//! the same index (ABA) fails its compare-exchange instead of linking a block twice.
//!
//! The links live in arrays of atomics beside the blocks, never inside the blocks: a popper
//! may read the link of a block that another thread has just taken, and that read must not
//! race with the new owner's writes to the block. The value it reads may be stale; the tag
//! check throws it away.

use std::sync::atomic::Ordering;

use super::sync::{AtomicU32, AtomicU64};

/// The index that marks the end of a chain and an empty stack.
pub(crate) const NIL: u32 = u32::MAX;

#[inline]
fn pack(tag: u32, top: u32) -> u64 {
    (u64::from(tag) << 32) | u64::from(top)
}

#[inline]
fn top(head: u64) -> u32 {
    head as u32
}

#[inline]
fn tag(head: u64) -> u32 {
    (head >> 32) as u32
}

/// A lock-free stack of indices; `link(i)` finds the next-pointer of index `i`.
#[derive(Debug)]
pub(crate) struct FreeStack {
    head: AtomicU64,
}

impl FreeStack {
    pub(crate) fn new() -> Self {
        Self {
            head: AtomicU64::new(pack(0, NIL)),
        }
    }

    /// Pushes the chain `first -> ... -> last` (already linked by the caller, who owns every
    /// index in it) in one compare-exchange.
    pub(crate) fn push_chain<'a>(
        &self,
        first: u32,
        last: u32,
        link: impl Fn(u32) -> Option<&'a AtomicU32>,
    ) {
        let Some(last_link) = link(last) else {
            return;
        };
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            last_link.store(top(head), Ordering::Relaxed);
            // Release: the links of the chain and the blocks' contents are published with it.
            match self.head.compare_exchange_weak(
                head,
                pack(tag(head).wrapping_add(1), first),
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(now) => head = now,
            }
        }
    }

    /// Pushes one index the caller owns.
    pub(crate) fn push<'a>(&self, index: u32, link: impl Fn(u32) -> Option<&'a AtomicU32>) {
        self.push_chain(index, index, link);
    }

    /// Pops one index, or `None` when the stack is empty.
    pub(crate) fn pop<'a>(&self, link: impl Fn(u32) -> Option<&'a AtomicU32>) -> Option<u32> {
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            let t = top(head);
            if t == NIL {
                return None;
            }
            // May be stale if `t` was popped and pushed back meanwhile; the tag then differs
            // and the compare-exchange below fails.
            let next = match link(t) {
                Some(l) => l.load(Ordering::Relaxed),
                None => {
                    head = self.head.load(Ordering::Acquire);
                    continue;
                }
            };
            match self.head.compare_exchange_weak(
                head,
                pack(tag(head).wrapping_add(1), next),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(t),
                Err(now) => head = now,
            }
        }
    }
}

#[cfg(all(test, perfkit_loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;

    fn links(n: u32) -> Arc<Vec<AtomicU32>> {
        Arc::new((0..n).map(|_| AtomicU32::new(NIL)).collect())
    }

    fn filled(n: u32, links: &[AtomicU32]) -> FreeStack {
        let s = FreeStack::new();
        for i in (0..n).rev() {
            s.push(i, |j| links.get(j as usize));
        }
        s
    }

    fn model(f: impl Fn() + Sync + Send + 'static) {
        let mut b = loom::model::Builder::new();
        // Bounded preemptions keep the CAS retry loops' state space small; the ABA schedule
        // below needs only two.
        b.preemption_bound = Some(3);
        b.check(f);
    }

    /// The ABA schedule of a plain Treiber stack: one thread reads top 0 and its next 1,
    /// another pops 0, pops 1 and pushes 0 back. An untagged CAS would then install 1 as the
    /// top although it is taken. Every index must come out exactly once.
    #[test]
    fn loom_aba_pop_pop_push_no_duplicates() {
        model(|| {
            let l = links(3);
            let s = Arc::new(filled(3, &l));
            let t = {
                let (s, l) = (s.clone(), l.clone());
                loom::thread::spawn(move || s.pop(|j| l.get(j as usize)))
            };
            let link = |j: u32| l.get(j as usize);
            let a = s.pop(link);
            let b = s.pop(link);
            if let Some(a) = a {
                s.push(a, link);
            }
            let mut seen: Vec<u32> = b.into_iter().collect();
            seen.extend(t.join().unwrap());
            while let Some(i) = s.pop(link) {
                seen.push(i);
            }
            seen.sort_unstable();
            assert_eq!(seen, vec![0, 1, 2]);
        });
    }

    /// Chains pushed by two threads at once are both fully present afterwards.
    #[test]
    fn loom_concurrent_chain_pushes() {
        model(|| {
            let l = links(4);
            let s = Arc::new(FreeStack::new());
            let mut hs = Vec::new();
            for (a, b) in [(0u32, 1u32), (2, 3)] {
                let (s, l) = (s.clone(), l.clone());
                hs.push(loom::thread::spawn(move || {
                    l[a as usize].store(b, Ordering::Relaxed);
                    s.push_chain(a, b, |j| l.get(j as usize));
                }));
            }
            for h in hs {
                h.join().unwrap();
            }
            let mut seen = Vec::new();
            while let Some(i) = s.pop(|j| l.get(j as usize)) {
                seen.push(i);
            }
            seen.sort_unstable();
            assert_eq!(seen, vec![0, 1, 2, 3]);
        });
    }
}
