use perfkit::cache::{CacheCodec, CacheError, CodecError, TieredCache, WritePolicy};
use perfkit::clock::ManualClock;
use std::sync::Arc;
use std::time::Duration;

const MIB: u64 = 1 << 20;

async fn disk_cache<V: CacheCodec + Clone + Send + Sync + 'static>(
    dir: &std::path::Path,
    tweak: impl FnOnce(
        perfkit::cache::TieredCacheBuilder<u64, V>,
    ) -> perfkit::cache::TieredCacheBuilder<u64, V>,
) -> TieredCache<u64, V> {
    tweak(
        TieredCache::builder()
            .memory_capacity(1_000)
            .disk(dir, 8 * MIB),
    )
    .build()
    .await
    .expect("a disk cache opens")
}

#[tokio::test]
async fn a_restarted_cache_serves_what_the_last_one_wrote() {
    let dir = tempfile::tempdir().unwrap();
    {
        let cache = disk_cache::<String>(dir.path(), |b| b).await;
        for k in 0..100u64 {
            cache
                .insert(k, format!("value {k} {}", "x".repeat(k as usize)))
                .await
                .unwrap();
        }
        cache.flush().await.unwrap();
    }
    let cache = disk_cache::<String>(dir.path(), |b| b).await;
    assert_eq!(cache.memory_len(), 0);
    for k in 0..100u64 {
        let want = format!("value {k} {}", "x".repeat(k as usize));
        assert_eq!(cache.get(&k).await, Some(want));
    }
    let stats = cache.stats();
    assert_eq!(stats.hits, 100);
    assert_eq!(stats.disk.as_ref().map(|d| d.hits), Some(100));
    // Promoted: the second read is a memory hit.
    assert!(cache.get(&5).await.is_some());
    assert_eq!(cache.stats().memory.hits, 1);
}

#[tokio::test]
async fn write_back_sends_evicted_values_down() {
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache::<Vec<u8>>(dir.path(), |b| {
        b.memory_capacity(16).write_policy(WritePolicy::WriteBack)
    })
    .await;
    for k in 0..300u64 {
        cache.insert(k, k.to_le_bytes().to_vec()).await.unwrap();
    }
    cache.flush().await.unwrap();
    let writes = cache.stats().disk.map(|d| d.writes).unwrap_or(0);
    assert!(
        writes >= 300 - 16,
        "evictions and refusals go to disk: {writes}"
    );
    for k in 0..300u64 {
        assert_eq!(
            cache.get(&k).await,
            Some(k.to_le_bytes().to_vec()),
            "key {k}"
        );
    }
}

#[tokio::test]
async fn write_back_carries_each_values_deadline_down() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new();
    let cache = disk_cache::<String>(dir.path(), |b| {
        b.memory_capacity(8)
            .time_to_live(None)
            .write_policy(WritePolicy::WriteBack)
            .clock(Arc::new(clock.clone()))
    })
    .await;
    // Even keys live one second, odd ones for ever; most of them leave memory for room.
    for k in 0..64u64 {
        let value = format!("value {k}");
        if k % 2 == 0 {
            cache
                .insert_with_ttl(k, value, Duration::from_secs(1))
                .await
                .unwrap();
        } else {
            cache.insert(k, value).await.unwrap();
        }
    }
    cache.flush().await.unwrap();
    assert!(cache.stats().disk.map_or(0, |d| d.writes) >= 64 - 8);
    clock.advance(Duration::from_secs(3_600));
    for k in 0..64u64 {
        let want = (k % 2 == 1).then(|| format!("value {k}"));
        assert_eq!(cache.get(&k).await, want, "key {k}");
    }
}

#[tokio::test]
async fn no_tier_returns_a_value_past_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new();
    let cache = disk_cache::<String>(dir.path(), |b| {
        b.time_to_live(Duration::from_secs(60))
            .disk_time_to_live(Duration::from_secs(3_600))
            .clock(Arc::new(clock.clone()))
    })
    .await;
    cache
        .insert_with_ttl(1, "brief".into(), Duration::from_secs(1))
        .await
        .unwrap();
    cache.insert(2, "kept on disk".into()).await.unwrap();
    cache.flush().await.unwrap();
    clock.advance(Duration::from_secs(120));
    // Key 1's own TTL bounds every tier; key 2 outlived memory's TTL but not the disk's.
    assert_eq!(cache.get(&1).await, None);
    assert_eq!(cache.get(&2).await.as_deref(), Some("kept on disk"));
    clock.advance(Duration::from_secs(3_600));
    assert_eq!(cache.get(&2).await, None);
}

#[tokio::test]
async fn a_record_the_value_type_cannot_decode_is_a_counted_miss() {
    let dir = tempfile::tempdir().unwrap();
    {
        let bytes = disk_cache::<Vec<u8>>(dir.path(), |b| b).await;
        bytes.insert(1, vec![0xff, 0xfe, 0xfd]).await.unwrap();
        bytes.flush().await.unwrap();
    }
    let text = disk_cache::<String>(dir.path(), |b| b).await;
    assert_eq!(text.get(&1).await, None);
    assert_eq!(text.stats().disk_decode_errors, 1);
}

