#!/usr/bin/env bash
# Installs and starts what drydock's tests need on a fresh Debian machine:
# stock restic (the compatibility oracle), a Docker engine without any
# container networking, a local PostgreSQL image built from Debian packages
# (debootstrap; no image registry), a MinIO server binary built from
# the pinned module, and chromium for the console's browser tests.
# Idempotent: what is there already is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
# Go may only be in /usr/local/go/bin; a go on PATH comes first.
export PATH="$PATH:/usr/local/go/bin"

need=()
command -v restic >/dev/null || need+=(restic)
PATH="$PATH:/usr/sbin:/sbin" command -v debootstrap >/dev/null || need+=(debootstrap)
PATH="$PATH:/usr/sbin:/sbin" command -v sshd >/dev/null || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
command -v rclone >/dev/null || need+=(rclone)
# The console's browser tests (pkg/console) drive Debian's chromium.
command -v chromium >/dev/null || need+=(chromium)
# drydock mount's tests (pkg/mount) mount through fuse3's fusermount3.
command -v fusermount3 >/dev/null || need+=(fuse3)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
restic version
go version

bash scripts/start-dockerd.sh
bash scripts/build-postgres-image.sh
bash third_party/minio/build.sh
