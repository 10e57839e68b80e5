//! `register_metrics`: the stats as pull series, dropped with the cache.

use perfkit::cache::memory::MemoryCache;
use perfkit::metrics::Registry;

#[test]
fn stats_render_as_series_and_vanish_with_the_cache() {
    let registry = Registry::new();
    let cache: MemoryCache<u64, u64> = MemoryCache::new(10).unwrap();
    cache.register_metrics(&registry, "l1").unwrap();
    cache.insert(1, 1);
    cache.get(&1);
    cache.get(&2);
    let text = registry.render_prometheus();
    assert!(text.contains("l1_hits_total 1"), "{text}");
    assert!(text.contains("l1_misses_total 1"), "{text}");
    assert!(text.contains("l1_entries 1"), "{text}");
    assert!(text.contains("l1_capacity 10"), "{text}");
    assert!(text.contains("l1_hit_ratio 0.5"), "{text}");
    assert!(cache.register_metrics(&registry, "bad name").is_err());
    drop(cache);
    assert!(!registry.render_prometheus().contains("l1_hits_total"));
}
