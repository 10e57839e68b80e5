use crate::{noise, value_of};
use perfkit::cache::disk::DiskStore;

#[test]
fn directory_stays_within_capacity_under_many_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let capacity = 256 * 1024;
    let store = DiskStore::builder(dir.path())
        .capacity_bytes(capacity)
        .segment_size(32 * 1024)
        .open()
        .expect("open");
    let n = 5000u32;
    for i in 0..n {
        let v = noise(u64::from(i), 300);
        if !store.put(&i.to_le_bytes(), &v, None) {
            store.flush().expect("flush");
            assert!(store.put(&i.to_le_bytes(), &v, None));
        }
        if i.is_multiple_of(500) {
            store.flush().expect("flush");
            let on_disk: u64 = std::fs::read_dir(dir.path())
                .expect("read_dir")
                .map(|e| e.expect("entry").metadata().expect("meta").len())
                .sum();
            assert!(on_disk <= capacity + 4096, "{on_disk} bytes on disk");
        }
    }
    store.flush().expect("flush");
    let s = store.stats();
    assert!(s.bytes_on_disk <= capacity, "{s:?}");
    assert!(s.reclaimed_segments > 0, "{s:?}");
    assert!(s.segments <= capacity / (32 * 1024), "{s:?}");
    // FIFO: the newest keys are still there, the oldest are gone, every hit is right.
    let mut hits = 0;
    for i in 0..n {
        if let Some(v) = value_of(&store, &i.to_le_bytes()) {
            assert_eq!(v, noise(u64::from(i), 300));
            hits += 1;
        }
    }
    assert_eq!(value_of(&store, &0u32.to_le_bytes()), None);
    assert_eq!(
        value_of(&store, &(n - 1).to_le_bytes()),
        Some(noise(u64::from(n - 1), 300))
    );
    assert_eq!(u64::from(hits), store.stats().entries);
    assert!(hits > 300 && hits < n, "{hits} hits");
    drop(store);

    // Reopening with a smaller capacity trims to it.
    let store = DiskStore::builder(dir.path())
        .capacity_bytes(128 * 1024)
        .segment_size(32 * 1024)
        .open()
        .expect("reopen");
    assert!(store.stats().bytes_on_disk <= 128 * 1024);
    assert_eq!(
        value_of(&store, &(n - 1).to_le_bytes()),
        Some(noise(u64::from(n - 1), 300))
    );
}

#[test]
fn a_record_larger_than_a_segment_is_refused_and_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = DiskStore::builder(dir.path())
        .capacity_bytes(64 * 1024)
        .segment_size(8 * 1024)
        .open()
        .expect("open");
    assert!(!store.put(b"big", &vec![0u8; 9000], None));
    assert_eq!(value_of(&store, b"big"), None);
    assert_eq!(store.stats().dropped_writes, 1);
    assert!(store.put(b"fits", &vec![0u8; 7000], None));
    store.flush().expect("flush");
    assert_eq!(value_of(&store, b"fits"), Some(vec![0u8; 7000]));
}
