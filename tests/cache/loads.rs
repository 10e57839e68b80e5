use perfkit::cache::{LoadError, TieredCache};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

#[derive(Debug, PartialEq, Eq)]
struct Boom(u32);

impl std::fmt::Display for Boom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "boom {}", self.0)
    }
}

impl std::error::Error for Boom {}

async fn cache() -> TieredCache<u64, String> {
    TieredCache::builder().build().await.unwrap()
}

/// Starts `n` concurrent `get_or_load(key)` calls whose loader waits for `gate`, and waits
/// until every one of them has joined the flight.
async fn concurrent_loads(
    cache: &TieredCache<u64, String>,
    n: usize,
    calls: &Arc<AtomicUsize>,
    gate: &Arc<Notify>,
    result: Result<&'static str, u32>,
) -> Vec<tokio::task::JoinHandle<Result<String, LoadError<Boom>>>> {
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let cache = cache.clone();
        let calls = Arc::clone(calls);
        let gate = Arc::clone(gate);
        tasks.push(tokio::spawn(async move {
            cache
                .get_or_load(1, move |_| async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    gate.notified().await;
                    result.map(str::to_string).map_err(Boom)
                })
                .await
        }));
    }
    let joined = crate::settle(async || {
        let s = cache.stats();
        s.loads.started + s.loads.coalesced == n as u64
    })
    .await;
    assert!(joined, "not every caller joined: {:?}", cache.stats().loads);
    tasks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_callers_run_the_loader_once() {
    let cache = cache().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Notify::new());
    let tasks = concurrent_loads(&cache, 100, &calls, &gate, Ok("loaded")).await;
    // The loader may not have reached its gate yet; notify_one stores a permit for it.
    gate.notify_one();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), "loaded");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let loads = cache.stats().loads;
    assert_eq!(loads.started, 1);
    assert_eq!(loads.coalesced, 99);
    assert_eq!(cache.get(&1).await.as_deref(), Some("loaded"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_share_the_loaders_error_and_it_is_not_cached() {
    let cache = cache().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Notify::new());
    let tasks = concurrent_loads(&cache, 20, &calls, &gate, Err(7)).await;
    gate.notify_one();
    let mut errors = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Err(LoadError::Loader(e)) => errors.push(e),
            other => panic!("expected the loader's error, got {other:?}"),
        }
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(
        errors
            .iter()
            .all(|e| Arc::ptr_eq(e, &errors[0]) && **e == Boom(7))
    );
    assert_eq!(cache.stats().loads.failed, 1);
    // Errors are not cached by default: the next call loads again.
    let v = cache
        .get_or_load(1, |_| async { Ok::<_, Boom>("second".to_string()) })
        .await
        .unwrap();
    assert_eq!(v, "second");
}

/// A task calling `get_or_load(1)` whose loader returns `value` once `gate` is notified.
fn gated_load(
    cache: &TieredCache<u64, String>,
    gate: &Arc<Notify>,
    value: &'static str,
) -> tokio::task::JoinHandle<Result<String, LoadError<Boom>>> {
    let (cache, gate) = (cache.clone(), Arc::clone(gate));
    tokio::spawn(async move {
        cache
            .get_or_load(1, move |_| async move {
                gate.notified().await;
                Ok::<_, Boom>(value.to_string())
            })
            .await
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_that_gives_up_does_not_cancel_the_load() {
    let cache = cache().await;
    let gate = Arc::new(Notify::new());
    let leader = gated_load(&cache, &gate, "survived");
    assert!(crate::settle(async || cache.stats().loads.started == 1).await);
    leader.abort();
    assert!(leader.await.unwrap_err().is_cancelled());
    let follower = {
        let cache = cache.clone();
        tokio::spawn(async move {
            cache
                .get_or_load(1, |_| async { Ok::<_, Boom>("not me".to_string()) })
                .await
        })
    };
    assert!(crate::settle(async || cache.stats().loads.coalesced == 1).await);
    gate.notify_one();
    assert_eq!(follower.await.unwrap().unwrap(), "survived");
    assert_eq!(cache.get(&1).await.as_deref(), Some("survived"));
}

#[tokio::test]
async fn a_panicking_loader_aborts_its_waiters_and_the_next_call_loads_again() {
    let cache = cache().await;
    let result = cache
        .get_or_load(1, |_| async {
            if true {
                panic!("loader bug (expected by this test)");
            }
            Ok::<String, Boom>(String::new())
        })
        .await;
    assert!(matches!(result, Err(LoadError::Aborted)), "{result:?}");
    assert_eq!(cache.stats().loads.aborted, 1);
    let v = cache
        .get_or_load(1, |_| async { Ok::<_, Boom>("fine".to_string()) })
        .await
        .unwrap();
    assert_eq!(v, "fine");
}

#[tokio::test(start_paused = true)]
async fn the_loader_timeout_bounds_every_waiter() {
    let cache: TieredCache<u64, String> = TieredCache::builder()
        .loader_timeout(Duration::from_secs(1))
        .build()
        .await
        .unwrap();
    let result = cache
        .get_or_load(1, |_| async {
            tokio::time::sleep(Duration::from_secs(3_600)).await;
            Ok::<_, Boom>("too late".to_string())
        })
        .await;
    assert!(
        matches!(result, Err(LoadError::Timeout(d)) if d == Duration::from_secs(1)),
        "{result:?}"
    );
    let loads = cache.stats().loads;
    assert_eq!(loads.timed_out, 1);
    assert_eq!(loads.succeeded, 0);
    assert_eq!(cache.get(&1).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_during_a_load_wins_over_the_loaded_value() {
    for invalidate in [false, true] {
        let cache = cache().await;
        let gate = Arc::new(Notify::new());
        let load = gated_load(&cache, &gate, "old");
        assert!(crate::settle(async || cache.stats().loads.started == 1).await);
        if invalidate {
            cache.invalidate(&1).await;
        } else {
            cache.insert(1, "new".into()).await.unwrap();
        }
        gate.notify_one();
        // The waiters still get what they waited for...
        assert_eq!(load.await.unwrap().unwrap(), "old");
        // ...but the cache keeps the newer state.
        let expected = if invalidate { None } else { Some("new") };
        assert_eq!(cache.get(&1).await.as_deref(), expected);
    }
}

#[tokio::test]
async fn fetch_uses_the_builders_loader() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let cache: TieredCache<u64, String> = TieredCache::builder()
        .loader(move |k: u64| {
            counted.fetch_add(1, Ordering::SeqCst);
            async move {
                if k == 0 {
                    Err(Boom(0))
                } else {
                    Ok(format!("n{k}"))
                }
            }
        })
        .build()
        .await
        .unwrap();
    assert_eq!(cache.fetch(3).await.unwrap(), "n3");
    assert_eq!(cache.fetch(3).await.unwrap(), "n3");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let err = cache.fetch(0).await.unwrap_err();
    assert_eq!(
        err.loader_error().map(ToString::to_string).as_deref(),
        Some("boom 0")
    );

    let plain: TieredCache<u64, String> = TieredCache::builder().build().await.unwrap();
    assert!(matches!(plain.fetch(1).await, Err(LoadError::NoLoader)));
}
