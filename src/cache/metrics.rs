//! [`TieredCache::register_metrics`]: the cache's figures as Prometheus series.

use std::hash::Hash;
use std::time::Duration;

use crate::cache::{CacheStats, TieredCache};
use crate::metrics::export::{Exporter, Field};
use crate::metrics::{MetricsError, Registry};

impl<K, V> TieredCache<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// Registers the cache's figures in `registry`, read when the registry renders:
    ///
    /// - counters `{prefix}_requests_total{result="hit"|"miss"}` (all tiers together),
    ///   `{prefix}_tier_hits_total{tier="memory"|"disk"}`,
    ///   `{prefix}_tier_misses_total{tier=..}`, `{prefix}_evictions_total{tier="memory"}`,
    ///   `{prefix}_expirations_total{tier=..}`,
    ///   `{prefix}_loads_total{outcome="success"|"error"|"timeout"|"aborted"}`,
    ///   `{prefix}_loads_coalesced_total`, `{prefix}_negative_hits_total`,
    ///   `{prefix}_stale_served_total`, `{prefix}_refreshes_total`,
    ///   `{prefix}_prefetches_total`, `{prefix}_prefetch_hits_total`,
    ///   `{prefix}_encode_errors_total`, and with a disk tier
    ///   `{prefix}_disk_corrupt_records_total`, `{prefix}_disk_decode_errors_total`,
    ///   `{prefix}_disk_read_errors_total`, `{prefix}_disk_writes_total`,
    ///   `{prefix}_disk_dropped_writes_total`, `{prefix}_disk_write_errors_total`;
    /// - gauges `{prefix}_entries{tier=..}`, `{prefix}_memory_weight`,
    ///   `{prefix}_memory_capacity`, `{prefix}_hit_ratio`,
    ///   `{prefix}_load_seconds{quantile="0.5"|"0.95"|"0.99"}`, and with a disk tier
    ///   `{prefix}_disk_bytes`, `{prefix}_disk_capacity_bytes`.
    ///
    /// The registry holds no strong reference: the series disappear with the cache.
    ///
    /// ```
    /// use perfkit::cache::TieredCache;
    /// use perfkit::metrics::Registry;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let cache: TieredCache<u64, String> = TieredCache::builder().build().await?;
    /// let registry = Registry::new();
    /// cache.register_metrics(&registry, "users_cache")?;
    /// cache.get(&1).await;
    /// assert!(registry.render_prometheus().contains(r#"users_cache_requests_total{result="miss"} 1"#));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`MetricsError`] when `prefix` is not a valid metric name or a series of that name is
    /// already registered in another style.
    pub fn register_metrics(&self, registry: &Registry, prefix: &str) -> Result<(), MetricsError> {
        let export = Exporter::new(registry, prefix, &self.inner)?;
        let stats = |inner: &std::sync::Arc<crate::cache::tiered::Inner<K, V>>| inner.stats();

        let requests: [Field<CacheStats, u64>; 2] = [("hit", |s| s.hits), ("miss", |s| s.misses)];
        for (result, read) in requests {
            export.counter("requests_total", &[("result", result)], move |i| {
                read(&stats(i))
            })?;
        }
        export.gauge("hit_ratio", &[], move |i| stats(i).hit_ratio())?;

        let memory_counters: [Field<CacheStats, u64>; 4] = [
            ("tier_hits_total", |s| s.memory.hits),
            ("tier_misses_total", |s| s.memory.misses),
            ("evictions_total", |s| s.memory.evictions),
            ("expirations_total", |s| s.memory.expirations),
        ];
        for (suffix, read) in memory_counters {
            export.counter(suffix, &[("tier", "memory")], move |i| read(&stats(i)))?;
        }
        export.gauge("entries", &[("tier", "memory")], move |i| {
            stats(i).memory.entries as f64
        })?;
        export.gauge("memory_weight", &[], move |i| {
            stats(i).memory.weighted_size as f64
        })?;
        export.gauge("memory_capacity", &[], move |i| {
            stats(i).memory.capacity as f64
        })?;

        let outcomes: [Field<CacheStats, u64>; 4] = [
            ("success", |s| s.loads.succeeded),
            ("error", |s| s.loads.failed),
            ("timeout", |s| s.loads.timed_out),
            ("aborted", |s| s.loads.aborted),
        ];
        for (outcome, read) in outcomes {
            export.counter("loads_total", &[("outcome", outcome)], move |i| {
                read(&stats(i))
            })?;
        }
        let load_counters: [Field<CacheStats, u64>; 7] = [
            ("loads_coalesced_total", |s| s.loads.coalesced),
            ("negative_hits_total", |s| s.loads.negative_hits),
            ("stale_served_total", |s| s.loads.stale_served),
            ("refreshes_total", |s| s.loads.refreshes),
            ("prefetches_total", |s| s.loads.prefetches),
            ("prefetch_hits_total", |s| s.loads.prefetch_hits),
            ("encode_errors_total", |s| s.encode_errors),
        ];
        for (suffix, read) in load_counters {
            export.counter(suffix, &[], move |i| read(&stats(i)))?;
        }
        let quantiles: [Field<CacheStats, Duration>; 3] = [
            ("0.5", |s| s.loads.latency_p50),
            ("0.95", |s| s.loads.latency_p95),
            ("0.99", |s| s.loads.latency_p99),
        ];
        for (q, read) in quantiles {
            export.gauge("load_seconds", &[("quantile", q)], move |i| {
                read(&stats(i)).as_secs_f64()
            })?;
        }

        #[cfg(feature = "cache-disk")]
        if !self.inner.lower.is_empty() {
            let disk_counters: [LabelledField; 10] = [
                ("tier_hits_total", &[("tier", "disk")], |s| disk(s).hits),
                ("tier_misses_total", &[("tier", "disk")], |s| disk(s).misses),
                ("expirations_total", &[("tier", "disk")], |s| {
                    disk(s).expired
                }),
                ("disk_corrupt_records_total", &[], |s| {
                    disk(s).corrupt_records
                }),
                ("disk_decode_errors_total", &[], |s| s.disk_decode_errors),
                ("disk_read_errors_total", &[], |s| s.disk_read_errors),
                ("disk_writes_total", &[], |s| disk(s).writes),
                ("disk_dropped_writes_total", &[], |s| disk(s).dropped_writes),
                ("disk_write_errors_total", &[], |s| disk(s).write_errors),
                ("disk_reclaimed_segments_total", &[], |s| {
                    disk(s).reclaimed_segments
                }),
            ];
            for (suffix, labels, read) in disk_counters {
                export.counter(suffix, labels, move |i| read(&stats(i)))?;
            }
            let disk_gauges: [LabelledField; 3] = [
                ("entries", &[("tier", "disk")], |s| disk(s).entries),
                ("disk_bytes", &[], |s| disk(s).bytes_on_disk),
                ("disk_capacity_bytes", &[], |s| disk(s).capacity_bytes),
            ];
            for (suffix, labels, read) in disk_gauges {
                export.gauge(suffix, labels, move |i| read(&stats(i)) as f64)?;
            }
        }
        Ok(())
    }
}

/// A series suffix, its labels, and how to read it from the stats.
#[cfg(feature = "cache-disk")]
type LabelledField = (
    &'static str,
    &'static [(&'static str, &'static str)],
    fn(&CacheStats) -> u64,
);

/// The disk tier's figures; zeros for a cache without one (never registered then).
#[cfg(feature = "cache-disk")]
fn disk(stats: &CacheStats) -> crate::cache::disk::DiskStats {
    stats.disk.clone().unwrap_or_default()
}
