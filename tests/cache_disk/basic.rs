use crate::{noise, open, value_of};

#[test]
fn put_get_remove_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let compressible = vec![b'x'; 5000];
    let incompressible = noise(1, 5000);
    let large = (0..2_000_000u32)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<_>>();
    let cases: Vec<(&[u8], Vec<u8>)> = vec![
        (b"small", b"tiny".to_vec()),
        (b"empty", Vec::new()),
        (b"", b"empty key".to_vec()),
        (b"zip", compressible.clone()),
        (b"noise", incompressible.clone()),
        (b"large", large.clone()),
    ];
    for (k, v) in &cases {
        assert!(store.put(k, v, None));
    }
    for flushed in [false, true] {
        for (k, v) in &cases {
            let r = store.get(k).expect("get").expect("hit");
            assert_eq!(&r.value, v, "key {k:?}, flushed {flushed}");
            assert_eq!(r.expires_at, None);
        }
        store.flush().expect("flush");
    }
    let s = store.stats();
    assert_eq!(s.writes, 6);
    assert_eq!(s.entries, 6);
    // Only "zip" was deflated: the noise is incompressible, the short ones are under the
    // threshold, and the large one cycles through 251 byte values, so its byte entropy
    // (~8 bits) makes the writer skip deflate (the documented price of that shortcut).
    assert_eq!(s.compressed_writes, 1);
    assert!(s.bytes_written > 2_000_000 + 5000, "{s:?}");

    store.remove(b"zip");
    assert_eq!(value_of(&store, b"zip"), None);
    store.flush().expect("flush");
    assert_eq!(value_of(&store, b"zip"), None);
    assert_eq!(value_of(&store, b"noise"), Some(incompressible));
    assert_eq!(value_of(&store, b"missing"), None);
    let s = store.stats();
    assert_eq!(s.removes, 1);
    assert_eq!(s.entries, 5);
    assert_eq!(s.corrupt_records, 0);
    assert!(s.hits >= 12 && s.misses >= 3, "{s:?}");
}

#[test]
fn overwrite_returns_the_newest_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    for i in 0..100u32 {
        assert!(store.put(b"k", &i.to_le_bytes(), Some(u64::MAX)));
        assert_eq!(value_of(&store, b"k"), Some(i.to_le_bytes().to_vec()));
        if i.is_multiple_of(10) {
            store.flush().expect("flush");
        }
    }
    store.flush().expect("flush");
    let r = store.get(b"k").expect("get").expect("hit");
    assert_eq!(r.value, 99u32.to_le_bytes());
    assert_eq!(r.expires_at, Some(u64::MAX));
    assert_eq!(store.stats().entries, 1);
}

#[test]
fn read_your_writes_before_flush() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    // No flush anywhere: each read must see the write just accepted, whatever the writer
    // has done so far.
    for i in 0..2000u32 {
        let key = (i % 37).to_le_bytes();
        let value = i.to_le_bytes();
        if !store.put(&key, &value, None) {
            // The queue is full (a debug build writes slowly): make room; it must fit then.
            store.flush().expect("flush");
            assert!(store.put(&key, &value, None));
        }
        assert_eq!(value_of(&store, &key), Some(value.to_vec()), "put {i}");
        if i.is_multiple_of(7) {
            store.remove(&key);
            assert_eq!(value_of(&store, &key), None, "remove {i}");
        }
    }
}

#[test]
fn clones_share_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = open(dir.path());
    let b = a.clone();
    assert!(a.put(b"k", b"v", None));
    assert_eq!(value_of(&b, b"k"), Some(b"v".to_vec()));
    drop(a);
    b.flush().expect("flush");
    assert_eq!(value_of(&b, b"k"), Some(b"v".to_vec()));
}

#[test]
fn expiry_follows_the_injected_clock() {
    use perfkit::clock::ManualClock;
    use std::sync::Arc;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new();
    let store = crate::builder(dir.path())
        .clock(Arc::new(clock.clone()))
        .open()
        .expect("open");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64;
    assert!(store.put(b"short", b"1", Some(now + 60_000)));
    assert!(store.put(b"long", b"2", Some(now + 3_600_000)));
    assert!(store.put(b"never", b"3", None));
    assert!(store.put(b"pending-short", b"4", Some(now + 60_000)));
    assert_eq!(value_of(&store, b"short"), Some(b"1".to_vec()));
    store.flush().expect("flush");
    assert!(store.put(b"pending-short", b"4", Some(now + 60_000)));

    clock.advance(Duration::from_secs(61));
    assert_eq!(value_of(&store, b"short"), None);
    assert_eq!(value_of(&store, b"pending-short"), None);
    assert_eq!(value_of(&store, b"long"), Some(b"2".to_vec()));
    assert_eq!(value_of(&store, b"never"), Some(b"3".to_vec()));
    let s = store.stats();
    assert_eq!(s.expired, 2, "{s:?}");

    clock.advance(Duration::from_secs(3600));
    assert_eq!(value_of(&store, b"long"), None);
    assert_eq!(value_of(&store, b"never"), Some(b"3".to_vec()));
    assert_eq!(store.stats().expired, 3);
}

#[test]
fn the_store_is_a_cheap_shareable_handle() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<perfkit::cache::disk::DiskStore>();
    fn boxable<T: std::error::Error + Send + Sync + 'static>() {}
    boxable::<perfkit::cache::disk::DiskError>();
}
