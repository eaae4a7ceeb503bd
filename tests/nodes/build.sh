#!/usr/bin/env bash
# Build the offline systemd test node images from Debian packages.
#
# Usage: tests/nodes/build.sh [debian12|debian13 ...]   (default: both)
#
# Each image is tagged pullfix-node:<platform>-<recipe hash> and aliased as
# pullfix-node:<platform>. The hash covers this script and everything under files/,
# so an image is rebuilt only when its recipe changes. Nothing is pulled from any
# container registry: the root filesystem comes from Debian's archive via mmdebstrap
# and is turned into an image with `docker import`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
mirror=${PULLFIX_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# Packages every node carries: systemd as PID 1, the runtime under test, real
# registries, containers-image tools, and what Ansible needs (python3).
packages=(
  systemd systemd-sysv dbus
  containerd runc
  docker-registry
  podman skopeo
  socat iproute2 procps ca-certificates
  python3
)

suite_of() {
  case "$1" in
    debian12) echo bookworm ;;
    debian13) echo trixie ;;
    *) echo "unknown platform '$1' (expected debian12 or debian13)" >&2; return 2 ;;
  esac
}

recipe_hash() {
  # Content hash of the recipe for one platform: this script, the overlay files
  # (names, modes and bytes) and the platform name.
  {
    echo "$1"
    cat "$here/build.sh"
    (cd "$here/files" && find . -type f -print0 | LC_ALL=C sort -z |
      xargs -0 stat -c '%n %a' && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 cat)
  } | sha256sum | cut -c1-12
}

build_one() {
  local platform=$1 suite tag alias
  suite=$(suite_of "$platform")
  tag="pullfix-node:${platform}-$(recipe_hash "$platform")"
  alias="pullfix-node:${platform}"
  if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "$tag is up to date"
  else
    echo "building $tag from Debian $suite"
    local include
    include=$(IFS=,; echo "${packages[*]}")
    mmdebstrap --variant=minbase --mode=root --format=tar \
      --aptopt='APT::Install-Recommends "false"' \
      --include="$include" \
      --customize-hook="sync-in '$here/files' /" \
      --customize-hook="chroot \"\$1\" /usr/local/sbin/pullfix-node-setup" \
      --customize-hook="rm -rf \"\$1\"/var/lib/apt/lists/* \"\$1\"/var/cache/apt/*.bin" \
      "$suite" - "$mirror" |
      docker import \
        --change 'ENV container=docker' \
        --change "CMD [\"/sbin/init\", $init_args]" \
        --change "LABEL org.kubenode.pullfix.recipe=$tag" \
        - "$tag"
  fi
  docker tag "$tag" "$alias"
}

# systemd >= 256 (Debian 13) boots on a cgroup v1 host only when told to; in a
# container it reads these from its own command line. Harmless on cgroup v2.
init_args='"systemd.unified_cgroup_hierarchy=0", "SYSTEMD_CGROUP_ENABLE_LEGACY_FORCE=1"'
# The stop signal (SIGRTMIN+3) is set when the container is created: `docker
# import` of older engines does not accept STOPSIGNAL.

platforms=("$@")
[ ${#platforms[@]} -gt 0 ] || platforms=(debian12 debian13)
for p in "${platforms[@]}"; do
  build_one "$p"
done
