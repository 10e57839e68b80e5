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

bash "$(dirname "$0")/apt-install.sh" "the full test suite" "${missing_pkgs[@]}"
for entry in "${NEEDED[@]}"; do
  cmd=${entry%%:*}
  command -v "$cmd" >/dev/null 2>&1 || { echo "error: $cmd still missing after install" >&2; exit 1; }
done
have_postgres || { echo "error: PostgreSQL still missing after install" >&2; exit 1; }
