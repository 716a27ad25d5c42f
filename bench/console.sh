#!/usr/bin/env bash
# The console against the speed targets of #29: a folder of 100,000
# entries in a snapshot of 1,000,000 files, pages with 10,000 snapshots,
# page weight, and a 1 GiB download against drydock dump (see
# bench/consolebench for what is measured and how).
#
#   bash bench/console.sh [WORKDIR]      # CONSOLE_RUNS (default 5) starts
#   CONSOLE_PAGES=overview,hosts bash bench/console.sh   # only those pages
#
# The repository is made once in WORKDIR/repo (about 2 GB, 2 minutes) and
# kept for later runs.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-/tmp/drydock-console-bench}"
export PATH="/usr/local/go/bin:$PATH" RESTIC_PASSWORD="${RESTIC_PASSWORD:-bench-password}"
mkdir -p "$work"
(cd "$here" && go build -trimpath -o "$work/drydock" ./cmd/drydock && go build -trimpath -o "$work/consolebench" ./bench/consolebench)
"$work/consolebench" make -dir "$work"
"$work/consolebench" measure -dir "$work" -drydock "$work/drydock" -runs "${CONSOLE_RUNS:-5}" ${CONSOLE_PAGES:+-pages "$CONSOLE_PAGES"}
