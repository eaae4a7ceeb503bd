#!/usr/bin/env bash
# Install the machine-level tools the tests need (Debian/Ubuntu, as root):
# docker.io (daemon and containerd for the unit tests), mmdebstrap and Debian's archive
# keyring (test node images), and ShellCheck (ansible-test sanity lints the shell scripts
# with it).
set -euo pipefail
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
# mmdebstrap and tests/nodes/build.sh check Debian's archive signatures with it.
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || missing+=(debian-archive-keyring)
[ -x /usr/bin/containerd ] || missing+=(containerd)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "system-deps: need root to install: ${missing[*]}" >&2
  exit 1
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
