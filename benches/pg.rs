//! perfkit's `PgPool` beside bb8 (default, and without its checkout test) and
//! deadpool-postgres, against a throwaway PostgreSQL started for the run.
//!
//! Run with `cargo bench --bench pg --no-default-features --features pg -- --noplot`. It
//! first prints a table of acquire latency under 64 tasks (p50 / p99 / p99.9 / the longest
//! wait, which criterion cannot show) and one of a server restart under load (errors and
//! recovery; `PG_BENCH_SKIP_RESTART=1` skips it), then runs the criterion groups. Without PostgreSQL
//! installed it says so and measures nothing.

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use perfkit::metrics::Histogram;
use perfkit::pg::{PgPool, ToSql};
use support::postgres::PgServer;
use tokio::runtime::Runtime;
use tokio_postgres::NoTls;

const SIZE: usize = 20;
const TASKS: usize = 64;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// The contenders, each a pool of `SIZE` connections.
#[derive(Clone)]
enum Pool {
    Perfkit(PgPool),
    Bb8(bb8::Pool<bb8_postgres::PostgresConnectionManager<NoTls>>),
    Deadpool(deadpool_postgres::Pool),
}

async fn make(kind: &str, url: &str) -> Pool {
    let cfg: tokio_postgres::Config = url.parse().expect("a valid URL");
    match kind {
        "perfkit" => Pool::Perfkit(
            PgPool::builder(url)
                .max_size(SIZE)
                .min_idle(SIZE)
                .connect_eagerly(true)
                .build()
                .await
                .expect("perfkit pool"),
        ),
        "bb8" | "bb8_no_test" => {
            let manager = bb8_postgres::PostgresConnectionManager::new(cfg, NoTls);
            let pool = bb8::Pool::builder()
                .max_size(SIZE as u32)
                .min_idle(Some(SIZE as u32))
                .test_on_check_out(kind == "bb8")
                .build(manager)
                .await
                .expect("bb8 pool");
            Pool::Bb8(pool)
        }
        "deadpool" => {
            let manager = deadpool_postgres::Manager::from_config(
                cfg,
                NoTls,
                deadpool_postgres::ManagerConfig {
                    recycling_method: deadpool_postgres::RecyclingMethod::Fast,
                },
            );
            let pool = deadpool_postgres::Pool::builder(manager)
                .max_size(SIZE)
                .build()
                .expect("deadpool pool");
            Pool::Deadpool(pool)
        }
        other => unreachable!("no contender {other}"),
    }
}

impl Pool {
    /// One checkout and give-back.
    async fn cycle(&self) {
        match self {
            Pool::Perfkit(p) => drop(black_box(p.get().await.expect("get"))),
            Pool::Bb8(p) => drop(black_box(p.get().await.expect("get"))),
            Pool::Deadpool(p) => drop(black_box(p.get().await.expect("get"))),
        }
    }

    /// `SELECT 1` the way each pool is normally used: ours through its statement cache,
    /// bb8's and deadpool's client `query_one` (which prepares each time), and deadpool's
    /// `prepare_cached` when `cached`.
    async fn select1(&self, cached: bool) {
        let n: i32 = match self {
            Pool::Perfkit(p) => p.query_one("SELECT 1", &[]).await.expect("query").get(0),
            Pool::Bb8(p) => {
                let c = p.get().await.expect("get");
                c.query_one("SELECT 1", &[]).await.expect("query").get(0)
            }
            Pool::Deadpool(p) => {
                let c = p.get().await.expect("get");
                if cached {
                    let stmt = c.prepare_cached("SELECT 1").await.expect("prepare");
                    c.query_one(&stmt, &[]).await.expect("query").get(0)
                } else {
                    c.query_one("SELECT 1", &[]).await.expect("query").get(0)
                }
            }
        };
        assert_eq!(n, 1);
    }
}

impl Pool {
    /// `SELECT 1` that reports a failure instead of panicking, for the restart run.
    async fn try_select1(&self) -> Result<(), String> {
        match self {
            Pool::Perfkit(p) => p
                .query_one("SELECT 1", &[])
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
            Pool::Bb8(p) => {
                let c = p.get().await.map_err(|e| e.to_string())?;
                c.query_one("SELECT 1", &[])
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string())
            }
            Pool::Deadpool(p) => {
                let c = p.get().await.map_err(|e| e.to_string())?;
                c.query_one("SELECT 1", &[])
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string())
            }
        }
    }
}

