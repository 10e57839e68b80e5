//! What callers see when the server misbehaves: down, frozen, restarted, a backend killed,
//! wrong credentials.

use std::net::{Ipv4Addr, TcpListener};
use std::time::{Duration, Instant};

use perfkit::pg::{PgError, SqlState};

use crate::support::postgres::PgServer;
use crate::{bounded, builder, server};

#[tokio::test]
async fn server_down_at_start_gives_the_connect_error_within_the_timeout() {
    // A port nobody listens on.
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let pool = builder(&format!("postgresql://postgres@127.0.0.1:{port}/postgres"))
        .connection_timeout(Duration::from_millis(300))
        .build()
        .await
        .expect("lazy: building does not connect");
    let start = Instant::now();
    let err = bounded(Duration::from_secs(5), pool.get())
        .await
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(
        matches!(err, PgError::Connect { .. }),
        "want the connect error, got {err}"
    );
    // The OS's cause, not a bare timeout.
    assert!(err.to_string().contains("Connection refused"), "{err}");
    assert!(pool.stats().connect_errors >= 1);

    // Eager building reports it from build().
    let eager = builder(&format!("postgresql://postgres@127.0.0.1:{port}/postgres"))
        .min_idle(1)
        .connect_eagerly(true)
        .build()
        .await;
    assert!(matches!(eager, Err(PgError::Connect { .. })), "{eager:?}");
}

#[tokio::test]
async fn a_wrong_password_or_database_fails_at_once() {
    let Some(server) = server() else { return };
    for (url, code) in [
        (
            server.url_with_password("wrong"),
            SqlState::INVALID_PASSWORD,
        ),
        (
            server.url_for_db("no_such_db"),
            SqlState::INVALID_CATALOG_NAME,
        ),
    ] {
        let pool = builder(&url)
            .connection_timeout(Duration::from_secs(10))
            .build()
            .await
            .unwrap();
        let start = Instant::now();
        let err = bounded(Duration::from_secs(5), pool.get())
            .await
            .unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "not a wait for the 10 s timeout: {:?}",
            start.elapsed()
        );
        assert_eq!(err.code(), Some(&code), "{err}");
    }
}

#[tokio::test]
async fn a_terminated_backend_costs_one_connection_not_a_failure_later() {
    let Some(server) = server() else { return };
    let pool = builder(&server.url()).max_size(2).build().await.unwrap();
    let mut held = pool.get().await.unwrap();
    let victim: i32 = held
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    // Kill it from another connection, then give it back to the pool.
    let mut killer = pool.get().await.unwrap();
    let other: i32 = killer
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    assert_ne!(other, victim);
    killer
        .execute("SELECT pg_terminate_backend($1)", &[&victim])
        .await
        .unwrap();
    drop(killer);
    drop(held);
    // The killed connection is noticed (closed socket) or fails its check; either way the
    // caller gets a working connection.
    tokio::time::sleep(Duration::from_millis(50)).await;
    for _ in 0..4 {
        let pid: i32 = bounded(
            Duration::from_secs(5),
            pool.query_one("SELECT pg_backend_pid()", &[]),
        )
        .await
        .unwrap()
        .get(0);
        assert_ne!(pid, victim);
    }
    assert!(pool.stats().broken >= 1, "{:?}", pool.stats());
}

#[tokio::test]
async fn a_frozen_server_ends_queries_at_their_deadline_and_recovers() {
    let Some(server) = PgServer::start() else {
        return;
    };
    let pool = builder(&server.url())
        .max_size(2)
        .query_timeout(Duration::from_millis(300))
        .connection_timeout(Duration::from_millis(500))
        .build()
        .await
        .unwrap();
    pool.query_one("SELECT 1", &[]).await.unwrap();
    server.freeze();
    let start = Instant::now();
    let err = bounded(Duration::from_secs(5), pool.query_one("SELECT 1", &[]))
        .await
        .unwrap_err();
    assert!(matches!(err, PgError::QueryTimeout { .. }), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    // New calls end too: connects get no answer, the acquire timeout bounds them.
    let err = bounded(Duration::from_secs(5), pool.query_one("SELECT 1", &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            PgError::QueryTimeout { .. } | PgError::Connect { .. } | PgError::Timeout { .. }
        ),
        "{err}"
    );
    server.thaw();
    bounded(Duration::from_secs(10), async {
        loop {
            if pool.query_one("SELECT 1", &[]).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_under_load_gives_typed_errors_and_recovers_quickly() {
    let Some(server) = PgServer::start() else {
        return;
    };
    let pool = builder(&server.url())
        .max_size(8)
        .connection_timeout(Duration::from_millis(500))
        .query_timeout(Duration::from_secs(2))
        .build()
        .await
        .unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let pool = pool.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                let (mut ok, mut errors) = (0u64, Vec::new());
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    match pool.query_one("SELECT 1", &[]).await {
                        Ok(_) => ok += 1,
                        Err(e) => {
                            errors.push(e);
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                    }
                }
                (ok, errors)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.stop();
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.start_again();
    let back = Instant::now();
    // Recovered: a query succeeds soon after the server accepts connections again.
    bounded(Duration::from_secs(10), async {
        while pool.query_one("SELECT 1", &[]).await.is_err() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await;
    let recovery = back.elapsed();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut total_ok = 0;
    let mut total_err = 0;
    for t in tasks {
        let (ok, errors) = bounded(Duration::from_secs(10), t).await.unwrap();
        total_ok += ok;
        total_err += errors.len();
        for e in errors {
            assert!(
                matches!(
                    e,
                    PgError::Query(_)
                        | PgError::Connect { .. }
                        | PgError::Timeout { .. }
                        | PgError::QueryTimeout { .. }
                ),
                "an untyped failure: {e}"
            );
        }
    }
    eprintln!(
        "restart: {total_ok} ok, {total_err} errors, recovered {recovery:?} after the server was ready"
    );
    assert!(
        recovery < Duration::from_millis(500),
        "recovery took {recovery:?}"
    );
    assert!(total_ok > 0);
}
