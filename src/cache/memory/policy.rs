//! W-TinyLFU with an adaptive window: the eviction and admission policy of one shard.
//!
//! New entries land in a small LRU *window*. What overflows the window becomes a
//! *candidate* for the main region, an SLRU of *probation* and *protected* segments; a
//! candidate gets in only if the frequency sketch says it is more popular than the
//! probation victim it would displace. An entry read while in probation moves to
//! protected. This is Caffeine's W-TinyLFU (Einziger, Friedman, Manes: "TinyLFU: A Highly
//! Efficient Cache Admission Policy").
//!
//! The window's size adapts, but not by Caffeine's sampled-hit-ratio hill climber: on these
//! traces its decisions were dominated by sampling noise (it stayed wherever it started,
//! and on the Corda trace at 64 entries it sat at 1.6 % where LRU gets 33.3 %). Instead,
//! like ARC, two ghost lists of key hashes say which side made the last mistake: a missed
//! key that the filter recently *refused* means the window (recency) was too small, so it
//! grows by the key's weight; a missed key recently *evicted from main* to admit a
//! candidate means the window was too large, so it shrinks. See `docs/architecture.md`.

use super::entry::{Entry, NEVER, RemovalCause};
use super::ghost::Ghost;
use super::sketch::FrequencySketch;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::Ordering;

const NIL: u32 = u32::MAX;
/// A candidate this popular that still loses is let in once in 128 times, so an attacker
/// cannot pin a victim by inflating its count (hash flooding).
const ADMIT_HASHDOS_THRESHOLD: u32 = 6;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Region {
    Window = 0,
    Probation = 1,
    Protected = 2,
}

struct Node<K, V> {
    entry: Option<Entry<K, V>>,
    prev: u32,
    next: u32,
    /// The shard's `moves` when this node last went to the tail of its queue.
    stamp: u32,
    region: Region,
}

/// An intrusive doubly linked list over node indices; head = least recently used.
#[derive(Clone, Copy)]
struct Queue {
    head: u32,
    tail: u32,
    weight: u64,
}

impl Queue {
    const EMPTY: Self = Self {
        head: NIL,
        tail: NIL,
        weight: 0,
    };
}

/// Counters kept under the shard's write lock.
#[derive(Default, Clone, Copy)]
pub(super) struct CoreCounts {
    pub(super) inserts: u64,
    pub(super) updates: u64,
    pub(super) evictions: u64,
    pub(super) expirations: u64,
    pub(super) admission_rejections: u64,
}

/// Entries that left the shard, handed to the listener once the lock is released.
pub(super) type Removed<K, V> = Vec<(K, V, RemovalCause)>;

/// What [`Core::insert`] did.
pub(super) struct NewEntry<K, V> {
    pub(super) key: K,
    pub(super) value: V,
    pub(super) hash: u64,
    pub(super) weight: u32,
    pub(super) deadline: u64,
    pub(super) expires_at: u64,
}

pub(super) struct Core<K, V, S> {
    map: HashMap<K, u32, S>,
    nodes: Vec<Node<K, V>>,
    free: Vec<u32>,
    queues: [Queue; 3],
    sketch: FrequencySketch,
    max: u64,
    window_max: u64,
    protected_max: u64,
    rng: u64,
    pub(super) counts: CoreCounts,
    /// Moves to a queue tail so far (wrapping); tells how near the tail a node still is.
    moves: u32,
    /// Entries past expiry but within this many ms are kept for `Lookup::Stale`.
    stale_retention_ms: u64,
    track_removed: bool,
    /// Hashes of candidates the filter refused lately (half the capacity in entries).
    rejected: Ghost,
    /// Hashes of main-region entries evicted lately (the capacity in entries).
    victims: Ghost,
}

impl<K: Hash + Eq + Clone, V, S: BuildHasher> Core<K, V, S> {
    /// A shard holding at most `max` weight; `expected_entries` sizes the sketch.
    pub(super) fn new(
        max: u64,
        expected_entries: u64,
        hasher: S,
        seed: u64,
        stale_retention_ms: u64,
        track_removed: bool,
    ) -> Self {
        let window_max = (max / 100).max(1).min(max);
        let main = max - window_max;
        let protected_max = main * 8 / 10;
        Self {
            map: HashMap::with_hasher(hasher),
            nodes: Vec::new(),
            free: Vec::new(),
            queues: [Queue::EMPTY; 3],
            sketch: FrequencySketch::new(expected_entries),
            max,
            window_max,
            protected_max,
            rng: seed | 1,
            counts: CoreCounts::default(),
            moves: 0,
            stale_retention_ms,
            track_removed,
            rejected: Ghost::new(expected_entries / 2),
            victims: Ghost::new(expected_entries),
        }
    }

