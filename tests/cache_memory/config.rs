//! Settings that cannot work are refused with a typed error.

use perfkit::cache::CacheError;
use perfkit::cache::memory::MemoryCache;
use std::time::Duration;

fn field(r: Result<MemoryCache<u64, u64>, CacheError>) -> &'static str {
    match r {
        Err(CacheError::InvalidConfig { field, reason }) => {
            assert!(!reason.is_empty());
            field
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("accepted a bad setting"),
    }
}

#[test]
fn bad_settings_are_invalid_config() {
    assert_eq!(field(MemoryCache::new(0)), "max_entries");
    assert_eq!(field(MemoryCache::builder().build()), "max_entries");
    assert_eq!(
        field(
            MemoryCache::builder()
                .max_entries(10)
                .max_weight(10)
                .build()
        ),
        "max_weight"
    );
    assert_eq!(
        field(MemoryCache::builder().max_weight(10).build()),
        "weigher"
    );
    assert_eq!(
        field(
            MemoryCache::builder()
                .max_weight(0)
                .weigher(|_, _| 1)
                .build()
        ),
        "max_weight"
    );
    assert_eq!(
        field(
            MemoryCache::builder()
                .max_entries(10)
                .weigher(|_, _| 1)
                .build()
        ),
        "weigher"
    );
    assert_eq!(
        field(MemoryCache::builder().max_entries(10).shards(0).build()),
        "shards"
    );
    assert_eq!(
        field(MemoryCache::builder().max_entries(10).shards(16).build()),
        "shards"
    );
    assert_eq!(
        field(
            MemoryCache::builder()
                .max_entries(1 << 20)
                .shards(4096)
                .build()
        ),
        "shards"
    );
    assert_eq!(
        field(
            MemoryCache::builder()
                .max_entries(10)
                .time_to_live(Duration::ZERO)
                .build()
        ),
        "time_to_live"
    );
    assert_eq!(
        field(
            MemoryCache::builder()
                .max_entries(10)
                .time_to_idle(Duration::ZERO)
                .build()
        ),
        "time_to_idle"
    );
}

#[test]
fn good_settings_build_with_exact_capacity() {
    let c: MemoryCache<u64, u64> = MemoryCache::builder()
        .max_entries(1_001)
        .shards(3)
        .build()
        .unwrap();
    assert_eq!(c.capacity(), 1_001);
    let c: MemoryCache<u64, u64> = MemoryCache::new(1).unwrap();
    c.insert(1, 1);
    c.insert(2, 2);
    assert_eq!(c.len(), 1);
}
