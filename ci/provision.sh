#!/usr/bin/env bash
# Makes sure the external tools the full test suite talks to are installed.
# As root it installs what is missing with apt-get; otherwise it stops at once and prints
# the exact command to run. Module issues add their tools to NEEDED below.
set -euo pipefail

# command-on-PATH:debian-package
NEEDED=(
  "promtool:prometheus"        # validates render_prometheus() output
)

missing_pkgs=()
for entry in "${NEEDED[@]}"; do
  cmd=${entry%%:*}
  pkg=${entry#*:}
  command -v "$cmd" >/dev/null 2>&1 || missing_pkgs+=("$pkg")
done

if [ ${#missing_pkgs[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "error: the full test suite needs: ${missing_pkgs[*]}" >&2
  echo "install them with:  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing_pkgs[*]}" >&2
  exit 1
fi

echo "==> installing ${missing_pkgs[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Recommended packages would drag in exporters and services the tests do not use.
apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/dev/null
for entry in "${NEEDED[@]}"; do
  cmd=${entry%%:*}
  command -v "$cmd" >/dev/null 2>&1 || { echo "error: $cmd still missing after install" >&2; exit 1; }
done
