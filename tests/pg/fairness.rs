//! Arrival order, timeouts and cancellation: the pool's bookkeeping under contention.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use perfkit::pg::PgError;

use crate::{bounded, builder, server};

#[tokio::test]
async fn waiters_are_served_in_arrival_order_and_a_releaser_cannot_jump_the_line() {
    let Some(server) = server() else { return };
    let pool = builder(&server.url()).max_size(1).build().await.unwrap();
    let held = pool.get().await.unwrap();

    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for id in 0..4 {
        let pool = pool.clone();
        let order = Arc::clone(&order);
        tasks.push(tokio::spawn(async move {
            let conn = pool.get().await.unwrap();
            order.lock().unwrap().push(id);
            drop(conn);
        }));
        // Let each one join the line before the next.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(pool.stats().waiting, 4);
    // The holder gives back and asks again at once: it must queue behind the four.
    drop(held);
    let again = bounded(Duration::from_secs(5), pool.get()).await.unwrap();
    order.lock().unwrap().push(99);
    drop(again);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 99]);
    assert_eq!(pool.stats().created, 1, "one connection served everyone");
}

#[tokio::test]
async fn a_busy_pool_times_out_within_the_acquire_timeout() {
    let Some(server) = server() else { return };
    let pool = builder(&server.url())
        .max_size(1)
        .connection_timeout(Duration::from_millis(200))
        .build()
        .await
        .unwrap();
    let _held = pool.get().await.unwrap();
    let start = Instant::now();
    let err = bounded(Duration::from_secs(5), pool.get())
        .await
        .unwrap_err();
    let waited = start.elapsed();
    assert!(matches!(err, PgError::Timeout { max_size: 1, .. }), "{err}");
    assert!(
        waited >= Duration::from_millis(190) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
    let stats = pool.stats();
    assert_eq!((stats.timeouts, stats.waiting), (1, 0), "{stats:?}");
}

#[tokio::test]
async fn a_cancelled_get_leaks_no_slot() {
    let Some(server) = server() else { return };
    let pool = builder(&server.url()).max_size(1).build().await.unwrap();
    let held = pool.get().await.unwrap();
    // Give up waiting well before the acquire timeout, many times.
    for _ in 0..20 {
        assert!(
            tokio::time::timeout(Duration::from_millis(5), pool.get())
                .await
                .is_err()
        );
    }
    drop(held);
    let conn = bounded(Duration::from_secs(5), pool.get()).await.unwrap();
    drop(conn);
    let stats = pool.stats();
    assert_eq!(
        (stats.open, stats.idle, stats.waiting),
        (1, 1, 0),
        "{stats:?}"
    );
}

#[tokio::test]
async fn a_connection_dropped_mid_query_is_not_reused() {
    let Some(server) = server() else { return };
    let pool = builder(&server.url()).max_size(1).build().await.unwrap();
    let mut conn = pool.get().await.unwrap();
    let first_pid: i32 = conn
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    // Cancel the query future while the server is still working on it.
    assert!(
        tokio::time::timeout(
            Duration::from_millis(50),
            conn.execute("SELECT pg_sleep(1)", &[])
        )
        .await
        .is_err()
    );
    drop(conn);
    let mut conn = bounded(Duration::from_secs(5), pool.get()).await.unwrap();
    let pid: i32 = conn
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    assert_ne!(
        pid, first_pid,
        "a fresh connection, not the one with a reply in flight"
    );
    let stats = pool.stats();
    assert_eq!((stats.broken, stats.open), (1, 1), "{stats:?}");
}

#[tokio::test]
async fn many_tasks_share_a_small_pool_without_loss() {
    let Some(server) = server() else { return };
    let pool = builder(&server.url()).max_size(4).build().await.unwrap();
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let pool = pool.clone();
            tokio::spawn(async move {
                for j in 0..10i32 {
                    let v: i32 = pool
                        .query_one("SELECT $1::int", &[&(i * 100 + j)])
                        .await?
                        .get(0);
                    assert_eq!(v, i * 100 + j);
                }
                Ok::<_, PgError>(())
            })
        })
        .collect();
    for t in tasks {
        bounded(Duration::from_secs(30), t).await.unwrap().unwrap();
    }
    let stats = pool.stats();
    assert_eq!(stats.acquires, 320);
    assert!(stats.open <= 4 && stats.created <= 4, "{stats:?}");
    assert_eq!((stats.in_use, stats.waiting), (0, 0));
    assert!(stats.acquire_p99 > Duration::ZERO);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_given_back_on_a_thread_outside_the_runtime_returns_to_the_pool() {
    let Some(server) = server() else { return };
    let pool = builder(&server.url()).max_size(1).build().await.unwrap();
    let mut conn = pool.get().await.unwrap();
    // Raw access: giving it back schedules a ROLLBACK, which needs the pool's runtime.
    conn.client().simple_query("SELECT 1").await.unwrap();
    std::thread::spawn(move || drop(conn))
        .join()
        .expect("dropping a connection off the runtime must not panic");
    let mut conn = bounded(Duration::from_secs(5), pool.get()).await.unwrap();
    conn.health_check().await.unwrap();
    assert_eq!(pool.stats().created, 1, "the same connection came back");
}
