//! `register_metrics`: figures appear as series, and vanish with the pool.

use perfkit::mem::{ArenaPool, BlockPool, BufferPool, ObjectPool};
use perfkit::metrics::Registry;

fn has(text: &str, line: &str) -> bool {
    text.lines().any(|l| l == line)
}

#[test]
fn block_pool_series_follow_the_pool() {
    let registry = Registry::new();
    let pool = BlockPool::builder()
        .block_size(64)
        .blocks(4)
        .build()
        .unwrap();
    pool.register_metrics(&registry, "io_blocks").unwrap();
    let held = pool.alloc().unwrap();
    let text = registry.render_prometheus();
    for line in [
        "io_blocks_capacity 4",
        "io_blocks_in_use 1",
        "io_blocks_exhausted_total 0",
    ] {
        assert!(has(&text, line), "missing {line:?} in\n{text}");
    }
    // The series do not keep the pool alive; a block does, until it goes.
    drop(pool);
    drop(held);
    assert!(!registry.render_prometheus().contains("io_blocks_"));
}

#[test]
fn bad_prefix_is_an_error() {
    let registry = Registry::new();
    let pool = BlockPool::builder()
        .block_size(64)
        .blocks(4)
        .build()
        .unwrap();
    assert!(pool.register_metrics(&registry, "not a name").is_err());
}

#[test]
fn object_buffer_and_arena_pools_export_their_counts() {
    let registry = Registry::new();
    let objects = ObjectPool::new(4, Vec::<u8>::new);
    let buffers = BufferPool::builder().build().unwrap();
    let arenas = ArenaPool::builder().build().unwrap();
    objects.register_metrics(&registry, "req").unwrap();
    buffers.register_metrics(&registry, "buf").unwrap();
    arenas.register_metrics(&registry, "arena").unwrap();
    objects.prewarm(2);
    drop(objects.get());
    drop(buffers.get(100));
    let _ = buffers.get(100).freeze();
    drop(arenas.get());
    let text = registry.render_prometheus();
    for line in [
        "req_gets_total{result=\"reuse\"} 1",
        "req_gets_total{result=\"create\"} 2",
        "req_returns_total{outcome=\"kept\"} 1",
        "req_idle 2",
        "buf_gets_total{result=\"allocate\"} 1",
        "buf_gets_total{result=\"reuse\"} 1",
        "buf_returns_total{outcome=\"frozen\"} 1",
        "buf_idle_buffers 0",
        "buf_idle_bytes 0",
        "arena_gets_total{result=\"create\"} 1",
        "arena_idle 1",
    ] {
        assert!(has(&text, line), "missing {line:?} in\n{text}");
    }
    drop((objects, buffers, arenas));
    let text = registry.render_prometheus();
    assert!(!text.contains("req_") && !text.contains("buf_") && !text.contains("arena_"));
}
