//! perfkit::mem in a request loop: an I/O block per connection, a pooled request object, a
//! response buffer that leaves as `Bytes`, and a scratch arena per request.
//!
//! `cargo run --release --example mem --no-default-features --features mem`

use std::thread;

use perfkit::mem::{ArenaPool, BlockPool, BufferPool, MemError, ObjectPool};

#[derive(Default)]
struct Request {
    path: String,
    headers: Vec<(String, String)>,
}

fn main() -> Result<(), MemError> {
    let blocks = BlockPool::builder()
        .block_size(16 * 1024)
        .blocks(64)
        .align(4096)
        .grow(64, 1024)
        .build()?;
    let requests = ObjectPool::new(64, Request::default).with_reset(|r: &mut Request| {
        r.path.clear();
        r.headers.clear();
    });
    let buffers = BufferPool::builder().max_idle_bytes(8 << 20).build()?;
    let arenas = ArenaPool::builder().retain_bytes(256 * 1024).build()?;

    let served: usize = thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|w| {
                let (blocks, requests, buffers, arenas) = (&blocks, &requests, &buffers, &arenas);
                s.spawn(move || {
                    let mut frames = Vec::new();
                    for i in 0..10_000 {
                        // The socket read lands in an aligned block (e.g. for O_DIRECT).
                        let Some(mut io) = blocks.alloc() else {
                            continue;
                        };
                        let line = format!("GET /item/{i} HTTP/1.1 worker={w}");
                        io[..line.len()].copy_from_slice(line.as_bytes());

                        let mut req = requests.get();
                        req.path.push_str(&line[4..line.len() - 18]);
                        req.headers.push(("worker".into(), w.to_string()));

                        // Scratch work for this request only.
                        let scratch = arenas.get();
                        let path = scratch.alloc_str(&req.path);
                        let id = path.rsplit('/').next().unwrap_or("");

                        let mut out = buffers.get(256);
                        out.extend_from_slice(b"200 ");
                        out.extend_from_slice(id.as_bytes());
                        frames.push(out.freeze()); // handed to the writer, no copy
                    }
                    frames.len()
                })
            })
            .collect();
        workers.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });

    println!("served {served} requests");
    println!("blocks:   {:?}", blocks.stats());
    println!("requests: {:?}", requests.stats());
    println!("buffers:  {:?}", buffers.stats());
    println!("arenas:   {:?}", arenas.stats());
    Ok(())
}
