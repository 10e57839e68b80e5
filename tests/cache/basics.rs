use perfkit::cache::TieredCache;
use std::time::Duration;

#[tokio::test]
async fn insert_get_invalidate() {
    let cache: TieredCache<u64, String> = TieredCache::builder().build().await.unwrap();
    assert_eq!(cache.get(&1).await, None);
    cache.insert(1, "one".into()).await.unwrap();
    cache.insert(2, "two".into()).await.unwrap();
    assert_eq!(cache.get(&1).await.as_deref(), Some("one"));
    cache.insert(1, "uno".into()).await.unwrap();
    assert_eq!(cache.get(&1).await.as_deref(), Some("uno"));
    cache.invalidate(&1).await;
    assert_eq!(cache.get(&1).await, None);
    assert_eq!(cache.get(&2).await.as_deref(), Some("two"));

    let stats = cache.stats();
    assert_eq!(stats.hits, 3);
    assert_eq!(stats.misses, 2);
    assert!((stats.hit_ratio() - 0.6).abs() < 1e-9);
}

#[tokio::test]
async fn get_or_load_loads_once_then_hits() {
    let cache: TieredCache<u64, String> = TieredCache::builder().build().await.unwrap();
    for _ in 0..3 {
        let v = cache
            .get_or_load(9, |k| async move { Ok::<_, std::io::Error>(format!("v{k}")) })
            .await
            .unwrap();
        assert_eq!(v, "v9");
    }
    let stats = cache.stats();
    assert_eq!(stats.loads.started, 1);
    assert_eq!(stats.loads.succeeded, 1);
    assert_eq!(stats.misses, 1);
    assert_eq!(stats.hits, 2);
    assert!(stats.loads.latency_max >= stats.loads.latency_p50);
}

#[tokio::test]
async fn memory_stays_bounded_under_an_unbounded_key_space() {
    let cache: TieredCache<u64, Vec<u8>> = TieredCache::builder()
        .memory_capacity(500)
        .build()
        .await
        .unwrap();
    for k in 0..50_000u64 {
        cache.insert(k, vec![0; 16]).await.unwrap();
        if k % 1_000 == 0 {
            assert!(cache.memory_len() <= 500, "{} entries", cache.memory_len());
        }
    }
    assert!(cache.memory_len() <= 500);
    assert!(cache.stats().memory.evictions > 0);
}

#[tokio::test]
async fn weigher_bounds_total_weight() {
    let cache: TieredCache<u64, Vec<u8>> = TieredCache::builder()
        .memory_capacity(10_000)
        .memory_weigher(|_, v: &Vec<u8>| u32::try_from(v.len()).unwrap_or(u32::MAX))
        .build()
        .await
        .unwrap();
    for k in 0..1_000u64 {
        cache.insert(k, vec![0; 100]).await.unwrap();
    }
    let stats = cache.stats();
    assert!(stats.memory.weighted_size <= 10_000, "{}", stats.memory.weighted_size);
    assert!(cache.memory_len() <= 100);
}

#[tokio::test]
async fn per_entry_ttl_is_never_exceeded() {
    let (cache, clock) = crate::manual_cache(Duration::from_secs(60), |b| b).await;
    cache
        .insert_with_ttl(1, "short".into(), Duration::from_secs(2))
        .await
        .unwrap();
    cache.insert(2, "long".into()).await.unwrap();
    clock.advance(Duration::from_millis(1_999));
    assert_eq!(cache.get(&1).await.as_deref(), Some("short"));
    clock.advance(Duration::from_millis(1));
    assert_eq!(cache.get(&1).await, None);
    assert_eq!(cache.get(&2).await.as_deref(), Some("long"));
}

#[tokio::test]
async fn clones_share_the_cache() {
    let cache: TieredCache<u64, String> = TieredCache::builder().build().await.unwrap();
    let other = cache.clone();
    other.insert(5, "five".into()).await.unwrap();
    assert_eq!(cache.get(&5).await.as_deref(), Some("five"));
    assert!(format!("{cache:?}").contains("TieredCache"));
}
