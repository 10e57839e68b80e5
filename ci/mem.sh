#!/usr/bin/env bash
# mem: Miri over the mem tests (the unsafe core under a UB checker) and loom over the
# lock-free core: the shared free list, and the per-thread caches' busy flag and close
# protocol (every interleaving of small models). Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"

if ! cargo +nightly miri --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
  rustup +nightly component add miri rust-src
fi

# Both runs go through ci/mem-check, a harness crate that builds tests/mem and the loom
# models against perfkit with only `mem` on and proptest as its one dev-dependency: the
# same tests as `cargo +nightly miri test --no-default-features --features mem --test mem`
# without compiling criterion, tokio and the other peers under Miri.
harness=ci/mem-check/Cargo.toml

echo "--- miri: mem tests"
# Isolation off for proptest's failure persistence; tests shrink themselves under cfg(miri).
MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-disable-isolation" CARGO_TARGET_DIR=target/mem-check \
  cargo +nightly miri test --manifest-path "$harness" --test mem

echo "--- loom: lock-free core (free list; magazine flag and close protocol)"
# Its own target dir: the cfg changes every crate's fingerprint. The same models also run
# in the crate itself: RUSTFLAGS="--cfg perfkit_loom" cargo test --features mem --lib loom
RUSTFLAGS="--cfg perfkit_loom" CARGO_TARGET_DIR=target/loom \
  cargo test --manifest-path "$harness" --lib
