//! Integration tests of `perfkit::baseline` (feature `baseline`).

mod alert;
mod criterion;
mod documented;
mod growth;
mod history;
mod regression;
mod report;
mod verdict;
