//! The disk tier (L2).

mod error;

pub use error::DiskError;
