use perfkit::metrics::{HistogramOpts, MetricsError, Registry, global};

#[test]
fn get_or_create_returns_the_same_series() {
    let r = Registry::new();
    let a = r.counter("hits_total", &[("a", "1"), ("b", "2")]).unwrap();
    // Label order does not matter.
    let b = r.counter("hits_total", &[("b", "2"), ("a", "1")]).unwrap();
    a.inc();
    b.inc();
    assert_eq!(a.get(), 2);
    let other = r.counter("hits_total", &[("a", "1")]).unwrap();
    assert_eq!(other.get(), 0);
}

#[test]
fn invalid_names_are_typed_errors() {
    let r = Registry::new();
    for bad in ["", "1abc", "has space", "dash-ed", "dot.ted", "ünïcode"] {
        assert!(
            matches!(
                r.counter(bad, &[]),
                Err(MetricsError::InvalidMetricName { .. })
            ),
            "{bad:?} accepted"
        );
    }
    assert!(r.gauge("ok:name_1", &[]).is_ok());
    for bad in ["", "1x", "__reserved", "a-b", "a:b"] {
        assert!(
            matches!(
                r.gauge("g", &[(bad, "v")]),
                Err(MetricsError::InvalidLabelName { .. })
            ),
            "label {bad:?} accepted"
        );
    }
    assert!(matches!(
        r.gauge("g", &[("x", "1"), ("x", "2")]),
        Err(MetricsError::DuplicateLabel { .. })
    ));
}

#[test]
fn one_name_one_kind() {
    let r = Registry::new();
    r.counter("thing", &[]).unwrap();
    let err = r.histogram("thing", &[("x", "y")]).unwrap_err();
    assert_eq!(
        err,
        MetricsError::TypeMismatch {
            name: "thing".into(),
            existing: "counter",
            requested: "histogram"
        }
    );
    assert!(err.to_string().contains("already registered as a counter"));
}

#[test]
fn histogram_options_must_agree() {
    let r = Registry::new();
    let bytes = HistogramOpts::new(1.0, vec![10.0, 100.0]).unwrap();
    r.histogram_with("size_bytes", &[], bytes.clone()).unwrap();
    r.histogram_with("size_bytes", &[("k", "v")], bytes)
        .unwrap();
    assert!(matches!(
        r.histogram("size_bytes", &[]),
        Err(MetricsError::OptionsMismatch { .. })
    ));
}

#[test]
fn bad_histogram_options_are_rejected() {
    for (scale, bounds) in [
        (0.0, vec![1.0]),
        (f64::NAN, vec![1.0]),
        (1.0, vec![]),
        (1.0, vec![2.0, 1.0]),
        (1.0, vec![1.0, 1.0]),
        (1.0, vec![f64::INFINITY]),
        (1.0, vec![-1.0]),
    ] {
        assert!(
            matches!(
                HistogramOpts::new(scale, bounds.clone()),
                Err(MetricsError::InvalidOptions { .. })
            ),
            "{scale} {bounds:?}"
        );
    }
}

#[test]
fn concurrent_get_or_create_yields_one_series() {
    let r = Registry::new();
    std::thread::scope(|s| {
        for _ in 0..4 {
            let r = r.clone();
            s.spawn(move || {
                for _ in 0..1000 {
                    r.counter("race_total", &[("k", "v")]).unwrap().inc();
                }
            });
        }
    });
    assert_eq!(r.counter("race_total", &[("k", "v")]).unwrap().get(), 4000);
    assert_eq!(r.render_prometheus().matches("race_total{").count(), 1);
}

#[test]
fn remove_drops_a_family_from_output() {
    let r = Registry::new();
    let c = r.counter("gone_total", &[]).unwrap();
    assert!(r.remove("gone_total"));
    c.inc();
    assert!(!r.render_prometheus().contains("gone_total"));
    assert!(!r.remove("gone_total"));
}

#[test]
fn global_registry_is_shared() {
    global().counter("tests_global_total", &[]).unwrap().inc();
    assert_eq!(
        global().counter("tests_global_total", &[]).unwrap().get(),
        1
    );
}
