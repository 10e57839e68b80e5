#!/usr/bin/env bash
# mem: Miri over the mem tests (the unsafe core under a UB checker) and loom over the
# lock-free free list (every interleaving of a small model). Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"

if ! cargo +nightly miri --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
  rustup +nightly component add miri rust-src
fi

echo "--- miri: mem tests"
# Isolation off only for the clock proptest reads; tests shrink themselves under cfg(miri).
MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-disable-isolation" \
  cargo +nightly miri test --no-default-features --features mem --test mem

echo "--- loom: lock-free core"
# Its own target dir: the cfg changes every crate's fingerprint. A debug build: the
# dev-dependencies compile much faster than in release, and the models are small.
RUSTFLAGS="--cfg perfkit_loom" CARGO_TARGET_DIR=target/loom \
  cargo test --no-default-features --features mem --lib loom
