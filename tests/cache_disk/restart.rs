use crate::{builder, noise, open, value_of};
use perfkit::cache::disk::DiskStore;
use std::time::{SystemTime, UNIX_EPOCH};

fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64
}

#[test]
fn reopen_after_drop_keeps_data_without_a_flush() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = open(dir.path());
        for i in 0..500u32 {
            assert!(store.put(&i.to_le_bytes(), &noise(u64::from(i), 200), None));
        }
        // Dropping the last handle drains the queue.
    }
    let store = open(dir.path());
    for i in 0..500u32 {
        assert_eq!(
            value_of(&store, &i.to_le_bytes()),
            Some(noise(u64::from(i), 200)),
            "key {i}"
        );
    }
    assert_eq!(store.stats().entries, 500);
}

#[test]
fn reopen_honours_latest_write_tombstones_and_expiry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let small = |d: &std::path::Path| {
        DiskStore::builder(d)
            .capacity_bytes(1 << 20)
            .segment_size(4096)
    };
    {
        let store = small(dir.path()).open().expect("open");
        for round in 0..20u32 {
            for k in 0..10u32 {
                let v = [k.to_le_bytes(), round.to_le_bytes()].concat();
                assert!(store.put(&k.to_le_bytes(), &v, None));
            }
            // Spread the versions over several segments.
            store.put(b"filler", &noise(u64::from(round), 1000), None);
        }
        store.remove(&3u32.to_le_bytes());
        store.put(b"gone", b"already expired", Some(wall_ms() - 1000));
        store.put(b"later", b"live", Some(wall_ms() + 3_600_000));
        store.flush().expect("flush");
        assert!(store.stats().segments > 3, "{:?}", store.stats());
    }
    let store = small(dir.path()).open().expect("reopen");
    for k in 0..10u32 {
        let want = (k != 3).then(|| [k.to_le_bytes(), 19u32.to_le_bytes()].concat());
        assert_eq!(value_of(&store, &k.to_le_bytes()), want, "key {k}");
    }
    assert_eq!(value_of(&store, b"gone"), None);
    let later = store.get(b"later").expect("get").expect("hit");
    assert_eq!(later.value, b"live");
    assert!(later.expires_at.is_some());
    // 9 numbered keys, filler, later: the tombstoned and the expired ones are not indexed.
    assert_eq!(store.stats().entries, 11);
    assert_eq!(store.stats().corrupt_records, 0);
}

#[test]
fn reopen_twice_and_keep_writing() {
    let dir = tempfile::tempdir().expect("tempdir");
    for generation in 0..4u32 {
        let store = builder(dir.path()).open().expect("open");
        for earlier in 0..generation {
            assert_eq!(
                value_of(&store, &earlier.to_le_bytes()),
                Some(earlier.to_le_bytes().repeat(50)),
                "generation {generation} lost {earlier}"
            );
        }
        assert!(store.put(
            &generation.to_le_bytes(),
            &generation.to_le_bytes().repeat(50),
            None
        ));
    }
}

#[test]
fn every_fsync_policy_persists_what_was_flushed() {
    use perfkit::cache::disk::FsyncPolicy;
    use std::time::Duration;
    for policy in [
        FsyncPolicy::Never,
        FsyncPolicy::EveryWrite,
        FsyncPolicy::Interval(Duration::from_millis(5)),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = builder(dir.path()).fsync(policy).open().expect("open");
        for i in 0..50u32 {
            assert!(store.put(&i.to_le_bytes(), &noise(u64::from(i), 300), None));
        }
        store.flush().expect("flush");
        let s = store.stats();
        assert_eq!((s.writes, s.write_errors), (50, 0), "{policy:?}");
        drop(store);
        let store = builder(dir.path()).open().expect("reopen");
        for i in 0..50u32 {
            assert_eq!(
                value_of(&store, &i.to_le_bytes()),
                Some(noise(u64::from(i), 300)),
                "{policy:?}"
            );
        }
    }
}
