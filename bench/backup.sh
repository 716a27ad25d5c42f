#!/usr/bin/env bash
# Backup benchmark: drydock against Debian's restic on the same dataset, in
# the same run, on a local repository each.
#
#   bash bench/backup.sh [WORKDIR]       # default: a new dir under /tmp
#
# Env: BENCH_SCALE (default 1.0) scales the dataset (1.0 = ~2 GB: one 1 GiB
# random file, 20,000 small random files, compressible text, a source tree);
# BENCH_DATA_ONLY=1 builds drydock and the dataset and stops (bench/memory.sh
# uses that).
# Prints wall time, CPU time and peak RSS per step for both tools and the
# ratio restic/drydock (higher means drydock is faster); for the MinIO
# steps, also the server's own CPU time during each.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d /tmp/drydock-bench.XXXXXX)}"
scale="${BENCH_SCALE:-1.0}"
# RESTIC_BIN picks the restic to compare with (default: Debian's, on PATH);
# bench/build-restic.sh builds restic 0.19.1 from source for that.
restic_bin="${RESTIC_BIN:-restic}"
command -v "$restic_bin" >/dev/null || { echo "restic is not installed (apt-get install restic, or RESTIC_BIN=PATH)" >&2; exit 1; }
"$restic_bin" version >&2
[ -x /usr/bin/time ] || { echo "GNU time is needed: apt-get install time" >&2; exit 1; }

mkdir -p "$work"
data="$work/data"
echo "building drydock" >&2
(cd "$here" && go build -trimpath -o "$work/drydock" ./cmd/drydock)

# Deterministic dataset.
if [ ! -e "$data/.done" ]; then
  echo "generating dataset in $data (scale $scale)" >&2
  rm -rf "$data" && mkdir -p "$data/small" "$data/text" "$data/src"
  big=$(awk -v s="$scale" 'BEGIN{printf "%d", 1024*s}')
  head -c "${big}M" /dev/urandom > "$data/big.bin"
  nsmall=$(awk -v s="$scale" 'BEGIN{printf "%d", 20000*s}')
  python3 - "$data/small" "$nsmall" <<'PY'
import os, sys, random
d, n = sys.argv[1], int(sys.argv[2])
r = random.Random(7)
for i in range(n):
    sub = os.path.join(d, "%03d" % (i % 200))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "f%05d" % i), "wb") as f:
        f.write(os.urandom(r.randint(100, 40000)))
PY
  for i in $(seq 1 "$(awk -v s="$scale" 'BEGIN{printf "%d", 40*s}')"); do
    seq 1 400000 | sed "s/^/line $i of compressible text: /" > "$data/text/t$i.txt"
  done
  cp -a /usr/local/go/src/net "$data/src/" 2>/dev/null || cp -a /usr/share/doc "$data/src/"
  touch "$data/.done"
fi
du -sh "$data" >&2
[ "${BENCH_DATA_ONLY:-}" = 1 ] && exit 0

export RESTIC_PASSWORD=bench-password
export RESTIC_CACHE_DIR="$work/restic-cache"
results="$work/results.tsv"
: > "$results"

# measure TOOL STEP CMD... : runs CMD under GNU time and records wall, CPU
# (user+sys) and peak RSS.
measure() {
  local tool=$1 step=$2; shift 2
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.out" "$@" > "$work/$tool-$step.log" 2>&1 || {
    echo "$tool $step failed:" >&2; tail -20 "$work/$tool-$step.log" >&2; exit 1; }
  read -r wall user sys rss < "$work/time.out"
  printf '%s\t%s\t%s\t%s\t%s\n' "$tool" "$step" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')" "$rss" >> "$results"
  echo "$tool $step: ${wall}s wall" >&2
}

