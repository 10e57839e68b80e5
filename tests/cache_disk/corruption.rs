//! Damaged segment files: every read is a miss or the right value, never a panic or another
//! value, and the damage is counted.

use crate::{noise, value_of};
use perfkit::cache::disk::{DiskStore, DiskStoreBuilder};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

fn small(dir: &Path) -> DiskStoreBuilder {
    DiskStore::builder(dir)
        .capacity_bytes(4 << 20)
        .segment_size(16 * 1024)
}

/// Writes a mix of small, empty, compressible and incompressible values.
fn populate(dir: &Path) -> HashMap<Vec<u8>, Vec<u8>> {
    let store = small(dir).open().expect("open");
    let mut want = HashMap::new();
    for i in 0..300u32 {
        let key = format!("key-{i}").into_bytes();
        let value = match i % 4 {
            0 => Vec::new(),
            1 => noise(u64::from(i), 50 + i as usize),
            2 => format!("{i} ").repeat(60).into_bytes(),
            _ => noise(u64::from(i), 700),
        };
        assert!(store.put(&key, &value, None));
        want.insert(key, value);
    }
    store.flush().expect("flush");
    want
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .filter(|p| std::fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false))
        .collect();
    v.sort();
    v
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

fn damage(rng: &mut StdRng, dir: &Path) {
    let segs = segments(dir);
    for _ in 0..rng.random_range(1..4) {
        let path = &segs[rng.random_range(0..segs.len())];
        let len = std::fs::metadata(path).expect("meta").len();
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .expect("open segment");
        if rng.random_bool(0.3) {
            f.set_len(rng.random_range(0..len)).expect("truncate");
        } else {
            for _ in 0..rng.random_range(1..8) {
                let at = rng.random_range(0..len);
                let mask = rng.random_range(1..=255u8);
                let mut b = [0u8];
                std::fs::File::open(path)
                    .expect("open")
                    .read_exact_at(&mut b, at)
                    .expect("read");
                f.write_all_at(&[b[0] ^ mask], at).expect("write");
            }
        }
    }
}

fn check_all(store: &DiskStore, want: &HashMap<Vec<u8>, Vec<u8>>) -> usize {
    let mut hits = 0;
    for (k, v) in want {
        if let Some(got) = value_of(store, k) {
            assert_eq!(&got, v, "wrong value for {:?}", String::from_utf8_lossy(k));
            hits += 1;
        }
    }
    hits
}

#[test]
fn damaged_segments_read_back_as_misses_or_right_values_after_reopen() {
    let pristine = tempfile::tempdir().expect("tempdir");
    let want = populate(pristine.path());
    let mut rng = StdRng::seed_from_u64(0x5EED);
    let mut corrupt_seen = 0;
    let mut missed = 0;
    for case in 0..60 {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_dir(pristine.path(), dir.path());
        damage(&mut rng, dir.path());
        let store = small(dir.path()).open().expect("open damaged");
        let hits = check_all(&store, &want);
        missed += want.len() - hits;
        corrupt_seen += store.stats().corrupt_records;
        // The store keeps working on top of the damage.
        assert!(store.put(b"after", b"damage", None), "case {case}");
        store.flush().expect("flush");
        assert_eq!(value_of(&store, b"after"), Some(b"damage".to_vec()));
        drop(store);
        let store = small(dir.path()).open().expect("reopen");
        check_all(&store, &want);
        assert_eq!(value_of(&store, b"after"), Some(b"damage".to_vec()));
    }
    assert!(missed > 0 && corrupt_seen > 0, "{missed} {corrupt_seen}");
}

#[test]
fn damage_while_open_is_a_counted_miss() {
    let dir = tempfile::tempdir().expect("tempdir");
    let want = populate(dir.path());
    let store = small(dir.path()).open().expect("open");
    assert_eq!(check_all(&store, &want), want.len());
    let mut rng = StdRng::seed_from_u64(7);
    for round in 0..20 {
        damage(&mut rng, dir.path());
        check_all(&store, &want);
        let _ = round;
    }
    let s = store.stats();
    assert!(s.corrupt_records > 0, "{s:?}");
    // Damaged entries left the index: a second pass finds no new damage among them.
    let before = store.stats().corrupt_records;
    let hits = check_all(&store, &want);
    assert_eq!(store.stats().corrupt_records, before);
    assert_eq!(store.stats().entries as usize, hits);
}
