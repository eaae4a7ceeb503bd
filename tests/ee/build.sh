#!/usr/bin/env bash
# Build the execution environment image of `make ee-test` from the collection's own
# execution-environment.yml, on a Debian 12 base image made here from Debian packages.
#
# Usage: tests/ee/build.sh   (the build context .build/ee comes from `make ee`)
#
# 1. The base, pullfix-ee-base:debian12-<hash>: a root filesystem from Debian's archive
#    (mmdebstrap, as tests/nodes/build.sh makes the test nodes), turned into an image with
#    `docker import`. No container registry is involved. It carries python3 with pip and
#    venv, git, ssh, and ee-apt: the package manager ansible-builder's scripts call, which
#    takes their dnf-style `install -y PKG...` and `clean all` to apt-get.
# 2. The EE, kubenode-pullfix-ee:test-<hash>: `ansible-builder build` of the unchanged
#    definition with two build arguments, EE_BASE_IMAGE (the base above instead of the
#    definition's Fedora) and PKGMGR (ee-apt instead of dnf). The build runs on the host's
#    network (the daemon has no bridge), so its pip stages reach the package index.
#
# Each image is rebuilt only when its recipe changes. The EE's hash covers the definition,
# the files it reads (bindep.txt, requirements.txt, requirements.yml, the collection's
# meta/execution-environment.yml), this script, the base and ansible-builder's version:
# NOT the collection tarball, which changes with every commit. tests/ee/run.sh installs the
# current tarball into the running EE instead, the way AWX installs a project's collections.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tests/ee
mirror=${PULLFIX_DEBIAN_MIRROR:-http://deb.debian.org/debian}
builder=${ANSIBLE_BUILDER:-.venv/bin/ansible-builder}
base_packages=(python3 python3-pip python3-venv git ca-certificates openssh-client bash)
# The CAs this machine trusts locally: the build's pip goes out through the same egress.
local_cas=(/usr/local/share/ca-certificates/*.crt)
[ -e "${local_cas[0]}" ] || local_cas=()

hash_of() { sha256sum | cut -c1-12; }

base_hash=$({
  echo "debian12 ${base_packages[*]}"
  sed -n '/^# --- base recipe/,/^# --- end of base recipe/p' "$here/build.sh"
  (cd "$here/base-files" && find . -type f -print0 | LC_ALL=C sort -z |
    xargs -0 stat -c '%n %a' && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 cat)
  [ ${#local_cas[@]} -eq 0 ] || cat "${local_cas[@]}"
} | hash_of)
base=pullfix-ee-base:debian12-$base_hash

# --- base recipe
if docker image inspect "$base" >/dev/null 2>&1; then
  echo "$base is up to date"
else
  echo "building $base from Debian bookworm"
  ca_hooks=()
  for ca in "${local_cas[@]}"; do
    ca_hooks+=("--customize-hook=copy-in '$ca' /usr/local/share/ca-certificates/")
  done
  # Imported without a name and tagged only once mmdebstrap succeeded: a failed build
  # must not leave an image that looks up to date.
  image=$(mmdebstrap --variant=minbase --mode=root --format=tar \
    --aptopt='APT::Install-Recommends "false"' \
    --include="$(IFS=,; echo "${base_packages[*]}")" \
    --customize-hook="sync-in '$here/base-files' /" \
    "${ca_hooks[@]}" \
    --customize-hook="chroot \"\$1\" update-ca-certificates" \
    --customize-hook="rm -rf \"\$1\"/var/lib/apt/lists/* \"\$1\"/var/cache/apt/*.bin" \
    bookworm - "$mirror" |
    docker import --change 'ENV LANG=C.UTF-8' --change 'CMD ["bash"]' \
      --change "LABEL org.kubenode.pullfix.recipe=$base" -)
  docker tag "$image" "$base"
fi
# --- end of base recipe

ee_hash=$({
  echo "$base"
  "$builder" --version
  cat "$here/build.sh" execution-environment.yml bindep.txt requirements.txt requirements.yml \
    meta/execution-environment.yml
} | hash_of)
ee=kubenode-pullfix-ee:test-$ee_hash
if docker image inspect "$ee" >/dev/null 2>&1; then
  echo "$ee is up to date"
else
  echo "building $ee on $base"
  # Built under a temporary tag, renamed only once the build succeeded.
  "$builder" build -f execution-environment.yml -c .build/ee --container-runtime docker \
    -t "$ee-partial" --build-arg EE_BASE_IMAGE="$base" --build-arg PKGMGR=/usr/local/sbin/ee-apt \
    --extra-build-cli-args "--network host" -v 2
  docker tag "$ee-partial" "$ee"
  docker rmi "$ee-partial" >/dev/null
fi
docker tag "$ee" kubenode-pullfix-ee:test
# Images of earlier recipes are superseded: drop their tags (their layers go with them).
docker images kubenode-pullfix-ee --format '{{.Tag}}' | grep -E '^test-[0-9a-f]{12}$' |
  grep -vxF "${ee#*:}" | sed 's/^/kubenode-pullfix-ee:/' | xargs -r docker rmi >/dev/null || true
