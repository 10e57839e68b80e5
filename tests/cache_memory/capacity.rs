//! Bounds hold under an unbounded key space, and the policy keeps popular keys.

use perfkit::cache::memory::MemoryCache;

#[test]
fn entry_bound_holds_for_an_unbounded_key_space() {
    for shards in [1, 4, 16] {
        let cache = MemoryCache::builder()
            .max_entries(500)
            .shards(shards)
            .build()
            .unwrap();
        for k in 0..50_000u64 {
            cache.insert(k, k);
            if k.is_multiple_of(997) {
                assert!(cache.len() <= 500, "len {} at key {k}", cache.len());
            }
        }
        assert!(cache.len() <= 500);
        assert!(cache.len() >= 400, "the cache fills up: {}", cache.len());
        let s = cache.stats();
        assert_eq!(s.inserts, 50_000);
        assert_eq!(s.entries, cache.len());
        assert_eq!(s.evictions, 50_000 - cache.len());
        assert_eq!(s.capacity, 500);
    }
}

#[test]
fn weight_bound_holds_and_heavy_entries_are_refused() {
    let cache = MemoryCache::builder()
        .max_weight(10_000)
        .weigher(|_k: &u64, v: &Vec<u8>| v.len() as u32)
        .shards(2)
        .build()
        .unwrap();
    for k in 0..20_000u64 {
        cache.insert(k, vec![0u8; (k % 200) as usize]);
        assert!(cache.weighted_size() <= 10_000);
    }
    // Heavier than a shard (5 000): refused at once, never stored.
    cache.insert(1_000_000, vec![0u8; 6_000]);
    assert_eq!(cache.get(&1_000_000), None);
    assert!(cache.stats().admission_rejections >= 1);
    assert!(cache.weighted_size() <= 10_000);
}

#[test]
fn zero_weight_counts_as_one() {
    let cache = MemoryCache::builder()
        .max_weight(100)
        .weigher(|_k: &u64, _v: &u64| 0)
        .build()
        .unwrap();
    for k in 0..1_000u64 {
        cache.insert(k, k);
    }
    assert!(cache.len() <= 100);
    assert_eq!(cache.weighted_size(), cache.len());
}

#[test]
fn frequent_keys_survive_a_scan() {
    // 600 hot keys read in turn, each read followed by a never-repeated cold key. Between
    // two reads of a hot key come 1 200 distinct keys, so LRU at 1 000 entries hits
    // nothing; a frequency filter keeps the hot keys and refuses the cold ones.
    let cache = MemoryCache::new(1_000).unwrap();
    let mut hot_hits = 0;
    for i in 0..120_000u64 {
        let hot = i % 600;
        if cache.get(&hot).is_some() {
            hot_hits += 1;
        } else {
            cache.insert(hot, i);
        }
        let cold = 1_000_000 + i;
        if cache.get(&cold).is_none() {
            cache.insert(cold, i);
        }
    }
    assert!(hot_hits > 100_000, "hot reads that hit: {hot_hits}/120000");
}

#[test]
fn recency_trace_where_every_key_repeats_once_soon() {
    // Corda-like: each key is read twice, the second time a few requests later. LRU hits
    // 1/3 of requests; a pure frequency filter would refuse every new key.
    let cache = MemoryCache::new(64).unwrap();
    let (mut hits, mut total) = (0u64, 0u64);
    for base in (0..300_000u64).step_by(4) {
        for k in [base, base + 1, base, base + 1, base + 2, base + 2] {
            total += 1;
            if cache.get(&k).is_some() {
                hits += 1;
            } else {
                cache.insert(k, ());
            }
        }
    }
    let ratio = hits as f64 / total as f64;
    assert!(ratio > 0.49, "hit ratio {ratio}");
}

#[test]
fn clones_share_one_cache_and_clear_empties_it() {
    let a = MemoryCache::new(100).unwrap();
    let b = a.clone();
    a.insert("k".to_string(), 1);
    assert_eq!(b.get("k"), Some(1));
    assert!(b.contains_key("k"));
    assert_eq!(b.remove("k"), Some(1));
    assert_eq!(a.get("k"), None);
    a.insert("x".to_string(), 2);
    a.insert("y".to_string(), 3);
    assert_eq!(b.len(), 2);
    b.clear();
    assert!(a.is_empty());
    assert_eq!(a.weighted_size(), 0);
    assert_eq!(a.get("x"), None);
}

#[test]
fn peek_and_contains_do_not_count() {
    let cache = MemoryCache::new(10).unwrap();
    cache.insert(1, 1);
    assert_eq!(cache.peek(&1), Some(1));
    assert!(cache.contains_key(&1));
    assert!(!cache.contains_key(&2));
    assert_eq!(cache.peek(&2), None);
    let s = cache.stats();
    assert_eq!((s.hits, s.misses), (0, 0));
    assert_eq!(s.hit_ratio(), 0.0);
    cache.get(&1);
    cache.get(&2);
    cache.insert(1, 5);
    let s = cache.stats();
    assert_eq!((s.hits, s.misses, s.inserts, s.updates), (1, 1, 1, 1));
    assert!((s.hit_ratio() - 0.5).abs() < 1e-12);
}
