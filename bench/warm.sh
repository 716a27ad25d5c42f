#!/usr/bin/env bash
# No-change backup: restic's CLI, drydock's CLI (each also with
# --skip-if-unchanged), drydock warm in one process (key, index and parent
# trees kept between runs), and the drydock daemon's own scheduled runs (as
# /status and /metrics report them; also with skip_if_unchanged), on the
# same dataset, each tool in its own local repository.
#
#   RESTIC_BIN=/path/to/restic-0.19.1 bash bench/warm.sh [WORKDIR]
#
# Env: WARM_FILES (default 20000) files of WARM_FILE_KB (default 30) KiB of
# random data (~600 MB); WARM_RUNS (default 7) timed runs per variant.
# Prints every run, then median, min and max per variant and the ratio of
# medians. Other work on the machine shows up as spread: read the min/max.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d /tmp/drydock-warm.XXXXXX)}"
nfiles="${WARM_FILES:-20000}"; kb="${WARM_FILE_KB:-30}"; runs="${WARM_RUNS:-7}"
restic_bin="${RESTIC_BIN:-restic}"
command -v "$restic_bin" >/dev/null || { echo "restic not found (RESTIC_BIN=PATH, see bench/build-restic.sh)" >&2; exit 1; }
"$restic_bin" version >&2
mkdir -p "$work"
(cd "$here" && go build -trimpath -o "$work/drydock" ./cmd/drydock && go build -trimpath -o "$work/warmbackup" ./bench/warmbackup)

data="$work/data"
if [ ! -e "$work/data.done" ]; then
  echo "generating $nfiles files of $kb KiB in $data" >&2
  rm -rf "$data"
  python3 - "$data" "$nfiles" "$kb" <<'PY'
import os, sys, random
d, n, kb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(11)
for i in range(n):
    sub = os.path.join(d, "d%03d" % (i // 200))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "f%05d" % i), "wb") as f:
        f.write(r.randbytes(kb * 1024))
PY
  touch "$work/data.done"
fi

export RESTIC_PASSWORD=bench-password RESTIC_CACHE_DIR="$work/restic-cache"
results="$work/results.tsv"; : > "$results"
now_ms() { date +%s%3N; }

for tool in restic drydock; do
  export RESTIC_REPOSITORY="$work/repo-$tool"
  bin="$restic_bin"; [ "$tool" = drydock ] && bin="$work/drydock"
  if [ ! -e "$RESTIC_REPOSITORY/config" ]; then
    "$bin" init > /dev/null
    echo "$tool: first backup" >&2
    "$bin" backup "$data" > "$work/$tool-first.log" 2>&1
  fi
  "$bin" backup "$data" > /dev/null 2>&1 # settle atimes and caches
  for i in $(seq "$runs"); do
    t0=$(now_ms); "$bin" backup "$data" > "$work/$tool-nochange.log" 2>&1; t1=$(now_ms)
    printf '%s-cli\t%d\n' "$tool" $((t1 - t0)) | tee -a "$results" >&2
  done
  for i in $(seq "$runs"); do
    t0=$(now_ms); "$bin" backup --skip-if-unchanged "$data" > "$work/$tool-skip.log" 2>&1; t1=$(now_ms)
    printf '%s-cli-skip\t%d\n' "$tool" $((t1 - t0)) | tee -a "$results" >&2
  done
done

# The warm variant backs up into drydock's repository: its first run is
# cold (open, scrypt, index), the next ones refresh the open Repository.
export RESTIC_REPOSITORY="$work/repo-drydock"
"$work/warmbackup" -repo "$RESTIC_REPOSITORY" -runs "$runs" "$data" | tee "$work/warm.tsv" >&2
awk -F'\t' 'NR>1 {print "drydock-" $1 "-inproc\t" int($2+0.5)}' "$work/warm.tsv" >> "$results"

# The daemon itself: a paths job every 5 s into drydock's repository; the
# durations are those /status reports for each scheduled run (the same
# figure as drydock_job_last_duration_seconds). Its first run is cold.
# Twice: writing a snapshot every run, and with skip_if_unchanged (no
# snapshot when nothing changed, as restic's --skip-if-unchanged, which
# restic's CLI is also timed with above).
printf '%s\n' "$RESTIC_PASSWORD" > "$work/pw"
daemon_runs() { # LABEL EXTRA_JOB_KEY
  local label=$1 extra=$2 port daemon_pid
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat > "$work/daemon.yaml" <<YAML
state_dir: $work/state
listen: 127.0.0.1:$port
repositories:
  r: {location: $work/repo-drydock, password_file: $work/pw}
jobs:
  nochange: {repository: r, schedule: "*/5 * * * * *", paths: [$data]$extra}
YAML
  "$work/drydock" daemon --config "$work/daemon.yaml" 2> "$work/daemon-$label.log" &
  daemon_pid=$!
  python3 - "$port" "$runs" "$label" >> "$results" <<'PY'
import json, sys, time, urllib.request
port, runs, label = sys.argv[1], int(sys.argv[2]), sys.argv[3]
seen, deadline = [], time.time() + 10 * (runs + 3)
while len(seen) < runs + 1 and time.time() < deadline:
    time.sleep(0.2)
    try:
        st = json.load(urllib.request.urlopen("http://127.0.0.1:%s/status" % port))
    except OSError:
        continue
    r = next((j.get("last_run") for j in st["jobs"] if j["kind"] == "backup"), None)
    if r and r["result"] == "success" and r["start"] not in [s for s, _ in seen]:
        seen.append((r["start"], r["duration_seconds"]))
        print("%s run %d: %.0f ms %s" % (label, len(seen), r["duration_seconds"] * 1000,
              "unchanged" if r.get("unchanged_since") else "snapshot"), file=sys.stderr)
for _, d in seen[1:]:  # the first run opened the repository: cold
    print("%s\t%d" % (label, round(d * 1000)))
PY
  kill -TERM "$daemon_pid"; wait "$daemon_pid" || true
}
daemon_runs drydock-daemon-warm ""
daemon_runs drydock-daemon-skip ", skip_if_unchanged: true"

python3 - "$results" <<'PY'
import sys, statistics, collections
runs = collections.OrderedDict()
for line in open(sys.argv[1]):
    k, v = line.split("\t"); runs.setdefault(k, []).append(int(v))
print("%-24s %6s %10s %8s %8s" % ("variant", "runs", "median_ms", "min_ms", "max_ms"))
med = {}
for k, v in runs.items():
    med[k] = statistics.median(v)
    print("%-24s %6d %10.0f %8d %8d" % (k, len(v), med[k], min(v), max(v)))
for warm in ("drydock-warm-inproc", "drydock-daemon-warm", "drydock-daemon-skip"):
    w = med.get(warm)
    for k in ("restic-cli", "restic-cli-skip", "drydock-cli"):
        if w and k in med:
            print("%s / %s: %.1fx" % (k, warm, med[k] / w))
PY
