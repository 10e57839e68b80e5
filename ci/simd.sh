#!/usr/bin/env bash
# perfkit::simd beyond the host's own backends: the NEON backend, cross-compiled for aarch64
# and run under qemu-user, and Miri over the scalar, SSE2, AVX2+FMA and AVX-512F paths (Miri
# emulates those x86 intrinsics, AVX-512 compares aside, when the target features are enabled
# at compile time).
# Installs what it needs when run as root; idempotent and quick once installed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"
start=$(date +%s)

missing=()
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || missing+=(gcc-aarch64-linux-gnu)
[ -e /usr/aarch64-linux-gnu/lib/libc.so.6 ] || missing+=(libc6-dev-arm64-cross)
command -v qemu-aarch64 >/dev/null 2>&1 || missing+=(qemu-user)
bash ci/apt-install.sh ci/simd.sh ${missing[@]+"${missing[@]}"}
rustup target list --installed | grep -qx aarch64-unknown-linux-gnu \
  || rustup target add aarch64-unknown-linux-gnu
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
rustup +nightly component list --installed | grep -q '^miri' \
  || rustup +nightly component add miri rust-src

# Both runs go through ci/simd-check, a harness crate whose one test target is tests/simd,
# compiled against perfkit with only `simd` on: the same tests as
# `cargo test --test simd --no-default-features --features simd`, without cross-compiling
# (and Miri-compiling) the main crate's bench and test peers.
harness=ci/simd-check/Cargo.toml

echo "==> simd: NEON backend under qemu-aarch64 ($(( $(date +%s) - start )) s in)"
CARGO_TARGET_DIR=target/simd-check-aarch64 \
CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu" \
  cargo test --manifest-path "$harness" --target aarch64-unknown-linux-gnu --test simd

echo "==> simd: Miri, scalar + SSE2 + AVX2/FMA + AVX-512F paths ($(( $(date +%s) - start )) s in)"
# With avx512f enabled at compile time (it implies avx2 and fma), feature detection under Miri
# reports all of them, so every x86 backend's tests run (on inputs shrunk under cfg(miri)).
# Miri has no AVX-512 compare or min/max, so the AVX-512 backend skips min/max/argmin/argmax
# there (tests/simd/support.rs, `runs_compares`); ci/simd-avx512.sh runs them on an emulated
# AVX-512 CPU, and hosts with AVX-512 run them natively. Only the
# tests that drive the kernels' loads and stores through every loop shape (oracle sweeps with
# guarded outputs, the deterministic layout, error paths): the IEEE-value tests add no new
# memory accesses and would double the time.
RUSTFLAGS="-C target-feature=+avx512f" CARGO_TARGET_DIR=target/simd-check-miri \
  cargo +nightly miri test --manifest-path "$harness" --test simd \
    -- oracle:: deterministic:: errors::

echo "==> simd CI done in $(( $(date +%s) - start )) s"
