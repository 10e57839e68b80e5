use perfkit::mem::{ArenaPool, MemError};

#[test]
fn bad_settings_are_errors() {
    for (b, field) in [
        (ArenaPool::builder().max_idle(0), "max_idle"),
        (
            ArenaPool::builder().retain_bytes(100).initial_bytes(200),
            "initial_bytes",
        ),
    ] {
        match b.build() {
            Err(MemError::InvalidConfig { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected InvalidConfig({field}), got {other:?}"),
        }
    }
}

#[test]
fn arenas_are_reset_and_reused() {
    let pool = ArenaPool::builder().build().unwrap();
    {
        let a = pool.get();
        a.alloc_slice_fill_copy(1000, 1u8);
        assert!(a.allocated_bytes() >= 1000);
    }
    let a = pool.get();
    // Reset: the next allocation starts from an empty arena again.
    let x = a.alloc(5u64);
    assert_eq!(*x, 5);
    let s = pool.stats();
    assert_eq!((s.creations, s.reuses, s.returns), (1, 1, 1));
}

#[test]
fn a_burst_does_not_pin_memory() {
    let pool = ArenaPool::builder()
        .retain_bytes(64 * 1024)
        .build()
        .unwrap();
    {
        let a = pool.get();
        for _ in 0..100 {
            a.alloc_slice_fill_copy(4096, 0u8);
        }
        assert!(a.allocated_bytes() > 64 * 1024);
    }
    let s = pool.stats();
    assert_eq!(
        (s.trimmed, s.returns, s.idle),
        (1, 0, 0),
        "the grown arena was freed"
    );
    // A normal use afterwards is pooled as usual.
    drop(pool.get());
    assert_eq!(pool.stats().idle, 1);
}

#[test]
fn idle_arenas_are_bounded() {
    let pool = ArenaPool::builder().max_idle(2).build().unwrap();
    let held: Vec<_> = (0..5).map(|_| pool.get()).collect();
    drop(held);
    let s = pool.stats();
    assert_eq!((s.creations, s.returns, s.discards, s.idle), (5, 2, 3, 2));
}

#[test]
fn shared_between_threads() {
    let pool = ArenaPool::builder().max_idle(4).build().unwrap();
    let rounds = crate::scaled(500, 6);
    std::thread::scope(|s| {
        for t in 0..crate::scaled(4, 2) {
            let pool = &pool;
            s.spawn(move || {
                for i in 0..rounds {
                    let a = pool.get();
                    let v = a.alloc_slice_fill_copy(16 + i % 64, t as u32);
                    assert!(v.iter().all(|&x| x == t as u32));
                }
            });
        }
    });
    let s = pool.stats();
    assert_eq!(
        s.reuses + s.creations,
        (crate::scaled(4, 2) * rounds) as u64
    );
    assert!(s.idle <= 4);
}
