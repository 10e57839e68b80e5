//! Keeping the directory within its byte capacity: whole segments are deleted oldest first
//! (FIFO), the standard way for a log-structured cache.
//!
//! Entries still live in a reclaimed segment are dropped, not copied forward: copying would
//! write the same bytes again for every lap of the log, and the hot part of a tiered cache's
//! working set sits in the memory tier anyway. A reader that already holds the segment's
//! handle finishes its read from the unlinked file.
//!
//! The space is counted as free when the segment is unlinked; the file system frees it
//! once the last handle on the file closes, moments later.

use std::sync::atomic::Ordering;

use super::shared::Shared;
use super::stats::bump;

/// Deletes the oldest segments until `incoming` more bytes fit under the capacity.
pub(crate) fn make_room(shared: &Shared, incoming: u64) {
    let c = &shared.counters;
    while c
        .bytes_on_disk
        .load(Ordering::Relaxed)
        .saturating_add(incoming)
        > shared.config.capacity_bytes
    {
        let oldest = shared.segments.read().keys().next().copied();
        let Some(id) = oldest else { break };
        // The index first, so readers stop finding locations in the segment before it goes.
        shared.index.drop_segment(id);
        let Some(seg) = shared.segments.write().remove(&id) else {
            break;
        };
        if std::fs::remove_file(&seg.path).is_err() {
            bump(&c.write_errors);
        }
        c.bytes_on_disk.fetch_sub(seg.len(), Ordering::Relaxed);
        c.segments.fetch_sub(1, Ordering::Relaxed);
        bump(&c.reclaimed_segments);
        // Unlinking an open file only drops its name; the blocks are freed when the last
        // handle closes, and on a file system mounted with `discard` that close waits for
        // the device to discard the blocks (this machine's root is mounted so; deleting
        // 76 000 small files there took minutes). Close on a short-lived
        // thread so the writer keeps draining the queue; if no thread can be had, close
        // here.
        let _ = std::thread::Builder::new()
            .name("perfkit-disk-reclaim".into())
            .spawn(move || drop(seg));
    }
}
