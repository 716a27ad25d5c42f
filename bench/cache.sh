#!/usr/bin/env bash
# Commands that read a remote repository's metadata, with the local cache
# warm: restic against drydock, on MinIO and on SFTP (a private sshd on
# 127.0.0.1), each tool with its own cache. Both use one repository that
# restic creates and both fill, through the same key file: restic
# calibrates scrypt to the machine's load at init (N=8192 on a busy day)
# where drydock writes N=32768, and opening the key would otherwise weigh
# more than anything the cache changes.
#
#   RESTIC_BIN=/tmp/restic-v0.19.1/restic bash bench/cache.sh [WORKDIR]
#
# Steps: snapshots, ls latest, find (one name), stats, and a no-change
# backup. Runs alternate restic, drydock, restic, ... so that load from
# other work on the machine hits both alike. Env: CACHE_FILES (default
# 20000) small files, CACHE_SNAPSHOTS (default 10) snapshots, CACHE_RUNS
# (default 5) timed runs per tool and step, CACHE_WHERE (default "s3 sftp")
# the storages, CACHE_STEPS (default all five, comma-separated, e.g.
# "snapshots,ls latest") the steps. DRYDOCK_BASE=PATH adds a third tool,
# an earlier drydock binary, to every alternation (it only reads, with its
# own cache), for before/after figures of one change. Prints every run,
# then the median per tool and step and the ratio of medians (restic /
# drydock, and restic / base).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d /tmp/drydock-cache.XXXXXX)}"
nfiles="${CACHE_FILES:-20000}"; nsnaps="${CACHE_SNAPSHOTS:-10}"; runs="${CACHE_RUNS:-5}"
wheres="${CACHE_WHERE:-s3 sftp}"; base_bin="${DRYDOCK_BASE:-}"
tools=(restic drydock); [ -n "$base_bin" ] && tools+=(base)
restic_bin="${RESTIC_BIN:-restic}"
command -v "$restic_bin" >/dev/null || { echo "restic not found (RESTIC_BIN=PATH, see bench/build-restic.sh)" >&2; exit 1; }
"$restic_bin" version >&2
export PATH="/usr/local/go/bin:$PATH"
mkdir -p "$work"
(cd "$here" && go build -trimpath -o "$work/drydock" ./cmd/drydock)

data="$work/data"
if [ ! -e "$work/data.done" ]; then
  echo "generating $nfiles files in $data" >&2
  rm -rf "$data"
  python3 - "$data" "$nfiles" <<'PY'
import os, sys, random
d, n = sys.argv[1], int(sys.argv[2])
r = random.Random(7)
for i in range(n):
    sub = os.path.join(d, "d%02d" % (i % 50), "e%02d" % (i % 7))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "f%05d" % i), "wb") as f:
        f.write(r.randbytes(r.randint(100, 4000)))
PY
  touch "$work/data.done"
fi

export RESTIC_PASSWORD=bench-password
results="$work/results.tsv"; : > "$results"
now_ms() { date +%s%3N; }
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run_tool TOOL ARGS...: the tool on its repository with its cache.
run_tool() {
  local tool=$1; shift
  local bin="$restic_bin"; [ "$tool" = drydock ] && bin="$work/drydock"; [ "$tool" = base ] && bin="$base_bin"
  RESTIC_REPOSITORY="${repo[restic]}" RESTIC_CACHE_DIR="$work/cache-$where-$tool" "$bin" "${extra[@]}" "$@"
}

# fill: the repository with nsnaps snapshots of each tool, 1% of the
# files changed between them (in a copy of the data, so that the no-change
# backup below has a parent).
fill() {
  local tool i
  run_tool restic init > /dev/null
  rm -rf "$work/src"; cp -a "$data" "$work/src"
  for i in $(seq "$nsnaps"); do
    python3 - "$work/src" "$i" <<'PY'
import os, sys, random
d, i = sys.argv[1], int(sys.argv[2]); r = random.Random(i)
files = sorted(os.path.join(p, f) for p, _, fs in os.walk(d) for f in fs)
for f in r.sample(files, len(files) // 100):
    with open(f, "ab") as h: h.write(os.urandom(50))
PY
    for tool in restic drydock; do
      run_tool "$tool" backup "$work/src" > /dev/null 2>&1
    done
  done
}

# bench_steps: every step, warm first (fills the cache), then alternating.
bench_steps() {
  local step tool i t0 t1 name steps
  name=$(ls "$work/src/d07/e03" | head -1)
  IFS=, read -r -a steps <<< "${CACHE_STEPS:-snapshots,ls latest,find,stats,backup}"
  for step in "${steps[@]}"; do
    case $step in find) step="find $name" ;; backup) step="backup $work/src" ;; esac
    for tool in "${tools[@]}"; do
      # shellcheck disable=SC2086
      run_tool "$tool" $step > "$work/$where-$tool.log" 2>&1 || { echo "$tool $step failed" >&2; tail "$work/$where-$tool.log" >&2; exit 1; }
    done
    for i in $(seq "$runs"); do
      for tool in "${tools[@]}"; do
        t0=$(now_ms)
        # shellcheck disable=SC2086
        run_tool "$tool" $step > "$work/$where-$tool.log" 2>&1
        t1=$(now_ms)
        printf '%s\t%s\t%s\t%d\n' "$where" "${step%% *}" "$tool" $((t1 - t0)) | tee -a "$results" >&2
      done
    done
  done
}

