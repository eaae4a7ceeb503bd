#!/usr/bin/env bash
# Build the offline systemd test node images from Debian packages.
#
# Usage: tests/nodes/build.sh [debian12|debian13|debian13-c21 ...]   (default: all)
#
# Each image is tagged pullfix-node:<platform>-<recipe hash> and aliased as
# pullfix-node:<platform>. The hash covers this script (with the pinned package
# versions below) and the overlay files the platform gets (names, modes and bytes),
# so an image is rebuilt only when its recipe changes. Nothing is pulled from any
# container registry: the root filesystem comes from Debian's archive via mmdebstrap
# and is turned into an image with `docker import`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
mirror=${PULLFIX_DEBIAN_MIRROR:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
all_platforms=(debian12 debian13 debian13-c21)

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

# The Debian suite a platform's root filesystem comes from.
suite_of() {
  case "$1" in
    debian12) echo bookworm ;;
    debian13 | debian13-c21) echo trixie ;;
    *) echo "unknown platform '$1' (expected one of: ${all_platforms[*]})" >&2; return 2 ;;
  esac
}

# Packages a platform takes from a later Debian suite instead of its own, pinned
# to exact versions: "<suite> <package>=<version> ...". They are installed over
# the packages of the same name in the list above. Forky's containerd and runc install on
# trixie (they need only libc6 and libseccomp2); forky's systemd cannot boot on a
# cgroup v1 host, so the rest of the node stays trixie.
pins_of() {
  case "$1" in
    debian13-c21) echo "forky containerd=2.1.9+ds1-5 runc=1.3.6+ds1-1" ;;
    *) echo "" ;;
  esac
}

# Overlay directories copied onto the root filesystem, in order: files/ for every
# platform, then platform-files/<platform>/ when it exists (a file there replaces
# the shared one).
overlays_of() {
  echo "$here/files"
  if [ -d "$here/platform-files/$1" ]; then
    echo "$here/platform-files/$1"
  fi
}

recipe_hash() {
  # Content hash of the recipe for one platform: the platform name, this script
  # and each of its overlay directories (names, modes and bytes).
  local dir
  {
    echo "$1"
    cat "$here/build.sh"
    while read -r dir; do
      echo "overlay ${dir#"$here"/}"
      (cd "$dir" && find . -type f -print0 | LC_ALL=C sort -z |
        xargs -0 stat -c '%n %a' && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 cat)
    done < <(overlays_of "$1")
  } | sha256sum | cut -c1-12
}

# Download pinned packages from another suite into $2/debs with apt-get download, using a
# private sources list and state directory: the machine's own apt configuration
# and package lists stay as they are. apt checks every file against the suite's
# signed Release file.
fetch_pinned() {
  local suite=$1 dest=$2 spec name version available
  shift 2
  mkdir -p "$dest/lists/partial" "$dest/cache/archives/partial"
  echo "deb [signed-by=$keyring] $mirror $suite main" >"$dest/sources.list"
  : >"$dest/status"
  local apt_opts=(
    -q
    -o "Dir::Etc::SourceList=$dest/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
    -o "Dir::State=$dest" -o "Dir::State::Lists=$dest/lists" -o "Dir::State::status=$dest/status"
    -o "Dir::Cache=$dest/cache" -o APT::Sandbox::User=root
  )
  apt-get "${apt_opts[@]}" update >/dev/null
  for spec in "$@"; do
    name=${spec%%=*} version=${spec#*=}
    available=$(apt-cache "${apt_opts[@]}" madison "$name" | awk -F' [|] ' '{print $2}' | paste -sd ' ')
    if ! grep -qxF "$version" <(tr ' ' '\n' <<<"$available"); then
      echo "Debian $suite no longer carries $name $version (it has: ${available:-nothing})." >&2
      echo "Update the pin for $name in pins_of() in $here/build.sh." >&2
      return 1
    fi
  done
  mkdir -p "$dest/debs"
  (cd "$dest/debs" && apt-get "${apt_opts[@]}" download "$@" >/dev/null)
}

build_one() {
  local platform=$1 suite tag alias
  suite=$(suite_of "$platform")
  tag="pullfix-node:${platform}-$(recipe_hash "$platform")"
  alias="pullfix-node:${platform}"
  if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "$tag is up to date"
    docker tag "$tag" "$alias"
    return
  fi
  echo "building $tag from Debian $suite"

  local pins pinned_hooks=() overlay_hooks=() dir image
  read -r -a pins <<<"$(pins_of "$platform")"
  if [ ${#pins[@]} -gt 0 ]; then
    echo "  with ${pins[*]:1} from Debian ${pins[0]}"
    workdir=$(mktemp -d)
    fetch_pinned "${pins[0]}" "$workdir" "${pins[@]:1}"
    # Installed over the base suite's packages of the same name, which brought
    # their dependencies in. apt cannot install a local .deb into mmdebstrap's
    # chroot, so dpkg does, inside it.
    pinned_hooks=(
      --customize-hook="mkdir \"\$1/var/cache/pullfix-pinned\""
      --customize-hook="sync-in '$workdir/debs' /var/cache/pullfix-pinned"
      --customize-hook="chroot \"\$1\" sh -c 'dpkg --force-confold -i /var/cache/pullfix-pinned/*.deb'"
      --customize-hook="rm -r \"\$1/var/cache/pullfix-pinned\""
    )
  fi
  while read -r dir; do
    overlay_hooks+=("--customize-hook=sync-in '$dir' /")
  done < <(overlays_of "$platform")

  # Imported without a name and tagged only once mmdebstrap succeeded: a failed
  # build must not leave an image that looks up to date.
  if ! image=$(mmdebstrap --variant=minbase --mode=root --format=tar \
    --aptopt='APT::Install-Recommends "false"' \
    --include="$(IFS=,; echo "${packages[*]}")" \
    "${pinned_hooks[@]}" \
    "${overlay_hooks[@]}" \
    --customize-hook="chroot \"\$1\" /usr/local/sbin/pullfix-node-setup" \
    --customize-hook="rm -rf \"\$1\"/var/lib/apt/lists/* \"\$1\"/var/cache/apt/*.bin" \
    "$suite" - "$mirror" |
    docker import \
      --change 'ENV container=docker' \
      --change "CMD [\"/sbin/init\", $init_args]" \
      --change "LABEL org.kubenode.pullfix.recipe=$tag" \
      -); then
    echo "building $tag failed" >&2
    if [ -n "$image" ]; then
      docker rmi "$image" >/dev/null || true
    fi
    return 1
  fi
  docker tag "$image" "$tag"
  docker tag "$tag" "$alias"
  if [ -n "${workdir:-}" ]; then
    rm -rf "$workdir"
    workdir=""
  fi
}

# systemd >= 256 (Debian 13) boots on a cgroup v1 host only when told to; in a
# container it reads these from its own command line. Harmless on cgroup v2.
init_args='"systemd.unified_cgroup_hierarchy=0", "SYSTEMD_CGROUP_ENABLE_LEGACY_FORCE=1"'
# The stop signal (SIGRTMIN+3) is set when the container is created: `docker
# import` of older engines does not accept STOPSIGNAL.

workdir=""
trap 'if [ -n "$workdir" ]; then rm -rf "$workdir"; fi' EXIT

platforms=("$@")
[ ${#platforms[@]} -gt 0 ] || platforms=("${all_platforms[@]}")
for p in "${platforms[@]}"; do
  build_one "$p"
done
