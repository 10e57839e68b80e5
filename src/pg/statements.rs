//! A bounded per-connection cache of prepared statements.

use std::collections::HashMap;

use tokio_postgres::Statement;

/// Prepared statements by SQL text, at most `capacity`, least recently used evicted.
///
/// Eviction scans for the oldest entry, O(capacity), but happens only on a miss with a
/// full cache; a hit is one hash lookup and a counter bump. Dropping an evicted
/// `Statement` makes tokio-postgres close it on the server.
pub(crate) struct StatementCache {
    capacity: usize,
    tick: u64,
    entries: HashMap<String, (Statement, u64)>,
}

impl StatementCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            tick: 0,
            entries: HashMap::new(),
        }
    }

    pub(crate) fn get(&mut self, sql: &str) -> Option<Statement> {
        self.tick += 1;
        let tick = self.tick;
        self.entries.get_mut(sql).map(|(stmt, used)| {
            *used = tick;
            stmt.clone()
        })
    }

    pub(crate) fn insert(&mut self, sql: &str, stmt: Statement) {
        if self.capacity == 0 {
            return;
        }
        if self.entries.len() >= self.capacity
            && let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
        {
            self.entries.remove(&oldest);
        }
        self.tick += 1;
        self.entries.insert(sql.to_string(), (stmt, self.tick));
    }
}
