//! Single-threaded hit-ratio replay: perfkit, moka, quick_cache, exact LRU and OPT.
//!
//! Every policy sees the same requests: a lookup, and on a miss an insert. Caches start
//! empty. Capacities are the ones of the traces README's reference table, which also gives
//! the LRU and OPT values our exact replays must reproduce.

use perfkit::cache::memory::MemoryCache;
use std::collections::{BTreeSet, HashMap};

/// The shared replay loop: a lookup per request, an insert on each miss.
fn replay(trace: &[u64], mut hit: impl FnMut(u64) -> bool, mut insert: impl FnMut(u64)) -> f64 {
    let mut hits = 0u64;
    for &k in trace {
        if hit(k) {
            hits += 1;
        } else {
            insert(k);
        }
    }
    hits as f64 / trace.len() as f64
}

/// Hit ratio of perfkit's `MemoryCache` with default settings (shards chosen by capacity).
pub fn perfkit(trace: &[u64], cap: u64) -> f64 {
    let cache: MemoryCache<u64, ()> = match MemoryCache::new(cap) {
        Ok(c) => c,
        Err(e) => panic!("capacity {cap}: {e}"),
    };
    replay(trace, |k| cache.get(&k).is_some(), |k| cache.insert(k, ()))
}

/// moka's sync cache with default settings.
pub fn moka(trace: &[u64], cap: u64) -> f64 {
    let cache: moka::sync::Cache<u64, ()> = moka::sync::Cache::new(cap);
    replay(trace, |k| cache.get(&k).is_some(), |k| cache.insert(k, ()))
}

/// quick_cache's sync cache with default settings.
pub fn quick_cache(trace: &[u64], cap: u64) -> f64 {
    let cache: quick_cache::sync::Cache<u64, ()> = quick_cache::sync::Cache::new(cap as usize);
    replay(trace, |k| cache.get(&k).is_some(), |k| cache.insert(k, ()))
}

/// Exact LRU: a hash map into an index-linked list (head = least recently used).
pub fn lru(trace: &[u64], cap: u64) -> f64 {
    const NIL: usize = usize::MAX;
    let cap = cap as usize;
    let mut map: HashMap<u64, usize> = HashMap::with_capacity(cap);
    let mut keys = Vec::with_capacity(cap);
    let mut prev = Vec::with_capacity(cap);
    let mut next = Vec::with_capacity(cap);
    let (mut head, mut tail) = (NIL, NIL);
    let mut hits = 0u64;
    macro_rules! unlink {
        ($i:expr) => {{
            let (p, n) = (prev[$i], next[$i]);
            if p == NIL {
                head = n
            } else {
                next[p] = n
            }
            if n == NIL { tail = p } else { prev[n] = p }
        }};
    }
    macro_rules! push_tail {
        ($i:expr) => {{
            prev[$i] = tail;
            next[$i] = NIL;
            if tail == NIL {
                head = $i
            } else {
                next[tail] = $i
            }
            tail = $i;
        }};
    }
    for &k in trace {
        if let Some(&i) = map.get(&k) {
            hits += 1;
            unlink!(i);
            push_tail!(i);
        } else if keys.len() < cap {
            let i = keys.len();
            keys.push(k);
            prev.push(NIL);
            next.push(NIL);
            map.insert(k, i);
            push_tail!(i);
        } else {
            let i = head;
            unlink!(i);
            map.remove(&keys[i]);
            keys[i] = k;
            map.insert(k, i);
            push_tail!(i);
        }
    }
    hits as f64 / trace.len() as f64
}

/// The index of each request's next request of the same key (`usize::MAX`: none).
pub fn next_uses(trace: &[u64]) -> Vec<usize> {
    let mut next = vec![usize::MAX; trace.len()];
    let mut seen: HashMap<u64, usize> = HashMap::new();
    for (i, &k) in trace.iter().enumerate().rev() {
        if let Some(j) = seen.insert(k, i) {
            next[i] = j;
        }
    }
    next
}

/// Bélády's OPT: on a miss with a full cache, evict the resident key used farthest ahead.
pub fn opt(trace: &[u64], next: &[usize], cap: u64) -> f64 {
    let cap = cap as usize;
    let mut resident: BTreeSet<(usize, u64)> = BTreeSet::new();
    let mut hits = 0u64;
    for (i, &k) in trace.iter().enumerate() {
        // A resident key is filed under its next use, which is now.
        if resident.remove(&(i, k)) {
            hits += 1;
        } else if resident.len() >= cap {
            resident.pop_last();
        }
        resident.insert((next[i], k));
    }
    hits as f64 / trace.len() as f64
}
