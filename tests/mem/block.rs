use perfkit::mem::{BlockPool, MemError};

fn invalid_field(r: Result<BlockPool, MemError>) -> &'static str {
    match r {
        Err(MemError::InvalidConfig { field, .. }) => field,
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
}

#[test]
fn bad_settings_are_errors_not_panics() {
    let b = BlockPool::builder;
    assert_eq!(invalid_field(b().block_size(0).build()), "block_size");
    assert_eq!(invalid_field(b().blocks(0).build()), "blocks");
    for align in [0, 3, 48, 8192, usize::MAX] {
        assert_eq!(
            invalid_field(b().align(align).build()),
            "align",
            "align {align}"
        );
    }
    assert_eq!(invalid_field(b().blocks(4).grow(0, 8).build()), "grow");
    assert_eq!(invalid_field(b().blocks(8).grow(4, 4).build()), "grow");
    assert_eq!(
        invalid_field(b().blocks(1).grow(1, 100_000).build()),
        "grow"
    );
    assert_eq!(
        invalid_field(b().blocks(1).grow(1 << 20, usize::MAX).build()),
        "blocks"
    );
    // Sizes that overflow when aligned or multiplied.
    assert_eq!(
        invalid_field(b().block_size(usize::MAX).build()),
        "block_size"
    );
    assert_eq!(
        invalid_field(b().block_size(usize::MAX / 2).blocks(4).build()),
        "block_size"
    );
    assert_eq!(
        invalid_field(b().block_size(1 << 40).blocks(1 << 30).align(1).build()),
        "block_size"
    );
}

#[test]
fn blocks_have_the_size_and_alignment_asked_for() {
    for align in [1usize, 2, 8, 64, 256, 4096] {
        let pool = BlockPool::builder()
            .block_size(100)
            .blocks(4)
            .align(align)
            .build()
            .unwrap();
        let held: Vec<_> = (0..4).map(|_| pool.alloc().unwrap()).collect();
        for b in &held {
            assert_eq!(b.len(), 100);
            assert_eq!(b.as_ptr() as usize % align, 0, "align {align}");
        }
        let mut addrs: Vec<usize> = held.iter().map(|b| b.as_ptr() as usize).collect();
        addrs.sort_unstable();
        for w in addrs.windows(2) {
            assert!(w[1] - w[0] >= 100, "blocks overlap");
        }
    }
}

#[test]
fn fresh_blocks_are_zeroed_and_writes_stick() {
    let pool = BlockPool::builder()
        .block_size(64)
        .blocks(2)
        .build()
        .unwrap();
    let mut b = pool.alloc().unwrap();
    assert!(b.iter().all(|&x| x == 0));
    b.fill(0xAB);
    assert!(b.iter().all(|&x| x == 0xAB));
}

#[test]
fn exhaustion_is_counted_and_typed() {
    let pool = BlockPool::builder()
        .block_size(16)
        .blocks(3)
        .build()
        .unwrap();
    let held: Vec<_> = (0..3).map(|_| pool.alloc().unwrap()).collect();
    assert!(pool.alloc().is_none());
    assert_eq!(
        pool.try_alloc().unwrap_err(),
        MemError::Exhausted { capacity: 3 }
    );
    let s = pool.stats();
    assert_eq!((s.capacity, s.in_use, s.exhausted), (3, 3, 2));
    drop(held);
    assert_eq!(pool.stats().in_use, 0);
    assert!(pool.alloc().is_some());
}

#[test]
fn growth_adds_chunks_up_to_the_maximum() {
    let pool = BlockPool::builder()
        .block_size(32)
        .blocks(4)
        .grow(3, 12)
        .build()
        .unwrap();
    assert_eq!(pool.stats().capacity, 4);
    let held: Vec<_> = (0..12).map(|_| pool.alloc().unwrap()).collect();
    let s = pool.stats();
    assert_eq!((s.capacity, s.max_capacity, s.in_use), (12, 12, 12));
    assert!(pool.alloc().is_none());
    let mut idx: Vec<u32> = held.iter().map(|b| b.index()).collect();
    idx.sort_unstable();
    assert_eq!(idx, (0..12).collect::<Vec<u32>>());
}

#[test]
fn blocks_keep_the_pool_alive() {
    let pool = BlockPool::builder()
        .block_size(8)
        .blocks(4)
        .build()
        .unwrap();
    let clone = pool.clone();
    assert!(pool.same_pool(&clone));
    let mut a = pool.alloc().unwrap();
    let b = clone.alloc().unwrap();
    assert!(pool.owns(&a) && clone.owns(&b));
    drop(pool);
    drop(clone);
    // Both handles are gone; the blocks still work and free the memory when dropped
    // (Miri's leak check sees it if they do not).
    a.copy_from_slice(b"12345678");
    assert_eq!(&a[..], b"12345678");
    let t = std::thread::spawn(move || drop(b));
    t.join().unwrap();
    drop(a);
}

#[test]
fn blocks_freed_on_other_threads_come_back() {
    let pool = BlockPool::builder()
        .block_size(64)
        .blocks(40)
        .build()
        .unwrap();
    let held: Vec<_> = (0..40).map(|_| pool.alloc().unwrap()).collect();
    std::thread::spawn(move || drop(held)).join().unwrap();
    // The other thread's cache holds some of them; they are stolen rather than lost.
    let again: Vec<_> = (0..40).map(|_| pool.alloc()).collect();
    assert!(again.iter().all(Option::is_some));
    assert_eq!(pool.stats().in_use, 40);
}

#[test]
fn is_send_and_sync() {
    fn check<T: Send + Sync + Clone>() {}
    fn check_send<T: Send>() {}
    check::<BlockPool>();
    check_send::<perfkit::mem::Block>();
}
