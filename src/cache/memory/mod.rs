//! The in-memory tier (L1).
