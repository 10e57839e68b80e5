#!/usr/bin/env bash
# The whole test suite, every feature on, with the external tools it needs.
# This is the test command in README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/provision.sh
# Tests that can skip when a tool is absent must not skip here.
export PERFKIT_REQUIRE_TOOLS=1
cargo test --all-features "$@"
