//! The background writer: the only code that appends to segments.
//!
//! It takes whatever is queued (up to [`MAX_BATCH`] messages), encodes it into one buffer,
//! writes that with one positioned write at the end of the active segment, and only then
//! points the index at the new records. Until then readers are served from the pending
//! slots, so no read ever waits for this thread.

use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

use super::FsyncPolicy;
use super::error::DiskError;
use super::index::{Loc, Pending};
use super::reclaim::make_room;
use super::record;
use super::segment::Segment;
use super::shared::Shared;
use super::stats::bump;

const MAX_BATCH: usize = 256;

pub(crate) enum Msg {
    /// A put (`pending.value` is `Some`) or a remove.
    Write { hash: u64, pending: Arc<Pending> },
    /// Answered once everything queued before it is written (and synced, per the policy).
    Flush(SyncSender<Result<(), DiskError>>),
    /// Makes the writer thread panic, so tests can see what the handles do without it.
    #[cfg(test)]
    Crash,
}

/// A record in the current batch, published to the index once the batch is written.
struct Staged {
    hash: u64,
    seq: u64,
    loc: Option<Loc>,
    len: u64,
    compressed: bool,
}

pub(crate) struct Writer {
    shared: Arc<Shared>,
    rx: Receiver<Msg>,
    active: Arc<Segment>,
    next_id: u64,
    buf: Vec<u8>,
    staged: Vec<Staged>,
    deflater: record::Deflater,
    /// Written since the last fsync.
    dirty: bool,
    last_sync: Instant,
    /// The first failure since the last flush, reported by the next flush.
    error: Option<DiskError>,
}

impl Writer {
    pub(crate) fn new(shared: Arc<Shared>, rx: Receiver<Msg>, active: Arc<Segment>) -> Self {
        Self {
            next_id: active.id.saturating_add(1),
            shared,
            rx,
            active,
            buf: Vec::new(),
            staged: Vec::new(),
            deflater: record::Deflater::new(),
            dirty: false,
            last_sync: Instant::now(),
            error: None,
        }
    }

    /// Runs until every handle is gone and the queue is drained, then says so on `done`.
    pub(crate) fn run(mut self, done: SyncSender<()>) {
        loop {
            let first = match self.sync_due_in() {
                Some(wait) => match self.rx.recv_timeout(wait) {
                    Ok(m) => m,
                    Err(RecvTimeoutError::Timeout) => {
                        self.sync();
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => break,
                },
                None => match self.rx.recv() {
                    Ok(m) => m,
                    Err(_) => break,
                },
            };
            self.handle(first);
            for _ in 0..MAX_BATCH {
                match self.rx.try_recv() {
                    Ok(m) => self.handle(m),
                    Err(_) => break,
                }
            }
            self.commit();
            if self.sync_due_in() == Some(Duration::ZERO) {
                self.sync();
            }
        }
        self.commit();
        if !matches!(self.shared.config.fsync, FsyncPolicy::Never) {
            self.sync();
        }
        let _ = done.send(());
    }

    /// With `Interval(d)` and unsynced data: how long until the next fsync is due.
    fn sync_due_in(&self) -> Option<Duration> {
        match self.shared.config.fsync {
            FsyncPolicy::Interval(d) if self.dirty => {
                Some(d.saturating_sub(self.last_sync.elapsed()))
            }
            _ => None,
        }
    }

    fn fail(&mut self, e: DiskError) {
        bump(&self.shared.counters.write_errors);
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Write { hash, pending } => self.stage(hash, &pending),
            Msg::Flush(ack) => {
                self.commit();
                if self.dirty && !matches!(self.shared.config.fsync, FsyncPolicy::Never) {
                    self.sync();
                }
                let _ = ack.send(self.error.take().map_or(Ok(()), Err));
            }
            #[cfg(test)]
            Msg::Crash => panic!("writer crash injected by a test"),
        }
    }

    fn stage(&mut self, hash: u64, p: &Pending) {
        let cfg = &self.shared.config;
        let encoded = record::encode(
            &mut self.deflater,
            &p.key,
            p.value.as_deref(),
            p.expires_at,
            cfg.compress_threshold,
        );
        let Some(rec) = encoded.filter(|e| e.bytes.len() as u64 <= cfg.segment_size) else {
            bump(&self.shared.counters.dropped_writes);
            self.shared.index.publish(hash, p.seq, None);
            return;
        };
        let len = rec.bytes.len() as u64;
        if self.active.len() + self.buf.len() as u64 + len > cfg.segment_size {
            self.commit();
            if !self.roll() {
                bump(&self.shared.counters.dropped_writes);
                self.shared.index.publish(hash, p.seq, None);
                return;
            }
        }
        let offset = self.active.len() + self.buf.len() as u64;
        let loc = p.value.as_ref().map(|_| Loc {
            segment: self.active.id,
            offset,
            len: u32::try_from(len).unwrap_or(u32::MAX),
            expires_at: p.expires_at,
        });
        self.buf.extend_from_slice(&rec.bytes);
        self.staged.push(Staged {
            hash,
            seq: p.seq,
            loc,
            len,
            compressed: rec.compressed,
        });
    }

    /// Writes the batch and publishes it; on failure the batch's entries are dropped from the
    /// index (a miss is always acceptable for a cache, a wrong location is not).
    fn commit(&mut self) {
        if self.staged.is_empty() {
            return;
        }
        let pos = self.active.len();
        let written = self.active.file.write_all_at(&self.buf, pos);
        let ok = match written {
            Ok(()) => {
                let n = self.buf.len() as u64;
                self.active.len.store(pos + n, Ordering::Release);
                self.shared
                    .counters
                    .bytes_on_disk
                    .fetch_add(n, Ordering::Relaxed);
                self.dirty = true;
                if matches!(self.shared.config.fsync, FsyncPolicy::EveryWrite) {
                    self.sync();
                }
                true
            }
            Err(e) => {
                let path = self.active.path.clone();
                self.fail(DiskError::io(path, e));
                false
            }
        };
        let c = &self.shared.counters;
        for s in self.staged.drain(..) {
            if ok {
                bump(&c.writes);
                c.bytes_written.fetch_add(s.len, Ordering::Relaxed);
                if s.compressed {
                    bump(&c.compressed_writes);
                }
            }
            self.shared
                .index
                .publish(s.hash, s.seq, if ok { s.loc } else { None });
        }
        self.buf.clear();
    }

    fn sync(&mut self) {
        if let Err(e) = self.active.file.sync_data() {
            let path = self.active.path.clone();
            self.fail(DiskError::io(path, e));
        }
        self.dirty = false;
        self.last_sync = Instant::now();
    }

    /// Seals the active segment and starts the next one, reclaiming old segments to make
    /// room. `false` when no new segment could be created.
    fn roll(&mut self) -> bool {
        if self.dirty && !matches!(self.shared.config.fsync, FsyncPolicy::Never) {
            self.sync();
        }
        make_room(&self.shared, self.shared.config.segment_size);
        match Segment::create(&self.shared.dir, self.next_id) {
            Ok(seg) => {
                self.next_id = self.next_id.saturating_add(1);
                let seg = Arc::new(seg);
                self.shared.add_segment(Arc::clone(&seg));
                self.active = seg;
                self.dirty = false;
                true
            }
            Err(e) => {
                self.fail(e);
                false
            }
        }
    }
}
