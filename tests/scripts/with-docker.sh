#!/usr/bin/env bash
# Run a command with a Docker daemon available.
#
# If no daemon answers, start `dockerd --bridge=none --iptables=false` (the only
# form that runs on the test machines: no bridge, no NAT, test nodes have no
# network anyway), run the command, and stop the daemon again afterwards.
set -uo pipefail

log=${PULLFIX_DOCKERD_LOG:-/tmp/pullfix-dockerd.log}
started=""

if ! docker info >/dev/null 2>&1; then
  echo "with-docker: no Docker daemon answers; starting dockerd (log: $log)"
  dockerd --bridge=none --iptables=false >"$log" 2>&1 &
  started=$!
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  if ! docker info >/dev/null 2>&1; then
    echo "with-docker: dockerd did not come up within 30 s; last lines of $log:" >&2
    tail -n 20 "$log" >&2
    kill "$started" 2>/dev/null
    exit 1
  fi
fi

"$@"
rc=$?

if [ -n "$started" ]; then
  echo "with-docker: stopping the dockerd started for this run"
  kill "$started" 2>/dev/null
  wait "$started" 2>/dev/null
fi
exit $rc
