//! Single flight: at most one load per key at a time; every caller asking for that key
//! meanwhile waits for the same result.
//!
//! A load runs as its own task, not inside the caller's future, so a caller that gives up
//! (a dropped future, a timeout around `get_or_load`) neither cancels the load for the
//! others nor leaves them waiting forever.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::Notify;

/// How a load ended, as every waiter sees it.
#[derive(Debug, Clone)]
pub(crate) enum Outcome<V> {
    Loaded(V),
    /// The loader's error, type-erased so one map serves every error type; waiters only join
    /// a flight whose error type is theirs, so the downcast cannot fail for them.
    Failed(Arc<dyn Any + Send + Sync>),
    TimedOut(Duration),
    /// The load task panicked or its runtime shut down before it finished.
    Aborted,
}

/// One load in progress.
#[derive(Debug)]
pub(crate) struct Flight<V> {
    outcome: OnceLock<Outcome<V>>,
    done: Notify,
    error_type: TypeId,
}

impl<V: Clone> Flight<V> {
    pub(crate) fn is_finished(&self) -> bool {
        self.outcome.get().is_some()
    }

    /// Waits for the outcome.
    pub(crate) async fn wait(&self) -> Outcome<V> {
        loop {
            let notified = self.done.notified();
            tokio::pin!(notified);
            // Registering before checking closes the gap where the outcome is set and
            // `notify_waiters` fires between our check and our wait.
            notified.as_mut().enable();
            if let Some(outcome) = self.outcome.get() {
                return outcome.clone();
            }
            notified.await;
        }
    }
}

/// What a caller is to do for its key.
pub(crate) enum Role<V> {
    /// Start the load; everyone else waits on this flight.
    Lead(Arc<Flight<V>>),
    /// A load is running: wait on it.
    Follow(Arc<Flight<V>>),
    /// A load with another error type is running; load alone (rare: one key used with two
    /// loaders of different error types).
    Alone,
}

const SHARDS: usize = 16;

type FlightMap<K, V> = HashMap<K, Arc<Flight<V>>, foldhash::fast::RandomState>;

/// Loads in progress, by key.
#[derive(Debug)]
pub(crate) struct Flights<K, V> {
    shards: Box<[Mutex<FlightMap<K, V>>]>,
    hasher: foldhash::fast::RandomState,
}

impl<K: Hash + Eq + Clone, V: Clone> Flights<K, V> {
    pub(crate) fn new() -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(HashMap::default()))
                .collect(),
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    fn shard(&self, key: &K) -> &Mutex<FlightMap<K, V>> {
        let i = (self.hasher.hash_one(key) as usize) % SHARDS;
        &self.shards[i]
    }

    /// Joins the running load of `key`, or registers a new one led by the caller.
    pub(crate) fn join<E: 'static>(&self, key: &K) -> Role<V> {
        let mut map = self.shard(key).lock();
        if let Some(flight) = map.get(key) {
            return if flight.error_type == TypeId::of::<E>() {
                Role::Follow(Arc::clone(flight))
            } else {
                Role::Alone
            };
        }
        let flight = Arc::new(Flight {
            outcome: OnceLock::new(),
            done: Notify::new(),
            error_type: TypeId::of::<E>(),
        });
        map.insert(key.clone(), Arc::clone(&flight));
        Role::Lead(flight)
    }

    /// Publishes the outcome of `flight` and retires it. The first outcome wins; later
    /// calls (the abort guard after a normal finish) do nothing.
    pub(crate) fn finish(&self, key: &K, flight: &Arc<Flight<V>>, outcome: Outcome<V>) {
        if flight.outcome.set(outcome).is_err() {
            return;
        }
        {
            let mut map = self.shard(key).lock();
            if map.get(key).is_some_and(|f| Arc::ptr_eq(f, flight)) {
                map.remove(key);
            }
        }
        flight.done.notify_waiters();
    }
}
