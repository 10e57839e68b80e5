//! `PgPool` end to end: queries, a retried transaction, a bulk load, stats as Prometheus
//! series, and what a caller sees while the server is away.
//!
//! `cargo run --example pg --features pg` starts a throwaway PostgreSQL (the test harness:
//! `initdb` into a temporary directory, a free loopback port) when `PERFKIT_PG_URL` is not
//! set, and says so if PostgreSQL is not installed.

use std::time::{Duration, Instant};

use perfkit::metrics::Registry;
use perfkit::pg::{PgError, PgPool, ToSql};

#[path = "../tests/support/mod.rs"]
mod support;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = match std::env::var("PERFKIT_PG_URL") {
        Ok(_) => None,
        Err(_) => match support::postgres::PgServer::start() {
            Some(s) => Some(s),
            None => {
                println!(
                    "PostgreSQL is not installed and PERFKIT_PG_URL is not set: nothing to show."
                );
                return Ok(());
            }
        },
    };
    let url = match &server {
        Some(s) => s.url(),
        None => std::env::var("PERFKIT_PG_URL")?,
    };

    let pool = PgPool::builder(&url)
        .max_size(8)
        .min_idle(2)
        .connection_timeout(Duration::from_millis(500))
        .statement_timeout(Duration::from_secs(2))
        .application_name("perfkit-example")
        .build()
        .await?;
    let registry = Registry::new();
    pool.register_metrics(&registry, "example_db")?;

    pool.batch(
        "DROP TABLE IF EXISTS example_items;
         CREATE TABLE example_items (id bigint PRIMARY KEY, name text NOT NULL, stock int NOT NULL)",
    )
    .await?;

    // A bulk load through binary COPY.
    let items: Vec<(i64, String, i32)> = (0..5_000).map(|i| (i, format!("item {i}"), 10)).collect();
    let start = Instant::now();
    let rows = items
        .iter()
        .map(|(id, name, stock)| [id as &(dyn ToSql + Sync), name, stock]);
    let loaded = pool
        .copy_in("example_items", &["id", "name", "stock"], rows)
        .await?;
    println!("loaded {loaded} rows in {:?}", start.elapsed());

    // Concurrent orders, each a transaction (run again on a serialization failure).
    let orders: Vec<_> = (0..32)
        .map(|i| {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.transaction(async move |tx| {
                    let id = i64::from(i % 4);
                    tx.execute(
                        "UPDATE example_items SET stock = stock - 1 WHERE id = $1",
                        &[&id],
                    )
                    .await?;
                    Ok(())
                })
                .await
            })
        })
        .collect();
    for order in orders {
        order.await??;
    }
    let stock: i32 = pool
        .query_one(
            "SELECT sum(stock)::int FROM example_items WHERE id < 4",
            &[],
        )
        .await?
        .get(0);
    println!("stock of the four ordered items after 32 orders: {stock} (was 40)");

    // The server's own timeout, reported as such.
    match pool.execute("SELECT pg_sleep(5)", &[]).await {
        Err(e) if e.is_statement_timeout() => println!("a 5 s query: {e}"),
        other => println!("a 5 s query: unexpected {other:?}"),
    }

    // While the server is away, callers get the real cause within the acquire timeout.
    if let Some(server) = &server {
        server.stop();
        let start = Instant::now();
        match pool.query_one("SELECT 1", &[]).await {
            Err(e @ PgError::Connect { .. }) => {
                println!("server stopped: {e} (after {:?})", start.elapsed())
            }
            other => println!("server stopped: {other:?}"),
        }
        server.start_again();
        let start = Instant::now();
        while pool.query_one("SELECT 1", &[]).await.is_err() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        println!(
            "server back: first successful query after {:?}",
            start.elapsed()
        );
    }

    let stats = pool.stats();
    println!(
        "stats: {} acquires, {} waited, acquire p95 {:?}, {} created, {} broken, {} transaction retries",
        stats.acquires,
        stats.waits,
        stats.acquire_p95,
        stats.created,
        stats.broken,
        stats.transaction_retries
    );
    println!("\nas Prometheus series:\n{}", registry.render_prometheus());
    Ok(())
}
