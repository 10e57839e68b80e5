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
            .get_or_load(
                9,
                |k| async move { Ok::<_, std::io::Error>(format!("v{k}")) },
            )
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
    assert!(
        stats.memory.weighted_size <= 10_000,
        "{}",
        stats.memory.weighted_size
    );
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

#[tokio::test]
async fn register_metrics_exports_the_stats_and_lets_the_cache_go() {
    let registry = perfkit::metrics::Registry::new();
    let cache: TieredCache<u64, String> = TieredCache::builder().build().await.unwrap();
    cache.register_metrics(&registry, "users_cache").unwrap();
    cache.insert(1, "a".into()).await.unwrap();
    cache.get(&1).await;
    cache.get(&2).await;
    cache
        .get_or_load(3, |_| async {
            Err::<String, _>(std::io::Error::other("down"))
        })
        .await
        .unwrap_err();
    let text = registry.render_prometheus();
    for line in [
        r#"users_cache_requests_total{result="hit"} 1"#,
        r#"users_cache_requests_total{result="miss"} 2"#,
        r#"users_cache_loads_total{outcome="error"} 1"#,
        r#"users_cache_entries{tier="memory"} 1"#,
        "users_cache_hit_ratio 0.333",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert!(matches!(
        cache.register_metrics(&registry, "bad prefix"),
        Err(perfkit::metrics::MetricsError::InvalidMetricName { .. })
    ));
    drop(cache);
    assert!(!registry.render_prometheus().contains("users_cache"));
}
