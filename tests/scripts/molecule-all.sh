#!/usr/bin/env bash
# Every Molecule scenario, MOLECULE_JOBS at a time (default 2). Each scenario logs to
# .build/molecule/<scenario>.log; a failed scenario's log tail is printed, and the run fails
# after all of them have finished, so one failure does not hide another.
#
# A scenario written <scenario>@<minor> (e.g. fix_pull@2.17) runs under that ansible-core minor:
# the virtualenv .build/compat/<minor> comes first on PATH, so every ansible-playbook Molecule
# runs (create, prepare, converge, idempotence, check) and the testinfra verifier (pytest,
# ansible, ansible-inventory) are that version's. Molecule itself stays the one from
# requirements-dev.txt (molecule 26 does not install beside ansible-core 2.17). Its state goes to
# its own ephemeral directory, and one lock per scenario name keeps two runs of a scenario from
# starting nodes of the same names at the same time.
set -uo pipefail
jobs=${MOLECULE_JOBS:-2}
logs=.build/molecule
mkdir -p "$logs"
run_one() {
  local entry=$1 s=${1%@*} minor='' start rc
  [ "$entry" != "$s" ] && minor=${entry#*@}
  start=$(date +%s)
  (
    if [ -n "$minor" ]; then
      bin=$PWD/.build/compat/$minor/bin
      [ -x "$bin/ansible-playbook" ] || { echo "no virtualenv for ansible-core $minor: make compat-venvs"; exit 2; }
      export PATH=$bin:$PATH MOLECULE_EPHEMERAL_DIRECTORY=$PWD/$logs/$entry.state
      # the ansible-playbook Molecule will find, as proof of the version under test
      version=$(ansible-playbook --version) && version=${version%%$'\n'*}
      echo "=== $entry: $version"
      case $version in *"core $minor."*) ;; *) echo "expected ansible-core $minor"; exit 2;; esac
    fi
    exec flock "$logs/$s.lock" molecule test -s "$s"
  ) >"$logs/$entry.log" 2>&1
  rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "=== molecule $entry: passed in $(( $(date +%s) - start )) s"
  else
    echo "=== molecule $entry: FAILED (exit $rc) after $(( $(date +%s) - start )) s; last lines of $logs/$entry.log:"
    tail -n 60 "$logs/$entry.log"
  fi
  return "$rc"
}
export -f run_one
export logs
printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {}
