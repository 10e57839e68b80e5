//! [`PgConn`]: a checked-out connection, with deadline-bounded queries.

use std::fmt;

use std::future::Future;
use std::time::Duration;

use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Row, Statement};

use super::PgError;
use super::shared::{Conn, Live};

/// A connection from a [`PgPool`](super::PgPool); given back when dropped.
///
/// Queries go through a per-connection prepared-statement cache and end at the pool's
/// client-side deadline ([`query_timeout`](super::PgPoolBuilder::query_timeout)). A
/// connection is never handed out again dirty: one dropped mid-query (its future
/// cancelled) or past its deadline is closed, one whose socket closed is closed, and one
/// that had raw access through [`client`](Self::client) is rolled back before reuse.
///
/// ```no_run
/// # async fn demo(pool: perfkit::pg::PgPool) -> Result<(), perfkit::pg::PgError> {
/// let mut conn = pool.get().await?;
/// let row = conn.query_one("SELECT $1::int + 1", &[&41i32]).await?;
/// assert_eq!(row.get::<_, i32>(0), 42);
/// # Ok(())
/// # }
/// ```
pub struct PgConn {
    conn: Conn,
    query_timeout: std::time::Duration,
}

impl PgConn {
    pub(crate) fn new(conn: Conn, query_timeout: std::time::Duration) -> Self {
        Self {
            conn,
            query_timeout,
        }
    }

    fn live(&mut self) -> &mut Live {
        // A `PgConn` holds its connection from creation to drop.
        self.conn
            .live
            .as_mut()
            .expect("a PgConn always holds a connection")
    }

    /// Runs `sql` and returns its rows.
    pub async fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, PgError> {
        let stmt = self.prepare(sql).await?;
        let deadline = self.query_timeout;
        let live = self.start_call();
        let r = tokio::time::timeout(deadline, live.client.query(&stmt, params)).await;
        self.finish_call(r)
    }

