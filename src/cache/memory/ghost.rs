//! A bounded FIFO set of key hashes recently sent away: the memory behind the window's
//! adaptation.

use std::collections::{HashMap, VecDeque};

pub(super) struct Ghost {
    /// Hash -> (sequence number, caller's stamp); the sequence number tells a stale FIFO
    /// record from the current one.
    map: HashMap<u64, (u64, u64), foldhash::fast::FixedState>,
    fifo: VecDeque<(u64, u64)>,
    cap: usize,
    seq: u64,
}

impl Ghost {
    pub(super) fn new(cap: u64) -> Self {
        Self {
            map: HashMap::default(),
            fifo: VecDeque::new(),
            cap: usize::try_from(cap).unwrap_or(usize::MAX).max(1),
            seq: 0,
        }
    }

    /// Remembers `hash` with `stamp`, forgetting the oldest beyond the capacity.
    pub(super) fn insert(&mut self, hash: u64, stamp: u64) {
        self.seq += 1;
        self.map.insert(hash, (self.seq, stamp));
        self.fifo.push_back((hash, self.seq));
        while self.fifo.len() > self.cap {
            if let Some((h, s)) = self.fifo.pop_front()
                && self.map.get(&h).is_some_and(|&(seq, _)| seq == s)
            {
                self.map.remove(&h);
            }
        }
    }

    /// The stamp `hash` was remembered with, if it was; forgets it.
    pub(super) fn take(&mut self, hash: u64) -> Option<u64> {
        self.map.remove(&hash).map(|(_, stamp)| stamp)
    }

    pub(super) fn clear(&mut self) {
        self.map.clear();
        self.fifo.clear();
    }
}
