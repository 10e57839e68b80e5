//! The eviction listener hears every departure with its cause, never under a lock.

use perfkit::cache::memory::{MemoryCache, RemovalCause};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

type Log = Arc<Mutex<Vec<(u64, u64, RemovalCause)>>>;

fn logged(max: u64) -> (MemoryCache<u64, u64>, Log) {
    let log: Log = Arc::default();
    let sink = Arc::clone(&log);
    let c = MemoryCache::builder()
        .max_entries(max)
        .eviction_listener(move |k, v, cause| sink.lock().unwrap().push((k, v, cause)))
        .build()
        .unwrap();
    (c, log)
}

#[test]
fn explicit_and_replaced() {
    let (c, log) = logged(10);
    c.insert(1, 10);
    c.insert(1, 11);
    c.insert(2, 20);
    assert_eq!(c.remove(&2), Some(20));
    assert_eq!(c.remove(&2), None);
    c.insert(3, 30);
    c.clear();
    let mut got = log.lock().unwrap().clone();
    got.sort_by_key(|e| (e.0, e.1));
    assert_eq!(
        got,
        vec![
            (1, 10, RemovalCause::Replaced),
            (1, 11, RemovalCause::Explicit),
            (2, 20, RemovalCause::Explicit),
            (3, 30, RemovalCause::Explicit),
        ]
    );
}

#[test]
fn every_entry_that_leaves_for_capacity_is_reported_once_including_refused_ones() {
    let (c, log) = logged(100);
    // Make keys 0..100 popular so later one-off keys are refused admission.
    for _ in 0..5 {
        for k in 0..100u64 {
            if c.get(&k).is_none() {
                c.insert(k, k);
            }
        }
    }
    for k in 1_000..3_000u64 {
        c.insert(k, k);
    }
    let log = log.lock().unwrap();
    let mut seen = HashMap::new();
    for &(k, v, cause) in log.iter() {
        assert_eq!(cause, RemovalCause::Size);
        assert_eq!(k, v);
        assert!(seen.insert(k, ()).is_none(), "key {k} reported twice");
    }
    // Everything inserted is either still cached or was reported.
    let total_inserted = 100 + 2_000;
    assert_eq!(log.len() as u64 + c.len(), total_inserted);
    let s = c.stats();
    assert_eq!(s.evictions, log.len() as u64);
    assert!(
        s.admission_rejections > 1_000,
        "new one-off keys refused: {s:?}"
    );
    let refused_new = log.iter().filter(|(k, _, _)| *k >= 1_000).count();
    assert!(refused_new > 1_000);
}

#[test]
fn a_listener_that_calls_back_into_the_cache_does_not_deadlock() {
    let slot: Arc<OnceLock<MemoryCache<u64, u64>>> = Arc::default();
    let inner = Arc::clone(&slot);
    let moved = Arc::new(Mutex::new(0u64));
    let count = Arc::clone(&moved);
    let c = MemoryCache::builder()
        .max_entries(16)
        .shards(1)
        .eviction_listener(move |k, v, cause| {
            if let Some(cache) = inner.get() {
                // Every cache call takes a shard lock: this would deadlock under one.
                let _ = cache.get(&k);
                let _ = cache.len();
                let _ = cache.stats();
                if cause == RemovalCause::Size && k < 1_000_000 {
                    cache.insert(k + 1_000_000, v);
                }
                *count.lock().unwrap() += 1;
            }
        })
        .build()
        .unwrap();
    let _ = slot.set(c.clone());
    for k in 0..200u64 {
        c.insert(k, k);
    }
    c.remove(&199);
    c.clear();
    assert!(*moved.lock().unwrap() > 100);
    assert!(c.is_empty());
}
