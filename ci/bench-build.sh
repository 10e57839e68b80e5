#!/usr/bin/env bash
# Benches must compile; running them is a separate, deliberate act (see docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --no-run --all-features
