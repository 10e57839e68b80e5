//! The disk tier's figures as pull-style series in a metrics registry.

use super::stats::DiskStats;
use super::store::DiskStore;
use crate::metrics::export::{Exporter, Field};
use crate::metrics::{MetricsError, Registry};

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
        let export = Exporter::new(registry, prefix, self.shared())?;
        let gauges: [Field<DiskStats, u64>; 4] = [
            ("entries", |s| s.entries),
            ("bytes_on_disk", |s| s.bytes_on_disk),
            ("capacity_bytes", |s| s.capacity_bytes),
            ("segments", |s| s.segments),
        ];
        for (name, read) in gauges {
            export.gauge(name, &[], move |s| read(&s.stats()) as f64)?;
        }
        let counters: [Field<DiskStats, u64>; 11] = [
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
            export.counter(name, &[], move |s| read(&s.stats()))?;
        }
        Ok(())
    }
}
