use crate::{builder, value_of};
use perfkit::cache::disk::FsyncPolicy;

#[test]
fn a_full_queue_drops_and_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = builder(dir.path())
        .write_queue(1)
        .fsync(FsyncPolicy::EveryWrite)
        .open()
        .expect("open");
    let burst = 5000u32;
    let value = vec![7u8; 2000];
    let mut accepted = Vec::new();
    for i in 0..burst {
        if store.put(&i.to_le_bytes(), &value, None) {
            accepted.push(i);
        }
    }
    let s = store.stats();
    assert_eq!(s.dropped_writes + accepted.len() as u64, u64::from(burst));
    assert!(
        s.dropped_writes > 0,
        "a burst of {burst} fitted a queue of 1"
    );
    store.flush().expect("flush");
    drop(store);

    // What was accepted is there after a restart; what was dropped is not.
    let store = builder(dir.path()).open().expect("reopen");
    for i in 0..burst {
        let want = accepted.binary_search(&i).is_ok().then(|| value.clone());
        assert_eq!(value_of(&store, &i.to_le_bytes()), want, "key {i}");
    }
}

#[test]
fn removes_are_never_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = builder(dir.path()).open().expect("open");
        for i in 0..200u32 {
            assert!(store.put(&i.to_le_bytes(), b"old", None));
        }
    }
    {
        let store = builder(dir.path())
            .write_queue(1)
            .fsync(FsyncPolicy::EveryWrite)
            .open()
            .expect("open");
        for i in 0..200u32 {
            store.remove(&i.to_le_bytes());
            assert_eq!(value_of(&store, &i.to_le_bytes()), None);
        }
        assert_eq!(store.stats().removes, 200);
    }
    let store = builder(dir.path()).open().expect("reopen");
    for i in 0..200u32 {
        assert_eq!(
            value_of(&store, &i.to_le_bytes()),
            None,
            "key {i} came back"
        );
    }
}
