//! Many threads reading, writing and removing at once: values stay right, bounds hold.

use perfkit::cache::memory::{MemoryCache, RemovalCause};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[test]
fn concurrent_mixed_use_keeps_values_and_bounds() {
    let reported = Arc::new(AtomicU64::new(0));
    let sink = Arc::clone(&reported);
    let cache: MemoryCache<u64, (u64, u64)> = MemoryCache::builder()
        .max_entries(2_000)
        .shards(4)
        .eviction_listener(move |k, v: (u64, u64), cause| {
            assert_eq!(k, v.0, "the listener gets the key's own value");
            if cause != RemovalCause::Replaced {
                sink.fetch_add(1, Ordering::Relaxed);
            }
        })
        .build()
        .unwrap();
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let cache = cache.clone();
            std::thread::spawn(move || {
                let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ t;
                for i in 0..50_000u64 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let k = if x.is_multiple_of(4) {
                        x % 100_000
                    } else {
                        x % 3_000
                    };
                    match i % 10 {
                        0..=5 => {
                            if let Some(v) = cache.get(&k) {
                                assert_eq!(v.0, k, "a value stored under another key");
                            }
                        }
                        6..=8 => cache.insert(k, (k, t)),
                        _ => {
                            cache.remove(&k);
                        }
                    }
                    if i.is_multiple_of(5_000) {
                        assert!(cache.len() <= 2_000);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(cache.len() <= 2_000);
    let s = cache.stats();
    assert_eq!(s.hits + s.misses, 4 * 50_000 * 6 / 10);
    // Every entry ever inserted new is either still there or was reported leaving.
    assert_eq!(s.inserts, cache.len() + reported.load(Ordering::Relaxed));
}

/// Hits and misses are counted exactly, whatever the number of threads: more threads than
/// the counters have per-thread stripes (these share one), and threads that exit and are
/// replaced (the newcomers take over the stripes the others gave back).
#[test]
fn lookups_are_counted_exactly_across_many_short_lived_threads() {
    let cache: MemoryCache<u64, u64> = MemoryCache::new(1_000).unwrap();
    for k in 0..500 {
        cache.insert(k, k);
    }
    let (mut hits, mut misses) = (0u64, 0u64);
    for round in 0..3u64 {
        let counts: Vec<(u64, u64)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..80u64)
                .map(|t| {
                    let cache = &cache;
                    s.spawn(move || {
                        let (mut h, mut m) = (0, 0);
                        for i in 0..2_000u64 {
                            // Keys 0..1000: about half resident.
                            let k = (i * 7 + t * 13 + round) % 1_000;
                            match cache.get(&k) {
                                Some(_) => h += 1,
                                None => m += 1,
                            }
                        }
                        (h, m)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (h, m) in counts {
            hits += h;
            misses += m;
        }
        let s = cache.stats();
        assert_eq!((s.hits, s.misses), (hits, misses), "round {round}");
    }
    assert_eq!(hits + misses, 3 * 80 * 2_000);
}
