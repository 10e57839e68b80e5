//! The disk tier's figures as pull-style series in a metrics registry.

//!
//! (`metrics::export::Exporter` is compiled only for the modules listed in `metrics/mod.rs`,
//! so this does the same few lines itself: each series holds a `Weak` of the state.)

use std::sync::Arc;

use super::stats::DiskStats;
use super::store::DiskStore;
use crate::metrics::{MetricsError, Registry};

type Field = (&'static str, fn(&DiskStats) -> u64);

impl DiskStore {
    /// Registers the store's figures in `registry`, read at render time:
    /// `{prefix}_entries`, `{prefix}_bytes_on_disk`, `{prefix}_capacity_bytes`,
    /// `{prefix}_segments` (gauges) and `{prefix}_{hits, misses, expired, corrupt_records,
    /// writes, bytes_written, compressed_writes, dropped_writes, removes, reclaimed_segments,
    /// write_errors}_total` (counters). The series do not keep the store alive; they vanish
    /// once it is closed.
    ///
    /// # Errors
    /// [`MetricsError`] for a prefix that makes an invalid name or a series already
    /// registered with another type.
    pub fn register_metrics(&self, registry: &Registry, prefix: &str) -> Result<(), MetricsError> {
        let source = Arc::downgrade(self.shared());
        let gauges: [Field; 4] = [
            ("entries", |s| s.entries),
            ("bytes_on_disk", |s| s.bytes_on_disk),
            ("capacity_bytes", |s| s.capacity_bytes),
            ("segments", |s| s.segments),
        ];
        for (name, read) in gauges {
            let source = source.clone();
            registry.gauge_fn(&format!("{prefix}_{name}"), &[], move || {
                source.upgrade().map(|s| read(&s.stats()) as f64)
            })?;
        }
        let counters: [Field; 11] = [
            ("hits_total", |s| s.hits),
            ("misses_total", |s| s.misses),
            ("expired_total", |s| s.expired),
            ("corrupt_records_total", |s| s.corrupt_records),
            ("writes_total", |s| s.writes),
            ("bytes_written_total", |s| s.bytes_written),
            ("compressed_writes_total", |s| s.compressed_writes),
            ("dropped_writes_total", |s| s.dropped_writes),
            ("removes_total", |s| s.removes),
            ("reclaimed_segments_total", |s| s.reclaimed_segments),
            ("write_errors_total", |s| s.write_errors),
        ];
        for (name, read) in counters {
            let source = source.clone();
            registry.counter_fn(&format!("{prefix}_{name}"), &[], move || {
                source.upgrade().map(|s| read(&s.stats()))
            })?;
        }
        Ok(())
    }
}
