#!/usr/bin/env bash
# Builds stock restic from source, for the benchmarks only (never for CI,
# never vendored): restic's repository at a tag, with github.com/restic/chunker
# replaced by its own source at v0.4.0 (what restic 0.14-0.19 use).
#
#   bash bench/build-restic.sh RESTIC_GIT CHUNKER_GIT [TAG] [OUT]
#
# RESTIC_GIT and CHUNKER_GIT are git directories of the two repositories
# (e.g. as a source-fetching tool leaves them, without a work tree). TAG
# defaults to v0.19.1, OUT to /tmp/restic-TAG/restic. Prints OUT; then:
#   RESTIC_BIN=OUT bash bench/backup.sh
set -euo pipefail
restic_git="$1" chunker_git="$2" tag="${3:-v0.19.1}" out="${4:-/tmp/restic-$tag/restic}"
export PATH="/usr/local/go/bin:$PATH"
if [ -x "$out" ]; then
  echo "$out"
  exit 0
fi
work="$(mktemp -d /tmp/build-restic.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/restic" "$work/chunker"
# Test data archives are not needed (and may be absent from a snapshot).
git --git-dir="$restic_git" archive "$tag" -- . ':(exclude,glob)**/testdata/**' | tar -x -C "$work/restic"
git --git-dir="$chunker_git" archive v0.4.0 | tar -x -C "$work/chunker"
cd "$work/restic"
go mod edit -replace "github.com/restic/chunker=$work/chunker"
mkdir -p "$(dirname "$out")"
echo "building restic $tag" >&2
go build -trimpath -ldflags "-s -w -X main.version=$tag" -o "$out" ./cmd/restic
"$out" version >&2
echo "$out"
