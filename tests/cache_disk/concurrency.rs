use crate::builder;
use std::sync::atomic::{AtomicBool, Ordering};

/// Values carry their key and a version: a reader can tell a wrong or an older value.
fn encode(key: u32, version: u32) -> Vec<u8> {
    let mut v = [key.to_le_bytes(), version.to_le_bytes()].concat();
    v.resize(64 + (version as usize % 300), (key % 251) as u8);
    v
}

#[test]
fn readers_during_writes_see_right_and_never_older_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = builder(dir.path())
        .capacity_bytes(64 << 20)
        .write_queue(64)
        .open()
        .expect("open");
    const KEYS: u32 = 64;
    const VERSIONS: u32 = 300;
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            for version in 0..VERSIONS {
                for key in 0..KEYS {
                    if !store.put(&key.to_le_bytes(), &encode(key, version), None) {
                        store.flush().expect("flush");
                        assert!(store.put(&key.to_le_bytes(), &encode(key, version), None));
                    }
                }
                if version.is_multiple_of(50) {
                    store.flush().expect("flush");
                }
            }
            store.flush().expect("flush");
        });
        for _ in 0..3 {
            s.spawn(|| {
                let mut seen = vec![0u32; KEYS as usize];
                let mut rounds = 0u32;
                while !stop.load(Ordering::Relaxed) && rounds < 10_000 {
                    rounds += 1;
                    for key in 0..KEYS {
                        let Some(r) = store.get(&key.to_le_bytes()).expect("get") else {
                            continue;
                        };
                        let version =
                            u32::from_le_bytes(r.value[4..8].try_into().expect("version"));
                        assert_eq!(r.value, encode(key, version), "wrong bytes");
                        assert!(version >= seen[key as usize], "went back in time");
                        seen[key as usize] = version;
                    }
                }
            });
        }
        writer.join().expect("writer");
        stop.store(true, Ordering::Relaxed);
    });
    for key in 0..KEYS {
        let r = store.get(&key.to_le_bytes()).expect("get").expect("hit");
        assert_eq!(r.value, encode(key, VERSIONS - 1));
    }
    assert_eq!(store.stats().corrupt_records, 0);
}
