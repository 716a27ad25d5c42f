#!/usr/bin/env bash
# Memory by core count: peak RSS (and wall time) of drydock and Debian's
# restic for a first backup, check --read-data and restore of the
# backup.sh dataset, with GOMAXPROCS set to each of $BENCH_PROCS (default
# "2 16"). GOMAXPROCS above the machine's cores makes Go size its
# concurrency as on a bigger host, which is what this measures: how memory
# grows with the cores, not speed.
#
#   bash bench/memory.sh [WORKDIR]       # default: a new dir under /tmp
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d /tmp/drydock-mem.XXXXXX)}"
BENCH_DATA_ONLY=1 bash "$here/bench/backup.sh" "$work"
data="$work/data"
export RESTIC_PASSWORD=bench-password RESTIC_CACHE_DIR="$work/restic-cache"

# run TOOL PROCS STEP CMD...: prints one result line.
run() {
  local tool=$1 procs=$2 step=$3; shift 3
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  GOMAXPROCS=$procs /usr/bin/time -f "%e %M" -o "$work/time.out" "$@" > "$work/mem-$tool-$step.log" 2>&1 || {
    echo "$tool $step failed:" >&2; tail -20 "$work/mem-$tool-$step.log" >&2; exit 1; }
  read -r wall rss < "$work/time.out"
  printf '%-8s %5s %-16s %8.2fs %7dMB\n' "$tool" "$procs" "$step" "$wall" $((rss / 1024))
}

printf '%-8s %5s %-16s %9s %9s\n' tool procs step wall peak-rss
for procs in ${BENCH_PROCS:-2 16}; do
  for tool in restic drydock; do
    bin="${RESTIC_BIN:-restic}"; [ "$tool" = drydock ] && bin="$work/drydock"
    export RESTIC_REPOSITORY="$work/mem-repo-$tool"
    rm -rf "$RESTIC_REPOSITORY" "$work/mem-restore-$tool"
    "$bin" init > /dev/null
    run "$tool" "$procs" first-backup "$bin" backup "$data"
    run "$tool" "$procs" check-read-data "$bin" check --read-data
    run "$tool" "$procs" restore "$bin" restore latest --target "$work/mem-restore-$tool"
    rm -rf "$RESTIC_REPOSITORY" "$work/mem-restore-$tool"
  done
done
