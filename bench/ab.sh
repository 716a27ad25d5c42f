#!/usr/bin/env bash
# Before/after of one drydock change on one step: an earlier binary and
# this tree's, in alternating runs on the same repository and dataset
# (bench/backup.sh's), so that load from other work hits both alike.
#
#   AB_BASE=/path/to/earlier/drydock bash bench/ab.sh STEP [WORKDIR]
#
# AB_NEW=BIN compares with that binary instead of this tree's.
# STEP: check (check --read-data), restore (restore latest into a new
# directory), backup (a first backup into a new repository). Env: AB_RUNS
# (default 5) runs per binary, AB_DROP (default 1) drops the page cache
# before every run (0: warm cache, the CPU-bound case), BENCH_SCALE as for
# bench/backup.sh. Prints every run, then the median wall and CPU time
# (user + system) per binary and the ratio of medians (base / new).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
step="${1:?usage: AB_BASE=BIN bash bench/ab.sh check|restore|backup [WORKDIR]}"
work="${2:-$(mktemp -d /tmp/drydock-ab.XXXXXX)}"
base="${AB_BASE:?AB_BASE=path to the earlier drydock binary}"
runs="${AB_RUNS:-5}"; drop="${AB_DROP:-1}"
[ -x /usr/bin/time ] || { echo "GNU time is needed: apt-get install time" >&2; exit 1; }
export PATH="/usr/local/go/bin:$PATH"
BENCH_DATA_ONLY=1 bash "$here/bench/backup.sh" "$work" # builds $work/drydock and $work/data
new="${AB_NEW:-$work/drydock}"
export RESTIC_PASSWORD=bench-password
repo="$work/ab-repo"
if [ ! -e "$repo/.done" ]; then
  rm -rf "$repo"
  "$base" -r "$repo" init > /dev/null
  "$base" -r "$repo" backup "$work/data" > /dev/null
  touch "$repo/.done"
fi
results="$work/ab-$step.tsv"; : > "$results"

# one BIN NAME: one timed run of the step.
one() {
  local bin=$1 name=$2 args
  case $step in
    check) args=(-r "$repo" check --read-data) ;;
    restore) rm -rf "$work/ab-restore"; args=(-r "$repo" restore latest --target "$work/ab-restore") ;;
    backup) rm -rf "$work/ab-backup"; "$bin" -r "$work/ab-backup" init > /dev/null; args=(-r "$work/ab-backup" backup "$work/data") ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
  sync
  [ "$drop" = 1 ] && { echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }
  /usr/bin/time -f "%e %U %S %M" -o "$work/ab-time.out" "$bin" "${args[@]}" > "$work/ab-$name.log" 2>&1 || {
    echo "$name $step failed:" >&2; tail -20 "$work/ab-$name.log" >&2; exit 1; }
  read -r wall user sys rss < "$work/ab-time.out"
  printf '%s\t%s\t%s\t%s\n' "$name" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')" "$rss" | tee -a "$results" >&2
}

for _ in $(seq "$runs"); do
  one "$base" base
  one "$new" new
done
[ "$step" = restore ] && rm -rf "$work/ab-restore"
python3 - "$results" "$step" <<'PY'
import sys, statistics, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, wall, cpu, rss = line.split("\t")
    runs[name].append((float(wall), float(cpu), int(rss)))
med = {n: [statistics.median(v[i] for v in r) for i in range(3)] for n, r in runs.items()}
for n in ("base", "new"):
    w, c, m = med[n]
    print("%-8s %-5s wall %6.2f s [%s]  cpu %6.2f s  rss %4.0f MB" % (sys.argv[2], n, w,
          " ".join("%.2f" % v[0] for v in runs[n]), c, m / 1024))
print("%-8s base/new wall %.2fx cpu %.2fx" % (sys.argv[2], med["base"][0] / med["new"][0], med["base"][1] / med["new"][1]))
PY