    pub(super) fn len(&self) -> u64 {
        self.map.len() as u64
    }

    pub(super) fn weighted_size(&self) -> u64 {
        self.queues.iter().map(|q| q.weight).sum()
    }

    #[inline]
    pub(super) fn index_of<Q>(&self, key: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.get(key).copied()
    }

    #[inline]
    pub(super) fn entry(&self, idx: u32) -> Option<&Entry<K, V>> {
        self.nodes.get(idx as usize).and_then(|n| n.entry.as_ref())
    }

    fn next_of(&self, idx: u32) -> u32 {
        self.nodes.get(idx as usize).map_or(NIL, |n| n.next)
    }

    fn unlink(&mut self, idx: u32) {
        let Some(node) = self.nodes.get(idx as usize) else {
            return;
        };
        let (prev, next, region) = (node.prev, node.next, node.region);
        let weight = node.entry.as_ref().map_or(0, |e| u64::from(e.weight));
        let q = &mut self.queues[region as usize];
        q.weight -= weight;
        if prev == NIL {
            q.head = next;
        } else if let Some(p) = self.nodes.get_mut(prev as usize) {
            p.next = next;
        }
        if next == NIL {
            q.tail = prev;
        } else if let Some(n) = self.nodes.get_mut(next as usize) {
            n.prev = prev;
        }
    }

    fn push_tail(&mut self, region: Region, idx: u32) {
        let tail = self.queues[region as usize].tail;
        let Some(node) = self.nodes.get_mut(idx as usize) else {
            return;
        };
        node.prev = tail;
        node.next = NIL;
        node.region = region;
        self.moves = self.moves.wrapping_add(1);
        node.stamp = self.moves;
        let weight = node.entry.as_ref().map_or(0, |e| u64::from(e.weight));
        let q = &mut self.queues[region as usize];
        q.weight += weight;
        if tail == NIL {
            q.head = idx;
        } else if let Some(t) = self.nodes.get_mut(tail as usize) {
            t.next = idx;
        }
        self.queues[region as usize].tail = idx;
    }

    fn move_to(&mut self, region: Region, idx: u32) {
        self.unlink(idx);
        self.push_tail(region, idx);
    }

    /// A read of the entry at `idx`, recorded through the read buffer; `check` is the low
    /// half of the key's hash, so a slot reused since the read is not credited.
    pub(super) fn record_read(&mut self, idx: u32, check: u32) {
        let Some(node) = self.nodes.get(idx as usize) else {
            return;
        };
        let Some(entry) = node.entry.as_ref() else {
            return;
        };
        if entry.hash as u32 != check {
            return;
        }
        let hash = entry.hash;
        self.sketch.increment(hash);
        self.on_access(idx);
    }

    fn on_access(&mut self, idx: u32) {
        let Some((region, stamp)) = self.nodes.get(idx as usize).map(|n| (n.region, n.stamp))
        else {
            return;
        };
        match region {
            Region::Window | Region::Protected => {
                // At most `since` nodes went to a tail after this one, so it is still within
                // the most recent quarter of its queue: moving it would barely change the
                // order, and skipping saves touching three other nodes on a hit.
                let since = u64::from(self.moves.wrapping_sub(stamp));
                if since >= self.queues[region as usize].weight / 4 {
                    self.move_to(region, idx);
                }
            }
            Region::Probation => {
                self.move_to(Region::Protected, idx);
                self.demote_from_protected();
            }
        }
    }

    fn demote_from_protected(&mut self) {
        while self.queues[Region::Protected as usize].weight > self.protected_max {
            let head = self.queues[Region::Protected as usize].head;
            if head == NIL {
                break;
            }
            self.move_to(Region::Probation, head);
        }
    }

