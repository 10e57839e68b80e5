//! Queries, statements, transactions, settings and stats on a healthy server.

use std::time::Duration;

use perfkit::pg::{PgError, PgPool, SqlState};

use crate::{bounded, builder, server};

#[tokio::test]
async fn queries_return_rows_and_counts() {
    let Some(server) = server() else { return };
    let pool = builder(&server.url()).build().await.unwrap();
    let row = pool
        .query_one("SELECT $1::int + 1", &[&41i32])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i32>(0), 42);

    pool.execute(
        "CREATE TABLE IF NOT EXISTS basics_items (id int PRIMARY KEY, name text)",
        &[],
    )
    .await
    .unwrap();
    pool.execute("TRUNCATE basics_items", &[]).await.unwrap();
    for (id, name) in [(1, "a"), (2, "b"), (3, "c")] {
        let n = pool
            .execute("INSERT INTO basics_items VALUES ($1, $2)", &[&id, &name])
            .await
            .unwrap();
        assert_eq!(n, 1);
    }
    let rows = pool
        .query(
            "SELECT name FROM basics_items WHERE id >= $1 ORDER BY id",
            &[&2i32],
        )
        .await
        .unwrap();
    let names: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(names, ["b", "c"]);
    assert!(
        pool.query_opt("SELECT 1 FROM basics_items WHERE id = 99", &[])
            .await
            .unwrap()
            .is_none()
    );
    let err = pool
        .query_one("SELECT 1 FROM basics_items", &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, PgError::Query(_)),
        "three rows are not one: {err}"
    );
    pool.health_check().await.unwrap();
}

#[tokio::test]
async fn a_server_error_keeps_its_sqlstate_and_the_connection() {
    let Some(server) = server() else { return };
    let pool = builder(&server.url()).max_size(1).build().await.unwrap();
    let err = pool
        .query("SELECT * FROM no_such_table", &[])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::UNDEFINED_TABLE), "{err}");
    // The connection is fine after a server error and is reused, not replaced.
    pool.query_one("SELECT 1", &[]).await.unwrap();
    let stats = pool.stats();
    assert_eq!((stats.created, stats.closed), (1, 0), "{stats:?}");
}

#[tokio::test]
async fn prepared_statements_are_cached_per_connection() {
    let Some(server) = server() else { return };
    // Statements this session holds on the server; the counting query is one of them.
    const COUNT: &str = "SELECT count(*) FROM pg_prepared_statements";
    let pool = builder(&server.url()).max_size(1).build().await.unwrap();
    let mut conn = pool.get().await.unwrap();
    for _ in 0..3 {
        conn.query_one("SELECT $1::int", &[&1i32]).await.unwrap();
    }
    conn.query_one("SELECT $1::bigint", &[&1i64]).await.unwrap();
    let n: i64 = conn.query_one(COUNT, &[]).await.unwrap().get(0);
    assert_eq!(n, 3, "three distinct statements, each prepared once");

    // Capacity 1: each new statement evicts the last, which is closed on the server.
    let pool = builder(&server.url())
        .max_size(1)
        .statement_cache_capacity(1)
        .build()
        .await
        .unwrap();
    let mut conn = pool.get().await.unwrap();
    conn.query_one("SELECT 1", &[]).await.unwrap();
    conn.query_one("SELECT 2", &[]).await.unwrap();
    let n: i64 = conn.query_one(COUNT, &[]).await.unwrap().get(0);
    assert_eq!(n, 1, "only the counting query is still prepared");
}

