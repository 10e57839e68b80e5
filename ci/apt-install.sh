#!/usr/bin/env bash
# apt-install.sh CALLER PACKAGE...: installs Debian packages a CI script found missing.
# As root it runs apt-get; otherwise it stops and prints the command to run, naming CALLER.
set -euo pipefail
caller=$1
shift
[ $# -gt 0 ] || exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "error: $caller needs: $*" >&2
  echo "install them with:  sudo apt-get update && sudo apt-get install -y --no-install-recommends $*" >&2
  exit 1
fi
echo "==> installing $*"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Recommended packages would drag in services and tools the checks do not use.
apt-get install -y -qq --no-install-recommends "$@" >/dev/null
