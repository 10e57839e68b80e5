//! Pull-style series: `counter_fn` and `gauge_fn`, read at render time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use perfkit::metrics::{MetricsError, Registry};

#[test]
fn callback_values_are_read_at_each_render() {
    let registry = Registry::new();
    let total = Arc::new(AtomicU64::new(7));
    let t = Arc::clone(&total);
    registry
        .counter_fn("jobs_total", &[("queue", "a")], move || {
            Some(t.load(Ordering::Relaxed))
        })
        .unwrap();
    registry.gauge_fn("load", &[], || Some(0.25)).unwrap();
    registry.describe("jobs_total", "Jobs seen.");

    let text = registry.render_prometheus();
    assert!(
        text.contains(
            "# HELP jobs_total Jobs seen.\n# TYPE jobs_total counter\njobs_total{queue=\"a\"} 7\n"
        ),
        "{text}"
    );
    assert!(text.contains("# TYPE load gauge\nload 0.25\n"), "{text}");

    total.store(9, Ordering::Relaxed);
    assert!(
        registry
            .render_prometheus()
            .contains("jobs_total{queue=\"a\"} 9")
    );
}

#[test]
fn callbacks_and_handles_share_a_family_but_not_a_series() {
    let registry = Registry::new();
    let handle = registry.counter("reqs_total", &[("route", "/a")]).unwrap();
    handle.inc();
    registry
        .counter_fn("reqs_total", &[("route", "/b")], || Some(5))
        .unwrap();
    let text = registry.render_prometheus();
    assert_eq!(
        text.matches("# TYPE reqs_total counter").count(),
        1,
        "{text}"
    );
    assert!(text.contains("reqs_total{route=\"/a\"} 1"));
    assert!(text.contains("reqs_total{route=\"/b\"} 5"));

    // The same series cannot be both.
    let err = registry
        .counter_fn("reqs_total", &[("route", "/a")], || Some(1))
        .unwrap_err();
    assert!(
        matches!(
            err,
            MetricsError::StyleMismatch {
                existing: "handle",
                requested: "callback",
                ..
            }
        ),
        "{err:?}"
    );
    let err = registry
        .counter("reqs_total", &[("route", "/b")])
        .unwrap_err();
    assert!(
        matches!(
            err,
            MetricsError::StyleMismatch {
                existing: "callback",
                requested: "handle",
                ..
            }
        ),
        "{err:?}"
    );

    // A name keeps one kind across styles.
    let err = registry
        .gauge_fn("reqs_total", &[], || Some(1.0))
        .unwrap_err();
    assert!(matches!(err, MetricsError::TypeMismatch { .. }), "{err:?}");
}

#[test]
fn bad_names_and_labels_are_errors() {
    let registry = Registry::new();
    assert!(matches!(
        registry.counter_fn("1bad", &[], || Some(0)),
        Err(MetricsError::InvalidMetricName { .. })
    ));
    assert!(matches!(
        registry.gauge_fn("ok", &[("__x", "v")], || Some(0.0)),
        Err(MetricsError::InvalidLabelName { .. })
    ));
    assert!(registry.render_prometheus().is_empty());
}

#[test]
fn a_gone_source_drops_its_series_and_frees_the_name() {
    let registry = Registry::new();
    let source = Arc::new(AtomicU64::new(3));
    let weak = Arc::downgrade(&source);
    registry
        .counter_fn("pool_created_total", &[], move || {
            weak.upgrade().map(|s| s.load(Ordering::Relaxed))
        })
        .unwrap();
    registry.gauge_fn("other", &[], || Some(1.0)).unwrap();
    assert!(
        registry
            .render_prometheus()
            .contains("pool_created_total 3")
    );

    drop(source);
    let text = registry.render_prometheus();
    assert!(
        !text.contains("pool_created_total"),
        "no bare TYPE line either: {text}"
    );
    assert!(text.contains("other 1"));
    // The family went with its last series, so the name may take another kind now.
    assert!(registry.gauge("pool_created_total", &[]).is_ok());
}

#[test]
fn registering_again_replaces_the_callback() {
    let registry = Registry::new();
    registry.gauge_fn("workers", &[], || Some(1.0)).unwrap();
    registry.gauge_fn("workers", &[], || Some(2.0)).unwrap();
    let text = registry.render_prometheus();
    assert!(text.contains("workers 2"), "{text}");
    assert!(!text.contains("workers 1"), "{text}");
}

#[test]
fn a_replaced_series_is_not_dropped_by_its_predecessor_going_away() {
    let registry = Registry::new();
    let old = Arc::new(1u64);
    let weak = Arc::downgrade(&old);
    registry
        .counter_fn("gen_total", &[], move || weak.upgrade().map(|v| *v))
        .unwrap();
    registry.counter_fn("gen_total", &[], || Some(2)).unwrap();
    drop(old);
    assert!(registry.render_prometheus().contains("gen_total 2"));
    assert!(registry.render_prometheus().contains("gen_total 2"));
}

#[test]
fn a_callback_may_use_the_registry_while_it_renders() {
    // Callbacks run with no registry lock held; one that takes the write lock must not
    // deadlock the render that calls it.
    let registry = Registry::new();
    let inner = registry.clone();
    registry
        .gauge_fn("reentrant", &[], move || {
            inner.counter("touched_total", &[]).ok()?.inc();
            Some(1.0)
        })
        .unwrap();
    assert!(registry.render_prometheus().contains("reentrant 1"));
    // The counter was created by the first render's callback, so the second shows it,
    // bumped once more by its own callback run (names render in order: `reentrant` first).
    assert!(registry.render_prometheus().contains("touched_total 2"));
}

#[test]
fn callback_output_passes_the_format_checks() {
    // Non-finite gauge values use Prometheus' spellings.
    let registry = Registry::new();
    registry
        .gauge_fn("ratio", &[("k", "nan")], || Some(f64::NAN))
        .unwrap();
    registry
        .gauge_fn("ratio", &[("k", "inf")], || Some(f64::INFINITY))
        .unwrap();
    let text = registry.render_prometheus();
    assert!(text.contains("ratio{k=\"nan\"} NaN"), "{text}");
    assert!(text.contains("ratio{k=\"inf\"} +Inf"), "{text}");
}
