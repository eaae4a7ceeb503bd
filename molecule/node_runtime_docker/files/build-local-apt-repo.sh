#!/usr/bin/env bash
# Build a local apt repository for the node_runtime_docker test nodes (no network there):
# Debian 12's docker.io and the packages it needs that pullfix-node:debian12 lacks, plus
# python3-apt (Ansible's apt module needs it to install anything). apt-get download checks
# each file against the archive's signed Release file; dpkg-scanpackages indexes them.
#
# Usage: build-local-apt-repo.sh <directory>   (kept between runs; rebuilt when emptied)
set -euo pipefail
dest=$1
packages=(docker.io tini python3-apt python-apt-common distro-info-data lsb-base)
if [ -s "$dest/Packages" ]; then
  echo "$dest is up to date"
  exit 0
fi
mkdir -p "$dest"
cd "$dest"
# Run as root, apt-get cannot hand the download to the _apt user in a root-owned directory.
apt-get -q -o APT::Sandbox::User=root download "${packages[@]}" >/dev/null
dpkg-scanpackages --multiversion . /dev/null >Packages 2>/dev/null
echo "$dest: $(find . -maxdepth 1 -name '*.deb' | wc -l) packages"
