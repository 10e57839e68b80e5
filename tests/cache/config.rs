use perfkit::cache::{CacheError, PrefetchOptions, TieredCache};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

async fn build_err(
    tweak: impl FnOnce(
        perfkit::cache::TieredCacheBuilder<u64, String>,
    ) -> perfkit::cache::TieredCacheBuilder<u64, String>,
) -> (&'static str, String) {
    match tweak(TieredCache::builder()).build().await {
        Err(CacheError::InvalidConfig { field, reason }) => (field, reason),
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_settings_are_typed_errors() {
    let (field, _) = build_err(|b| b.memory_capacity(0)).await;
    assert!(
        field.contains("capacity") || field.contains("max_entries"),
        "{field}"
    );
    assert_eq!(
        build_err(|b| b.time_to_live(Duration::ZERO)).await.0,
        "time_to_live"
    );
    assert_eq!(
        build_err(|b| b.loader_timeout(Duration::ZERO)).await.0,
        "loader_timeout"
    );
    assert_eq!(
        build_err(|b| b.negative_ttl(Duration::ZERO)).await.0,
        "negative_ttl"
    );
    let (field, reason) = build_err(|b| {
        b.time_to_live(Duration::from_secs(10))
            .refresh_ahead(Duration::from_secs(10))
    })
    .await;
    assert_eq!(field, "refresh_ahead");
    assert!(reason.contains("shorter"), "{reason}");
    assert_eq!(
        build_err(|b| b.time_to_live(None).refresh_ahead(Duration::from_secs(1)))
            .await
            .0,
        "refresh_ahead"
    );
    assert_eq!(
        build_err(|b| b.prefetch(PrefetchOptions::new())).await.0,
        "prefetch"
    );
    let with_loader = |b: perfkit::cache::TieredCacheBuilder<u64, String>| {
        b.loader(|k: u64| async move { Ok::<_, std::io::Error>(k.to_string()) })
    };
    for (options, field) in [
        (
            PrefetchOptions::new().max_tracked_keys(0),
            "max_tracked_keys",
        ),
        (PrefetchOptions::new().min_confidence(0.0), "min_confidence"),
        (
            PrefetchOptions::new().min_confidence(f64::NAN),
            "min_confidence",
        ),
        (
            PrefetchOptions::new().min_observations(0),
            "min_observations",
        ),
        (PrefetchOptions::new().max_in_flight(0), "max_in_flight"),
    ] {
        assert_eq!(
            build_err(|b| with_loader(b).prefetch(options)).await.0,
            field
        );
    }
}

#[test]
fn building_outside_a_runtime_is_a_typed_error() {
    let mut build = pin!(TieredCache::<u64, String>::builder().build());
    let mut cx = Context::from_waker(Waker::noop());
    match build.as_mut().poll(&mut cx) {
        Poll::Ready(Err(CacheError::NoRuntime(msg))) => assert!(!msg.is_empty()),
        Poll::Ready(other) => panic!("expected NoRuntime, got {other:?}"),
        Poll::Pending => panic!("build should fail at once outside a runtime"),
    }
}
