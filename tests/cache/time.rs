use perfkit::cache::LoadError;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

#[derive(Debug)]
struct Down;

impl std::fmt::Display for Down {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("backend down")
    }
}

impl std::error::Error for Down {}

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn an_expired_entry_is_never_returned() {
    let (cache, clock) = crate::manual_cache(MINUTE, |b| b).await;
    cache.insert(1, "v".into()).await.unwrap();
    clock.advance(MINUTE - Duration::from_millis(1));
    assert_eq!(cache.get(&1).await.as_deref(), Some("v"));
    clock.advance(Duration::from_millis(1));
    assert_eq!(cache.get(&1).await, None);
    let loaded = cache
        .get_or_load(1, |_| async { Ok::<_, Down>("reloaded".to_string()) })
        .await
        .unwrap();
    assert_eq!(loaded, "reloaded");
}

#[tokio::test]
async fn the_default_time_to_live_is_five_minutes() {
    let (cache, clock) = crate::manual_cache(perfkit::cache::DEFAULT_TIME_TO_LIVE, |b| b).await;
    assert_eq!(
        perfkit::cache::DEFAULT_TIME_TO_LIVE,
        Duration::from_secs(300)
    );
    cache.insert(1, "v".into()).await.unwrap();
    clock.advance(Duration::from_secs(299));
    assert!(cache.get(&1).await.is_some());
    clock.advance(Duration::from_secs(1));
    assert!(cache.get(&1).await.is_none());
}

#[tokio::test]
async fn time_to_idle_drops_entries_nobody_reads() {
    let (cache, clock) =
        crate::manual_cache(Duration::from_secs(3_600), |b| b.time_to_idle(MINUTE)).await;
    cache.insert(1, "read".into()).await.unwrap();
    cache.insert(2, "idle".into()).await.unwrap();
    for _ in 0..3 {
        clock.advance(Duration::from_secs(40));
        assert!(cache.get(&1).await.is_some());
    }
    assert_eq!(cache.get(&2).await, None);
}

#[tokio::test]
async fn negative_caching_remembers_an_error_for_its_ttl() {
    let (cache, clock) =
        crate::manual_cache(MINUTE, |b| b.negative_ttl(Duration::from_secs(5))).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let failing = || {
        let calls = Arc::clone(&calls);
        move |_| async move {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<String, _>(Down)
        }
    };
    for _ in 0..3 {
        let err = cache.get_or_load(1, failing()).await.unwrap_err();
        assert!(matches!(err, LoadError::Loader(_)));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(cache.stats().loads.negative_hits, 2);
    clock.advance(Duration::from_secs(5));
    let _ = cache.get_or_load(1, failing()).await.unwrap_err();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // A write clears the remembered error at once.
    cache.insert(1, "fixed".into()).await.unwrap();
    assert_eq!(cache.get_or_load(1, failing()).await.unwrap(), "fixed");
}

#[tokio::test]
async fn serve_stale_returns_the_old_value_when_the_reload_fails_within_the_grace() {
    let (cache, clock) = crate::manual_cache(MINUTE, |b| b.serve_stale(MINUTE)).await;
    cache.insert(1, "old".into()).await.unwrap();
    clock.advance(MINUTE + Duration::from_secs(1));
    // A plain read never sees an expired value.
    assert_eq!(cache.get(&1).await, None);
    let v = cache
        .get_or_load(1, |_| async { Err::<String, _>(Down) })
        .await
        .unwrap();
    assert_eq!(v, "old");
    assert_eq!(cache.stats().loads.stale_served, 1);
    // A successful reload replaces it.
    let v = cache
        .get_or_load(1, |_| async { Ok::<_, Down>("new".to_string()) })
        .await
        .unwrap();
    assert_eq!(v, "new");
    // Past the grace, the error comes through.
    cache.insert(2, "older".into()).await.unwrap();
    clock.advance(2 * MINUTE + Duration::from_secs(1));
    let err = cache
        .get_or_load(2, |_| async { Err::<String, _>(Down) })
        .await
        .unwrap_err();
    assert!(matches!(err, LoadError::Loader(_)));
    assert_eq!(cache.stats().loads.stale_served, 1);
}

#[tokio::test(start_paused = true)]
async fn serve_stale_covers_a_timed_out_reload() {
    let (cache, clock) = crate::manual_cache(MINUTE, |b| {
        b.serve_stale(MINUTE).loader_timeout(Duration::from_secs(1))
    })
    .await;
    cache.insert(1, "old".into()).await.unwrap();
    clock.advance(MINUTE + Duration::from_secs(1));
    let v = cache
        .get_or_load(1, |_| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok::<_, Down>("slow".to_string())
        })
        .await
        .unwrap();
    assert_eq!(v, "old");
    let loads = cache.stats().loads;
    assert_eq!((loads.timed_out, loads.stale_served), (1, 1));
}

#[tokio::test]
async fn refresh_ahead_reloads_a_hot_entry_in_the_background() {
    let (cache, clock) =
        crate::manual_cache(MINUTE, |b| b.refresh_ahead(Duration::from_secs(10))).await;
    cache.insert(1, "v1".into()).await.unwrap();
    // Far from expiry: no refresh.
    clock.advance(Duration::from_secs(30));
    let v = cache
        .get_or_load(1, |_| async { Ok::<_, Down>("v2".to_string()) })
        .await
        .unwrap();
    assert_eq!(v, "v1");
    assert_eq!(cache.stats().loads.refreshes, 0);
    // Within the window: the caller gets the current value at once, a reload starts.
    clock.advance(Duration::from_secs(25));
    let v = cache
        .get_or_load(1, |_| async { Ok::<_, Down>("v2".to_string()) })
        .await
        .unwrap();
    assert_eq!(v, "v1");
    assert!(crate::settle(async || cache.get(&1).await.as_deref() == Some("v2")).await);
    assert_eq!(cache.stats().loads.refreshes, 1);
    // The refreshed entry has a whole new lifetime.
    clock.advance(Duration::from_secs(40));
    assert_eq!(cache.get(&1).await.as_deref(), Some("v2"));
}

#[tokio::test]
async fn fetch_refreshes_ahead_through_the_builders_loader() {
    let loads = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&loads);
    let (cache, clock) = crate::manual_cache(MINUTE, move |b| {
        b.refresh_ahead(Duration::from_secs(10))
            .loader(move |_k: u64| {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                async move { Ok::<_, Down>(format!("v{n}")) }
            })
    })
    .await;
    assert_eq!(cache.fetch(1).await.unwrap(), "v1");
    // A plain hit loads nothing.
    clock.advance(Duration::from_secs(30));
    assert_eq!(cache.fetch(1).await.unwrap(), "v1");
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    // Within the window: the current value at once, and a reload through the loader.
    clock.advance(Duration::from_secs(25));
    assert_eq!(cache.fetch(1).await.unwrap(), "v1");
    assert!(crate::settle(async || cache.get(&1).await.as_deref() == Some("v2")).await);
    let stats = cache.stats().loads;
    assert_eq!((stats.refreshes, stats.started), (1, 2));
}
