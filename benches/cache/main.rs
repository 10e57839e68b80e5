//! Cache memory tier benches: `hit_ratio` (a printed table, run only when its name is in
//! the filter: `cargo bench --bench cache -- --noplot hit_ratio`), and criterion groups
//! `get_hit` (1 and 2 threads) and `insert`, perfkit beside quick_cache, moka and dashmap.

mod hit_ratio;
mod latency;
mod replay;
mod traces;

use criterion::Criterion;

fn main() {
    let asked_for_table = std::env::args().skip(1).any(|a| a.contains("hit_ratio"));
    if asked_for_table {
        hit_ratio::run();
    }
    let mut c = Criterion::default().configure_from_args();
    latency::benches(&mut c);
    c.final_summary();
}
