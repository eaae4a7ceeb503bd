#!/bin/sh
# Test probe: pull two images by short name with podman (the same containers-image resolution
# CRI-O uses) and record, per image, the exit status, the fully qualified name podman chose and
# the digest it got, under /var/lib/pullfix-test/<label>/. Images are removed first and after.
set -u
label=$1
out=/var/lib/pullfix-test/$label
rm -rf "$out" && mkdir -p "$out"
for image in pullfix/onlyhub:1 pullfix/both:1; do
  name=$(echo "$image" | tr '/:' '__')
  podman rmi -a -f >/dev/null 2>&1
  podman pull "$image" >"$out/$name.log" 2>&1
  echo $? >"$out/$name.rc"
  podman images --format '{{.Repository}}:{{.Tag}}' >"$out/$name.repo" 2>/dev/null
  podman images --format '{{.Digest}}' >"$out/$name.digest" 2>/dev/null
done
podman rmi -a -f >/dev/null 2>&1
exit 0
