#!/usr/bin/env bash
# Installs what drydock's tests need on Debian: stock restic (the compatibility
# oracle). Idempotent: installs only what is missing.
set -euo pipefail

need=()
command -v restic >/dev/null || need+=(restic)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
restic version
go version
