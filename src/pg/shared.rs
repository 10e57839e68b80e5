//! The pool's machinery: the idle stack, the FIFO of waiters, connecting, giving back.
//!
//! Fairness: a connection given back goes to the oldest waiter before it can reach the idle
//! stack, and `get` takes from the idle stack only when nobody waits, so a task that has
//! just released cannot take its connection back ahead of the queue. Connects happen in
//! tasks of their own and deliver to the head of the queue too, so a caller whose acquire
//! timeout ends does not cancel a connect that the next caller needs.
//!
//! Slots: every open connection is counted in `State::open`, and a [`Conn`] gives its slot
//! back when dropped anywhere (also inside a channel whose receiver went away), so a
//! cancelled `get` never leaks one.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Weak};
use std::time::Duration;

// The TSC through quanta: a read is ~15 ns where `std::time::Instant::now()` costs ~45 ns on
// these VMs, and a checkout plus give-back reads the clock three times.
use quanta::Instant;

use parking_lot::Mutex;
use tokio::sync::oneshot;

use super::config::PgPoolBuilder;
use super::error::{PgError, is_fatal_connect};
use super::statements::StatementCache;
use super::stats::{Counters, PoolStats};
use crate::metrics::Histogram;

/// First pause between failed connects; doubled per failure up to [`MAX_BACKOFF`]. Small:
/// a refused connect on a LAN costs well under a millisecond, and the point is to notice a
/// server that is back within a few milliseconds, not hundreds.
const FIRST_BACKOFF: Duration = Duration::from_millis(5);
const MAX_BACKOFF: Duration = Duration::from_millis(50);
/// How long a `SELECT 1` check before use may take before the connection counts as dead.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// An open connection and what the pool knows about it.
pub(crate) struct Live {
    pub(crate) client: tokio_postgres::Client,
    pub(crate) statements: StatementCache,
    /// When it is to be replaced (jittered `max_lifetime`).
    expires: Option<Instant>,
    idle_since: Instant,
    pub(crate) checked_out: Instant,
    /// Set when another connection was found broken while this one sat idle.
    check_before_use: bool,
    /// A query was in flight (its future dropped, or past its deadline): the protocol state
    /// is unknown, so it must not be reused.
    pub(crate) busy: bool,
    /// Failed in a way that makes it unusable.
    pub(crate) broken: bool,
    /// The caller had raw access or began a transaction by hand: roll back before reuse.
    pub(crate) needs_reset: bool,
}

/// A checked-out connection's slot; gives the connection back to the pool when dropped.
pub(crate) struct Conn {
    pub(crate) live: Option<Live>,
    pool: Weak<Shared>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(live) = self.live.take()
            && let Some(shared) = self.pool.upgrade()
        {
            shared.release(live);
        }
    }
}

/// What `get` does next: use an idle connection, or wait in line.
// Lives for one match in `acquire`; boxing the connection would allocate per checkout.
#[allow(clippy::large_enum_variant)]
enum Next {
    Idle(Live),
    Queued {
        id: u64,
        rx: oneshot::Receiver<Conn>,
    },
}

struct Waiter {
    id: u64,
    tx: oneshot::Sender<Conn>,
}

#[derive(Default)]
struct State {
    /// Most recently used last: reuse takes from the back, so connections beyond what the
    /// load needs drift to the front and age out by `idle_timeout`.
    idle: VecDeque<Live>,
    waiters: VecDeque<Waiter>,
    open: usize,
    opening: usize,
    next_id: u64,
    /// The last connect error and when it happened; cleared by a successful connect.
    last_error: Option<Arc<tokio_postgres::Error>>,
    closed: bool,
}

pub(crate) struct Shared {
    pub(crate) settings: PgPoolBuilder,
    pg: tokio_postgres::Config,
    pub(crate) query_timeout: Duration,
    state: Mutex<State>,
    pub(crate) counters: Counters,
    acquire_latency: Histogram,
    jitter_seed: AtomicU64,
    /// The runtime the pool was built in. Connections are given back in `Drop`, which may
    /// run on a thread outside any runtime, where `tokio::spawn` would panic; spawning
    /// through the handle works from anywhere.
    runtime: tokio::runtime::Handle,
}