/// 64 tasks query through each pool (its defaults, 20 connections) while the server is
/// stopped (`-m immediate`) for 300 ms and started again: errors seen, the longest call, and
/// how long after the server was ready the first query succeeded. Each pool gets its own
/// server. A pool that never recovers is reported, not waited for past 10 s.
fn restart_table() {
    println!(
        "server restart under load: {TASKS} tasks, pools of {SIZE} at their defaults, server down 300 ms:"
    );
    println!(
        "| pool | queries ok | errors | longest call | first success after the server is back |"
    );
    println!("|---|---|---|---|---|");
    let rt = runtime();
    for kind in ["perfkit", "bb8", "deadpool"] {
        let Some(server) = PgServer::start() else {
            return;
        };
        let pool = rt.block_on(make(kind, &server.url()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (ok, errors, longest) = (
            Arc::new(std::sync::atomic::AtomicU64::new(0)),
            Arc::new(std::sync::atomic::AtomicU64::new(0)),
            Arc::new(std::sync::atomic::AtomicU64::new(0)),
        );
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let (pool, stop, ok, errors, longest) = (
                    pool.clone(),
                    stop.clone(),
                    ok.clone(),
                    errors.clone(),
                    longest.clone(),
                );
                rt.spawn(async move {
                    use std::sync::atomic::Ordering::Relaxed;
                    while !stop.load(Relaxed) {
                        let t = Instant::now();
                        let r =
                            tokio::time::timeout(Duration::from_secs(10), pool.try_select1()).await;
                        longest.fetch_max(t.elapsed().as_micros() as u64, Relaxed);
                        match r {
                            Ok(Ok(())) => ok.fetch_add(1, Relaxed),
                            _ => {
                                tokio::time::sleep(Duration::from_millis(5)).await;
                                errors.fetch_add(1, Relaxed)
                            }
                        };
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(500));
        server.stop();
        std::thread::sleep(Duration::from_millis(300));
        server.start_again();
        let back = Instant::now();
        let recovered = rt.block_on(async {
            while back.elapsed() < Duration::from_secs(10) {
                if pool.try_select1().await.is_ok() {
                    return Some(back.elapsed());
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            None
        });
        std::thread::sleep(Duration::from_millis(500));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        rt.block_on(async {
            for t in tasks {
                let _ = tokio::time::timeout(Duration::from_secs(15), t).await;
            }
        });
        use std::sync::atomic::Ordering::Relaxed;
        println!(
            "| {kind} | {} | {} | {:.0} ms | {} |",
            ok.load(Relaxed),
            errors.load(Relaxed),
            longest.load(Relaxed) as f64 / 1e3,
            recovered.map_or("not within 10 s".to_string(), |d| format!(
                "{:.1} ms",
                d.as_secs_f64() * 1e3
            )),
        );
    }
    println!();
}

/// Acquire latency with 64 tasks each running one `SELECT 1` per checkout, for `secs`: the
/// tail and the longest wait show fairness.
fn contention_table(rt: &Runtime, url: &str, secs: u64) {
    println!(
        "acquire latency, {TASKS} tasks on {SIZE} connections, one SELECT 1 per checkout, {secs} s each:"
    );
    println!("| pool | acquires | p50 | p99 | p99.9 | longest wait |");
    println!("|---|---|---|---|---|---|");
    for kind in ["perfkit", "bb8", "bb8_no_test", "deadpool"] {
        let pool = rt.block_on(make(kind, url));
        let hist = Histogram::new();
        let stop = Instant::now() + Duration::from_secs(secs);
        rt.block_on(async {
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    let pool = pool.clone();
                    let hist = hist.clone();
                    tokio::spawn(async move {
                        while Instant::now() < stop {
                            let t = Instant::now();
                            match &pool {
                                Pool::Perfkit(p) => {
                                    let mut c = p.get().await.expect("get");
                                    hist.record_duration(t.elapsed());
                                    c.health_check().await.expect("query");
                                }
                                Pool::Bb8(p) => {
                                    let c = p.get().await.expect("get");
                                    hist.record_duration(t.elapsed());
                                    c.simple_query("SELECT 1").await.expect("query");
                                }
                                Pool::Deadpool(p) => {
                                    let c = p.get().await.expect("get");
                                    hist.record_duration(t.elapsed());
                                    c.simple_query("SELECT 1").await.expect("query");
                                }
                            }
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.expect("task");
            }
        });
        let s = hist.snapshot();
        let ms = |ns: u64| ns as f64 / 1e6;
        println!(
            "| {kind} | {} | {:.3} ms | {:.3} ms | {:.3} ms | {:.3} ms |",
            s.count(),
            ms(s.quantile(0.5)),
            ms(s.quantile(0.99)),
            ms(s.quantile(0.999)),
            ms(s.max())
        );
    }
    println!();
}

fn acquire_release(c: &mut Criterion, rt: &Runtime, url: &str) {
    let mut g = c.benchmark_group("pg_acquire_release");
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    for kind in ["perfkit", "bb8", "bb8_no_test", "deadpool"] {
        let pool = rt.block_on(make(kind, url));
        g.bench_function(kind, |b| {
            b.iter_custom(|n| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..n {
                        pool.cycle().await;
                    }
                    start.elapsed()
                })
            })
        });
    }
    g.finish();
}

fn select1_64_tasks(c: &mut Criterion, rt: &Runtime, url: &str) {
    let mut g = c.benchmark_group("pg_select1_64_tasks");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(1));
    for (name, kind, cached) in [
        ("perfkit", "perfkit", true),
        ("bb8", "bb8", false),
        ("deadpool", "deadpool", false),
        ("deadpool_prepare_cached", "deadpool", true),
    ] {
        let pool = rt.block_on(make(kind, url));
        g.bench_function(name, |b| {
            b.iter_custom(|n| {
                rt.block_on(async {
                    let per_task = n.div_ceil(TASKS as u64);
                    let start = Instant::now();
                    let tasks: Vec<_> = (0..TASKS)
                        .map(|_| {
                            let pool = pool.clone();
                            tokio::spawn(async move {
                                for _ in 0..per_task {
                                    pool.select1(cached).await;
                                }
                            })
                        })
                        .collect();
                    for t in tasks {
                        t.await.expect("task");
                    }
                    start
                        .elapsed()
                        .mul_f64(n as f64 / (per_task * TASKS as u64) as f64)
                })
            })
        });
    }
    // The ceiling: one client, one prepared statement, 64 tasks pipelining on it.
    let (client, stmt) = rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, NoTls).await.expect("connect");
        tokio::spawn(conn);
        let stmt = client.prepare("SELECT 1").await.expect("prepare");
        (Arc::new(client), stmt)
    });
    g.bench_function("raw_pipelined_client", |b| {
        b.iter_custom(|n| {
            rt.block_on(async {
                let per_task = n.div_ceil(TASKS as u64);
                let start = Instant::now();
                let tasks: Vec<_> = (0..TASKS)
                    .map(|_| {
                        let client = client.clone();
                        let stmt = stmt.clone();
                        tokio::spawn(async move {
                            for _ in 0..per_task {
                                let row = client.query_one(&stmt, &[]).await.expect("query");
                                assert_eq!(row.get::<_, i32>(0), 1);
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.expect("task");
                }
                start
                    .elapsed()
                    .mul_f64(n as f64 / (per_task * TASKS as u64) as f64)
            })
        })
    });
    g.finish();
}

fn bulk_insert(c: &mut Criterion, rt: &Runtime, url: &str) {
    const ROWS: usize = 100_000;
    let pool = rt.block_on(async {
        let pool = PgPool::builder(url)
            .max_size(2)
            .min_idle(0)
            .build()
            .await
            .expect("pool");
        pool.batch("DROP TABLE IF EXISTS bench_bulk; CREATE UNLOGGED TABLE bench_bulk (id bigint, name text, price double precision)")
            .await
            .expect("table");
        pool
    });
    let data: Vec<(i64, String, f64)> = (0..ROWS as i64)
        .map(|i| (i, format!("item {i}"), i as f64 * 0.25))
        .collect();
    let mut g = c.benchmark_group("pg_bulk_insert_100k");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(ROWS as u64));
    g.bench_function(BenchmarkId::new("perfkit", "copy_in"), |b| {
        b.iter(|| {
            rt.block_on(async {
                pool.execute("TRUNCATE bench_bulk", &[])
                    .await
                    .expect("truncate");
                let rows = data
                    .iter()
                    .map(|(id, name, price)| [id as &(dyn ToSql + Sync), name, price]);
                let n = pool
                    .copy_in("bench_bulk", &["id", "name", "price"], rows)
                    .await
                    .expect("copy");
                assert_eq!(n, ROWS as u64);
            })
        })
    });
    g.bench_function(
        BenchmarkId::new("batched_insert", "1000_rows_per_statement"),
        |b| {
            // One multi-row INSERT per 1000 rows, prepared once, all in one transaction.
            let mut sql = String::from("INSERT INTO bench_bulk (id, name, price) VALUES ");
            for i in 0..1000 {
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3));
            }
            b.iter(|| {
                rt.block_on(async {
                    pool.execute("TRUNCATE bench_bulk", &[])
                        .await
                        .expect("truncate");
                    pool.transaction(async |tx| {
                        let stmt = tx.prepare(&sql).await?;
                        for chunk in data.chunks(1000) {
                            let params: Vec<&(dyn ToSql + Sync)> = chunk
                                .iter()
                                .flat_map(|(id, name, price)| {
                                    [id as &(dyn ToSql + Sync), name, price]
                                })
                                .collect();
                            tx.execute(&stmt, &params).await?;
                        }
                        Ok(())
                    })
                    .await
                    .expect("insert");
                })
            })
        },
    );
    g.finish();
}

fn main() {
    let Some(server) = PgServer::start() else {
        println!("PostgreSQL is not installed: nothing measured.");
        return;
    };
    let url = server.url();
    let rt = runtime();
    let secs = std::env::var("PG_BENCH_CONTENTION_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    contention_table(&rt, &url, secs);
    if std::env::var_os("PG_BENCH_SKIP_RESTART").is_none() {
        restart_table();
    }
    let mut c = Criterion::default().configure_from_args();
    acquire_release(&mut c, &rt, &url);
    select1_64_tasks(&mut c, &rt, &url);
    bulk_insert(&mut c, &rt, &url);
    c.final_summary();
}