    /// Runs `sql` and returns its one row; an error if it returns none or several.
    pub async fn query_one(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, PgError> {
        let stmt = self.prepare(sql).await?;
        let deadline = self.query_timeout;
        let live = self.start_call();
        let r = tokio::time::timeout(deadline, live.client.query_one(&stmt, params)).await;
        self.finish_call(r)
    }

    /// Runs `sql` and returns its row if there is one; an error if several.
    pub async fn query_opt(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, PgError> {
        let stmt = self.prepare(sql).await?;
        let deadline = self.query_timeout;
        let live = self.start_call();
        let r = tokio::time::timeout(deadline, live.client.query_opt(&stmt, params)).await;
        self.finish_call(r)
    }

    /// Runs `sql` and returns the number of rows it changed.
    pub async fn execute(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, PgError> {
        let stmt = self.prepare(sql).await?;
        let deadline = self.query_timeout;
        let live = self.start_call();
        let r = tokio::time::timeout(deadline, live.client.execute(&stmt, params)).await;
        self.finish_call(r)
    }

    /// `sql` prepared on this connection, from the cache when it was prepared before.
    pub async fn prepare(&mut self, sql: &str) -> Result<Statement, PgError> {
        if opens_transaction(sql) {
            // A transaction begun by hand may still be open when the connection is given
            // back: roll back before its next use (a no-op warning if it was committed).
            self.live().needs_reset = true;
        }
        if let Some(stmt) = self.live().statements.get(sql) {
            return Ok(stmt);
        }
        let deadline = self.query_timeout;
        let live = self.start_call();
        let r = tokio::time::timeout(deadline, live.client.prepare(sql)).await;
        let stmt = self.finish_call(r)?;
        self.live().statements.insert(sql, stmt.clone());
        Ok(stmt)
    }

    /// Runs `f` inside a transaction on this connection: committed if it returns `Ok`,
    /// rolled back if it returns an error. Not retried (see
    /// [`PgPool::transaction`](super::PgPool::transaction) for that). The whole
    /// transaction must finish within the query deadline.
    ///
    /// ```no_run
    /// # async fn demo(pool: perfkit::pg::PgPool) -> Result<(), perfkit::pg::PgError> {
    /// let mut conn = pool.get().await?;
    /// let moved = conn
    ///     .transaction(async |tx| {
    ///         tx.execute("UPDATE accounts SET balance = balance - 10 WHERE id = 1", &[]).await?;
    ///         Ok(tx.execute("UPDATE accounts SET balance = balance + 10 WHERE id = 2", &[]).await?)
    ///     })
    ///     .await?;
    /// # let _ = moved;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn transaction<T, F>(&mut self, f: F) -> Result<T, PgError>
    where
        F: AsyncFnOnce(&tokio_postgres::Transaction<'_>) -> Result<T, PgError>,
    {
        let deadline = self.query_timeout;
        let live = self.start_call();
        let run = async {
            let tx = live.client.transaction().await?;
            let value = f(&tx).await?;
            tx.commit().await?;
            Ok::<T, PgError>(value)
        };
        match tokio::time::timeout(deadline, run).await {
            Ok(result) => {
                // A transaction dropped on an error queued its ROLLBACK ahead of any later
                // query on this connection, so the connection is clean either way.
                let live = self.live();
                live.busy = false;
                if live.client.is_closed() {
                    live.broken = true;
                }
                result
            }
            Err(_) => Err(self.timed_out()),
        }
    }

    /// Runs several statements separated by `;` in one round trip, inside one transaction:
    /// all of them take effect or none.
    pub async fn batch(&mut self, sql: &str) -> Result<(), PgError> {
        self.transaction(async |tx| {
            tx.batch_execute(sql).await?;
            Ok(())
        })
        .await
    }

    /// Loads `rows` into `columns` of `table` with one binary `COPY ... FROM STDIN`, the
    /// fastest way in: no per-row round trip, no SQL text per row. Returns the rows written.
    ///
    /// `table` may be schema-qualified (`sales.orders`); names are quoted, so they are taken
    /// literally (case included). Each row gives one value per column, in order, of the
    /// column's type (the types are read from the table first). All rows or none: an error
    /// mid-way aborts the `COPY`. No single step (the type lookup, one row, the final flush)
    /// may wait longer than the query deadline, so a frozen server cannot hang a load, while
    /// a long load that keeps moving is not cut off.
    ///
    /// ```no_run
    /// use perfkit::pg::ToSql;
    ///
    /// # async fn demo(pool: perfkit::pg::PgPool) -> Result<(), perfkit::pg::PgError> {
    /// let data: Vec<(i64, String)> = (0..1000).map(|i| (i, format!("item {i}"))).collect();
    /// let rows = data.iter().map(|(id, name)| [id as &(dyn ToSql + Sync), name]);
    /// let written = pool.get().await?.copy_in("items", &["id", "name"], rows).await?;
    /// assert_eq!(written, 1000);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn copy_in<'v, I, R>(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: I,
    ) -> Result<u64, PgError>
    where
        I: IntoIterator<Item = R>,
        R: AsRef<[&'v (dyn ToSql + Sync)]>,
    {
        let table = quote_path(table);
        let cols = columns
            .iter()
            .map(|c| quote_ident(c))
            .collect::<Vec<_>>()
            .join(", ");
        let probe = self
            .prepare(&format!("SELECT {cols} FROM {table} LIMIT 0"))
            .await?;
        let types: Vec<Type> = probe.columns().iter().map(|c| c.type_().clone()).collect();
        let copy = format!("COPY {table} ({cols}) FROM STDIN (FORMAT binary)");
        let deadline = self.query_timeout;
        let live = self.start_call();
        let client = &live.client;
        let load = async {
            let sink = step(deadline, client.copy_in(&copy)).await?;
            let writer = BinaryCopyInWriter::new(sink, &types);
            tokio::pin!(writer);
            for row in rows {
                step(deadline, writer.as_mut().write(row.as_ref())).await?;
            }
            step(deadline, writer.finish()).await
        };
        match load.await {
            Ok(n) => {
                self.live().busy = false;
                Ok(n)
            }
            Err(Step::Failed(e)) => {
                let live = self.live();
                // An aborted COPY leaves the connection usable unless the socket died.
                live.busy = false;
                if live.client.is_closed() {
                    live.broken = true;
                }
                Err(PgError::Query(e))
            }
            Err(Step::TimedOut) => Err(self.timed_out()),
        }
    }

    /// `SELECT 1` on this connection.
    pub async fn health_check(&mut self) -> Result<(), PgError> {
        let deadline = self.query_timeout;
        let live = self.start_call();
        let r = tokio::time::timeout(deadline, live.client.simple_query("SELECT 1")).await;
        self.finish_call(r).map(drop)
    }

    /// The driver's client, for what this type does not wrap. The pool cannot see what is
    /// done through it (a `BEGIN` left open, say), so the connection is rolled back before
    /// its next use; and calls through it have no client-side deadline.
    pub fn client(&mut self) -> &tokio_postgres::Client {
        let live = self.live();
        live.needs_reset = true;
        &live.client
    }

    /// Marks the connection busy for one driver call. If the caller's future is dropped
    /// before [`finish_call`](Self::finish_call), the mark stays, and the connection is
    /// closed when given back instead of reused with a reply still in flight.
    fn start_call(&mut self) -> &mut Live {
        let live = self.live();
        live.busy = true;
        live
    }

    fn finish_call<T>(
        &mut self,
        result: Result<Result<T, tokio_postgres::Error>, tokio::time::error::Elapsed>,
    ) -> Result<T, PgError> {
        match result {
            Ok(r) => {
                let live = self.live();
                live.busy = false;
                r.map_err(|e| {
                    if live.client.is_closed() {
                        live.broken = true;
                    }
                    PgError::Query(e)
                })
            }
            Err(_) => Err(self.timed_out()),
        }
    }

    /// After a missed deadline: ask the server to cancel (on a new socket, in the
    /// background), and close the connection when it is given back.
    fn timed_out(&mut self) -> PgError {
        let deadline = self.query_timeout;
        let live = self.live();
        live.broken = true;
        let cancel = live.client.cancel_token();
        tokio::spawn(async move {
            let _ =
                tokio::time::timeout(deadline, cancel.cancel_query(tokio_postgres::NoTls)).await;
        });
        PgError::QueryTimeout { deadline }
    }
}

impl fmt::Debug for PgConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgConn")
            .field("query_timeout", &self.query_timeout)
            .finish_non_exhaustive()
    }
}

/// How one bounded step of a `COPY` ended badly.
enum Step {
    Failed(tokio_postgres::Error),
    TimedOut,
}

async fn step<T>(
    deadline: Duration,
    fut: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, Step> {
    match tokio::time::timeout(deadline, fut).await {
        Ok(r) => r.map_err(Step::Failed),
        Err(_) => Err(Step::TimedOut),
    }
}

/// `name` as a quoted SQL identifier, taken literally.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A possibly schema-qualified table name (`schema.table`), each part quoted.
fn quote_path(path: &str) -> String {
    path.split('.')
        .map(quote_ident)
        .collect::<Vec<_>>()
        .join(".")
}

/// Whether `sql` starts a transaction block (`BEGIN`, `START TRANSACTION`), judged by its first
/// word after whitespace and `--` comments, case-insensitively. Every query goes through
/// here, so it is a scan of a few bytes, not a parse.
fn opens_transaction(sql: &str) -> bool {
    let mut rest = sql.trim_start();
    while let Some(after) = rest.strip_prefix("--") {
        rest = after.split_once('\n').map_or("", |(_, r)| r).trim_start();
    }
    // The leading word, borrowed: this runs on every query, so no allocation.
    let end = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let word = &rest[..end];
    word.eq_ignore_ascii_case("begin") || word.eq_ignore_ascii_case("start")
}

#[cfg(test)]
mod tests {
    use super::opens_transaction;

    #[test]
    fn transaction_starts_are_recognised() {
        for sql in [
            "BEGIN",
            "begin;",
            "  Begin ISOLATION LEVEL SERIALIZABLE",
            "START TRANSACTION",
            "-- note\n  begin",
        ] {
            assert!(opens_transaction(sql), "{sql:?}");
        }
        for sql in [
            "SELECT 1",
            "COMMIT",
            "beginning",
            "startx",
            "",
            "-- begin",
            "INSERT INTO begin VALUES (1)",
        ] {
            assert!(!opens_transaction(sql), "{sql:?}");
        }
    }
}