impl Shared {
    /// Must be called inside a Tokio runtime (`PgPoolBuilder::build` is async).
    pub(crate) fn new(settings: PgPoolBuilder, pg: tokio_postgres::Config) -> Arc<Self> {
        let query_timeout = settings.effective_query_timeout();
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64);
        Arc::new(Self {
            settings,
            pg,
            query_timeout,
            state: Mutex::new(State::default()),
            counters: Counters::default(),
            acquire_latency: Histogram::new(),
            jitter_seed: AtomicU64::new(seed),
            runtime: tokio::runtime::Handle::current(),
        })
    }

    /// A connection within the acquire timeout, which bounds waiting and connecting
    /// together.
    pub(crate) async fn acquire(self: &Arc<Self>) -> Result<Conn, PgError> {
        let start = Instant::now();
        // Computed the first time we have to wait: the fast path reads no tokio clock.
        let mut deadline = None;
        let mut waited = false;
        loop {
            let (id, mut rx) = match self.idle_or_queue(start)? {
                Next::Idle(live) => {
                    if let Some(conn) = self.checked(live).await {
                        return Ok(self.handed_out(conn, start, waited));
                    }
                    continue;
                }
                Next::Queued { id, rx } => (id, rx),
            };
            waited = true;
            let deadline = *deadline.get_or_insert_with(|| {
                let left = self
                    .settings
                    .connection_timeout
                    .saturating_sub(start.elapsed());
                tokio::time::Instant::now() + left
            });
            let live = match tokio::time::timeout_at(deadline, &mut rx).await {
                Ok(Ok(mut conn)) => conn.live.take(),
                // The pool closed and dropped the waiters, or a fatal connect error failed
                // them: the state says which.
                Ok(Err(_)) => return Err(self.failure_after_wait(start)),
                Err(_elapsed) => {
                    self.state.lock().waiters.retain(|w| w.id != id);
                    // A connection may have been sent just before we left the line.
                    match rx.try_recv() {
                        Ok(mut conn) => conn.live.take(),
                        Err(_) => {
                            Counters::bump(&self.counters.timeouts);
                            return Err(self.failure_after_wait(start));
                        }
                    }
                }
            };
            if let Some(live) = live
                && let Some(conn) = self.checked(live).await
            {
                return Ok(self.handed_out(conn, start, waited));
            }
        }
    }

    /// An idle connection if nobody waits ahead of us, else our place in the line (and a
    /// connect started for it if there is room).
    fn idle_or_queue(self: &Arc<Self>, now: Instant) -> Result<Next, PgError> {
        let mut st = self.state.lock();
        if st.closed {
            return Err(PgError::Closed);
        }
        if st.waiters.is_empty()
            && let Some(live) = self.take_idle(&mut st, now)
        {
            return Ok(Next::Idle(live));
        }
        let id = st.next_id;
        st.next_id += 1;
        let (tx, rx) = oneshot::channel();
        st.waiters.push_back(Waiter { id, tx });
        self.open_for_waiters(&mut st);
        Ok(Next::Queued { id, rx })
    }

    fn handed_out(self: &Arc<Self>, mut live: Live, start: Instant, waited: bool) -> Conn {
        let now = Instant::now();
        live.checked_out = now;
        Counters::bump(&self.counters.acquires);
        if waited {
            Counters::bump(&self.counters.waits);
        }
        self.acquire_latency
            .record_duration(now.saturating_duration_since(start));
        Conn {
            live: Some(live),
            pool: Arc::downgrade(self),
        }
    }

    /// Why a wait ended without a connection: closed, a connect error (the real cause), or
    /// a busy pool.
    fn failure_after_wait(&self, start: Instant) -> PgError {
        let st = self.state.lock();
        if st.closed {
            PgError::Closed
        } else if let Some(source) = &st.last_error {
            PgError::Connect {
                source: Arc::clone(source),
            }
        } else {
            PgError::Timeout {
                waited: start.elapsed(),
                max_size: self.settings.max_size,
            }
        }
    }

    /// Pops the most recently used idle connection that is still usable, closing the
    /// ones that are not.
    fn take_idle(&self, st: &mut State, now: Instant) -> Option<Live> {
        while let Some(live) = st.idle.pop_back() {
            if live.client.is_closed() || live.expires.is_some_and(|e| e <= now) {
                let broken = live.client.is_closed();
                st.open -= 1;
                self.count_closed(broken);
                if broken {
                    mark_suspect(st);
                }
                continue;
            }
            return Some(live);
        }
        None
    }

    /// The connection itself if it may be used, after a `SELECT 1` when it sat idle while
    /// another was found broken; `None` (and its slot given back) if it is dead.
    async fn checked(self: &Arc<Self>, mut live: Live) -> Option<Live> {
        if !live.check_before_use {
            return Some(live);
        }
        live.check_before_use = false;
        let alive = matches!(
            tokio::time::timeout(CHECK_TIMEOUT, live.client.simple_query("SELECT 1")).await,
            Ok(Ok(_))
        );
        if alive {
            return Some(live);
        }
        live.broken = true;
        self.release(live);
        None
    }

    /// Starts connects for waiters that no connect in progress will serve, while there is
    /// room.
    fn open_for_waiters(self: &Arc<Self>, st: &mut State) {
        while st.opening < st.waiters.len() && st.open + st.opening < self.settings.max_size {
            self.spawn_opener(st);
        }
    }

    fn spawn_opener(self: &Arc<Self>, st: &mut State) {
        st.opening += 1;
        self.runtime.spawn(Arc::clone(self).open_loop());
    }

    /// Connects until it succeeds, the error is one no retry can fix, or nobody needs the
    /// connection any more.
    async fn open_loop(self: Arc<Self>) {
        let mut backoff = FIRST_BACKOFF;
        loop {
            match self.connect().await {
                Ok(live) => {
                    let mut st = self.state.lock();
                    st.opening -= 1;
                    st.open += 1;
                    st.last_error = None;
                    Counters::bump(&self.counters.created);
                    if st.closed {
                        st.open -= 1;
                        return;
                    }
                    self.deliver(&mut st, live, Instant::now());
                    return;
                }
                Err(e) => {
                    Counters::bump(&self.counters.connect_errors);
                    let fatal = is_fatal_connect(&e);
                    let e = Arc::new(e);
                    let mut st = self.state.lock();
                    st.last_error = Some(Arc::clone(&e));
                    if fatal {
                        st.opening -= 1;
                        // Every waiter gets the real cause now, not a timeout later; their
                        // receivers see the closed channel and read `last_error`.
                        st.waiters.clear();
                        return;
                    }
                    let needed =
                        !st.waiters.is_empty() || st.idle.len() + st.opening <= self.min_idle();
                    if st.closed || !needed {
                        st.opening -= 1;
                        return;
                    }
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    async fn connect(&self) -> Result<Live, tokio_postgres::Error> {
        let (client, connection) = self.pg.connect(tokio_postgres::NoTls).await?;
        // The connection task ends when the socket closes; the client then reports
        // `is_closed`, which is how the pool notices a dead connection for free.
        self.runtime.spawn(async move {
            let _ = connection.await;
        });
        let now = Instant::now();
        Ok(Live {
            client,
            statements: StatementCache::new(self.settings.statement_cache),
            expires: self.settings.max_lifetime.map(|l| now + self.jittered(l)),
            idle_since: now,
            checked_out: now,
            check_before_use: false,
            busy: false,
            broken: false,
            needs_reset: false,
        })
    }

    /// `lifetime` scaled into [90 %, 100 %], so connections made together do not all expire
    /// together.
    fn jittered(&self, lifetime: Duration) -> Duration {
        let x = splitmix(self.jitter_seed.fetch_add(0x9e37_79b9_7f4a_7c15, Relaxed));
        let fraction = 0.9 + 0.1 * (x >> 11) as f64 / (1u64 << 53) as f64;
        lifetime.mul_f64(fraction)
    }

    /// Hands `live` to the oldest waiter still waiting, or puts it on the idle stack.
    fn deliver(self: &Arc<Self>, st: &mut State, live: Live, now: Instant) {
        let mut conn = Conn {
            live: Some(live),
            pool: Arc::downgrade(self),
        };
        while let Some(waiter) = st.waiters.pop_front() {
            match waiter.tx.send(conn) {
                Ok(()) => return,
                // That caller left; the connection comes back for the next one.
                Err(back) => conn = back,
            }
        }
        if let Some(mut live) = conn.live.take() {
            live.idle_since = now;
            st.idle.push_back(live);
        }
    }

    /// Takes a connection back from its user: to the next waiter or the idle stack if it
    /// is sound, closed (and replaced if someone waits) if not, rolled back first if the
    /// user may have left a transaction open.
    pub(crate) fn release(self: &Arc<Self>, mut live: Live) {
        let now = Instant::now();
        if let Some(threshold) = self.settings.leak_threshold
            && now.saturating_duration_since(live.checked_out) > threshold
        {
            Counters::bump(&self.counters.held_too_long);
        }
        let closed = live.client.is_closed();
        let expired = live.expires.is_some_and(|e| e <= now);
        if live.busy || live.broken || closed || expired {
            let broken = live.busy || live.broken || closed;
            drop(live);
            let mut st = self.state.lock();
            st.open -= 1;
            self.count_closed(broken);
            if closed {
                // The server may have restarted: check the others before handing them out.
                mark_suspect(&mut st);
            }
            self.open_for_waiters(&mut st);
            return;
        }
        if live.needs_reset {
            // A round trip only for connections that had raw access or a hand-made
            // transaction; the slot stays taken until it is done.
            let shared = Arc::clone(self);
            self.runtime.spawn(async move {
                let reset = tokio::time::timeout(
                    shared.query_timeout,
                    live.client.simple_query("ROLLBACK"),
                )
                .await;
                live.needs_reset = false;
                if !matches!(reset, Ok(Ok(_))) {
                    live.broken = true;
                }
                shared.release(live);
            });
            return;
        }
        let mut st = self.state.lock();
        if st.closed {
            st.open -= 1;
            return;
        }
        self.deliver(&mut st, live, now);
    }

    fn count_closed(&self, broken: bool) {
        Counters::bump(&self.counters.closed);
        if broken {
            Counters::bump(&self.counters.broken);
        }
    }

    fn min_idle(&self) -> usize {
        self.settings.min_idle.min(self.settings.max_size)
    }

    /// One round of upkeep: close connections idle too long (down to `min_idle`) or past
    /// their lifetime, and open connections up to `min_idle`.
    pub(crate) fn maintain(self: &Arc<Self>) {
        let now = Instant::now();
        let mut st = self.state.lock();
        if st.closed {
            return;
        }
        let min_idle = self.min_idle();
        let idle_timeout = self.settings.idle_timeout;
        let mut kept = VecDeque::with_capacity(st.idle.len());
        let mut removed = Vec::new();
        // Oldest-used first: those are the ones to let go.
        let total = st.idle.len();
        for (i, live) in st.idle.drain(..).enumerate() {
            let left_after = total - i - 1 + kept.len();
            let stale = idle_timeout.is_some_and(|t| now.duration_since(live.idle_since) >= t)
                && left_after >= min_idle;
            let dead = live.client.is_closed() || live.expires.is_some_and(|e| e <= now);
            if stale || dead {
                removed.push(live);
            } else {
                kept.push_back(live);
            }
        }
        st.idle = kept;
        for live in &removed {
            st.open -= 1;
            self.count_closed(live.client.is_closed());
        }
        while st.idle.len() + st.opening < min_idle && st.open + st.opening < self.settings.max_size
        {
            self.spawn_opener(&mut st);
        }
        drop(st);
        drop(removed);
    }

    /// Opens `min_idle` connections now, failing with the first connect error.
    pub(crate) async fn fill(self: &Arc<Self>) -> Result<(), PgError> {
        for _ in 0..self.min_idle() {
            let live = self.connect().await.map_err(|e| {
                Counters::bump(&self.counters.connect_errors);
                PgError::Connect {
                    source: Arc::new(e),
                }
            })?;
            Counters::bump(&self.counters.created);
            let mut st = self.state.lock();
            st.open += 1;
            self.deliver(&mut st, live, Instant::now());
        }
        Ok(())
    }

    /// Closes the pool: waiters get [`PgError::Closed`], idle connections close now, and
    /// connections in use close when given back.
    pub(crate) fn close(&self) {
        let idle = {
            let mut st = self.state.lock();
            st.closed = true;
            st.waiters.clear();
            let idle: Vec<Live> = st.idle.drain(..).collect();
            st.open -= idle.len();
            idle
        };
        drop(idle);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.state.lock().closed
    }

    pub(crate) fn stats(&self) -> PoolStats {
        let (open, idle, waiting, opening) = {
            let st = self.state.lock();
            (st.open, st.idle.len(), st.waiters.len(), st.opening)
        };
        let snap = self.acquire_latency.snapshot();
        let q = |p: f64| Duration::from_nanos(snap.quantile(p));
        let c = &self.counters;
        PoolStats {
            max_size: self.settings.max_size,
            open,
            idle,
            in_use: open.saturating_sub(idle),
            waiting,
            opening,
            acquires: c.acquires.load(Relaxed),
            waits: c.waits.load(Relaxed),
            timeouts: c.timeouts.load(Relaxed),
            created: c.created.load(Relaxed),
            closed: c.closed.load(Relaxed),
            broken: c.broken.load(Relaxed),
            connect_errors: c.connect_errors.load(Relaxed),
            held_too_long: c.held_too_long.load(Relaxed),
            transaction_retries: c.transaction_retries.load(Relaxed),
            acquire_p50: q(0.50),
            acquire_p95: q(0.95),
            acquire_p99: q(0.99),
        }
    }
}

/// Every idle connection is checked with `SELECT 1` before its next use.
fn mark_suspect(st: &mut State) {
    for live in &mut st.idle {
        live.check_before_use = true;
    }
}

fn splitmix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
