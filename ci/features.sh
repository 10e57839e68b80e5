#!/usr/bin/env bash
# Every feature must build, and lint clean, on its own.
set -euo pipefail
cd "$(dirname "$0")/.."

# The features declared in Cargo.toml, less the umbrellas.
features=$(sed -n '/^\[features\]/,/^\[/p' Cargo.toml \
  | grep -oE '^[a-z][a-z0-9_-]* *=' | tr -d ' =' | grep -vxE 'default|full')

for f in $features; do
  echo "==> feature $f alone"
  cargo build --no-default-features --features "$f"
  cargo clippy --no-default-features --features "$f" --all-targets -- -D warnings
done
echo "==> no features at all"
cargo build --no-default-features