#[tokio::test]
async fn statement_timeout_is_a_startup_option_and_says_so() {
    let Some(server) = server() else { return };
    let pool = builder(&server.url())
        .statement_timeout(Duration::from_millis(100))
        .application_name("perfkit-test-app")
        .build()
        .await
        .unwrap();
    let row = pool.query_one("SHOW statement_timeout", &[]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "100ms");
    let row = pool.query_one("SHOW application_name", &[]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "perfkit-test-app");

    let err = bounded(
        Duration::from_secs(5),
        pool.execute("SELECT pg_sleep(2)", &[]),
    )
    .await
    .unwrap_err();
    assert!(err.is_statement_timeout(), "{err}");
    // The message carries the server's words, not the driver's bare "db error".
    assert!(
        err.to_string()
            .contains("canceling statement due to statement timeout"),
        "{err}"
    );
    // The server cancelled the statement; the connection is still good.
    pool.query_one("SELECT 1", &[]).await.unwrap();
}

#[tokio::test]
async fn transactions_commit_roll_back_and_batch() {
    let Some(server) = server() else { return };
    let pool = builder(&server.url()).build().await.unwrap();
    pool.batch(
        "CREATE TABLE IF NOT EXISTS tx_accounts (id int PRIMARY KEY, balance int NOT NULL);
         TRUNCATE tx_accounts;
         INSERT INTO tx_accounts VALUES (1, 100), (2, 0);",
    )
    .await
    .unwrap();

    let moved = pool
        .transaction(async |tx| {
            tx.execute(
                "UPDATE tx_accounts SET balance = balance - 30 WHERE id = 1",
                &[],
            )
            .await?;
            Ok(tx
                .execute(
                    "UPDATE tx_accounts SET balance = balance + 30 WHERE id = 2",
                    &[],
                )
                .await?)
        })
        .await
        .unwrap();
    assert_eq!(moved, 1);

    let err = pool
        .transaction(async |tx| {
            tx.execute("UPDATE tx_accounts SET balance = 0 WHERE id = 1", &[])
                .await?;
            tx.execute("SELECT * FROM no_such_table", &[]).await?;
            Ok(())
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::UNDEFINED_TABLE));

    // A batch that fails part-way changes nothing.
    assert!(
        pool.batch("UPDATE tx_accounts SET balance = 0; SELECT * FROM no_such_table;")
            .await
            .is_err()
    );

    let rows = pool
        .query("SELECT balance FROM tx_accounts ORDER BY id", &[])
        .await
        .unwrap();
    let balances: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(
        balances,
        [70, 30],
        "the failed transaction and batch were rolled back"
    );
}

#[tokio::test]
async fn a_serialization_conflict_is_retried_and_commits_once() {
    let Some(server) = server() else { return };
    let pool = builder(&server.url()).build().await.unwrap();
    pool.batch(
        "CREATE TABLE IF NOT EXISTS ser_counter (id int PRIMARY KEY, n int NOT NULL);
         TRUNCATE ser_counter;
         INSERT INTO ser_counter VALUES (1, 0);",
    )
    .await
    .unwrap();

    // Two serializable read-modify-write transactions, forced to overlap: both read, then
    // both write, so one of them must fail with 40001 and run again.
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
    let run = |pool: PgPool, barrier: std::sync::Arc<tokio::sync::Barrier>| async move {
        let mut first_attempt = true;
        pool.transaction(async |tx| {
            tx.batch_execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
                .await?;
            let n: i32 = tx
                .query_one("SELECT n FROM ser_counter WHERE id = 1", &[])
                .await?
                .get(0);
            if first_attempt {
                first_attempt = false;
                barrier.wait().await;
            }
            tx.execute("UPDATE ser_counter SET n = $1 WHERE id = 1", &[&(n + 1)])
                .await?;
            Ok(())
        })
        .await
    };
    let (a, b) = bounded(Duration::from_secs(20), async {
        tokio::join!(
            run(pool.clone(), barrier.clone()),
            run(pool.clone(), barrier.clone())
        )
    })
    .await;
    a.unwrap();
    b.unwrap();
    let n: i32 = pool
        .query_one("SELECT n FROM ser_counter WHERE id = 1", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 2, "each transaction took effect exactly once");
    assert!(pool.stats().transaction_retries >= 1, "{:?}", pool.stats());
}

