#!/usr/bin/env bash
# Makes sure the external tools the full test suite talks to are installed.
# As root it installs what is missing with apt-get; otherwise it stops at once and prints
# the exact command to run. Module issues add their tools to NEEDED below.
set -euo pipefail

# command-on-PATH:debian-package
NEEDED=(
  "promtool:prometheus"        # validates render_prometheus() output
)

# Debian installs PostgreSQL's server binaries off PATH (/usr/lib/postgresql/<version>/bin);
# the test harness looks there too.
have_postgres() {
  command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

missing_pkgs=()
for entry in "${NEEDED[@]}"; do
  cmd=${entry%%:*}
  pkg=${entry#*:}
  command -v "$cmd" >/dev/null 2>&1 || missing_pkgs+=("$pkg")
done
# The pg tests start throwaway servers (initdb, pg_ctl, postgres; psql to create a role).
have_postgres || missing_pkgs+=("postgresql")
command -v psql >/dev/null 2>&1 || missing_pkgs+=("postgresql-client")

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
have_postgres || { echo "error: PostgreSQL still missing after install" >&2; exit 1; }
