//! Random alloc / free / handle-drop sequences against a simple model: no block handed out
//! twice, none lost, stats balance.

use std::collections::HashSet;

use perfkit::mem::{Block, BlockPool};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Alloc,
    Free(usize),
    CloneHandle,
    DropHandle,
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        6 => Just(Op::Alloc),
        4 => any::<usize>().prop_map(Op::Free),
        1 => Just(Op::CloneHandle),
        1 => Just(Op::DropHandle),
    ];
    prop::collection::vec(op, 0..crate::scaled(300, 40))
}

fn stamp(b: &mut Block, tag: u32) {
    for (i, chunk) in b.chunks_mut(4).enumerate() {
        let v = tag.wrapping_mul(31).wrapping_add(i as u32).to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
}

fn check_stamp(b: &Block, tag: u32) -> bool {
    b.chunks(4).enumerate().all(|(i, chunk)| {
        let v = tag.wrapping_mul(31).wrapping_add(i as u32).to_le_bytes();
        chunk == &v[..chunk.len()]
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: crate::scaled(200, 4) as u32,
        ..ProptestConfig::default()
    })]

    #[test]
    fn alloc_free_matches_the_model(
        blocks in 1usize..40,
        grow in prop::option::of((1usize..20, 0usize..60)),
        size_pow in 0u32..8,
        ops in ops(),
    ) {
        let block_size = (1usize << size_pow) + 3;
        let mut builder = BlockPool::builder().block_size(block_size).blocks(blocks).align(16);
        let max = match grow {
            Some((chunk, more)) => { builder = builder.grow(chunk, blocks + more); blocks + more }
            None => blocks,
        };
        let pool = builder.build().unwrap();
        let mut handles = vec![pool];
        let mut held: Vec<(Block, u32)> = Vec::new();
        let mut next_tag = 0u32;
        let mut peak = 0usize;
        let mut exhausted = 0u64;
        for op in ops {
            match op {
                Op::Alloc => {
                    let Some(pool) = handles.first() else { continue };
                    match pool.alloc() {
                        Some(mut b) => {
                            prop_assert!(held.len() < max, "more blocks than the maximum");
                            prop_assert_eq!(b.len(), block_size);
                            prop_assert_eq!(b.as_ptr() as usize % 16, 0);
                            stamp(&mut b, next_tag);
                            held.push((b, next_tag));
                            next_tag += 1;
                            peak = peak.max(held.len());
                        }
                        None => {
                            prop_assert_eq!(held.len(), max, "refused with blocks free");
                            exhausted += 1;
                        }
                    }
                }
                Op::Free(i) if !held.is_empty() => {
                    let (b, tag) = held.swap_remove(i % held.len());
                    prop_assert!(check_stamp(&b, tag), "block content changed while held");
                }
                Op::Free(_) => {}
                Op::CloneHandle => {
                    if let Some(p) = handles.first() { let c = p.clone(); handles.push(c); }
                }
                Op::DropHandle => { handles.pop(); }
            }
            let indices: HashSet<u32> = held.iter().map(|(b, _)| b.index()).collect();
            prop_assert_eq!(indices.len(), held.len(), "a block was handed out twice");
            if let Some(pool) = handles.first() {
                let s = pool.stats();
                prop_assert_eq!(s.in_use, held.len());
                prop_assert!(s.high_water >= peak && s.high_water <= s.capacity);
                prop_assert!(s.capacity <= max && s.max_capacity == max);
                prop_assert_eq!(s.exhausted, exhausted);
                prop_assert_eq!(s.in_use + s.cached <= s.capacity, true);
            }
        }
        for (b, tag) in &held {
            prop_assert!(check_stamp(b, tag.to_owned()));
        }
        // With a handle left, every block comes back: all of them can be taken at once.
        if let Some(pool) = handles.first() {
            drop(std::mem::take(&mut held));
            let all: Vec<_> = (0..max).map_while(|_| pool.alloc()).collect();
            prop_assert_eq!(all.len(), max, "blocks were lost");
        }
        // Whatever is left is dropped here; Miri reports a leak if the pool is not freed.
    }
}
