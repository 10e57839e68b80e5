use perfkit::mem::{BufferPool, MemError};

#[test]
fn bad_settings_are_errors() {
    let b = BufferPool::builder;
    for (builder, field) in [
        (b().min_size(0), "min_size"),
        (b().min_size(600), "min_size"),
        (b().max_size(3 << 20), "max_size"),
        (b().min_size(1 << 20).max_size(1 << 10), "min_size"),
    ] {
        match builder.build() {
            Err(MemError::InvalidConfig { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected InvalidConfig({field}), got {other:?}"),
        }
    }
}

#[test]
fn requests_get_the_smallest_class_that_fits() {
    let pool = BufferPool::builder().build().unwrap();
    for (want, class) in [
        (0, 512),
        (1, 512),
        (512, 512),
        (513, 1024),
        (4000, 4096),
        (4 << 20, 4 << 20),
    ] {
        let b = pool.get(want);
        assert_eq!(b.capacity(), class, "get({want})");
        assert!(b.is_empty());
    }
}

#[test]
fn returned_buffers_are_cleared_and_reused() {
    let pool = BufferPool::builder().build().unwrap();
    let mut b = pool.get(100);
    b.extend_from_slice(b"secret");
    let addr = b.as_ptr() as usize;
    drop(b);
    let b = pool.get(200);
    assert!(b.is_empty(), "cleared on return");
    assert_eq!(b.as_ptr() as usize, addr, "same buffer reused");
    let s = pool.stats();
    assert_eq!((s.allocations, s.reuses, s.returns), (1, 1, 1));
}

#[test]
fn freeze_is_zero_copy_and_leaves_the_pool() {
    let pool = BufferPool::builder().build().unwrap();
    let mut b = pool.get(64);
    b.extend_from_slice(b"payload");
    let addr = b.as_ptr() as usize;
    let bytes = b.freeze();
    assert_eq!(bytes.as_ptr() as usize, addr, "no copy");
    assert_eq!(&bytes[..], b"payload");
    let s = pool.stats();
    assert_eq!((s.frozen, s.returns, s.idle_buffers), (1, 0, 0));
    let m = pool.get(64).detach();
    assert_eq!(m.capacity(), 512);
    assert_eq!(pool.stats().frozen, 2);
}

#[test]
fn oversize_requests_are_plain_allocations() {
    let pool = BufferPool::builder()
        .min_size(64)
        .max_size(1024)
        .build()
        .unwrap();
    let b = pool.get(5000);
    assert!(b.capacity() >= 5000);
    drop(b);
    let s = pool.stats();
    assert_eq!((s.oversize, s.discards, s.idle_buffers), (1, 1, 0));
}

#[test]
fn idle_bytes_stay_under_the_budget() {
    let pool = BufferPool::builder()
        .min_size(1024)
        .max_size(1 << 16)
        .max_idle_bytes(10_000)
        .build()
        .unwrap();
    let held: Vec<_> = (0..20).map(|i| pool.get(1024 << (i % 4))).collect();
    drop(held);
    let s = pool.stats();
    assert!(s.idle_bytes <= 10_000, "{s:?}");
    assert!(s.discards > 0);
    assert_eq!(s.returns + s.discards, 20);
    assert_eq!(s.idle_bytes, {
        // Recount from what can be taken back out.
        let mut total = 0;
        let mut again = Vec::new();
        for class in [1024usize, 2048, 4096, 8192] {
            loop {
                let before = pool.stats().reuses;
                let b = pool.get(class);
                let reused = pool.stats().reuses > before;
                if reused {
                    total += b.capacity();
                    again.push(b.detach());
                } else {
                    let _ = b.detach();
                    break;
                }
            }
        }
        total
    });
}

#[test]
fn grown_or_split_buffers_are_filed_by_their_capacity() {
    let pool = BufferPool::builder()
        .min_size(512)
        .max_size(8192)
        .build()
        .unwrap();
    let mut b = pool.get(512);
    b.reserve(3000); // reallocates past its class
    let cap = b.capacity();
    drop(b);
    let s = pool.stats();
    if cap <= 8192 {
        assert_eq!(s.returns, 1);
        assert!(pool.get(cap.next_power_of_two() / 2).capacity() >= cap.next_power_of_two() / 2);
    } else {
        assert_eq!(s.discards, 1);
    }
    let mut b = pool.get(1024);
    b.extend_from_slice(&[1u8; 1024]);
    let tail = b.split_off(900); // `b` keeps less than its class
    drop(tail);
    drop(b);
    assert!(pool.stats().idle_bytes <= 64 << 20);
}

#[test]
fn shared_between_threads() {
    let pool = BufferPool::builder().build().unwrap();
    let rounds = crate::scaled(1_000, 8);
    std::thread::scope(|s| {
        for t in 0..crate::scaled(4, 2) {
            let pool = &pool;
            s.spawn(move || {
                for i in 0..rounds {
                    let mut b = pool.get(512 << (i % 3));
                    assert!(b.is_empty());
                    b.extend_from_slice(&[t as u8; 100]);
                    if i % 10 == 0 {
                        let f = b.freeze();
                        assert!(f.iter().all(|&x| x == t as u8));
                    }
                }
            });
        }
    });
    let s = pool.stats();
    let gets = (crate::scaled(4, 2) * rounds) as u64;
    assert_eq!(s.reuses + s.allocations, gets);
    assert_eq!(s.returns + s.discards + s.frozen, gets);
}
