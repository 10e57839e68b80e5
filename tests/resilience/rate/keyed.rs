//! `KeyedRateLimiter`: per-key GCRA, and the memory bound (sweeps, cap, eviction order).

use super::{LeakyBucket, manual, ms, set};
use perfkit::clock::Clock;
use perfkit::resilience::{KeyedRateLimiter, RateLimitError};
use proptest::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

#[test]
fn each_key_has_its_own_scripted_quota() {
    let (clock, shared) = manual();
    let k = KeyedRateLimiter::<&str>::per_second(10)
        .burst(3)
        .clock(shared)
        .build()
        .unwrap();
    // Key "a" follows the same script as the direct limiter; "b" is interleaved and must not
    // affect it (nor be affected).
    let script: &[(u64, Option<u64>)] = &[
        (0, None),
        (0, None),
        (0, None),
        (0, Some(100)),
        (50, Some(50)),
        (100, None),
        (100, Some(100)),
        (250, None),
        (250, Some(50)),
    ];
    for (i, &(at, expected)) in script.iter().enumerate() {
        set(&clock, ms(at));
        let got = k.check_key(&"a").err().map(|e| e.retry_after());
        assert_eq!(got, expected.map(ms), "arrival #{i} at {at} ms");
        if i < 3 {
            k.check_key(&"b").unwrap();
        }
    }
    // "b" took its burst at 0 ms (TAT 300); at 250 ms it has two cells back, not three.
    k.check_key(&"b").unwrap();
    k.check_key(&"b").unwrap();
    assert_eq!(k.check_key(&"b").unwrap_err().retry_after(), ms(50));
    assert!(k.check_key(&"c").is_ok());
}

#[test]
fn keyed_costs_zero_and_above_burst() {
    let (_clock, shared) = manual();
    let k = KeyedRateLimiter::<String>::per_second(4)
        .clock(shared)
        .build()
        .unwrap();
    let key = "tenant-1".to_string();
    k.check_key_n(&key, 0).unwrap();
    assert_eq!(k.tracked_keys(), 0, "cost 0 must not track the key");
    match k.check_key_n(&key, 5) {
        Err(RateLimitError::InsufficientCapacity(e)) => assert_eq!((e.cost(), e.burst()), (5, 4)),
        other => panic!("{other:?}"),
    }
    assert_eq!(k.tracked_keys(), 0);
    k.check_key_n(&key, 4).unwrap();
    assert_eq!(
        k.check_key_n(&key, 1).unwrap_err().retry_after(),
        Some(ms(250))
    );
    k.check_key_n(&key, 0).unwrap();
}

#[test]
fn full_idle_keys_are_dropped_by_retain_recent_without_changing_decisions() {
    let (clock, shared) = manual();
    let k = KeyedRateLimiter::<u64>::per_second(10)
        .burst(1)
        .clock(shared)
        .build()
        .unwrap();
    for key in 0..1_000 {
        k.check_key(&key).unwrap();
    }
    set(&clock, ms(50));
    for key in 1_000..1_500 {
        k.check_key(&key).unwrap();
    }
    assert_eq!(k.tracked_keys(), 1_500);
    k.retain_recent();
    assert_eq!(k.tracked_keys(), 1_500, "no bucket is full yet");
    set(&clock, ms(100)); // keys 0..1000 are full again (TAT 100 ms), the rest are not
    k.retain_recent();
    assert_eq!(k.tracked_keys(), 500);
    assert_eq!(k.check_key(&1_200).unwrap_err().retry_after(), ms(50));
    k.check_key(&7).unwrap(); // forgotten = full, which is what it was
    set(&clock, ms(1_000));
    k.shrink_to_fit();
    assert!(k.is_empty());
    assert!(k.capacity() < 1_000, "memory given back: {}", k.capacity());
}

#[test]
fn lazy_sweeps_keep_only_recently_limited_keys() {
    let (clock, shared) = manual();
    // T = 1 ms: a key stays tracked for 1 ms after its check.
    let k = KeyedRateLimiter::<u64>::per_second(1_000)
        .burst(1)
        .shards(4)
        .clock(shared)
        .build()
        .unwrap();
    let mut key = 0u64;
    let mut peak = 0;
    for _ in 0..2_000 {
        for _ in 0..50 {
            k.check_key(&key).unwrap();
            key += 1;
        }
        // A key checked again within its millisecond is still limited: nothing live is lost.
        assert!(k.check_key(&(key - 1)).is_err());
        clock.advance(ms(1));
        peak = peak.max(k.tracked_keys());
    }
    // 100 000 keys went through; about 50 are live at a time. Each of the 4 shards sweeps at
    // 64 keys or at twice its live set, so without sweeps this would be 100 000.
    assert!(peak <= 4 * 64, "peak {peak}");
}

