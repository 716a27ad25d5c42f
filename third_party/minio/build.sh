#!/usr/bin/env bash
# Build the pinned MinIO server once into a cache directory and print its path.
#
#   bash third_party/minio/build.sh      # prints .../minio-<version>/minio
#
# The binary is used by drydock's S3 backend tests (internal/testkit/miniotest), which
# look for it at the same cache path (or $MINIO_BINARY). A second run is a
# no-op that only prints the path. The first build takes several minutes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

# The version is whatever go.mod pins; keep internal/testkit/miniotest in sync.
version="$(awk '$1 == "github.com/minio/minio" { print $2; exit }' go.mod)"
if [ -z "$version" ]; then
	echo "build.sh: cannot find github.com/minio/minio in $here/go.mod" >&2
	exit 1
fi

cache="${DRYDOCK_CACHE:-$HOME/.cache/drydock}"
dir="$cache/minio-$version"
bin="$dir/minio"

if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$dir"
tmp="$(mktemp "$dir/minio.tmp.XXXXXX")"
trap 'rm -f "$tmp"' EXIT

echo "build.sh: building MinIO $version into $bin (takes a few minutes)" >&2
start=$(date +%s)
# -mod=mod is not needed: go.mod and go.sum are complete. GOFLAGS from the
# caller (e.g. -race) must not leak into this build.
GOWORK=off GOFLAGS=-buildvcs=false CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp" github.com/minio/minio
chmod 0755 "$tmp"
mv -f "$tmp" "$bin"
trap - EXIT
echo "build.sh: built in $(( $(date +%s) - start ))s" >&2
echo "$bin"
