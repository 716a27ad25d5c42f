#!/usr/bin/env bash
# Build the local image drydock-test-postgres:15 (Debian bookworm with
# PostgreSQL 15) for cmd/drydock's PostgreSQL test, without any image
# registry: debootstrap from the Debian mirror apt uses, trimmed, then
# `docker import`ed.
#
#   bash scripts/build-postgres-image.sh     # as root; dockerd must run
#
# Idempotent: nothing is done when Docker already has the image built by
# this version of the script (label below). The image is saved to
# ${DRYDOCK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/drydock}/postgres-image-<hash>.tar,
# <hash> being this script's, so that later runs (and a fresh dockerd) only
# `docker load` it. The first build takes a minute or two, mostly downloads.
#
# The image runs /usr/local/bin/drydock-pg-start as root: it creates the
# cluster in $PGDATA (default /var/lib/postgresql/data/pgdata) on first
# start and runs PostgreSQL as user postgres, on a unix socket only, with
# trust authentication (test containers have no network).
set -euo pipefail
# debootstrap lives in /usr/sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

image=drydock-test-postgres:15
# apt_mirror: the Debian mirror apt uses (scripts/apt-mirror.sh).
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/apt-mirror.sh"
mirror=${DEBIAN_MIRROR:-$(apt_mirror | head -n1)}
label=org.drydock-backup.test-image.script

self="${BASH_SOURCE[0]}"
hash="$(sha256sum "$self" | cut -c1-16)"
cache="${DRYDOCK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/drydock}"
tarball="$cache/postgres-image-$hash.tar"

log() { echo "build-postgres-image: $*" >&2; }

current() {
	[ "$(docker image inspect --format "{{index .Config.Labels \"$label\"}}" "$image" 2>/dev/null)" = "$hash" ]
}

if current; then
	log "$image is up to date"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	log "must run as root (debootstrap)"
	exit 1
fi

mkdir -p "$cache"
# Concurrent runs (two test setups at once) wait for each other.
exec 9>"$cache/postgres-image.lock"
flock 9
if current; then
	log "$image is up to date"
	exit 0
fi

if [ -s "$tarball" ]; then
	log "loading $tarball"
	docker load -q -i "$tarball" >&2
	if current; then
		exit 0
	fi
	log "$tarball does not hold the image; rebuilding"
fi

command -v debootstrap >/dev/null || {
	log "debootstrap missing (apt-get install -y debootstrap)"
	exit 1
}

start=$(date +%s)
work="$(mktemp -d "${TMPDIR:-/var/tmp}/drydock-pg-image.XXXXXX")"
rootfs="$work/rootfs"
cleanup() {
	# debootstrap mounts /proc and /sys in the target; an interrupted run
	# may leave them there, and rm must not descend into them.
	grep -o " $rootfs/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	rm -rf --one-file-system "$work"
	rm -f "$tarball.tmp"
}
trap cleanup EXIT

if [ -z "$mirror" ]; then
	log "no bookworm mirror in the apt sources; set DEBIAN_MIRROR"
	exit 1
fi
log "debootstrap bookworm with postgresql-15 from $mirror"
debootstrap --variant=minbase --include=postgresql-15 bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
	tail -n 30 "$work/debootstrap.log" >&2
	exit 1
}

# Trim what a test never uses: docs, translations, the cluster the package
# created, apt's lists, locale sources, and LLVM with its solver (only for
# JIT, which is then silently off).
rm -rf "$rootfs"/usr/share/{doc,man,info,locale,lintian,linda,i18n}/* \
	"$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
	"$rootfs"/var/lib/dpkg/*-old "$rootfs"/var/log/* \
	"$rootfs"/var/lib/postgresql/15 "$rootfs"/etc/postgresql/15 \
	"$rootfs"/usr/lib/postgresql/15/lib/bitcode "$rootfs"/usr/lib/postgresql/15/lib/llvmjit*.so \
	"$rootfs"/usr/lib/*-linux-gnu/{libLLVM-*,libz3}.so* "$rootfs"/usr/lib/llvm-*

cat >"$rootfs/usr/local/bin/drydock-pg-start" <<'EOF'
#!/bin/sh
# Run PostgreSQL on $PGDATA as postgres, creating the cluster on first start.
# Started as root so that a fresh volume (owned by root) can be handed over.
set -eu
: "${PGDATA:=/var/lib/postgresql/data/pgdata}"
export PGDATA
install -d -o postgres -g postgres -m 0755 "$(dirname "$PGDATA")" /var/run/postgresql
install -d -o postgres -g postgres -m 0700 "$PGDATA"
as_postgres="setpriv --reuid=postgres --regid=postgres --init-groups"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
	$as_postgres initdb --auth=trust --username=postgres --encoding=UTF8 --locale=C >/dev/null
fi
exec $as_postgres postgres -c listen_addresses= -c jit=off "$@"
EOF
chmod 0755 "$rootfs/usr/local/bin/drydock-pg-start"

log "importing $image"
tar -C "$rootfs" -c . | docker import \
	-c 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	-c 'ENV PGDATA=/var/lib/postgresql/data/pgdata' \
	-c 'ENV LANG=C.UTF-8' \
	-c 'CMD ["/usr/local/bin/drydock-pg-start"]' \
	-c "LABEL $label=$hash" \
	- "$image" >/dev/null

docker save "$image" >"$tarball.tmp"
mv -f "$tarball.tmp" "$tarball"
# Tarballs of older versions of this script are of no use any more.
find "$cache" -maxdepth 1 -name 'postgres-image-*.tar' ! -name "${tarball##*/}" -delete
log "built $image in $(($(date +%s) - start))s ($(du -h "$tarball" | cut -f1) cached in $tarball)"
