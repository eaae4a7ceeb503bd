#!/usr/bin/env bash
# Every Molecule scenario, MOLECULE_JOBS at a time (default 2). Each scenario logs to
# .build/molecule/<scenario>.log; a failed scenario's log tail is printed, and the run fails
# after all of them have finished, so one failure does not hide another.
set -uo pipefail
jobs=${MOLECULE_JOBS:-2}
logs=.build/molecule
mkdir -p "$logs"
run_one() {
  local s=$1 start rc
  start=$(date +%s)
  molecule test -s "$s" >"$logs/$s.log" 2>&1
  rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "=== molecule $s: passed in $(( $(date +%s) - start )) s"
  else
    echo "=== molecule $s: FAILED (exit $rc) after $(( $(date +%s) - start )) s; last lines of $logs/$s.log:"
    tail -n 60 "$logs/$s.log"
  fi
  return "$rc"
}
export -f run_one
export logs
printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {}
