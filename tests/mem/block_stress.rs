//! Threads write an owner pattern into every block they hold and check it before freeing;
//! a block handed to two owners at once shows up as a corrupted pattern. Some blocks are
//! freed by another thread than the one that took them.

use std::sync::mpsc;

use perfkit::mem::{Block, BlockPool};

fn fill(b: &mut Block, owner: u64, round: u64) {
    let word = (owner << 48 | round).to_le_bytes();
    for chunk in b.chunks_mut(8) {
        chunk.copy_from_slice(&word[..chunk.len()]);
    }
}

fn intact(b: &Block, owner: u64, round: u64) -> bool {
    let word = (owner << 48 | round).to_le_bytes();
    b.chunks(8).all(|c| c == &word[..c.len()])
}

#[test]
fn concurrent_owners_never_share_a_block() {
    let threads = crate::scaled(4, 2) as u64;
    let rounds = crate::scaled(3_000, 30) as u64;
    let hold = 8usize;
    let pool = BlockPool::builder()
        .block_size(crate::scaled(256, 24))
        .blocks(threads as usize * hold / 2)
        .grow(16, threads as usize * hold + 64)
        .build()
        .unwrap();
    let (tx, rx) = mpsc::channel::<(Block, u64, u64)>();
    std::thread::scope(|s| {
        for t in 0..threads {
            let pool = pool.clone();
            let tx = tx.clone();
            s.spawn(move || {
                let mut held: Vec<(Block, u64)> = Vec::new();
                for round in 0..rounds {
                    if let Some(mut b) = pool.alloc() {
                        fill(&mut b, t + 1, round);
                        held.push((b, round));
                    }
                    if held.len() >= hold || (round % 3 == 0 && !held.is_empty()) {
                        let i = (round as usize * 7) % held.len();
                        let (b, r) = held.swap_remove(i);
                        assert!(intact(&b, t + 1, r), "block shared between owners");
                        if round % 5 == 0 {
                            // Freed by the collector thread instead.
                            tx.send((b, t + 1, r)).unwrap();
                        }
                    }
                }
                for (b, r) in held {
                    assert!(intact(&b, t + 1, r), "block shared between owners");
                }
            });
        }
        drop(tx);
        s.spawn(move || {
            for (b, owner, r) in rx {
                assert!(intact(&b, owner, r), "block changed in transit");
            }
        });
    });
    let s = pool.stats();
    assert_eq!(s.in_use, 0);
    assert!(s.capacity <= s.max_capacity);
    // Nothing was lost: every block can be taken again.
    let all: Vec<_> = (0..s.capacity).map_while(|_| pool.alloc()).collect();
    assert_eq!(all.len(), s.capacity);
}
