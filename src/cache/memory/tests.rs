//! Unit tests of the crate-internal surface the tiered cache uses (`lookup`, `insert_at`,
//! `now_ms`), which integration tests cannot reach.

use super::cache::Lookup;
use super::{MemoryCache, RemovalCause};
use crate::clock::ManualClock;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[test]
fn lookup_reports_hit_stale_and_miss() {
    let clock = ManualClock::new();
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    let c: MemoryCache<u32, u32> = MemoryCache::builder()
        .max_entries(10)
        .clock(Arc::new(clock.clone()))
        .stale_retention(Duration::from_secs(5))
        .eviction_listener(move |k, _v, cause| sink.lock().unwrap().push((k, cause)))
        .build()
        .unwrap();
    let t0 = c.now_ms();
    c.insert_at(1, 10, Some(t0 + 2_000));
    c.insert_at(2, 20, None);
    assert_eq!(
        c.lookup(&1),
        Lookup::Hit {
            value: 10,
            expires_at: Some(t0 + 2_000)
        }
    );
    assert_eq!(
        c.lookup(&2),
        Lookup::Hit {
            value: 20,
            expires_at: None
        }
    );
    clock.advance(Duration::from_secs(3));
    assert_eq!(c.now_ms(), t0 + 3_000);
    assert_eq!(
        c.lookup(&1),
        Lookup::Stale {
            value: 10,
            expired_at: t0 + 2_000
        }
    );
    assert_eq!(c.get(&1), None, "get never serves a stale value");
    clock.advance(Duration::from_secs(4));
    assert_eq!(c.lookup(&1), Lookup::Miss);
    assert_eq!(c.lookup(&3), Lookup::Miss);
    assert_eq!(
        log.lock().unwrap().as_slice(),
        &[(1, RemovalCause::Expired)]
    );
    let s = c.stats();
    assert_eq!((s.hits, s.misses), (2, 4));
}

#[test]
fn insert_at_ignores_the_default_ttl() {
    let clock = ManualClock::new();
    let c: MemoryCache<u32, u32> = MemoryCache::builder()
        .max_entries(10)
        .time_to_live(Duration::from_secs(1))
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    c.insert_at(1, 1, None);
    c.insert(2, 2);
    clock.advance(Duration::from_secs(60));
    assert_eq!(c.get(&1), Some(1));
    assert_eq!(c.get(&2), None);
}
