//! Integration tests for `perfkit::metrics`.

mod callbacks;
mod counter;
mod facade;
mod histogram;
mod process;
mod prometheus;
mod registry;
mod rolling;