    /// Adds or replaces an entry, then evicts down to capacity.
    pub(super) fn insert(&mut self, new: NewEntry<K, V>, now: u64, out: &mut Removed<K, V>) {
        if let Some(idx) = self.index_of(&new.key) {
            self.replace(idx, new, now, out);
            return;
        }
        if u64::from(new.weight) > self.max {
            self.counts.evictions += 1;
            self.counts.admission_rejections += 1;
            if self.track_removed {
                out.push((new.key, new.value, RemovalCause::Size));
            }
            return;
        }
        let node = Node {
            entry: Some(Entry {
                key: new.key.clone(),
                value: new.value,
                hash: new.hash,
                weight: new.weight,
                expires_at: new.expires_at.into(),
                deadline: new.deadline,
            }),
            prev: NIL,
            next: NIL,
            stamp: 0,
            region: Region::Window,
        };
        let idx = match self.free.pop() {
            Some(i) => {
                if let Some(slot) = self.nodes.get_mut(i as usize) {
                    *slot = node;
                }
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        self.map.insert(new.key, idx);
        self.push_tail(Region::Window, idx);
        self.sketch.increment(new.hash);
        self.adapt(new.hash, u64::from(new.weight));
        self.counts.inserts += 1;
        self.maintain(now, out);
    }

    fn replace(&mut self, idx: u32, new: NewEntry<K, V>, now: u64, out: &mut Removed<K, V>) {
        if u64::from(new.weight) > self.max {
            // The new value cannot be held; the old one is gone as far as the caller knows.
            if let Some(old) = self.remove_index(idx) {
                self.push_removed(new.key.clone(), old.value, RemovalCause::Replaced, out);
            }
            self.counts.evictions += 1;
            self.counts.admission_rejections += 1;
            self.push_removed(new.key, new.value, RemovalCause::Size, out);
            return;
        }
        let Some(region) = self.nodes.get(idx as usize).map(|n| n.region) else {
            return;
        };
        // Take the node out of its queue so its weight can change consistently.
        self.unlink(idx);
        let Some(entry) = self
            .nodes
            .get_mut(idx as usize)
            .and_then(|n| n.entry.as_mut())
        else {
            return;
        };
        let old = std::mem::replace(&mut entry.value, new.value);
        entry.weight = new.weight;
        entry.deadline = new.deadline;
        entry.expires_at.store(new.expires_at, Ordering::Relaxed);
        let hash = entry.hash;
        self.push_tail(region, idx);
        self.counts.updates += 1;
        self.push_removed(new.key, old, RemovalCause::Replaced, out);
        self.sketch.increment(hash);
        self.on_access(idx);
        self.maintain(now, out);
    }

    fn push_removed(&self, key: K, value: V, cause: RemovalCause, out: &mut Removed<K, V>) {
        if self.track_removed {
            out.push((key, value, cause));
        }
    }

    fn remove_index(&mut self, idx: u32) -> Option<Entry<K, V>> {
        self.unlink(idx);
        let entry = self.nodes.get_mut(idx as usize)?.entry.take()?;
        self.map.remove(&entry.key);
        self.free.push(idx);
        Some(entry)
    }

    /// Removes `key`; the caller reports it.
    pub(super) fn remove<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let idx = self.index_of(key)?;
        self.remove_index(idx).map(|e| (e.key, e.value))
    }

    /// Drops an entry found expired past its stale retention, if it still is.
    pub(super) fn remove_expired<Q>(&mut self, key: &Q, now: u64, out: &mut Removed<K, V>)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let Some(idx) = self.index_of(key) else {
            return;
        };
        let dead = self
            .entry(idx)
            .is_some_and(|e| self.past_retention(e.expires_at.load(Ordering::Relaxed), now));
        if dead && let Some(e) = self.remove_index(idx) {
            self.counts.expirations += 1;
            self.push_removed(e.key, e.value, RemovalCause::Expired, out);
        }
    }

    fn past_retention(&self, expires_at: u64, now: u64) -> bool {
        expires_at != NEVER && now >= expires_at.saturating_add(self.stale_retention_ms)
    }

    /// Empties the shard, reporting every entry as `Explicit`.
    pub(super) fn clear(&mut self, out: &mut Removed<K, V>) {
        let track = self.track_removed;
        for node in self.nodes.drain(..) {
            if let (true, Some(e)) = (track, node.entry) {
                out.push((e.key, e.value, RemovalCause::Explicit));
            }
        }
        self.map.clear();
        self.free.clear();
        self.queues = [Queue::EMPTY; 3];
        self.sketch.clear();
        self.rejected.clear();
        self.victims.clear();
    }

