//! [`PgPoolBuilder`]: the pool's settings, with their defaults.

use std::str::FromStr;
use std::time::Duration;

use super::PgError;
use super::pool::PgPool;

/// Settings of a [`PgPool`]; [`build`](Self::build) checks them.
///
/// ```no_run
/// use perfkit::pg::PgPool;
/// use std::time::Duration;
///
/// # async fn demo() -> Result<(), perfkit::pg::PgError> {
/// let pool = PgPool::builder("postgresql://app:secret@127.0.0.1:5432/shop")
///     .max_size(20)
///     .min_idle(5)
///     .connection_timeout(Duration::from_secs(2))
///     .statement_timeout(Duration::from_secs(5))
///     .application_name("checkout")
///     .build()
///     .await?;
/// # let _ = pool;
/// # Ok(())
/// # }
/// ```
#[must_use]
#[derive(Debug, Clone)]
pub struct PgPoolBuilder {
    pub(crate) url: String,
    pub(crate) max_size: usize,
    pub(crate) min_idle: usize,
    pub(crate) connection_timeout: Duration,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) max_lifetime: Option<Duration>,
    pub(crate) statement_timeout: Option<Duration>,
    pub(crate) query_timeout: Option<Duration>,
    pub(crate) application_name: Option<String>,
    pub(crate) eager: bool,
    pub(crate) statement_cache: usize,
    pub(crate) leak_threshold: Option<Duration>,
    pub(crate) maintenance_interval: Duration,
    pub(crate) transaction_attempts: u32,
}

/// The default size: the documented baseline's maximum number of connections.
pub const DEFAULT_MAX_SIZE: usize = 20;
/// The default number of idle connections kept open.
pub const DEFAULT_MIN_IDLE: usize = 5;

/// How much longer than `statement_timeout` the client waits for an answer by default, so
/// the server's own timeout (with its clear error) normally fires first.
const QUERY_DEADLINE_MARGIN: Duration = Duration::from_secs(1);
/// The client-side deadline when there is no `statement_timeout`.
const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(30);

impl PgPoolBuilder {
    pub(crate) fn new(url: &str) -> Self {
        Self {
            url: url.to_string(),
            max_size: DEFAULT_MAX_SIZE,
            min_idle: DEFAULT_MIN_IDLE,
            connection_timeout: Duration::from_secs(5),
            idle_timeout: Some(Duration::from_secs(600)),
            max_lifetime: Some(Duration::from_secs(1800)),
            statement_timeout: None,
            query_timeout: None,
            application_name: None,
            eager: false,
            statement_cache: 128,
            leak_threshold: None,
            maintenance_interval: Duration::from_secs(1),
            transaction_attempts: 5,
        }
    }

    /// Most connections open at once. Default: 20.
    pub fn max_size(mut self, n: usize) -> Self {
        self.max_size = n;
        self
    }

    /// Idle connections the pool keeps open, so a burst does not wait for connects; kept by
    /// a background task, and never closed by `idle_timeout`. Default: 5 (capped at
    /// `max_size`).
    pub fn min_idle(mut self, n: usize) -> Self {
        self.min_idle = n;
        self
    }