#[tokio::test]
async fn raw_access_is_rolled_back_before_reuse() {
    let Some(server) = server() else { return };
    let pool = builder(&server.url()).max_size(1).build().await.unwrap();
    {
        let mut conn = pool.get().await.unwrap();
        conn.client()
            .batch_execute("BEGIN; CREATE TEMP TABLE left_open (x int);")
            .await
            .unwrap();
        // Dropped with the transaction open.
    }
    let mut conn = bounded(Duration::from_secs(5), pool.get()).await.unwrap();
    let row = conn
        .query_one("SELECT to_regclass('pg_temp.left_open') IS NULL", &[])
        .await
        .unwrap();
    assert!(
        row.get::<_, bool>(0),
        "the open transaction was rolled back"
    );
    // Outside a transaction block, each statement gets its own transaction timestamp.
    let a: std::time::SystemTime = conn.query_one("SELECT now()", &[]).await.unwrap().get(0);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let b: std::time::SystemTime = conn.query_one("SELECT now()", &[]).await.unwrap().get(0);
    assert!(b > a, "not inside a leftover transaction");
    assert_eq!(pool.stats().created, 1, "rolled back, not replaced");
}

#[tokio::test]
async fn bad_settings_are_errors() {
    for (what, result) in [
        (
            "max_size 0",
            PgPool::builder("postgresql://u@127.0.0.1/db")
                .max_size(0)
                .build()
                .await,
        ),
        (
            "min_idle over max_size",
            PgPool::builder("postgresql://u@127.0.0.1/db")
                .max_size(2)
                .min_idle(3)
                .build()
                .await,
        ),
        (
            "zero timeout",
            PgPool::builder("postgresql://u@127.0.0.1/db")
                .connection_timeout(Duration::ZERO)
                .build()
                .await,
        ),
        (
            "unparsable URL",
            PgPool::builder("postgresql://u@127.0.0.1:notaport/db")
                .build()
                .await,
        ),
    ] {
        assert!(
            matches!(result, Err(PgError::Config { .. })),
            "{what}: {result:?}"
        );
    }
}

