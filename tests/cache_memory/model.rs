//! A property test against a model: whatever `get` returns is the last value inserted for
//! that key and not expired; the cache never holds more than its capacity.

use perfkit::cache::memory::MemoryCache;
use perfkit::clock::ManualClock;
use proptest::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
enum Op {
    Get(u8),
    Insert(u8, u32),
    InsertTtl(u8, u32, u8),
    Remove(u8),
    Advance(u8),
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<u8>().prop_map(Op::Get),
        4 => (any::<u8>(), any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
        2 => (any::<u8>(), any::<u32>(), 1..20u8).prop_map(|(k, v, t)| Op::InsertTtl(k, v, t)),
        1 => any::<u8>().prop_map(Op::Remove),
        1 => (0..10u8).prop_map(Op::Advance),
        1 => Just(Op::Clear),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn cache_agrees_with_a_model(
        ops in proptest::collection::vec(op(), 1..400),
        cap in 1..40u64,
        shards in 1..4usize,
        ttl in proptest::option::of(1..30u64),
    ) {
        let clock = ManualClock::new();
        let mut b = MemoryCache::builder()
            .max_entries(cap)
            .clock(Arc::new(clock.clone()));
        if let Some(t) = ttl {
            b = b.time_to_live(Duration::from_secs(t));
        }
        let shards = if shards as u64 > cap { 1 } else { shards.next_power_of_two().min(2) };
        let cache: MemoryCache<u8, u32> = b.shards(shards).build().unwrap();
        // key -> (value, expiry in whole seconds since start)
        let mut model: HashMap<u8, (u32, Option<u64>)> = HashMap::new();
        let mut now = 0u64;
        for op in ops {
            match op {
                Op::Get(k) => {
                    let got = cache.get(&k);
                    if let Some(v) = got {
                        let (mv, exp) = model.get(&k).copied().expect("a value never inserted");
                        prop_assert_eq!(v, mv, "stale value for {}", k);
                        prop_assert!(exp.is_none_or(|e| now < e), "expired value for {}", k);
                    }
                }
                Op::Insert(k, v) => {
                    cache.insert(k, v);
                    model.insert(k, (v, ttl.map(|t| now + t)));
                }
                Op::InsertTtl(k, v, t) => {
                    cache.insert_with_ttl(k, v, Duration::from_secs(u64::from(t)));
                    model.insert(k, (v, Some(now + u64::from(t))));
                }
                Op::Remove(k) => {
                    let got = cache.remove(&k);
                    if let Some(v) = got {
                        let (mv, exp) = model.get(&k).copied().expect("removed a value never inserted");
                        prop_assert_eq!(v, mv);
                        prop_assert!(exp.is_none_or(|e| now < e));
                    }
                    model.remove(&k);
                }
                Op::Advance(s) => {
                    clock.advance(Duration::from_secs(u64::from(s)));
                    now += u64::from(s);
                }
                Op::Clear => {
                    cache.clear();
                    model.clear();
                    prop_assert!(cache.is_empty());
                }
            }
            prop_assert!(cache.len() <= cap, "len {} > capacity {}", cache.len(), cap);
            prop_assert_eq!(cache.weighted_size(), cache.len());
        }
    }
}
