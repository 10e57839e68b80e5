use perfkit::cache::{PrefetchOptions, TieredCache};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[tokio::test]
async fn a_learned_sequence_is_loaded_before_it_is_asked_for() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let cache: TieredCache<u64, String> = TieredCache::builder()
        .memory_capacity(1_000)
        .loader(move |k: u64| {
            counted.fetch_add(1, Ordering::SeqCst);
            async move { Ok::<_, std::io::Error>(format!("page {k}")) }
        })
        .prefetch(PrefetchOptions::new().min_observations(2))
        .build()
        .await
        .unwrap();

    // Two passes teach the model that k is followed by k + 1.
    for _ in 0..2 {
        for k in 0..50 {
            cache.fetch(k).await.unwrap();
        }
        for k in 0..50 {
            cache.invalidate(&k).await;
        }
    }
    let before = cache.stats();
    assert_eq!(
        before.loads.prefetches, 0,
        "nothing is certain enough during training"
    );

    // Third pass: each access prefetches the next key, which is then a memory hit.
    for k in 0..50 {
        assert_eq!(cache.fetch(k).await.unwrap(), format!("page {k}"));
        let next = k + 1;
        if next < 50 {
            assert!(
                crate::settle(
                    async || cache.stats().loads.succeeded > before.loads.succeeded + next
                )
                .await
            );
        }
    }
    let after = cache.stats();
    assert!(after.loads.prefetches >= 45, "{:?}", after.loads);
    assert!(after.loads.prefetch_hits >= 45, "{:?}", after.loads);
    assert!(after.hits - before.hits >= 45);
}

#[tokio::test]
async fn no_sequence_no_prefetch() {
    let cache: TieredCache<u64, String> = TieredCache::builder()
        .loader(|k: u64| async move { Ok::<_, std::io::Error>(k.to_string()) })
        .prefetch(PrefetchOptions::new())
        .build()
        .await
        .unwrap();
    // Every key once, in an order with no repeated transition.
    for k in 0..200u64 {
        cache.fetch(k.wrapping_mul(7919) % 1_009).await.unwrap();
    }
    assert_eq!(cache.stats().loads.prefetches, 0);
}