#[derive(Clone, Debug, PartialEq)]
struct Unencodable;

impl CacheCodec for Unencodable {
    fn encode(&self, _: &mut Vec<u8>) -> Result<(), CodecError> {
        Err(CodecError::encode::<Self>("this type stays in memory"))
    }
    fn decode(_: &[u8]) -> Result<Self, CodecError> {
        Err(CodecError::decode::<Self>("never written"))
    }
}

#[tokio::test]
async fn a_value_that_cannot_be_encoded_is_refused_by_insert_but_kept_when_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache::<Unencodable>(dir.path(), |b| b).await;
    let err = cache.insert(1, Unencodable).await.unwrap_err();
    assert!(matches!(err, CacheError::Codec(_)), "{err:?}");
    assert_eq!(cache.get(&1).await, None);
    let loaded = cache
        .get_or_load(2, |_| async { Ok::<_, std::io::Error>(Unencodable) })
        .await
        .unwrap();
    assert_eq!(loaded, Unencodable);
    assert_eq!(cache.get(&2).await, Some(Unencodable));
    assert_eq!(cache.stats().encode_errors, 2);
}

#[tokio::test]
async fn an_unusable_directory_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    let result = TieredCache::<u64, String>::builder()
        .disk(file.join("cache"), MIB)
        .build()
        .await;
    assert!(matches!(result, Err(CacheError::Disk(_))), "{result:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cache_that_loaded_values_can_be_reopened_right_after_drop() {
    let dir = tempfile::tempdir().unwrap();
    {
        let cache = disk_cache::<String>(dir.path(), |b| b).await;
        for k in 0..10u64 {
            cache
                .get_or_load(k, |k| async move { Ok::<_, std::io::Error>(k.to_string()) })
                .await
                .unwrap();
        }
    }
    let cache = disk_cache::<String>(dir.path(), |b| b).await;
    cache.flush().await.unwrap();
    for k in 0..10u64 {
        assert_eq!(cache.get(&k).await, Some(k.to_string()));
    }
}

/// Writers bump per-key versions (and sometimes invalidate) while readers go through memory
/// and disk: a read that starts after a write finished must never see an older version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_never_go_back_in_time_across_tiers() {
    use std::sync::atomic::{AtomicU64, Ordering};
    const KEYS: u64 = 256;
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache::<u64>(dir.path(), |b| b.memory_capacity(32)).await;
    let floor: Arc<Vec<AtomicU64>> = Arc::new((0..KEYS).map(|_| AtomicU64::new(0)).collect());
    let mut tasks = Vec::new();
    for w in 0..2u64 {
        let (cache, floor) = (cache.clone(), Arc::clone(&floor));
        tasks.push(tokio::spawn(async move {
            // Each writer owns half of the keys, so a key's versions only go up.
            let mut version = 0;
            for i in 0..4_000u64 {
                let k = ((i * 7) % (KEYS / 2)) * 2 + w;
                version += 2;
                if i % 9 == 0 {
                    cache.invalidate(&k).await;
                } else {
                    cache.insert(k, version).await.unwrap();
                }
                floor[k as usize].store(version, Ordering::SeqCst);
                if i % 64 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        }));
    }
    for r in 0..2u64 {
        let (cache, floor) = (cache.clone(), Arc::clone(&floor));
        tasks.push(tokio::spawn(async move {
            for i in 0..8_000u64 {
                let k = (i * 31 + r) % KEYS;
                let min = floor[k as usize].load(Ordering::SeqCst);
                let got = if i % 2 == 0 {
                    cache.get(&k).await
                } else {
                    cache
                        .get_or_load(k, |_| async { Ok::<_, std::io::Error>(0) })
                        .await
                        .ok()
                };
                // 0 is the loader's answer for a key with nothing stored: only valid when the
                // key was invalidated or never written.
                if let Some(v) = got.filter(|v| *v != 0) {
                    assert!(
                        v >= min,
                        "key {k}: read version {v} after version {min} was written"
                    );
                }
                if i % 64 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

#[cfg(feature = "cache-serde")]
#[tokio::test]
async fn serde_values_survive_a_restart_through_postcard() {
    use perfkit::cache::Postcard;

    #[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
    struct Order {
        id: u64,
        items: Vec<String>,
        total_cents: i64,
    }

    let dir = tempfile::tempdir().unwrap();
    let order = Order {
        id: 9,
        items: vec!["tea".into(), "scones".into()],
        total_cents: 1_250,
    };
    {
        let cache = disk_cache::<Postcard<Order>>(dir.path(), |b| b).await;
        cache.insert(9, Postcard(order.clone())).await.unwrap();
        cache.flush().await.unwrap();
    }
    let cache = disk_cache::<Postcard<Order>>(dir.path(), |b| b).await;
    assert_eq!(cache.get(&9).await.map(|p| p.0), Some(order));
}