#[tokio::test]
async fn min_idle_is_kept_and_idle_timeout_stops_there() {
    let Some(server) = server() else { return };
    let pool = builder(&server.url())
        .max_size(4)
        .min_idle(2)
        .idle_timeout(Some(Duration::from_millis(100)))
        .maintenance_interval(Duration::from_millis(20))
        .build()
        .await
        .unwrap();
    // Lazy: the upkeep task opens min_idle in the background.
    bounded(Duration::from_secs(5), async {
        while pool.stats().idle < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    // A burst opens more; once idle past the timeout they close, down to min_idle.
    let held: Vec<_> = futures_join_all(&pool, 4).await;
    assert_eq!(pool.stats().open, 4);
    drop(held);
    bounded(Duration::from_secs(5), async {
        while pool.stats().open > 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stats = pool.stats();
    assert_eq!(
        (stats.open, stats.idle),
        (2, 2),
        "never below min_idle: {stats:?}"
    );
}

async fn futures_join_all(pool: &PgPool, n: usize) -> Vec<perfkit::pg::PgConn> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(pool.get().await.unwrap());
    }
    out
}

#[tokio::test]
async fn connections_are_replaced_after_max_lifetime() {
    let Some(server) = server() else { return };
    let pool = builder(&server.url())
        .max_size(1)
        .max_lifetime(Some(Duration::from_millis(200)))
        .build()
        .await
        .unwrap();
    let pid = |pool: PgPool| async move {
        pool.query_one("SELECT pg_backend_pid()", &[])
            .await
            .unwrap()
            .get::<_, i32>(0)
    };
    let first = pid(pool.clone()).await;
    assert_eq!(pid(pool.clone()).await, first, "reused within its lifetime");
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_ne!(pid(pool.clone()).await, first, "replaced after it");
    assert_eq!(pool.stats().created, 2);
}

#[tokio::test]
async fn close_fails_later_calls() {
    let Some(server) = server() else { return };
    let pool = builder(&server.url()).build().await.unwrap();
    pool.query_one("SELECT 1", &[]).await.unwrap();
    pool.close();
    assert!(matches!(pool.get().await, Err(PgError::Closed)));
    assert_eq!(pool.stats().open, 0);
}

#[tokio::test]
async fn leak_warnings_count_connections_held_too_long() {
    let Some(server) = server() else { return };
    let pool = builder(&server.url())
        .leak_threshold(Duration::from_millis(50))
        .build()
        .await
        .unwrap();
    drop(pool.get().await.unwrap());
    let held = pool.get().await.unwrap();
    tokio::time::sleep(Duration::from_millis(80)).await;
    drop(held);
    assert_eq!(pool.stats().held_too_long, 1);
}

#[tokio::test]
async fn register_metrics_exposes_the_stats() {
    let Some(server) = server() else { return };
    let registry = perfkit::metrics::Registry::new();
    let pool = builder(&server.url()).max_size(3).build().await.unwrap();
    pool.register_metrics(&registry, "orders_db").unwrap();
    let held = pool.get().await.unwrap();
    let text = registry.render_prometheus();
    for line in [
        "orders_db_connections{state=\"in_use\"} 1",
        "orders_db_connections{state=\"idle\"} 0",
        "orders_db_max_size 3",
        "orders_db_acquires_total 1",
        "orders_db_connections_created_total 1",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert!(text.contains("orders_db_acquire_seconds{quantile=\"0.99\"}"));
    drop(held);
    assert!(pool.register_metrics(&registry, "bad prefix").is_err());
    drop(pool);
    assert!(
        !registry.render_prometheus().contains("orders_db"),
        "gone with the pool"
    );
}

#[tokio::test]
async fn copy_in_loads_rows_in_one_binary_copy() {
    use perfkit::pg::ToSql;
    let Some(server) = server() else { return };
    let pool = builder(&server.url()).max_size(1).build().await.unwrap();
    pool.batch(
        r#"CREATE SCHEMA IF NOT EXISTS bulk;
           DROP TABLE IF EXISTS bulk.items;
           CREATE TABLE bulk.items (id bigint PRIMARY KEY, "Label" text, price double precision, seen timestamptz);"#,
    )
    .await
    .unwrap();
    let now = std::time::SystemTime::now();
    let data: Vec<(i64, String, f64)> = (0..10_000)
        .map(|i| (i, format!("item '{i}\""), i as f64 * 0.5))
        .collect();
    let rows = data
        .iter()
        .map(|(id, label, price)| [id as &(dyn ToSql + Sync), label, price, &now]);
    let written = bounded(
        Duration::from_secs(30),
        pool.copy_in("bulk.items", &["id", "Label", "price", "seen"], rows),
    )
    .await
    .unwrap();
    assert_eq!(written, 10_000);
    let row = pool
        .query_one(
            r#"SELECT count(*), sum(price), max("Label") FILTER (WHERE id = 7) FROM bulk.items"#,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 10_000);
    assert_eq!(
        row.get::<_, f64>(1),
        (0..10_000).map(|i| i as f64 * 0.5).sum::<f64>()
    );
    assert_eq!(row.get::<_, String>(2), "item '7\"");

    // A duplicate key aborts the whole COPY; the connection stays usable.
    let dup = [[&1i64 as &(dyn ToSql + Sync), &"x", &1.0f64, &now]];
    let err = pool
        .copy_in("bulk.items", &["id", "Label", "price", "seen"], dup.iter())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::UNIQUE_VIOLATION), "{err}");
    let n: i64 = pool
        .query_one("SELECT count(*) FROM bulk.items", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 10_000);
    // An unknown column is an error before any data moves.
    let err = pool
        .copy_in(
            "bulk.items",
            &["nope"],
            std::iter::empty::<[&(dyn ToSql + Sync); 1]>(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::UNDEFINED_COLUMN), "{err}");
    assert_eq!(pool.stats().created, 1, "the same connection throughout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_run_inside_spawned_tasks() {
    let Some(server) = server() else { return };
    let pool = builder(&server.url()).build().await.unwrap();
    pool.batch(
        "CREATE TABLE IF NOT EXISTS spawned_tx (id int PRIMARY KEY, n int NOT NULL);
         TRUNCATE spawned_tx;
         INSERT INTO spawned_tx VALUES (1, 0);",
    )
    .await
    .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let pool = pool.clone();
            // `async move`: the future must be `Send` to be spawned.
            tokio::spawn(async move {
                pool.transaction(async move |tx| {
                    tx.execute("UPDATE spawned_tx SET n = n + $1 WHERE id = 1", &[&i])
                        .await?;
                    Ok(())
                })
                .await
            })
        })
        .collect();
    for t in tasks {
        bounded(Duration::from_secs(20), t).await.unwrap().unwrap();
    }
    let n: i32 = pool
        .query_one("SELECT n FROM spawned_tx WHERE id = 1", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, (0..8).sum::<i32>());
}

#[tokio::test]
async fn a_transaction_begun_with_execute_is_rolled_back_before_reuse() {
    let Some(server) = server() else { return };
    let pool = builder(&server.url()).max_size(1).build().await.unwrap();
    {
        let mut conn = pool.get().await.unwrap();
        conn.execute("BEGIN", &[]).await.unwrap();
        conn.execute("CREATE TEMP TABLE begun_by_hand (x int)", &[])
            .await
            .unwrap();
        // Given back with the transaction open.
    }
    let mut conn = bounded(Duration::from_secs(5), pool.get()).await.unwrap();
    let row = conn
        .query_one("SELECT to_regclass('pg_temp.begun_by_hand') IS NULL", &[])
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0), "rolled back before reuse");
    assert_eq!(pool.stats().created, 1);
}

