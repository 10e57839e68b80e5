#!/usr/bin/env bash
# The README's main job must run end to end and write its report. Its verdict is not CI's:
# figures from a shared 2-core machine are noisy, so exit 1 (a Critical finding) is printed,
# not fatal; a crash or bad usage (any other non-zero status) fails.
set -uo pipefail
cd "$(dirname "$0")/.."

out=target/perfcheck-ci
rm -rf "$out"
cargo run --release --example perfcheck -- --out "$out"
status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
  echo "error: perfcheck failed with status $status" >&2
  exit 1
fi
[ "$status" -eq 1 ] && echo "note: perfcheck reported a Critical finding (not fatal in CI)"
for f in report.html latest.json; do
  [ -s "$out/$f" ] || { echo "error: perfcheck did not write $out/$f" >&2; exit 1; }
done
if grep -qiE '<script|https?://' "$out/report.html"; then
  echo "error: report.html is not self-contained" >&2
  exit 1
fi
echo "perfcheck wrote $out/report.html and $out/latest.json"
