#!/usr/bin/env bash
# Formatting, clippy on every target with every feature, and docs without warnings.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy --all-targets --all-features"
cargo clippy --all-targets --all-features -- -D warnings
echo "==> cargo doc --all-features --no-deps"
RUSTDOCFLAGS="-D warnings" cargo doc --all-features --no-deps