change_one_percent() {
  python3 - "$data" <<'PY'
import os, sys, random
d = sys.argv[1]; r = random.Random(1)
files = sorted(os.path.join(p, f) for p, _, fs in os.walk(os.path.join(d, "small")) for f in fs)
for f in r.sample(files, len(files) // 100):
    with open(f, "ab") as h: h.write(os.urandom(100))
with open(os.path.join(d, "big.bin"), "r+b") as h:
    for _ in range(10):
        h.seek(r.randrange(os.path.getsize(os.path.join(d, "big.bin")))); h.write(os.urandom(1 << 20))
PY
}

for tool in restic drydock; do
  repo="$work/repo-$tool"; rm -rf "$repo" "$work/restore-$tool"
  bin="$restic_bin"; [ "$tool" = drydock ] && bin="$work/drydock"
  export RESTIC_REPOSITORY="$repo"
  "$bin" init > /dev/null
  measure "$tool" first-backup "$bin" backup "$data"
  measure "$tool" nochange-backup "$bin" backup "$data"
done
change_one_percent
for tool in restic drydock; do
  bin="$restic_bin"; [ "$tool" = drydock ] && bin="$work/drydock"
  export RESTIC_REPOSITORY="$work/repo-$tool"
  measure "$tool" changed-backup "$bin" backup "$data"
  measure "$tool" restore "$bin" restore latest --target "$work/restore-$tool"
  measure "$tool" check-read-data "$bin" check --read-data
done

# Each tool opens its own repository with its own key file, and restic
# calibrates scrypt to ~0.5 s at init while drydock writes N=32768,r=8,p=1
# (~0.1 s): part of a no-change backup's difference is that. Here both tools
# back up the unchanged data into restic's repository, through the same key
# file; drydock takes restic's latest snapshot as its parent.
export RESTIC_REPOSITORY="$work/repo-restic"
measure restic nochange-samekey "$restic_bin" backup "$data"
measure drydock nochange-samekey "$work/drydock" backup "$data"
grep -o '"N":[0-9]*,"r":[0-9]*,"p":[0-9]*' "$work"/repo-restic/keys/* | sed 's/^/restic key: /' >&2
grep -o '"N":[0-9]*,"r":[0-9]*,"p":[0-9]*' "$work"/repo-drydock/keys/* | sed 's/^/drydock key: /' >&2

# The same first backup into a local MinIO server, if it is built
# (bash third_party/minio/build.sh), one bucket per tool, and its restore.
minio="$(bash "$here/third_party/minio/build.sh" 2>/dev/null || true)"
if [ -x "$minio" ]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  export MINIO_ROOT_USER=benchuser MINIO_ROOT_PASSWORD=benchpassword MINIO_BROWSER=off
  export AWS_ACCESS_KEY_ID=$MINIO_ROOT_USER AWS_SECRET_ACCESS_KEY=$MINIO_ROOT_PASSWORD
  rm -rf "$work/minio-data"
  "$minio" server --quiet --address "127.0.0.1:$port" "$work/minio-data" > "$work/minio.log" 2>&1 &
  minio_pid=$!
  trap 'kill $minio_pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/minio/health/live" >/dev/null 2>&1 && break; sleep 0.2; done
  # The server shares the cores: its CPU time (user + sys) during each
  # step says how much of the machine the step had.
  minio_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$minio_pid/stat"; }
  measure_s3() {
    local before; before=$(minio_cpu)
    measure "$@"
    echo "MinIO CPU during $1 $2: $(awk -v a="$before" -v b="$(minio_cpu)" 'BEGIN{printf "%.2f", b - a}')s" >&2
  }
  for tool in restic drydock; do
    bin="$restic_bin"; [ "$tool" = drydock ] && bin="$work/drydock"
    export RESTIC_REPOSITORY="s3:http://127.0.0.1:$port/bench-$tool"
    "$bin" init > /dev/null
    measure_s3 "$tool" s3-first-backup "$bin" backup "$data"
    rm -rf "$work/s3-restore-$tool"
    measure_s3 "$tool" s3-restore "$bin" restore latest --target "$work/s3-restore-$tool"
    rm -rf "$work/s3-restore-$tool"
  done
  kill $minio_pid; wait $minio_pid 2>/dev/null || true
else
  echo "MinIO is not built; skipping the S3 case (bash third_party/minio/build.sh)" >&2
fi

echo
printf '%-17s %10s %10s %10s %10s %10s %10s %8s\n' step restic-wall drydock-wall restic-cpu drydock-cpu restic-rss drydock-rss ratio
awk -F'\t' '{w[$1,$2]=$3; c[$1,$2]=$4; m[$1,$2]=$5; if (!($2 in seen)) {seen[$2]=1; order[n++]=$2}}
  END {for (i=0;i<n;i++){s=order[i]; printf "%-17s %9.2fs %9.2fs %9.2fs %9.2fs %8dMB %8dMB %7.2fx\n", s, w["restic",s], w["drydock",s], c["restic",s], c["drydock",s], m["restic",s]/1024, m["drydock",s]/1024, (w["drydock",s]>0 ? w["restic",s]/w["drydock",s] : 0)}}' "$results"
