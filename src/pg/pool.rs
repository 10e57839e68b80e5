//! [`PgPool`]: the public face of the pool.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::config::PgPoolBuilder;
use super::conn::PgConn;
use super::error::{PgError, is_conflict};
use super::shared::Shared;
use super::stats::{Counters, PoolStats};

/// A fair, bounded pool of PostgreSQL connections over `tokio-postgres`.
///
/// - **Fair**: callers get connections in arrival order; a connection given back goes to
///   the oldest waiter, so a task that just released one cannot take it back ahead of them.
/// - **Bounded**: [`get`](Self::get) ends within the acquire timeout
///   ([`connection_timeout`](PgPoolBuilder::connection_timeout)), waiting and connecting
///   together; every query ends within the client-side deadline.
/// - **Honest errors**: while the server is down, `get` fails with
///   [`PgError::Connect`] carrying the driver's last connect error; a wrong password or an
///   unknown database fails at once.
/// - **Self-healing**: connections found closed are dropped, and the idle ones are checked
///   with `SELECT 1` before their next use, so a server restart does not hand out a run of
///   dead connections; connects retry with a short backoff (5 ms doubling to 50 ms) while
///   someone waits, so the pool is back within milliseconds of the server.
/// - **Cheap checkout**: no round trip on checkout.
///
/// Cheap to clone (an `Arc`); clones share the pool. Needs a Tokio runtime.
///
/// ```no_run
/// use perfkit::pg::PgPool;
///
/// # async fn demo() -> Result<(), perfkit::pg::PgError> {
/// let pool = PgPool::builder("postgresql://app:secret@127.0.0.1:5432/shop").build().await?;
/// let n: i64 = pool.query_one("SELECT count(*) FROM orders", &[]).await?.get(0);
/// pool.execute("INSERT INTO audit (event) VALUES ($1)", &[&"counted"]).await?;
/// println!("{n} orders; p95 acquire {:?}", pool.stats().acquire_p95);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct PgPool {
    shared: Arc<Shared>,
}

impl PgPool {
    /// A builder for a pool of connections to `url` (`postgresql://user:password@host:port/db`
    /// or libpq's `key=value` form), with the defaults of [`PgPoolBuilder`].
    pub fn builder(url: &str) -> PgPoolBuilder {
        PgPoolBuilder::new(url)
    }