declare -A repo
# MinIO.
if [[ " $wheres " == *" s3 "* ]]; then
minio="$(bash "$here/third_party/minio/build.sh" 2>/dev/null || true)"
[ -x "$minio" ] || { echo "MinIO is not built (bash third_party/minio/build.sh)" >&2; exit 1; }
port=$(free_port)
export MINIO_ROOT_USER=benchuser MINIO_ROOT_PASSWORD=benchpassword MINIO_BROWSER=off
export AWS_ACCESS_KEY_ID=$MINIO_ROOT_USER AWS_SECRET_ACCESS_KEY=$MINIO_ROOT_PASSWORD
rm -rf "$work/minio-data"
"$minio" server --quiet --address "127.0.0.1:$port" "$work/minio-data" > "$work/minio.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/minio/health/live" >/dev/null 2>&1 && break; sleep 0.2; done
where=s3 extra=()
repo[restic]="s3:http://127.0.0.1:$port/cache-bench" repo[drydock]="s3:http://127.0.0.1:$port/cache-bench"
rm -rf "$work"/cache-s3-*
fill
bench_steps
fi

# SFTP: sshd on a free port with its own keys, the stand-alone
# sftp-server, both tools through the same ssh command.
if [[ " $wheres " == *" sftp "* ]]; then
sshd_dir="$work/sshd"; rm -rf "$sshd_dir"; mkdir -p "$sshd_dir/root"
ssh-keygen -q -t ed25519 -N '' -f "$sshd_dir/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$sshd_dir/client_key"
cp "$sshd_dir/client_key.pub" "$sshd_dir/authorized_keys"
sport=$(free_port)
sftp_server=
for p in /usr/lib/openssh/sftp-server /usr/lib/sftp-server /usr/libexec/sftp-server; do
  [ -x "$p" ] && { sftp_server=$p; break; }
done
[ -n "$sftp_server" ] || { echo "no sftp-server found (Debian: openssh-sftp-server)" >&2; exit 1; }
mkdir -p /run/sshd 2>/dev/null || true
cat > "$sshd_dir/sshd_config" <<CFG
Port $sport
ListenAddress 127.0.0.1
HostKey $sshd_dir/host_key
PidFile $sshd_dir/sshd.pid
AuthorizedKeysFile $sshd_dir/authorized_keys
AllowUsers $(id -un)
PubkeyAuthentication yes
PasswordAuthentication no
UsePAM no
StrictModes no
MaxStartups 100
Subsystem sftp $sftp_server -d $sshd_dir/root
CFG
printf '[127.0.0.1]:%s %s\n' "$sport" "$(cut -d' ' -f1,2 "$sshd_dir/host_key.pub")" > "$sshd_dir/known_hosts"
cat > "$sshd_dir/ssh_config" <<CFG
Host bench-sftp
  HostName 127.0.0.1
  Port $sport
  User $(id -un)
  IdentityFile $sshd_dir/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $sshd_dir/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
CFG
"$(command -v sshd || echo /usr/sbin/sshd)" -D -e -f "$sshd_dir/sshd_config" > "$sshd_dir/sshd.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$sport") 2>/dev/null && break; sleep 0.1; done
where=sftp extra=(-o "sftp.command=ssh -F $sshd_dir/ssh_config bench-sftp -s sftp")
repo[restic]="sftp:bench-sftp:repo" repo[drydock]="sftp:bench-sftp:repo"
rm -rf "$work"/cache-sftp-*
fill
bench_steps
fi

echo
printf '%-5s %-10s %12s %12s %8s %12s %8s\n' where step restic-ms drydock-ms ratio base-ms ratio
python3 - "$results" <<'PY'
import sys, statistics, collections
runs = collections.defaultdict(list); order = []
for line in open(sys.argv[1]):
    where, step, tool, ms = line.rstrip("\n").split("\t")
    if (where, step) not in order: order.append((where, step))
    runs[where, step, tool].append(int(ms))
for where, step in order:
    r = statistics.median(runs[where, step, "restic"]); d = statistics.median(runs[where, step, "drydock"])
    line = "%-5s %-10s %12.0f %12.0f %7.2fx" % (where, step, r, d, r / d if d else 0)
    if runs[where, step, "base"]:
        b = statistics.median(runs[where, step, "base"])
        line += " %12.0f %7.2fx" % (b, r / b if b else 0)
    print(line)
PY
