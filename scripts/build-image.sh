#!/usr/bin/env bash
# Build the local image drydock:latest (drydock as a container) without any
# image registry:
#
#   bash scripts/build-image.sh      # or `make image`; dockerd must run
#
# 1. drydock is built as a static binary (CGO_ENABLED=0, -trimpath, -s).
# 2. The base image drydock-base:bookworm is Debian bookworm minbase with
#    openssh-client (sftp: repositories run the system ssh), ca-certificates
#    (https: S3 and REST) and tzdata (TZ= for the daemon's schedules),
#    debootstrapped from the Debian mirror apt uses, trimmed, and
#    `docker import`ed. Its root file system is cached as
#    ${DRYDOCK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/drydock}/drydock-base-<hash>.tar,
#    <hash> being that of build_base below, so that later builds (and a
#    fresh dockerd) only import it. Only this step needs root (debootstrap);
#    it takes a minute or two the first time, mostly downloads.
# 3. contrib/docker/Dockerfile adds the binary FROM the local base.
#
# Idempotent: when drydock:latest already holds this binary on this base
# with this Dockerfile (label below), nothing is built. The image drydock
# replaced is removed unless a container still uses it.
#
# Env: IMAGE (default drydock:latest), DEBIAN_MIRROR (default: the bookworm
# mirror of the apt sources), DRYDOCK_CACHE.
set -euo pipefail
# go may only be in /usr/local/go/bin, debootstrap in /usr/sbin; a go on
# PATH comes first.
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"
cd "$(dirname "$0")/.."

image=${IMAGE:-drydock:latest}
base=drydock-base:bookworm
label=org.drydock-backup.image
cache="${DRYDOCK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/drydock}"
dockerfile=contrib/docker/Dockerfile

log() { echo "build-image: $*" >&2; }

# apt_mirror: the Debian mirror apt uses (scripts/apt-mirror.sh).
. scripts/apt-mirror.sh # the working directory is the repository (see the cd above)

# build_base ROOTFS: the base image's file system. Its text (declare -f)
# is hashed: changing it invalidates the cached tarball and the image.
build_base() {
	local rootfs=$1 mirror
	mirror=${DEBIAN_MIRROR:-$(apt_mirror | head -n1)}
	if [ -z "$mirror" ]; then
		log "no bookworm mirror in the apt sources; set DEBIAN_MIRROR"
		return 1
	fi
	log "debootstrap bookworm minbase with openssh-client, ca-certificates, tzdata from $mirror"
	debootstrap --variant=minbase --include=openssh-client,ca-certificates,tzdata \
		bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
		tail -n 30 "$rootfs.log" >&2
		return 1
	}
	# The CA bundle that Go's crypto/x509 reads; ca-certificates' postinst
	# makes it, and an image without it fails every https: repository.
	[ -s "$rootfs/etc/ssl/certs/ca-certificates.crt" ] || {
		log "no CA bundle in the base"
		return 1
	}
	# Trim what drydock and ssh never use: docs, translations, apt's lists
	# and caches, logs, the leap-second ("right/") copy of the zone files,
	# and glibc's iconv modules (8 MB; nothing here converts charsets).
	rm -rf "$rootfs"/usr/share/{doc,man,info,locale,lintian,linda,i18n}/* \
		"$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
		"$rootfs"/var/lib/dpkg/*-old "$rootfs"/var/log/* \
		"$rootfs"/usr/share/zoneinfo/right "$rootfs"/usr/lib/*-linux-gnu/gconv
	# debootstrap copies the build host's name resolution and host name;
	# Docker provides its own at run time.
	rm -f "$rootfs"/etc/hostname "$rootfs"/etc/resolv.conf
	# The state directory as drydock wants it (0700): a named volume mounted
	# there starts as a copy of it.
	install -d -m 0700 "$rootfs/var/lib/drydock"
}

base_hash="$( (declare -f build_base; echo "$base") | sha256sum | cut -c1-16)"
tarball="$cache/drydock-base-$base_hash.tar"

image_label() {
	docker image inspect --format "{{index .Config.Labels \"$label\"}}" "$1" 2>/dev/null || true
}

# ensure_base makes sure Docker has the base image of this script's
# build_base: already there, imported from the cached tarball, or built.
ensure_base() {
	[ "$(image_label "$base")" = "$base_hash" ] && return 0
	mkdir -p "$cache"
	# Concurrent runs (make image while a test builds) wait for each other.
	exec 9>"$cache/drydock-base.lock"
	flock 9
	[ "$(image_label "$base")" = "$base_hash" ] && return 0
	if [ ! -s "$tarball" ]; then
		if [ "$(id -u)" -ne 0 ]; then
			log "the base image must be built as root (debootstrap)"
			return 1
		fi
		command -v debootstrap >/dev/null || {
			log "debootstrap missing (apt-get install -y debootstrap)"
			return 1
		}
		local start rootfs
		start=$(date +%s)
		rootfs="$work/rootfs"
		build_base "$rootfs"
		tar -C "$rootfs" -cf "$tarball.tmp" .
		mv -f "$tarball.tmp" "$tarball"
		# Tarballs of older versions of build_base are of no use any more.
		find "$cache" -maxdepth 1 -name 'drydock-base-*.tar' ! -name "${tarball##*/}" -delete
		log "built the base in $(($(date +%s) - start))s ($(du -h "$tarball" | cut -f1) in $tarball)"
	fi
	log "importing $base from $tarball"
	local old
	old=$(docker image inspect --format '{{.Id}}' "$base" 2>/dev/null || true)
	docker import \
		-c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		-c 'ENV LANG=C.UTF-8' \
		-c "LABEL $label=$base_hash" \
		"$tarball" "$base" >/dev/null
	# An older base is only kept while images built on it exist.
	[ -z "$old" ] || docker rmi "$old" >/dev/null 2>&1 || true
	flock -u 9
}

work="$(mktemp -d "${TMPDIR:-/var/tmp}/drydock-image.XXXXXX")"
cleanup() {
	# debootstrap mounts /proc and /sys in the target; an interrupted run
	# may leave them there, and rm must not descend into them.
	grep -o " $work/rootfs/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	rm -rf --one-file-system "$work"
	rm -f "$tarball.tmp"
}
trap cleanup EXIT

# The binary first: its hash decides whether the image is current.
mkdir "$work/context"
CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags=-s -o "$work/context/drydock" ./cmd/drydock

ensure_base
stamp="$( (sha256sum <"$work/context/drydock"; sha256sum <"$dockerfile"; echo "$base_hash") | sha256sum | cut -c1-16)"
if [ "$(image_label "$image")" = "$stamp" ]; then
	log "$image is up to date"
	exit 0
fi

start=$(date +%s)
old=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
# The classic builder uses the local base as it is (--pull=false) and needs
# no registry; BuildKit may try to resolve FROM remotely.
# Its deprecation notice is noise: stderr is shown only when it fails.
DOCKER_BUILDKIT=0 docker build -q --pull=false --force-rm \
	-f "$dockerfile" --build-arg "BASE=$base" \
	--label "$label=$stamp" -t "$image" "$work/context" >/dev/null 2>"$work/build.log" || {
	cat "$work/build.log" >&2
	exit 1
}
new=$(docker image inspect --format '{{.Id}}' "$image")
if [ -n "$old" ] && [ "$old" != "$new" ]; then
	docker rmi "$old" >/dev/null 2>&1 || true
fi
log "built $image in $(($(date +%s) - start))s ($(docker image inspect --format '{{.Size}}' "$image" | numfmt --to=iec) uncompressed)"
