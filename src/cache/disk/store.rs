//! [`DiskStore`]: the handle callers use; reads on the caller's thread, writes through the
//! queue.

use std::io::ErrorKind;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::Mutex;

use super::builder::DiskStoreBuilder;
use super::error::DiskError;
use super::index::{Loc, Pending, Slot};
use super::record::{self, HEADER_LEN};
use super::shared::Shared;
use super::stats::{DiskStats, bump};
use super::writer::Msg;

/// How long dropping the last handle waits for the writer to drain the queue.
const DRAIN_WAIT: Duration = Duration::from_secs(10);

/// A value read from the disk tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskRecord {
    /// The value as it was put (inflated if it was stored deflated).
    pub value: Vec<u8>,
    /// When the entry expires, in Unix milliseconds; `None` never.
    pub expires_at: Option<u64>,
}

/// A persistent, bounded byte-key/byte-value store in a directory: the cache's disk tier.
///
/// Values go to append-only, checksummed segment files through a bounded background writer;
/// an in-memory index maps each key to its newest record. Reading never waits on a write and
/// sees every accepted write at once (read-your-writes), even before it reaches the disk.
/// Reopening the directory (a warm restart) serves what is still valid. Damaged records read
/// as misses and are counted, never returned. The directory is kept within
/// [`capacity_bytes`](DiskStoreBuilder::capacity_bytes) by deleting the oldest segment.
///
/// Cloning is cheap and shares the store; dropping the last handle lets the writer drain
/// the queue and stop (waiting up to 10 s for it).
///
/// ```
/// use perfkit::cache::disk::DiskStore;
///
/// let dir = tempfile::tempdir()?;
/// let store = DiskStore::builder(dir.path()).capacity_bytes(1 << 20).open()?;
/// assert!(store.put(b"user:1", b"Ada", None));
/// // Visible at once, before the writer has written it.
/// assert_eq!(store.get(b"user:1")?.map(|r| r.value), Some(b"Ada".to_vec()));
/// store.flush()?;
/// drop(store);
///
/// // A warm restart finds it again.
/// let store = DiskStore::builder(dir.path()).capacity_bytes(1 << 20).open()?;
/// assert_eq!(store.get(b"user:1")?.map(|r| r.value), Some(b"Ada".to_vec()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct DiskStore {
    inner: Arc<Handle>,
}

impl std::fmt::Debug for DiskStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiskStore")
            .field("dir", &self.inner.shared.dir)
            .field("config", &self.inner.shared.config)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Handle {
    shared: Arc<Shared>,
    tx: Option<SyncSender<Msg>>,
    seq: AtomicU64,
    done: Mutex<Receiver<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        // Closing the queue is the writer's signal to drain and stop.
        drop(self.tx.take());
        if self.done.get_mut().recv_timeout(DRAIN_WAIT).is_ok()
            && let Some(t) = self.thread.take()
        {
            let _ = t.join();
        }
    }
}

enum Read {
    Hit(DiskRecord),
    Miss,
    Expired,
    Corrupt,
}

impl DiskStore {
    /// A builder for a store in `dir` (created if missing).
    pub fn builder(dir: impl Into<std::path::PathBuf>) -> DiskStoreBuilder {
        DiskStoreBuilder::new(dir.into())
    }

    pub(crate) fn from_parts(
        shared: Arc<Shared>,
        tx: SyncSender<Msg>,
        done: Receiver<()>,
        thread: JoinHandle<()>,
    ) -> Self {
        Self {
            inner: Arc::new(Handle {
                shared,
                tx: Some(tx),
                seq: AtomicU64::new(1),
                done: Mutex::new(done),
                thread: Some(thread),
            }),
        }
    }

    /// Kills the writer thread (a panic inside it) and waits until it is gone.
    #[cfg(test)]
    pub(crate) fn crash_writer(&self) {
        if let Some(tx) = &self.inner.tx {
            let _ = tx.send(Msg::Crash);
        }
        // The writer's `done` sender goes with its thread.
        let _ = self.inner.done.lock().recv();
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.inner.shared
    }

    /// The value stored under `key`, if any and not expired.
    ///
    /// Expired, damaged (bad checksum, bad header, truncated file, bad deflate stream) and
    /// missing entries are all `Ok(None)`, counted in [`DiskStats`]; a damaged or expired
    /// entry is also dropped from the index. Never blocks on the writer.
    ///
    /// # Errors
    /// [`DiskError::Io`] when reading a segment fails for a reason other than a short file.
    pub fn get(&self, key: &[u8]) -> Result<Option<DiskRecord>, DiskError> {
        let s = &self.inner.shared;
        let hash = s.index.hash(key);
        let read = match s.index.get(hash) {
            None => Read::Miss,
            Some(Slot::Pending(p)) => self.read_pending(&p, key),
            Some(Slot::OnDisk(loc)) => self.read_disk(hash, loc, key)?,
        };
        let c = &s.counters;
        match read {
            Read::Hit(r) => {
                bump(&c.hits);
                Ok(Some(r))
            }
            other => {
                bump(&c.misses);
                match other {
                    Read::Expired => bump(&c.expired),
                    Read::Corrupt => bump(&c.corrupt_records),
                    _ => {}
                }
                Ok(None)
            }
        }
    }

