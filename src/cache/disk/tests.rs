//! Tests that need the store's insides: hash collisions, the shared cache clock.

use super::DiskStore;

#[test]
fn colliding_keys_never_return_each_others_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut b = DiskStore::builder(dir.path()).capacity_bytes(1 << 20);
    b.collide = true;
    let store = b.open().expect("open");
    assert_eq!(
        store.shared().index.hash(b"a"),
        store.shared().index.hash(b"b")
    );
    assert!(store.put(b"a", b"value of a", None));
    assert!(store.put(b"b", b"value of b", None));
    // Pending and on disk alike: the newer key holds the slot, the other one misses.
    for round in 0..2 {
        assert_eq!(store.get(b"a").expect("get"), None, "round {round}");
        assert_eq!(
            store.get(b"b").expect("get").map(|r| r.value),
            Some(b"value of b".to_vec())
        );
        store.flush().expect("flush");
    }
    assert_eq!(store.stats().corrupt_records, 0);
    drop(store);

    let mut b = DiskStore::builder(dir.path()).capacity_bytes(1 << 20);
    b.collide = true;
    let store = b.open().expect("reopen");
    assert_eq!(store.get(b"a").expect("get"), None);
    assert_eq!(
        store.get(b"b").expect("get").map(|r| r.value),
        Some(b"value of b".to_vec())
    );
    // The scan saw "b" last; a read of "a" finds b's record and must not return it.
    assert!(store.put(b"a", b"value of a", None));
    store.flush().expect("flush");
    assert_eq!(store.get(b"b").expect("get"), None);
    assert_eq!(
        store.get(b"a").expect("get").map(|r| r.value),
        Some(b"value of a".to_vec())
    );
}

#[test]
fn a_shared_cache_clock_decides_expiry() {
    use crate::cache::time::CacheClock;
    use crate::clock::ManualClock;
    use std::sync::Arc;
    use std::time::Duration;

    let dir = tempfile::tempdir().expect("tempdir");
    let manual = ManualClock::new();
    let clock = CacheClock::custom(Arc::new(manual.clone()));
    let store = DiskStore::builder(dir.path())
        .capacity_bytes(1 << 20)
        .cache_clock(clock.clone())
        .open()
        .expect("open");
    let deadline = clock.now_ms() + 1000;
    assert!(store.put(b"k", b"v", Some(deadline)));
    store.flush().expect("flush");
    manual.advance(Duration::from_millis(999));
    assert!(store.get(b"k").expect("get").is_some());
    // Exactly at the deadline, by the same clock the caller computed it with: expired.
    manual.advance(Duration::from_millis(1));
    assert_eq!(store.get(b"k").expect("get"), None);
    assert_eq!(store.stats().expired, 1);
}

#[test]
fn without_its_writer_the_store_still_reads_and_says_why_it_cannot_write() {
    use super::DiskError;

    let dir = tempfile::tempdir().expect("tempdir");
    let store = DiskStore::builder(dir.path())
        .capacity_bytes(1 << 20)
        .open()
        .expect("open");
    assert!(store.put(b"kept", b"written before the crash", None));
    assert!(store.put(b"gone", b"removed after the crash", None));
    store.flush().expect("flush");

    store.crash_writer();
    assert!(matches!(store.flush(), Err(DiskError::WriterStopped)));
    // A put cannot be queued: refused and counted, and the old value is not disturbed.
    let dropped = store.stats().dropped_writes;
    assert!(!store.put(b"kept", b"a newer value nobody can write", None));
    assert_eq!(store.stats().dropped_writes, dropped + 1);
    assert_eq!(
        store.get(b"kept").expect("get").map(|r| r.value),
        Some(b"written before the crash".to_vec())
    );
    // A remove still takes effect for this process, though it cannot reach the files.
    store.remove(b"gone");
    assert_eq!(store.get(b"gone").expect("get"), None);
    // Dropping the last handle does not wait for a writer that is not there.
    drop(store);

    // The files hold what was written before the crash.
    let store = DiskStore::builder(dir.path())
        .capacity_bytes(1 << 20)
        .open()
        .expect("reopen");
    assert_eq!(
        store.get(b"kept").expect("get").map(|r| r.value),
        Some(b"written before the crash".to_vec())
    );
}
