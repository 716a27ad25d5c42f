#!/usr/bin/env bash
# CPU time of a first backup against SHA-256 over the same bytes, and
# where it goes (docs/performance.md).
#
#   bash bench/cpu.sh [WORKDIR]      # BENCH_SCALE=0.25 (default): ~500 MB
#
# Env: CPU_RUNS (default 3) backups per core count; CPU_CORES (default
# "1 2") the GOMAXPROCS values. Prints user+sys of each backup and of
# bench/sha256walk over the same files (one core), their ratio, and the
# shares of bench/profshare.py over the merged CPU profiles. Page caches
# are not dropped: this measures CPU, not the disk.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d /tmp/drydock-cpu.XXXXXX)}"
runs="${CPU_RUNS:-3}"
cores="${CPU_CORES:-1 2}"
export BENCH_SCALE="${BENCH_SCALE:-0.25}"
[ -x /usr/bin/time ] || { echo "GNU time is needed: apt-get install time" >&2; exit 1; }
BENCH_DATA_ONLY=1 bash "$here/bench/backup.sh" "$work" >&2
(cd "$here" && go build -trimpath -o "$work/drydock" ./cmd/drydock && go build -o "$work/sha256walk" ./bench/sha256walk)
data="$work/data"
export RESTIC_PASSWORD=bench-password

cpu() { # cpu FILE: user+sys from GNU time's "%U %S"
  awk '{printf "%.2f", $1+$2}' "$1"
}
sha=()
for i in $(seq 1 "$runs"); do
  GOMAXPROCS=1 /usr/bin/time -f "%U %S" -o "$work/time.out" "$work/sha256walk" "$data" > /dev/null
  sha+=("$(cpu "$work/time.out")")
done
echo "sha256walk, 1 core: ${sha[*]} s (user+sys)"
best_sha=$(printf '%s\n' "${sha[@]}" | sort -n | head -1)
for c in $cores; do
  profs=()
  times=()
  for i in $(seq 1 "$runs"); do
    export RESTIC_REPOSITORY="$work/repo-cpu"
    rm -rf "$RESTIC_REPOSITORY"
    "$work/drydock" init > /dev/null
    DRYDOCK_CPUPROFILE="$work/cpu-$c-$i.prof" GOMAXPROCS=$c /usr/bin/time -f "%U %S" -o "$work/time.out" \
      "$work/drydock" backup "$data" > "$work/backup-$c-$i.log" 2>&1
    times+=("$(cpu "$work/time.out")")
    profs+=("$work/cpu-$c-$i.prof")
  done
  best=$(printf '%s\n' "${times[@]}" | sort -n | head -1)
  echo "drydock first backup, GOMAXPROCS=$c: ${times[*]} s (user+sys); best/best sha256walk = $(awk -v a="$best" -v b="$best_sha" 'BEGIN{printf "%.1f", a/b}')x"
  go tool pprof -proto "${profs[@]}" > "$work/cpu-$c.prof" 2>/dev/null
  python3 "$here/bench/profshare.py" "$work/drydock" "$work/cpu-$c.prof"
done