    fn read_pending(&self, p: &Pending, key: &[u8]) -> Read {
        if &*p.key != key {
            return Read::Miss;
        }
        let Some(value) = &p.value else {
            return Read::Miss;
        };
        if self.inner.shared.expired(p.expires_at) {
            return Read::Expired;
        }
        Read::Hit(DiskRecord {
            value: value.to_vec(),
            expires_at: p.expires_at,
        })
    }

    fn read_disk(&self, hash: u64, loc: Loc, key: &[u8]) -> Result<Read, DiskError> {
        let s = &self.inner.shared;
        if s.expired(loc.expires_at) {
            s.index.drop_if_at(hash, loc);
            return Ok(Read::Expired);
        }
        let Some(seg) = s.segments.read().get(&loc.segment).cloned() else {
            // Reclaimed between the index lookup and here.
            return Ok(Read::Miss);
        };
        let mut buf = vec![0u8; loc.len as usize];
        match seg.read_at(&mut buf, loc.offset) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => {
                s.index.drop_if_at(hash, loc);
                return Ok(Read::Corrupt);
            }
            Err(e) => return Err(DiskError::io(&seg.path, e)),
        }
        let checked = record::parse_header(&buf, buf.len()).and_then(|h| {
            let (k, _) = record::verify(&buf, &h)?;
            Ok((h, k == key))
        });
        let read = match checked {
            // A sound record holding another key: a hash collision whose newer write took
            // the slot. Not damage; the slot belongs to that key.
            Ok((_, false)) => return Ok(Read::Miss),
            Ok((h, true)) if !h.is_tombstone() && h.expires_at == loc.expires_at => {
                match record::into_value(buf, &h) {
                    Ok(value) => Read::Hit(DiskRecord {
                        value,
                        expires_at: h.expires_at,
                    }),
                    Err(_) => Read::Corrupt,
                }
            }
            _ => Read::Corrupt,
        };
        if matches!(read, Read::Corrupt) {
            s.index.drop_if_at(hash, loc);
        }
        Ok(read)
    }

    fn next_seq(&self) -> u64 {
        self.inner.seq.fetch_add(1, Ordering::Relaxed)
    }

    /// Queues a write of `value` under `key`, expiring at `expires_at` (Unix milliseconds;
    /// `None`: never), and returns at once.
    ///
    /// `true`: queued, and every later `get` sees it. `false`: dropped and counted in
    /// `dropped_writes`, because the queue was full or the record (32-byte header + key +
    /// value) is larger than a segment.
    pub fn put(&self, key: &[u8], value: &[u8], expires_at: Option<u64>) -> bool {
        let s = &self.inner.shared;
        let too_big =
            (HEADER_LEN + key.len()).saturating_add(value.len()) as u64 > s.config.segment_size;
        let queued = match (&self.inner.tx, too_big) {
            (Some(tx), false) => {
                let hash = s.index.hash(key);
                let pending = Arc::new(Pending {
                    seq: self.next_seq(),
                    key: key.into(),
                    value: Some(value.into()),
                    expires_at,
                });
                let msg = Msg::Write {
                    hash,
                    pending: Arc::clone(&pending),
                };
                s.index
                    .insert_pending_if(hash, pending, || tx.try_send(msg).is_ok())
            }
            _ => false,
        };
        if !queued {
            bump(&s.counters.dropped_writes);
        }
        queued
    }

    /// Removes `key`: every later `get` misses at once; the tombstone that makes the removal
    /// survive a restart goes through the queue. When the queue is full this waits for room
    /// rather than drop the tombstone, since a lost removal would bring the old value back
    /// after a restart.
    pub fn remove(&self, key: &[u8]) {
        let s = &self.inner.shared;
        bump(&s.counters.removes);
        let Some(tx) = &self.inner.tx else { return };
        let hash = s.index.hash(key);
        let pending = Arc::new(Pending {
            seq: self.next_seq(),
            key: key.into(),
            value: None,
            expires_at: None,
        });
        let seq = pending.seq;
        let msg = Msg::Write {
            hash,
            pending: Arc::clone(&pending),
        };
        let mut returned = None;
        let queued =
            s.index
                .insert_pending_if(hash, Arc::clone(&pending), || match tx.try_send(msg) {
                    Ok(()) => true,
                    Err(TrySendError::Full(m) | TrySendError::Disconnected(m)) => {
                        returned = Some(m);
                        false
                    }
                });
        if queued {
            return;
        }
        // Mask the key first (outside the lock: the writer needs the shard to make room).
        s.index.insert_pending_if(hash, pending, || true);
        let sent = returned.is_some_and(|m| tx.send(m).is_ok());
        if !sent {
            s.index.publish(hash, seq, None);
        }
    }

    /// Waits until everything queued before this call is written to the segment files, and
    /// fsynced unless the policy is [`FsyncPolicy::Never`](super::FsyncPolicy::Never).
    ///
    /// # Errors
    /// The first write or fsync failure since the previous flush, or
    /// [`DiskError::WriterStopped`] if the writer thread is gone.
    pub fn flush(&self) -> Result<(), DiskError> {
        let tx = self.inner.tx.as_ref().ok_or(DiskError::WriterStopped)?;
        let (ack, answer) = sync_channel(1);
        tx.send(Msg::Flush(ack))
            .map_err(|_| DiskError::WriterStopped)?;
        answer.recv().map_err(|_| DiskError::WriterStopped)?
    }

    /// A snapshot of the store's figures.
    pub fn stats(&self) -> DiskStats {
        self.inner.shared.stats()
    }
}
