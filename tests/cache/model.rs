//! A model check: random operations against a map with deadlines. With a capacity above the
//! key space nothing is evicted, so the cache must agree with the model exactly.

use proptest::prelude::*;
use std::collections::HashMap;
use std::time::Duration;

#[derive(Debug, Clone)]
enum Op {
    Insert(u8, u16),
    InsertTtl(u8, u16, u8),
    Get(u8),
    Load(u8, u16),
    Invalidate(u8),
    Advance(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..32u8, any::<u16>()).prop_map(|(k, v)| Op::Insert(k, v)),
        (0..32u8, any::<u16>(), 1..20u8).prop_map(|(k, v, t)| Op::InsertTtl(k, v, t)),
        (0..32u8).prop_map(Op::Get),
        (0..32u8, any::<u16>()).prop_map(|(k, v)| Op::Load(k, v)),
        (0..32u8).prop_map(Op::Invalidate),
        (0..3_000u16).prop_map(Op::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn agrees_with_a_model(ops in prop::collection::vec(op(), 1..200)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let ttl = Duration::from_secs(10);
            let (cache, clock) = crate::manual_cache(ttl, |b| b).await;
            // key -> (value, deadline in ms since the start)
            let mut model: HashMap<u64, (String, u64)> = HashMap::new();
            let mut now = 0u64;
            for op in ops {
                match op {
                    Op::Insert(k, v) => {
                        cache.insert(u64::from(k), v.to_string()).await.unwrap();
                        model.insert(u64::from(k), (v.to_string(), now + 10_000));
                    }
                    Op::InsertTtl(k, v, secs) => {
                        let t = Duration::from_secs(u64::from(secs));
                        cache.insert_with_ttl(u64::from(k), v.to_string(), t).await.unwrap();
                        let d = now + u64::from(secs).min(10) * 1_000;
                        model.insert(u64::from(k), (v.to_string(), d));
                    }
                    Op::Get(k) => {
                        let expected = model
                            .get(&u64::from(k))
                            .filter(|(_, d)| *d > now)
                            .map(|(v, _)| v.clone());
                        prop_assert_eq!(cache.get(&u64::from(k)).await, expected);
                    }
                    Op::Load(k, v) => {
                        let live = model.get(&u64::from(k)).filter(|(_, d)| *d > now).cloned();
                        let got = cache
                            .get_or_load(u64::from(k), move |_| async move {
                                Ok::<_, std::io::Error>(v.to_string())
                            })
                            .await
                            .unwrap();
                        match live {
                            Some((old, _)) => prop_assert_eq!(got, old),
                            None => {
                                prop_assert_eq!(&got, &v.to_string());
                                model.insert(u64::from(k), (got, now + 10_000));
                            }
                        }
                    }
                    Op::Invalidate(k) => {
                        cache.invalidate(&u64::from(k)).await;
                        model.remove(&u64::from(k));
                    }
                    Op::Advance(ms) => {
                        clock.advance(Duration::from_millis(u64::from(ms)));
                        now += u64::from(ms);
                    }
                }
            }
            Ok(())
        })?;
    }
}
