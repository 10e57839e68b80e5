use crate::open;
use perfkit::metrics::Registry;

#[test]
fn figures_render_and_vanish_with_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let registry = Registry::new();
    let store = open(dir.path());
    store.register_metrics(&registry, "l2").expect("register");
    assert!(store.put(b"k", b"v", None));
    store.flush().expect("flush");
    store.get(b"k").expect("get");
    store.get(b"nope").expect("get");
    let text = registry.render_prometheus();
    for line in [
        "l2_hits_total 1",
        "l2_misses_total 1",
        "l2_writes_total 1",
        "l2_entries 1",
        "l2_capacity_bytes 67108864",
    ] {
        assert!(text.contains(line), "{line} missing from\n{text}");
    }
    assert!(store.register_metrics(&registry, "bad prefix").is_err());
    drop(store);
    assert!(!registry.render_prometheus().contains("l2_hits_total"));
}
