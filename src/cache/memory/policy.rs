//! W-TinyLFU with an adaptive window: the eviction and admission policy of one shard.
//!
//! New entries land in a small *window*. What overflows the window becomes a *candidate*
//! for the main region, an SLRU of *probation* and *protected* segments; a candidate gets
//! in only if the frequency sketch says it is more popular than the probation victim it
//! would displace. An entry read while in probation moves to protected. This is Caffeine's
//! W-TinyLFU (Einziger, Friedman, Manes: "TinyLFU: A Highly Efficient Cache Admission
//! Policy").
//!
//! Reads do not touch the queues or the sketch: a reader only bumps the entry's own `hits`
//! count (in the cache line it already loaded for the key and value), under the shard's
//! shared lock. The policy acts on those counts when an entry comes round to the head of
//! its queue, as a CLOCK does: a window or protected head that was read goes back to its
//! queue's tail instead of moving on (the second chance an LRU gives by moving an entry on
//! every read), a probation head that was read is promoted to protected instead of being a
//! victim, and in each case the counted reads are added to the sketch then. Replaying
//! every read into the queues and sketch (Caffeine's read buffers, which we had first) cost
//! half of a hit's time; see `docs/architecture.md`.
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
use hashbrown::HashTable;
use std::borrow::Borrow;
use std::num::NonZeroU32;
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

pub(super) struct Core<K, V> {
    /// Node indices by key hash. The key itself lives only in the node: the table holds
    /// four bytes per entry, and a lookup hashes the key once, for shard and slot alike.
    map: HashTable<u32>,
    nodes: Vec<Node<K, V>>,
    free: Vec<u32>,
    queues: [Queue; 3],
    sketch: FrequencySketch,
    max: u64,
    window_max: u64,
    protected_max: u64,
    rng: u64,
    pub(super) counts: CoreCounts,
    /// Entries past expiry but within this many ms are kept for `Lookup::Stale`.
    stale_retention_ms: u64,
    track_removed: bool,
    /// Hashes of candidates the filter refused lately (half the capacity in entries).
    rejected: Ghost,
    /// Total weight of new entries so far: the clock of the `rejected` stamps.
    inflow: u64,
    /// Hashes of main-region entries evicted lately (the capacity in entries).
    victims: Ghost,
}

/// The entry in node `i` if it holds `key` (whose hash is `hash`).
#[inline]
fn holding<'a, K, V, Q>(
    nodes: &'a [Node<K, V>],
    i: u32,
    hash: u64,
    key: &Q,
) -> Option<&'a Entry<K, V>>
where
    K: Borrow<Q>,
    Q: Eq + ?Sized,
{
    let e = nodes.get(i as usize)?.entry.as_ref()?;
    (e.hash == hash && e.key.borrow() == key).then_some(e)
}

impl<K: Eq, V> Core<K, V> {
    /// A shard holding at most `max` weight; `expected_entries` sizes the sketch.
    pub(super) fn new(
        max: u64,
        expected_entries: u64,
        seed: u64,
        stale_retention_ms: u64,
        track_removed: bool,
    ) -> Self {
        let window_max = (max / 100).max(1).min(max);
        let main = max - window_max;
        let protected_max = main * 8 / 10;
        Self {
            map: HashTable::new(),
            nodes: Vec::new(),
            free: Vec::new(),
            queues: [Queue::EMPTY; 3],
            sketch: FrequencySketch::new(expected_entries),
            max,
            window_max,
            protected_max,
            rng: seed | 1,
            counts: CoreCounts::default(),
            stale_retention_ms,
            track_removed,
            rejected: Ghost::new(expected_entries / 2),
            inflow: 0,
            victims: Ghost::new(expected_entries),
        }
    }

    pub(super) fn len(&self) -> u64 {
        self.map.len() as u64
    }

    pub(super) fn weighted_size(&self) -> u64 {
        self.queues.iter().map(|q| q.weight).sum()
    }

    /// The slot of `key`, whose hash (by the cache's hasher) is `hash`.
    #[inline]
    pub(super) fn index_of<Q>(&self, hash: u64, key: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let nodes = &self.nodes;
        self.map
            .find(hash, |&i| holding(nodes, i, hash, key).is_some())
            .copied()
    }

