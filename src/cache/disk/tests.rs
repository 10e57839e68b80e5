//! Tests that need the store's insides: hash collisions.

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
