//! The store against a `HashMap`, over random put/remove/get/flush/reopen sequences.

use crate::value_of;
use perfkit::cache::disk::{DiskStore, DiskStoreBuilder};
use proptest::prelude::*;
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Clone)]
enum Op {
    Put(u8, u8, usize),
    Remove(u8),
    Get(u8),
    Flush,
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..12u8, any::<u8>(), 0..400usize).prop_map(|(k, b, n)| Op::Put(k, b, n)),
        2 => (0..12u8).prop_map(Op::Remove),
        4 => (0..12u8).prop_map(Op::Get),
        1 => Just(Op::Flush),
        1 => Just(Op::Reopen),
    ]
}

fn builder(dir: &Path) -> DiskStoreBuilder {
    // Small segments so sequences cross segment boundaries; no reclamation at this size.
    DiskStore::builder(dir)
        .capacity_bytes(16 << 20)
        .segment_size(4096)
}

fn value(b: u8, n: usize) -> Vec<u8> {
    // Every third value is repetitive (deflated), the rest vary byte by byte.
    if b.is_multiple_of(3) {
        vec![b; n]
    } else {
        (0..n)
            .map(|i| b.wrapping_mul(i as u8).wrapping_add(i as u8 >> 3))
            .collect()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn behaves_like_a_map(ops in proptest::collection::vec(op(), 1..80)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = builder(dir.path()).open().expect("open");
        let mut model: HashMap<u8, Vec<u8>> = HashMap::new();
        for op in ops {
            match op {
                Op::Put(k, b, n) => {
                    let v = value(b, n);
                    prop_assert!(store.put(&[k], &v, None));
                    model.insert(k, v);
                }
                Op::Remove(k) => {
                    store.remove(&[k]);
                    model.remove(&k);
                }
                Op::Get(k) => prop_assert_eq!(value_of(&store, &[k]), model.get(&k).cloned()),
                Op::Flush => store.flush().expect("flush"),
                Op::Reopen => {
                    drop(store);
                    store = builder(dir.path()).open().expect("reopen");
                }
            }
        }
        for k in 0..12u8 {
            prop_assert_eq!(value_of(&store, &[k]), model.get(&k).cloned());
        }
        prop_assert_eq!(store.stats().entries, model.len() as u64);
        prop_assert_eq!(store.stats().corrupt_records, 0);
    }
}
