use perfkit::metrics::{ProcessSampler, Registry};

#[cfg(target_os = "linux")]
#[test]
fn samples_memory_and_cpu() {
    let mut sampler = ProcessSampler::new();
    let first = sampler.sample().unwrap();
    assert!(
        first.resident_bytes > 1024 * 1024,
        "RSS {}",
        first.resident_bytes
    );
    assert!(first.virtual_bytes >= first.resident_bytes);
    assert!(first.cpu_percent.is_none());

    // Burn some CPU so the second sample sees a non-zero share.
    let mut x = 0u64;
    let until = std::time::Instant::now() + std::time::Duration::from_millis(150);
    while std::time::Instant::now() < until {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
    let second = sampler.sample().unwrap();
    let one_core = second.cpu_percent_one_core.unwrap();
    let machine = second.cpu_percent.unwrap();
    assert!(one_core > 0.0, "{one_core}");
    assert!(machine <= one_core);
    assert!(second.cpu_time >= first.cpu_time);
}

#[cfg(target_os = "linux")]
#[test]
fn publishes_standard_process_metrics() {
    let registry = Registry::new();
    ProcessSampler::new().publish(&registry).unwrap();
    let text = registry.render_prometheus();
    for name in [
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_cpu_time_seconds",
    ] {
        assert!(
            text.contains(&format!("# TYPE {name} gauge")),
            "{name} missing:\n{text}"
        );
    }
}
