//! Time to live, time to idle and per-entry TTL, driven by a ManualClock (no sleeps).

use perfkit::cache::memory::{MemoryCache, RemovalCause};
use perfkit::clock::ManualClock;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Log = Arc<Mutex<Vec<(u64, u64, RemovalCause)>>>;

fn cache(
    clock: &ManualClock,
    f: impl FnOnce(
        perfkit::cache::memory::MemoryCacheBuilder<u64, u64>,
    ) -> perfkit::cache::memory::MemoryCacheBuilder<u64, u64>,
) -> (MemoryCache<u64, u64>, Log) {
    let log: Log = Arc::default();
    let sink = Arc::clone(&log);
    let c = f(MemoryCache::builder()
        .max_entries(100)
        .clock(Arc::new(clock.clone()))
        .eviction_listener(move |k, v, cause| sink.lock().unwrap().push((k, v, cause))))
    .build()
    .unwrap();
    (c, log)
}

const S: Duration = Duration::from_secs(1);

#[test]
fn time_to_live_expires_entries_exactly_at_the_deadline() {
    let clock = ManualClock::new();
    let (c, log) = cache(&clock, |b| b.time_to_live(10 * S));
    c.insert(1, 10);
    clock.advance(9 * S);
    assert_eq!(c.get(&1), Some(10));
    c.insert(2, 20);
    clock.advance(S);
    assert_eq!(c.get(&1), None, "expired at exactly 10 s");
    assert!(!c.contains_key(&1));
    assert_eq!(c.peek(&1), None);
    assert_eq!(c.get(&2), Some(20));
    assert_eq!(
        log.lock().unwrap().as_slice(),
        &[(1, 10, RemovalCause::Expired)]
    );
    assert_eq!(c.stats().expirations, 1);
    // A replaced value gets a fresh time to live.
    clock.advance(8 * S);
    c.insert(2, 21);
    clock.advance(5 * S);
    assert_eq!(c.get(&2), Some(21));
}

#[test]
fn time_to_idle_is_extended_by_reads_but_capped_by_ttl() {
    let clock = ManualClock::new();
    let (c, _) = cache(&clock, |b| b.time_to_idle(3 * S).time_to_live(10 * S));
    c.insert(1, 1);
    c.insert(2, 2);
    for _ in 0..4 {
        clock.advance(2 * S);
        assert_eq!(c.get(&1), Some(1));
    }
    // Key 2 was idle for 8 s; key 1 was read every 2 s.
    assert_eq!(c.get(&2), None);
    // peek does not extend the idle timer.
    clock.advance(2 * S);
    assert_eq!(c.peek(&1), None, "the TTL of 10 s caps the idle extension");
    assert_eq!(c.get(&1), None);
}

#[test]
fn peek_does_not_extend_idle() {
    let clock = ManualClock::new();
    let (c, _) = cache(&clock, |b| b.time_to_idle(3 * S));
    c.insert(1, 1);
    clock.advance(2 * S);
    assert_eq!(c.peek(&1), Some(1));
    clock.advance(2 * S);
    assert_eq!(c.get(&1), None);
}

#[test]
fn per_entry_ttl_overrides_the_default() {
    let clock = ManualClock::new();
    let (c, _) = cache(&clock, |b| b.time_to_live(100 * S));
    c.insert_with_ttl(1, 1, 2 * S);
    c.insert(2, 2);
    let (c2, _) = cache(&clock, |b| b);
    c2.insert_with_ttl(3, 3, 5 * S);
    c2.insert(4, 4);
    clock.advance(2 * S);
    assert_eq!(c.get(&1), None);
    assert_eq!(c.get(&2), Some(2));
    clock.advance(3 * S);
    assert_eq!(c2.get(&3), None);
    clock.advance(10_000 * S);
    assert_eq!(c2.get(&4), Some(4), "no default TTL: never expires");
}

#[test]
fn stale_retention_keeps_the_entry_but_get_never_returns_it() {
    let clock = ManualClock::new();
    let (c, log) = cache(&clock, |b| b.time_to_live(10 * S).stale_retention(5 * S));
    c.insert(1, 1);
    clock.advance(12 * S);
    assert_eq!(c.get(&1), None);
    assert_eq!(c.len(), 1, "kept for its stale retention");
    assert!(log.lock().unwrap().is_empty());
    clock.advance(3 * S);
    assert_eq!(c.get(&1), None);
    assert_eq!(c.len(), 0, "dropped once past the retention");
    assert_eq!(
        log.lock().unwrap().as_slice(),
        &[(1, 1, RemovalCause::Expired)]
    );
    let s = c.stats();
    assert_eq!((s.hits, s.misses, s.expirations), (0, 2, 1));
}

#[test]
fn remove_of_an_expired_entry_returns_none_and_reports_expired() {
    let clock = ManualClock::new();
    let (c, log) = cache(&clock, |b| b.time_to_live(S));
    c.insert(1, 1);
    clock.advance(2 * S);
    assert_eq!(c.remove(&1), None);
    assert_eq!(
        log.lock().unwrap().as_slice(),
        &[(1, 1, RemovalCause::Expired)]
    );
    assert!(c.is_empty());
}

#[test]
fn expired_entries_are_evicted_first_and_reported_as_expired() {
    let clock = ManualClock::new();
    let log: Log = Arc::default();
    let sink = Arc::clone(&log);
    let c = MemoryCache::builder()
        .max_entries(10)
        .clock(Arc::new(clock.clone()))
        .eviction_listener(move |k, v, cause| sink.lock().unwrap().push((k, v, cause)))
        .build()
        .unwrap();
    for k in 0..10 {
        c.insert_with_ttl(k, k, S);
    }
    clock.advance(2 * S);
    for k in 10..20 {
        c.insert(k, k);
    }
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 10);
    assert!(
        log.iter()
            .all(|&(k, _, cause)| k < 10 && cause == RemovalCause::Expired)
    );
    assert!((10..20).all(|k| c.get(&k).is_some()));
}
