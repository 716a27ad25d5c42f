#!/usr/bin/env bash
# Start a Docker daemon for drydock's tests, if none answers yet.
#
# Idempotent: returns at once when `docker info` works. Otherwise installs
# Debian's docker.io when dockerd is missing, starts dockerd in the
# background without any container networking (no default bridge, no
# iptables: test containers run with network "none"), waits until it
# answers, and prints the socket.
#
# What worked in the sandbox (Debian 12, kernel 6.18, cgroup v1, root):
#   dockerd --bridge=none --iptables=false --ip6tables=false
# with the default overlay2 storage driver; no cgroup changes were needed.
# If overlay2 is refused (e.g. /var/lib/docker on overlayfs), the script
# retries with --storage-driver=vfs (slower, but works everywhere).
#
# Env: DOCKERD_LOG (default /tmp/dockerd.log), DOCKERD_WAIT seconds (60).
set -euo pipefail

sock=/var/run/docker.sock
log=${DOCKERD_LOG:-/tmp/dockerd.log}
wait_s=${DOCKERD_WAIT:-60}

if docker info >/dev/null 2>&1; then
	echo "unix://$sock"
	exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
	echo "start-dockerd: installing docker.io" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq docker.io >&2
fi

wait_ready() {
	local i
	for ((i = 0; i < wait_s * 2; i++)); do
		if docker info >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$1" 2>/dev/null; then
			return 1
		fi
		sleep 0.5
	done
	return 1
}

start() {
	echo "start-dockerd: dockerd $* (log: $log)" >&2
	nohup dockerd --bridge=none --iptables=false --ip6tables=false "$@" >>"$log" 2>&1 </dev/null &
	local pid=$!
	if wait_ready "$pid"; then
		return 0
	fi
	echo "start-dockerd: dockerd $* did not come up; last log lines:" >&2
	tail -n 20 "$log" >&2 || true
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f /var/run/docker.pid
	return 1
}

# A daemon that died uncleanly leaves its pid file; dockerd refuses to start.
if [[ -f /var/run/docker.pid ]] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
	rm -f /var/run/docker.pid
fi

if start || start --storage-driver=vfs; then
	docker info --format 'start-dockerd: server {{.ServerVersion}}, storage {{.Driver}}, cgroup {{.CgroupDriver}} v{{.CgroupVersion}}' >&2
	echo "unix://$sock"
	exit 0
fi
echo "start-dockerd: could not start dockerd" >&2
exit 1