    /// Evicts down to capacity.
    pub(super) fn maintain(&mut self, now: u64, out: &mut Removed<K, V>) {
        self.evict(now, out);
    }

    /// Moves the window/main split after a miss on `hash` (see the module docs).
    fn adapt(&mut self, hash: u64, weight: u64) {
        if self.rejected.take(hash) {
            let room = self.max.saturating_sub(self.window_max);
            self.window_max += weight.min(room);
        } else if self.victims.take(hash) {
            self.window_max -= weight.min(self.window_max.saturating_sub(1));
        } else {
            return;
        }
        self.protected_max = (self.max - self.window_max) * 8 / 10;
        self.demote_from_protected();
    }

    fn is_expired(&self, idx: u32, now: u64) -> bool {
        self.entry(idx)
            .is_some_and(|e| e.expires_at.load(Ordering::Relaxed) <= now)
    }

    fn weight_of(&self, idx: u32) -> u64 {
        self.entry(idx).map_or(0, |e| u64::from(e.weight))
    }

    fn hash_of(&self, idx: u32) -> u64 {
        self.entry(idx).map_or(0, |e| e.hash)
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64: the admission coin needs no quality, only no bias an attacker can see.
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }

    /// Whether the window candidate should replace the probation victim.
    fn admit(&mut self, candidate: u32, victim: u32) -> bool {
        let cf = self.sketch.frequency(self.hash_of(candidate));
        let vf = self.sketch.frequency(self.hash_of(victim));
        if cf > vf {
            true
        } else if cf >= ADMIT_HASHDOS_THRESHOLD {
            self.next_random() & 127 == 0
        } else {
            false
        }
    }

    fn evict_one(&mut self, idx: u32, now: u64, rejected: bool, out: &mut Removed<K, V>) {
        let expired = self.is_expired(idx, now);
        if let Some(e) = self.remove_index(idx) {
            let cause = if expired {
                self.counts.expirations += 1;
                RemovalCause::Expired
            } else {
                self.counts.evictions += 1;
                if rejected {
                    self.counts.admission_rejections += 1;
                    self.rejected.insert(e.hash);
                } else {
                    self.victims.insert(e.hash);
                }
                RemovalCause::Size
            };
            self.push_removed(e.key, e.value, cause, out);
        }
    }

    fn evict(&mut self, now: u64, out: &mut Removed<K, V>) {
        // Window overflow goes to the probation tail as candidates.
        let mut first_candidate = NIL;
        while self.queues[Region::Window as usize].weight > self.window_max {
            let head = self.queues[Region::Window as usize].head;
            if head == NIL {
                break;
            }
            self.move_to(Region::Probation, head);
            if first_candidate == NIL {
                first_candidate = head;
            }
        }
        let mut candidate = first_candidate;
        let mut victim = self.queues[Region::Probation as usize].head;
        let mut victim_region = Region::Probation;
        while self.weighted_size() > self.max {
            if candidate == NIL && victim == NIL {
                victim_region = match victim_region {
                    Region::Probation => Region::Protected,
                    Region::Protected => Region::Window,
                    Region::Window => break,
                };
                victim = self.queues[victim_region as usize].head;
                continue;
            }
            if victim == NIL {
                let evict = candidate;
                candidate = self.next_of(candidate);
                self.evict_one(evict, now, true, out);
                continue;
            }
            if candidate == NIL {
                let evict = victim;
                victim = self.next_of(victim);
                self.evict_one(evict, now, false, out);
                continue;
            }
            if candidate == victim {
                victim = self.next_of(victim);
                self.evict_one(candidate, now, false, out);
                candidate = NIL;
                continue;
            }
            if self.is_expired(victim, now) {
                let evict = victim;
                victim = self.next_of(victim);
                self.evict_one(evict, now, false, out);
                continue;
            }
            if self.is_expired(candidate, now) || self.weight_of(candidate) > self.max {
                let evict = candidate;
                candidate = self.next_of(candidate);
                self.evict_one(evict, now, true, out);
                continue;
            }
            if self.admit(candidate, victim) {
                let evict = victim;
                victim = self.next_of(victim);
                candidate = self.next_of(candidate);
                self.evict_one(evict, now, false, out);
            } else {
                let evict = candidate;
                candidate = self.next_of(candidate);
                self.evict_one(evict, now, true, out);
            }
        }
    }
}
