//! Integration tests of the cache's memory tier (`perfkit::cache::memory`).

mod capacity;
mod config;
mod expiry;
mod listener;
mod metrics;
mod model;
mod stress;
