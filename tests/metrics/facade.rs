use perfkit::metrics::{FacadeRecorder, HistogramOpts, Registry, facade};

#[test]
fn facade_macros_land_in_the_registry() {
    let registry = Registry::new();
    let recorder = FacadeRecorder::new(registry.clone());
    facade::with_local_recorder(&recorder, || {
        facade::describe_counter!("jobs.done", "Jobs finished.");
        let c = facade::counter!("jobs.done", "queue-name" => "fast");
        c.increment(2);
        c.increment(3);
        c.absolute(4); // below the current value: no change
        c.absolute(9);
        let g = facade::gauge!("workers");
        g.set(4.0);
        g.increment(1.5);
        g.decrement(0.5);
        let h = facade::histogram!("step_seconds");
        h.record(0.001);
        h.record(0.004);
        h.record(f64::NAN);
    });
    assert_eq!(recorder.errors(), 0);
    assert_eq!(
        registry
            .counter("jobs_done", &[("queue_name", "fast")])
            .unwrap()
            .get(),
        9
    );
    assert_eq!(registry.gauge("workers", &[]).unwrap().get(), 5.0);
    let snap = registry.histogram("step_seconds", &[]).unwrap().snapshot();
    assert_eq!(snap.count(), 2);
    assert_eq!(snap.clamped(), 1);
    assert_eq!(snap.max(), 4_000_000);
    let text = registry.render_prometheus();
    assert!(text.contains("# HELP jobs_done Jobs finished."), "{text}");
}

#[test]
fn kind_clash_gives_a_noop_handle_and_counts() {
    let registry = Registry::new();
    registry.gauge("clash", &[]).unwrap().set(1.0);
    let recorder = FacadeRecorder::new(registry.clone());
    facade::with_local_recorder(&recorder, || {
        facade::counter!("clash").increment(10);
    });
    assert_eq!(recorder.errors(), 1);
    assert_eq!(registry.gauge("clash", &[]).unwrap().get(), 1.0);
}

#[test]
fn custom_histogram_options() {
    let registry = Registry::new();
    let recorder = FacadeRecorder::new(registry.clone())
        .with_histogram_opts(HistogramOpts::new(1.0, vec![10.0, 100.0]).unwrap());
    facade::with_local_recorder(&recorder, || {
        facade::histogram!("batch_size").record(42.0);
    });
    let text = registry.render_prometheus();
    assert!(text.contains("batch_size_bucket{le=\"100\"} 1"), "{text}");
    assert!(text.contains("batch_size_sum 42"), "{text}");
}

/// The only test in this binary that installs the process-wide recorder: a second install is
/// a typed error, not a panic, and the first keeps working.
#[test]
fn installing_twice_is_a_typed_error() {
    use perfkit::metrics::MetricsError;
    let registry = Registry::new();
    FacadeRecorder::new(registry.clone()).install().unwrap();
    assert_eq!(
        FacadeRecorder::new(Registry::new()).install(),
        Err(MetricsError::RecorderAlreadyInstalled)
    );
    facade::counter!("installed_total").increment(2);
    assert_eq!(registry.counter("installed_total", &[]).unwrap().get(), 2);
}