    /// The entry of `key` (hash `hash`), found with one probe of the table.
    #[inline]
    pub(super) fn find<Q>(&self, hash: u64, key: &Q) -> Option<&Entry<K, V>>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let nodes = &self.nodes;
        let mut found = None;
        self.map.find(hash, |&i| {
            found = holding(nodes, i, hash, key);
            found.is_some()
        });
        found
    }

    #[inline]
    pub(super) fn entry(&self, idx: u32) -> Option<&Entry<K, V>> {
        self.nodes.get(idx as usize).and_then(|n| n.entry.as_ref())
    }

    fn entry_mut(&mut self, idx: u32) -> Option<&mut Entry<K, V>> {
        self.nodes
            .get_mut(idx as usize)
            .and_then(|n| n.entry.as_mut())
    }

    fn next_of(&self, idx: u32) -> u32 {
        self.nodes.get(idx as usize).map_or(NIL, |n| n.next)
    }

    fn unlink(&mut self, idx: u32) {
        let Some(node) = self.nodes.get(idx as usize) else {
            return;
        };
        let (prev, next, region) = (node.prev, node.next, node.region);
        let weight = node.entry.as_ref().map_or(0, |e| u64::from(e.weight.get()));
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
        let weight = node.entry.as_ref().map_or(0, |e| u64::from(e.weight.get()));
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

    /// Whether the entry at `idx` was read since the policy last looked at it.
    fn was_read(&self, idx: u32) -> bool {
        self.entry(idx).is_some_and(Entry::was_read)
    }

    /// Adds the reads counted on the entry at `idx` to the sketch and clears them.
    fn fold_hits(&mut self, idx: u32) {
        let Some(entry) = self.entry_mut(idx) else {
            return;
        };
        let (hits, hash) = (entry.take_hits(), entry.hash);
        for _ in 0..hits {
            self.sketch.increment(hash);
        }
    }

    /// Brings protected back within its share, moving its least recent entries to
    /// probation; one read since it last came round sends an entry back to the protected
    /// tail instead.
    fn demote_from_protected(&mut self) {
        while self.queues[Region::Protected as usize].weight > self.protected_max {
            let head = self.queues[Region::Protected as usize].head;
            if head == NIL {
                break;
            }
            // Terminates: a recycled entry's count is cleared, and no reader can set it
            // again while the write lock is held.
            let region = if self.was_read(head) {
                Region::Protected
            } else {
                Region::Probation
            };
            self.fold_hits(head);
            self.move_to(region, head);
        }
    }

    /// Adds or replaces an entry, then evicts down to capacity.
    pub(super) fn insert(&mut self, new: NewEntry<K, V>, now: u64, out: &mut Removed<K, V>) {
        if let Some(idx) = self.index_of(new.hash, &new.key) {
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
                key: new.key,
                value: new.value,
                hash: new.hash,
                weight: NonZeroU32::new(new.weight).unwrap_or(NonZeroU32::MIN),
                expires_at: new.expires_at.into(),
                deadline: new.deadline,
                hits: 0.into(),
            }),
            prev: NIL,
            next: NIL,
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
        let nodes = &self.nodes;
        self.map.insert_unique(new.hash, idx, |&i| {
            nodes
                .get(i as usize)
                .and_then(|n| n.entry.as_ref())
                .map_or(0, |e| e.hash)
        });
        self.push_tail(Region::Window, idx);
        self.sketch.increment(new.hash);
        self.adapt(new.hash, u64::from(new.weight));
        self.counts.inserts += 1;
        self.inflow += u64::from(new.weight);
        self.maintain(now, out);
    }

    fn replace(&mut self, idx: u32, new: NewEntry<K, V>, now: u64, out: &mut Removed<K, V>) {
        if u64::from(new.weight) > self.max {
            // The new value cannot be held; the old one is gone as far as the caller knows.
            if let Some(old) = self.remove_index(idx) {
                self.push_removed(old.key, old.value, RemovalCause::Replaced, out);
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
        let Some(entry) = self.entry_mut(idx) else {
            return;
        };
        let old = std::mem::replace(&mut entry.value, new.value);
        entry.weight = NonZeroU32::new(new.weight).unwrap_or(NonZeroU32::MIN);
        entry.deadline = new.deadline;
        entry.expires_at.store(new.expires_at, Ordering::Relaxed);
        // An update is an access: counted like a read, so it is folded into the sketch and
        // promotes a probation entry when it next comes round.
        entry.touch();
        self.push_tail(region, idx);
        self.counts.updates += 1;
        self.push_removed(new.key, old, RemovalCause::Replaced, out);
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
        if let Ok(slot) = self.map.find_entry(entry.hash, |&i| i == idx) {
            slot.remove();
        }
        self.free.push(idx);
        Some(entry)
    }

    /// Removes `key`; the caller reports it.
    pub(super) fn remove<Q>(&mut self, hash: u64, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let idx = self.index_of(hash, key)?;
        self.remove_index(idx).map(|e| (e.key, e.value))
    }

    /// Drops an entry found expired past its stale retention, if it still is.
    pub(super) fn remove_expired<Q>(
        &mut self,
        hash: u64,
        key: &Q,
        now: u64,
        out: &mut Removed<K, V>,
    ) where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let Some(idx) = self.index_of(hash, key) else {
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
        if let Some(refused_at) = self.rejected.take(hash) {
            // A refused key that comes back says the window was too small only if a
            // somewhat larger window would have kept it: it returns after `distance` of
            // inflow, and a window keeps a key for its own size of inflow. Keys that come
            // back much later (a loop longer than the cache) are no evidence for recency;
            // growing for them drifts the cache towards LRU, which gets nothing from a loop
            // (`lirs/cs` at 1,000: 45.5 % when every return counted, 58.1 % with this
            // bound; the bound of 16 windows was the best of 2-16 on the LIRS traces).
            let distance = u64::from((self.inflow as u32).wrapping_sub(refused_at));
            if distance > 16 * self.window_max.max(8) {
                return;
            }
            let room = self.max.saturating_sub(self.window_max);
            self.window_max += weight.min(room);
        } else if self.victims.take(hash).is_some() {
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
        self.entry(idx).map_or(0, |e| u64::from(e.weight.get()))
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
        self.fold_hits(candidate);
        self.fold_hits(victim);
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
        self.fold_hits(idx);
        let expired = self.is_expired(idx, now);
        if let Some(e) = self.remove_index(idx) {
            let cause = if expired {
                self.counts.expirations += 1;
                RemovalCause::Expired
            } else {
                self.counts.evictions += 1;
                if rejected {
                    self.counts.admission_rejections += 1;
                    self.rejected.insert(e.hash, self.inflow as u32);
                } else {
                    self.victims.insert(e.hash, self.inflow as u32);
                }
                RemovalCause::Size
            };
            self.push_removed(e.key, e.value, cause, out);
        }
    }

    fn evict(&mut self, now: u64, out: &mut Removed<K, V>) {
        // Window overflow goes to the probation tail as candidates, except that a head read
        // since it came round gets another turn in the window (terminates: see
        // `demote_from_protected`).
        let mut first_candidate = NIL;
        while self.queues[Region::Window as usize].weight > self.window_max {
            let head = self.queues[Region::Window as usize].head;
            if head == NIL {
                break;
            }
            let read = self.was_read(head);
            self.fold_hits(head);
            if read {
                self.move_to(Region::Window, head);
                continue;
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
            if victim_region == Region::Probation && self.was_read(victim) {
                // Read while on probation: promoted, as an LRU SLRU does at the read itself.
                let promote = victim;
                victim = self.next_of(victim);
                self.fold_hits(promote);
                self.move_to(Region::Protected, promote);
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
        // Promotions above may have overfilled protected; demoting only now keeps demoted
        // entries from being taken for candidates (which sit at the probation tail).
        self.demote_from_protected();
    }
}

#[cfg(test)]
mod tests {
    use super::{Core, NEVER, NewEntry, Node, Region, Removed};

    fn hash(k: u64) -> u64 {
        k.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5555
    }

    fn put(c: &mut Core<u64, u64>, k: u64) -> Removed<u64, u64> {
        let mut out = Removed::new();
        let new = NewEntry {
            key: k,
            value: k,
            hash: hash(k),
            weight: 1,
            deadline: NEVER,
            expires_at: NEVER,
        };
        c.insert(new, 0, &mut out);
        out
    }

    fn read(c: &Core<u64, u64>, k: u64) {
        let e = c.index_of(hash(k), &k).and_then(|i| c.entry(i));
        e.expect("resident").touch();
    }

    fn region(c: &Core<u64, u64>, k: u64) -> Option<Region> {
        let i = c.index_of(hash(k), &k)?;
        c.nodes.get(i as usize).map(|n| n.region)
    }

    /// Ten entries: window of one (the newest), the rest in probation, oldest first.
    fn full() -> Core<u64, u64> {
        let mut c = Core::new(10, 10, 1, 0, true);
        for k in 0..10 {
            assert!(put(&mut c, k).is_empty());
        }
        assert_eq!(region(&c, 9), Some(Region::Window));
        assert_eq!(region(&c, 0), Some(Region::Probation));
        c
    }

    #[test]
    fn a_window_entry_read_since_it_came_round_stays_in_the_window() {
        let mut c = full();
        read(&c, 9);
        put(&mut c, 10);
        assert_eq!(region(&c, 9), Some(Region::Window));
        // The unread newcomer was the candidate, and as popular as the victim: refused.
        assert_eq!(region(&c, 10), None);
        assert_eq!(c.len(), 10);
    }

    #[test]
    fn a_probation_entry_read_is_promoted_instead_of_evicted() {
        for read_first in [false, true] {
            let mut c = full();
            // 20 was seen twice before: more popular than any probation entry, so the
            // contest that 21's arrival starts admits it.
            c.sketch.increment(hash(20));
            c.sketch.increment(hash(20));
            put(&mut c, 20);
            if read_first {
                read(&c, 0);
            }
            let out = put(&mut c, 21);
            assert_eq!(region(&c, 20), Some(Region::Probation));
            let evicted: Vec<u64> = out.iter().map(|(k, _, _)| *k).collect();
            if read_first {
                assert_eq!(region(&c, 0), Some(Region::Protected), "{evicted:?}");
                assert!(!evicted.contains(&0));
            } else {
                assert_eq!(region(&c, 0), None, "the unread head is the victim");
            }
            assert_eq!(c.len(), 10);
        }
    }

    #[test]
    fn folded_reads_count_in_the_admission_contest() {
        let mut c = full();
        for _ in 0..5 {
            read(&c, 0);
        }
        let before = c.sketch.frequency(hash(0));
        put(&mut c, 10);
        // Key 0 came round as the victim: promoted, and its reads reached the sketch.
        assert_eq!(c.sketch.frequency(hash(0)), before + 5);
        assert_eq!(region(&c, 0), Some(Region::Protected));
    }

    #[test]
    fn only_a_refused_key_that_returns_soon_grows_the_window() {
        for (gap, grows) in [(10, true), (300, false)] {
            let mut c = Core::new(100, 100, 1, 0, true);
            for k in 0..100 {
                put(&mut c, k);
            }
            // 1000 leaves the window as 1001 arrives and loses to the victim: refused.
            put(&mut c, 1000);
            put(&mut c, 1001);
            assert_eq!(region(&c, 1000), None);
            for k in 0..gap {
                put(&mut c, 2000 + k);
            }
            let before = c.window_max;
            put(&mut c, 1000);
            assert_eq!(c.window_max > before, grows, "gap {gap}");
        }
    }

    #[test]
    fn a_small_entry_fills_one_cache_line() {
        // Key, value, hash, expiry, deadline, weight, read count, links and region: 57
        // bytes for u64 keys and values, padded to 64 only because the weight's niche
        // spares `Option` a tag word.
        assert_eq!(std::mem::size_of::<Node<u64, u64>>(), 64);
    }
}
