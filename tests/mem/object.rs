use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use perfkit::mem::ObjectPool;
use proptest::prelude::*;

#[test]
fn reuses_resets_and_bounds_idle_values() {
    let made = Arc::new(AtomicUsize::new(0));
    let m = made.clone();
    let pool = ObjectPool::new(2, move || {
        m.fetch_add(1, Ordering::Relaxed);
        Vec::<u32>::new()
    })
    .with_reset(Vec::clear);
    assert_eq!(pool.prewarm(5), 2, "prewarm stops at max_idle");
    let mut a = pool.get();
    let mut b = pool.get();
    let c = pool.get(); // the pool is empty: made fresh
    a.push(1);
    b.push(2);
    drop((a, b, c)); // two fit, the third is discarded
    let s = pool.stats();
    assert_eq!(made.load(Ordering::Relaxed), 3);
    assert_eq!(
        (s.creations, s.reuses, s.returns, s.discards, s.idle),
        (3, 2, 2, 1, 2)
    );
    assert!(pool.get().is_empty(), "reset ran on return");
}

#[test]
fn zero_max_idle_keeps_nothing() {
    let pool = ObjectPool::new(0, String::new);
    assert_eq!(pool.prewarm(3), 0);
    drop(pool.get());
    let s = pool.stats();
    assert_eq!((s.creations, s.discards, s.idle), (1, 1, 0));
}

#[test]
fn detached_values_leave_for_good() {
    let pool = ObjectPool::new(4, || vec![7u8; 3]).with_reset(|v| v.clear());
    let mut p = pool.get();
    p.push(8);
    let v = p.detach();
    assert_eq!(v, vec![7, 7, 7, 8], "detach does not reset");
    let s = pool.stats();
    assert_eq!((s.detached, s.returns, s.idle), (1, 0, 0));
}

#[test]
fn shared_between_threads() {
    let pool = ObjectPool::new(8, || 0u64);
    let rounds = crate::scaled(2_000, 20);
    std::thread::scope(|s| {
        for _ in 0..crate::scaled(4, 2) {
            s.spawn(|| {
                for _ in 0..rounds {
                    let mut v = pool.get();
                    *v += 1;
                }
            });
        }
    });
    let st = pool.stats();
    let gets = (crate::scaled(4, 2) * rounds) as u64;
    assert_eq!(st.reuses + st.creations, gets);
    assert_eq!(st.returns + st.discards, gets);
    assert!(st.idle <= 8 && st.creations <= gets);
}

/// Many threads hold several values at once and return them, some on another thread than
/// the one that took them: the idle count never passes `max_idle` (split between the
/// per-thread caches and the shared queue) and every value is accounted for.
#[test]
fn idle_bound_and_counts_hold_across_threads() {
    let max_idle = 20;
    let pool = ObjectPool::new(max_idle, Vec::<u8>::new).with_reset(Vec::clear);
    let threads = crate::scaled(6, 2);
    let rounds = crate::scaled(300, 4);
    let hold = 10;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        for t in 0..threads {
            let (pool, tx) = (&pool, tx.clone());
            s.spawn(move || {
                for r in 0..rounds {
                    let mut held: Vec<_> = (0..hold).map(|_| pool.get()).collect();
                    for v in &mut held {
                        assert!(v.is_empty(), "a returned value was not reset");
                        v.push(t as u8);
                    }
                    if r % 3 == 0 {
                        // The receiving thread drops it: returned from another thread.
                        if tx.send(held.pop()).is_err() {
                            break;
                        }
                    }
                    drop(held);
                    assert!(pool.stats().idle <= max_idle);
                }
            });
        }
        drop(tx);
        s.spawn(move || rx.into_iter().for_each(drop));
    });
    let s = pool.stats();
    let gets = (threads * rounds * hold) as u64;
    assert!(s.idle <= max_idle, "{s:?}");
    assert_eq!(s.reuses + s.creations, gets, "{s:?}");
    assert_eq!(s.returns + s.discards, gets, "{s:?}");
    assert_eq!(s.creations, s.idle as u64 + s.discards, "{s:?}");
}

/// A thread that exits leaves its values in its cache; another thread's `get` finds them
/// there before it makes new ones.
#[test]
fn values_left_in_an_exited_threads_cache_are_reused() {
    let pool = ObjectPool::new(64, || 0u32);
    std::thread::scope(|s| {
        s.spawn(|| {
            let held: Vec<_> = (0..3).map(|_| pool.get()).collect();
            drop(held);
        });
    });
    let again: Vec<_> = (0..3).map(|_| pool.get()).collect();
    let s = pool.stats();
    assert_eq!((s.creations, s.reuses, s.idle), (3, 3, 0), "{s:?}");
    drop(again);
}