/// The bound: one million distinct keys, every one non-full when it arrives (the
/// clock barely moves): the limiter never tracks more than its cap, and its allocation stops
/// growing (hash tables round up and keep tombstones, so it plateaus below 4 × the cap).
#[test]
fn a_million_distinct_keys_stay_under_the_cap() {
    let (clock, shared) = manual();
    let cap = 10_000;
    let k = KeyedRateLimiter::<u64>::per_minute(1)
        .burst(1)
        .max_keys(cap)
        .clock(shared)
        .build()
        .unwrap();
    assert_eq!(k.max_keys(), cap - cap % 64);
    let mut plateau = 0;
    for key in 0..1_000_000u64 {
        // Fresh keys are always admitted, even when something had to be evicted for them.
        k.check_key(&key).unwrap();
        clock.advance(Duration::from_micros(1));
        if key % 1_000 == 999 {
            let tracked = k.tracked_keys();
            assert!(tracked <= k.max_keys(), "{tracked} keys after {key}");
            if key as usize >= 2 * cap {
                assert!(
                    tracked >= k.max_keys() / 2,
                    "evicted far too much: {tracked}"
                );
            }
            let allocated = k.capacity();
            assert!(allocated < 4 * cap, "allocation {allocated} after {key}");
            if key < 500_000 {
                plateau = plateau.max(allocated);
            } else {
                assert!(
                    allocated <= plateau,
                    "allocation grew to {allocated} after {key}"
                );
            }
        }
    }
    // The most recent keys were not the ones evicted (their TATs are the latest).
    for key in 999_900..1_000_000u64 {
        assert!(k.check_key(&key).is_err(), "recent key {key} was forgotten");
    }
}

#[test]
fn eviction_takes_the_key_closest_to_full() {
    let (clock, shared) = manual();
    let k = KeyedRateLimiter::<u64>::per_minute(1)
        .burst(1)
        .max_keys(8)
        .shards(1)
        .clock(shared)
        .build()
        .unwrap();
    for key in 0..8 {
        k.check_key(&key).unwrap();
        clock.advance(ms(1)); // key 0 has the earliest TAT, key 7 the latest
    }
    assert_eq!(k.tracked_keys(), 8);
    k.check_key(&8).unwrap(); // full shard: key 0 goes
    assert_eq!(k.tracked_keys(), 8);
    for key in 1..=8 {
        assert!(k.check_key(&key).is_err(), "key {key} was evicted");
    }
    k.check_key(&0).unwrap(); // forgotten, so admitted again (and key 1 goes)
    assert!(k.check_key(&0).is_err());
    k.check_key(&1).unwrap();
}

#[test]
fn racing_threads_on_one_key_get_exactly_the_burst() {
    const BURST: u32 = 5_000;
    for round in 0..5 {
        let (_clock, shared) = manual();
        let k = KeyedRateLimiter::<u32>::per_second(1)
            .burst(BURST)
            .clock(shared)
            .build()
            .unwrap();
        let admitted = Arc::new(AtomicU64::new(0));
        let barrier = Arc::new(Barrier::new(3));
        let handles: Vec<_> = (0..3u32)
            .map(|t| {
                let (k, admitted, barrier) = (k.clone(), admitted.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let mut mine = 0;
                    let mut denied_in_a_row = 0;
                    while denied_in_a_row < 1_000 {
                        // Key 7 is shared by all; each thread's own key adds traffic on
                        // other shards (and more inserts) in between.
                        let _ = k.check_key(&(100 + t));
                        if k.check_key(&7).is_ok() {
                            mine += 1;
                            denied_in_a_row = 0;
                        } else {
                            denied_in_a_row += 1;
                        }
                    }
                    admitted.fetch_add(mine, Ordering::Relaxed);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(
            admitted.load(Ordering::Relaxed),
            u64::from(BURST),
            "round {round}"
        );
        assert!(k.check_key(&7).is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// Per key, every decision and wait equals an independent leaky bucket per key, with
    /// random sweeps in between (sweeping must never change a decision).
    #[test]
    fn keyed_matches_one_leaky_bucket_per_key(
        burst in 1u32..6,
        steps in proptest::collection::vec((0u64..300_000_000, 0u8..4, 0u32..7, any::<bool>()), 1..200),
    ) {
        let (clock, shared) = manual();
        let k = KeyedRateLimiter::<u8>::per_second(10).burst(burst).clock(shared).build().unwrap();
        let mut reference: Vec<LeakyBucket> = (0..4).map(|_| LeakyBucket::new(100_000_000, u64::from(burst))).collect();
        for (gap, key, cost, sweep) in steps {
            clock.advance(Duration::from_nanos(gap));
            if sweep {
                k.retain_recent();
            }
            let now = clock.now().as_nanos() as u64;
            let expected = if cost == 0 { Some(Ok(())) } else { reference[key as usize].offer(now, u64::from(cost)) };
            match (expected, k.check_key_n(&key, cost)) {
                (None, Err(RateLimitError::InsufficientCapacity(_))) => {}
                (Some(Ok(())), Ok(())) => {}
                (Some(Err(wait)), Err(RateLimitError::RateLimited(r))) => {
                    prop_assert_eq!(r.retry_after(), Duration::from_nanos(wait));
                }
                (e, g) => prop_assert!(false, "expected {:?}, got {:?}", e, g),
            }
        }
    }
}