    /// The acquire timeout: how long [`PgPool::get`] may take in all, waiting for a free
    /// connection and opening a new one together. Default: 5 s.
    pub fn connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }

    /// Close connections idle for longer than this, down to `min_idle`. `None` keeps them.
    /// Default: 10 minutes.
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Replace connections older than this, each at a jittered age between 90 % and 100 %
    /// of it so they do not all reconnect at once. `None` keeps them. Default: 30 minutes.
    pub fn max_lifetime(mut self, lifetime: Option<Duration>) -> Self {
        self.max_lifetime = lifetime;
        self
    }

    /// The server-side `statement_timeout`, sent once per connection as a startup option
    /// (never a `SET` per query). Default: none (the server's setting).
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = Some(timeout);
        self
    }

    /// The client-side deadline of every query: a frozen server never enforces its own
    /// timeout, so without one a stalled server hangs every caller. A query past it gets a
    /// cancel request and its connection is discarded. Default: `statement_timeout` + 1 s,
    /// or 30 s without a `statement_timeout`.
    pub fn query_timeout(mut self, timeout: Duration) -> Self {
        self.query_timeout = Some(timeout);
        self
    }

    /// `application_name` for `pg_stat_activity`. Default: the URL's, if any.
    pub fn application_name(mut self, name: &str) -> Self {
        self.application_name = Some(name.to_string());
        self
    }

    /// Open `min_idle` connections in `build` and fail there if the server cannot be
    /// reached. Default: `false` (lazy: `build` does not connect).
    pub fn connect_eagerly(mut self, eager: bool) -> Self {
        self.eager = eager;
        self
    }

    /// Prepared statements cached per connection (least recently used evicted). 0 turns
    /// the cache off. Default: 128.
    pub fn statement_cache_capacity(mut self, n: usize) -> Self {
        self.statement_cache = n;
        self
    }

    /// Count a connection held for longer than this as a leak warning in
    /// [`PoolStats::held_too_long`](super::PoolStats::held_too_long). Default: off.
    pub fn leak_threshold(mut self, threshold: Duration) -> Self {
        self.leak_threshold = Some(threshold);
        self
    }

    /// Attempts of a [`PgPool::transaction`] that hits serialization failures or deadlocks,
    /// the first included. Default: 5.
    pub fn transaction_attempts(mut self, n: u32) -> Self {
        self.transaction_attempts = n;
        self
    }

    /// How often the background task trims idle connections and tops up `min_idle`.
    /// Default: 1 s.
    pub fn maintenance_interval(mut self, interval: Duration) -> Self {
        self.maintenance_interval = interval;
        self
    }

    /// Checks the settings and creates the pool (connecting first with
    /// [`connect_eagerly`](Self::connect_eagerly)). Must run inside a Tokio runtime: the pool
    /// spawns its connections' tasks and its maintenance task there.
    pub async fn build(self) -> Result<PgPool, PgError> {
        let pg = self.pg_config()?;
        PgPool::from_settings(self, pg).await
    }

    /// The client-side query deadline these settings give.
    pub(crate) fn effective_query_timeout(&self) -> Duration {
        self.query_timeout
            .unwrap_or_else(|| match self.statement_timeout {
                Some(t) => t.saturating_add(QUERY_DEADLINE_MARGIN),
                None => DEFAULT_QUERY_TIMEOUT,
            })
    }

    fn pg_config(&self) -> Result<tokio_postgres::Config, PgError> {
        let bad = |reason: String| Err(PgError::Config { reason });
        if self.max_size == 0 {
            return bad("max_size must be at least 1".into());
        }
        if self.min_idle > self.max_size {
            return bad(format!(
                "min_idle ({}) is above max_size ({})",
                self.min_idle, self.max_size
            ));
        }
        for (name, d) in [
            ("connection_timeout", Some(self.connection_timeout)),
            ("idle_timeout", self.idle_timeout),
            ("max_lifetime", self.max_lifetime),
            ("statement_timeout", self.statement_timeout),
            ("query_timeout", self.query_timeout),
            ("maintenance_interval", Some(self.maintenance_interval)),
        ] {
            if d.is_some_and(|d| d.is_zero()) {
                return bad(format!("{name} must not be zero"));
            }
        }
        if self.transaction_attempts == 0 {
            return bad("transaction_attempts must be at least 1".into());
        }
        let mut pg = tokio_postgres::Config::from_str(&self.url).map_err(|e| PgError::Config {
            reason: format!("cannot parse the connection URL: {e}"),
        })?;
        if let Some(t) = self.statement_timeout {
            // A startup option: the server applies it to the session once, at connect.
            let existing = pg.get_options().unwrap_or("").to_string();
            let ms = t.as_millis().max(1);
            pg.options(format!("{existing} -c statement_timeout={ms}").trim());
        }
        if let Some(name) = &self.application_name {
            pg.application_name(name);
        }
        // One connect attempt never outlasts the acquire timeout that waits for it.
        pg.connect_timeout(self.connection_timeout);
        Ok(pg)
    }
}