/// With a budget the caches take whole (8 caches of 8), `prewarm` fills the caches.
#[test]
fn prewarm_fills_the_caches_when_there_is_no_shared_queue() {
    let pool = ObjectPool::new(64, String::new);
    assert_eq!(pool.prewarm(100), 64);
    assert_eq!(pool.stats().idle, 64);
    assert_eq!(pool.prewarm(1), 0);
    let held: Vec<_> = (0..64).map(|_| pool.get()).collect();
    let s = pool.stats();
    assert_eq!((s.creations, s.reuses, s.idle), (64, 64, 0), "{s:?}");
    drop(held);
}

/// Every value made is dropped exactly once: on discard, by its owner after `detach`, or
/// with the pool (idle values in the caches and the shared queue).
#[test]
fn every_value_is_dropped_once() {
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let pool = ObjectPool::new(12, move || Counted(d.clone()));
    pool.prewarm(5);
    let held: Vec<_> = (0..20).map(|_| pool.get()).collect();
    let mut held = held.into_iter();
    let kept: Vec<Counted> = held.by_ref().take(2).map(|p| p.detach()).collect();
    drop(held.collect::<Vec<_>>());
    let s = pool.stats();
    assert_eq!(s.creations, 20);
    assert_eq!(drops.load(Ordering::Relaxed) as u64, s.discards);
    drop(pool);
    assert_eq!(
        drops.load(Ordering::Relaxed),
        18,
        "idle values dropped with the pool"
    );
    drop(kept);
    assert_eq!(drops.load(Ordering::Relaxed), 20);
}

#[derive(Debug, Clone)]
enum Op {
    Get,
    Drop(usize),
    Detach(usize),
    Prewarm(usize),
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: crate::scaled(200, 3) as u32,
        ..ProptestConfig::default()
    })]

    /// Every value is distinct (a serial number from the factory), no value is out twice,
    /// and the counters balance against a model.
    #[test]
    fn object_pool_matches_the_model(
        max_idle in 0usize..6,
        ops in prop::collection::vec(prop_oneof![
            5 => Just(Op::Get),
            4 => any::<usize>().prop_map(Op::Drop),
            1 => any::<usize>().prop_map(Op::Detach),
            1 => (0usize..4).prop_map(Op::Prewarm),
        ], 0..crate::scaled(200, 30)),
    ) {
        let serial = Arc::new(AtomicUsize::new(0));
        let s2 = serial.clone();
        let pool = ObjectPool::new(max_idle, move || s2.fetch_add(1, Ordering::Relaxed));
        let mut out = Vec::new();
        let mut idle_model: Vec<usize> = Vec::new();
        let (mut creations, mut reuses, mut returns, mut discards, mut detached) = (0u64, 0u64, 0u64, 0u64, 0u64);
        for op in ops {
            match op {
                Op::Get => {
                    let p = pool.get();
                    if let Some(pos) = idle_model.iter().position(|&v| v == *p) {
                        idle_model.swap_remove(pos);
                        reuses += 1;
                    } else {
                        prop_assert_eq!(*p, serial.load(Ordering::Relaxed) - 1, "not fresh, not idle");
                        creations += 1;
                    }
                    out.push(p);
                }
                Op::Drop(i) if !out.is_empty() => {
                    let p = out.swap_remove(i % out.len());
                    let v = *p;
                    drop(p);
                    if idle_model.len() < max_idle { idle_model.push(v); returns += 1; } else { discards += 1; }
                }
                Op::Detach(i) if !out.is_empty() => {
                    let p = out.swap_remove(i % out.len());
                    let v = *p;
                    prop_assert_eq!(p.detach(), v);
                    detached += 1;
                }
                Op::Prewarm(n) => {
                    let room = max_idle - idle_model.len();
                    let added = pool.prewarm(n);
                    prop_assert_eq!(added, n.min(room));
                    let next = serial.load(Ordering::Relaxed);
                    idle_model.extend(next - added..next);
                    creations += added as u64;
                }
                _ => {}
            }
            let mut live: Vec<usize> = out.iter().map(|p| **p).collect();
            live.extend(&idle_model);
            let n = live.len();
            live.sort_unstable();
            live.dedup();
            prop_assert_eq!(live.len(), n, "a value is in two places");
            let s = pool.stats();
            prop_assert_eq!((s.creations, s.reuses, s.returns, s.discards, s.detached, s.idle),
                (creations, reuses, returns, discards, detached, idle_model.len()));
        }
    }
}
