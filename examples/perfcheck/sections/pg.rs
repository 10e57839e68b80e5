//! perfkit::pg against a throwaway PostgreSQL: acquire p95 and simple-select p95 under 64
//! tasks, bulk insert per 1 000 rows, all against the documented database baselines.
//!
//! Starts its own server with the test harness (`initdb` into a temporary directory, a free
//! loopback port); without PostgreSQL installed it says so and measures nothing.

use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use perfkit::baseline;
use perfkit::metrics::Histogram;
use perfkit::pg::{PgPool, ToSql};

use crate::section::{Figure, Section};

#[path = "../../../tests/support/mod.rs"]
mod support;

pub struct Pg;

const TASKS: usize = 64;
const LOAD: Duration = Duration::from_secs(2);

fn checked(id: &'static str, value: f64, note: String) -> Figure {
    Figure::checked(
        id,
        *baseline::find(id).expect("documented baseline"),
        value,
        note,
    )
}

impl Section for Pg {
    fn name(&self) -> &'static str {
        "pg"
    }

    fn steps(&self) -> u64 {
        3
    }

    fn run(&self, progress: &ProgressBar) -> Vec<Figure> {
        progress.set_message("pg: starting a throwaway PostgreSQL");
        let Some(server) = support::postgres::PgServer::start() else {
            progress.println(
                "pg: skipped, PostgreSQL is not installed (apt-get install -y postgresql)",
            );
            progress.inc(3);
            return Vec::new();
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        rt.block_on(async {
            let pool = PgPool::builder(&server.url())
                .max_size(20)
                .min_idle(20)
                .connect_eagerly(true)
                .build()
                .await
                .expect("the throwaway server accepts connections");
            let mut out = Vec::new();

            progress.set_message("pg: 64 tasks running SELECT 1 for 2 s");
            let select = Histogram::new();
            let stop = Instant::now() + LOAD;
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    let pool = pool.clone();
                    let select = select.clone();
                    tokio::spawn(async move {
                        while Instant::now() < stop {
                            let t = Instant::now();
                            pool.query_one("SELECT 1", &[]).await.expect("SELECT 1");
                            select.record_duration(t.elapsed());
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.expect("load task");
            }
            let stats = pool.stats();
            let snap = select.snapshot();
            out.push(checked(
                "database.connection_acquire.p95",
                stats.acquire_p95.as_secs_f64(),
                format!(
                    "{TASKS} tasks on 20 connections, {} acquires, p99 {:?}",
                    stats.acquires, stats.acquire_p99
                ),
            ));
            progress.inc(1);
            out.push(checked(
                "database.simple_select.p95",
                snap.quantile(0.95) as f64 / 1e9,
                format!(
                    "SELECT 1 through the pool, acquire included, {:.0} queries/s",
                    snap.count() as f64 / LOAD.as_secs_f64()
                ),
            ));
            out.push(checked(
                "database.max_connections",
                stats.max_size as f64,
                format!("open at the end: {}", stats.open),
            ));
            progress.inc(1);

            progress.set_message("pg: bulk insert, binary COPY of 1 000 rows x 20");
            pool.batch(
                "DROP TABLE IF EXISTS perfcheck_bulk;
                 CREATE TABLE perfcheck_bulk (id bigint, name text, price double precision)",
            )
            .await
            .expect("create the bulk table");
            let data: Vec<(i64, String, f64)> = (0..1000)
                .map(|i| (i, format!("item {i}"), i as f64 * 0.25))
                .collect();
            let bulk = Histogram::new();
            for _ in 0..20 {
                let rows = data
                    .iter()
                    .map(|(id, name, price)| [id as &(dyn ToSql + Sync), name, price]);
                let t = Instant::now();
                pool.copy_in("perfcheck_bulk", &["id", "name", "price"], rows)
                    .await
                    .expect("copy_in");
                bulk.record_duration(t.elapsed());
            }
            out.push(checked(
                "database.bulk_insert.p95",
                bulk.snapshot().quantile(0.95) as f64 / 1e9,
                "copy_in (binary COPY), 20 runs of 1 000 rows".to_string(),
            ));
            progress.inc(1);
            out
        })
    }
}