    pub(crate) async fn from_settings(
        settings: PgPoolBuilder,
        pg: tokio_postgres::Config,
    ) -> Result<Self, PgError> {
        let eager = settings.eager;
        let interval = settings.maintenance_interval;
        let shared = Shared::new(settings, pg);
        if eager {
            shared.fill().await?;
        }
        // Upkeep holds only a weak handle: it ends with the pool.
        let weak = Arc::downgrade(&shared);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match weak.upgrade() {
                    Some(shared) if !shared.is_closed() => shared.maintain(),
                    _ => return,
                }
            }
        });
        Ok(Self { shared })
    }

    /// A connection, within the acquire timeout. Cancel-safe: dropping the future never
    /// leaks a slot.
    ///
    /// # Errors
    /// [`PgError::Connect`] when connects fail (at once for authentication and unknown
    /// databases), [`PgError::Timeout`] when all connections stay busy,
    /// [`PgError::Closed`] after [`close`](Self::close).
    pub async fn get(&self) -> Result<PgConn, PgError> {
        let conn = self.shared.acquire().await?;
        Ok(PgConn::new(conn, self.shared.query_timeout))
    }

    /// [`PgConn::query`] on a pooled connection.
    pub async fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, PgError> {
        self.get().await?.query(sql, params).await
    }

    /// [`PgConn::query_one`] on a pooled connection.
    pub async fn query_one(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, PgError> {
        self.get().await?.query_one(sql, params).await
    }

    /// [`PgConn::query_opt`] on a pooled connection.
    pub async fn query_opt(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, PgError> {
        self.get().await?.query_opt(sql, params).await
    }

    /// [`PgConn::execute`] on a pooled connection.
    pub async fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, PgError> {
        self.get().await?.execute(sql, params).await
    }

    /// [`PgConn::batch`] on a pooled connection: the statements in one transaction.
    pub async fn batch(&self, sql: &str) -> Result<(), PgError> {
        self.get().await?.batch(sql).await
    }

    /// [`PgConn::copy_in`] on a pooled connection: a binary `COPY` of `rows` into
    /// `columns` of `table`.
    pub async fn copy_in<'v, I, R>(
        &self,
        table: &str,
        columns: &[&str],
        rows: I,
    ) -> Result<u64, PgError>
    where
        I: IntoIterator<Item = R>,
        R: AsRef<[&'v (dyn ToSql + Sync)]>,
    {
        self.get().await?.copy_in(table, columns, rows).await
    }

    /// Runs `f` in a transaction, again from the start on a serialization failure (40001)
    /// or a deadlock (40P01), up to
    /// [`transaction_attempts`](PgPoolBuilder::transaction_attempts) attempts with a short
    /// randomised pause between them. Other errors end it at once. `f` must be safe to run
    /// more than once: only the last, committed attempt takes effect.
    ///
    /// Inside `tokio::spawn`, write the closure as `async move |tx| ..`, moving (cloned)
    /// values in: with today's compiler, an async closure that borrows from its surroundings
    /// makes the whole future impossible to prove `Send` ("implementation of `Send` is not
    /// general enough").
    ///
    /// ```no_run
    /// # async fn demo(pool: perfkit::pg::PgPool) -> Result<(), perfkit::pg::PgError> {
    /// let total: i64 = pool
    ///     .transaction(async |tx| {
    ///         tx.execute("UPDATE counters SET n = n + 1 WHERE id = 1", &[]).await?;
    ///         Ok(tx.query_one("SELECT sum(n) FROM counters", &[]).await?.get(0))
    ///     })
    ///     .await?;
    /// # let _ = total;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn transaction<T, F>(&self, mut f: F) -> Result<T, PgError>
    where
        F: AsyncFnMut(&tokio_postgres::Transaction<'_>) -> Result<T, PgError>,
    {
        let attempts = self.shared.settings.transaction_attempts;
        let mut attempt = 1;
        loop {
            let mut conn = self.get().await?;
            let result = conn.transaction(async |tx| f(tx).await).await;
            drop(conn);
            match result {
                Err(PgError::Query(e)) if e.code().is_some_and(is_conflict) => {
                    if attempt >= attempts {
                        return Err(PgError::TransactionRetriesExhausted {
                            attempts: attempt,
                            source: e,
                        });
                    }
                }
                other => return other,
            }
            Counters::bump(&self.shared.counters.transaction_retries);
            tokio::time::sleep(conflict_pause(attempt)).await;
            attempt += 1;
        }
    }

    /// `SELECT 1` on a pooled connection.
    pub async fn health_check(&self) -> Result<(), PgError> {
        self.get().await?.health_check().await
    }

    /// Counts, gauges and acquire latency percentiles.
    pub fn stats(&self) -> PoolStats {
        self.shared.stats()
    }

    /// Closes the pool: waiting and later `get` calls fail with [`PgError::Closed`], idle
    /// connections close now, and connections in use close when given back.
    pub fn close(&self) {
        self.shared.close();
    }
}

/// A pause that grows with the attempt and is spread at random, so two transactions that
/// conflicted do not collide again in lockstep: up to 2^attempt ms, at least 1 ms.
fn conflict_pause(attempt: u32) -> Duration {
    let cap_ms = 1u64 << attempt.min(8);
    let noise = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64);
    Duration::from_millis(1 + noise % cap_ms)
}

impl fmt::Debug for PgPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgPool")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl PgPool {
    /// Exposes [`stats`](Self::stats) in `registry`, read at each render:
    ///
    /// - gauges `{prefix}_connections{state="idle"|"in_use"|"opening"}`, `{prefix}_waiting`,
    ///   `{prefix}_max_size`, and `{prefix}_acquire_seconds{quantile="0.5"|"0.95"|"0.99"}`;
    /// - counters `{prefix}_acquires_total`, `{prefix}_waits_total`,
    ///   `{prefix}_timeouts_total`, `{prefix}_connections_created_total`,
    ///   `{prefix}_connections_closed_total`, `{prefix}_connections_broken_total`,
    ///   `{prefix}_connect_errors_total`, `{prefix}_held_too_long_total`,
    ///   `{prefix}_transaction_retries_total`.
    ///
    /// The registry holds no strong reference: the series disappear with the pool.
    pub fn register_metrics(
        &self,
        registry: &crate::metrics::Registry,
        prefix: &str,
    ) -> Result<(), crate::metrics::MetricsError> {
        use crate::metrics::export::{Exporter, Field};

        let export = Exporter::new(registry, prefix, &self.shared)?;
        let states: [Field<PoolStats, usize>; 3] = [
            ("idle", |s| s.idle),
            ("in_use", |s| s.in_use),
            ("opening", |s| s.opening),
        ];
        for (state, read) in states {
            export.gauge("connections", &[("state", state)], move |s| {
                read(&s.stats()) as f64
            })?;
        }
        export.gauge("waiting", &[], |s| s.stats().waiting as f64)?;
        export.gauge("max_size", &[], |s| s.settings.max_size as f64)?;
        let quantiles: [Field<PoolStats, Duration>; 3] = [
            ("0.5", |s| s.acquire_p50),
            ("0.95", |s| s.acquire_p95),
            ("0.99", |s| s.acquire_p99),
        ];
        for (q, read) in quantiles {
            export.gauge("acquire_seconds", &[("quantile", q)], move |s| {
                read(&s.stats()).as_secs_f64()
            })?;
        }
        let counters: [Field<PoolStats, u64>; 9] = [
            ("acquires_total", |s| s.acquires),
            ("waits_total", |s| s.waits),
            ("timeouts_total", |s| s.timeouts),
            ("connections_created_total", |s| s.created),
            ("connections_closed_total", |s| s.closed),
            ("connections_broken_total", |s| s.broken),
            ("connect_errors_total", |s| s.connect_errors),
            ("held_too_long_total", |s| s.held_too_long),
            ("transaction_retries_total", |s| s.transaction_retries),
        ];
        for (suffix, read) in counters {
            export.counter(suffix, &[], move |s| read(&s.stats()))?;
        }
        Ok(())
    }
}