#[tokio::test]
async fn a_conflict_past_the_attempt_limit_says_so() {
    let Some(server) = server() else { return };
    // One attempt: the transaction that loses the serialization conflict is not retried.
    let pool = builder(&server.url())
        .transaction_attempts(1)
        .build()
        .await
        .unwrap();
    pool.batch(
        "CREATE TABLE IF NOT EXISTS ser_limit (id int PRIMARY KEY, n int NOT NULL);
         TRUNCATE ser_limit;
         INSERT INTO ser_limit VALUES (1, 0);",
    )
    .await
    .unwrap();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
    let run = |pool: PgPool, barrier: std::sync::Arc<tokio::sync::Barrier>| async move {
        pool.transaction(async |tx| {
            tx.batch_execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
                .await?;
            let n: i32 = tx
                .query_one("SELECT n FROM ser_limit WHERE id = 1", &[])
                .await?
                .get(0);
            barrier.wait().await;
            tx.execute("UPDATE ser_limit SET n = $1 WHERE id = 1", &[&(n + 1)])
                .await?;
            Ok(())
        })
        .await
    };
    let (a, b) = bounded(Duration::from_secs(20), async {
        tokio::join!(
            run(pool.clone(), barrier.clone()),
            run(pool.clone(), barrier.clone())
        )
    })
    .await;
    let err = match (a, b) {
        (Ok(()), Err(e)) | (Err(e), Ok(())) => e,
        other => panic!("one should commit and one give up: {other:?}"),
    };
    assert!(
        matches!(
            err,
            PgError::TransactionRetriesExhausted { attempts: 1, .. }
        ),
        "{err}"
    );
    assert!(err.is_retryable_conflict());
    assert_eq!(pool.stats().transaction_retries, 0);
}
