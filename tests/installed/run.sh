#!/usr/bin/env bash
# `make installed`: what users install is what was tested. Build the collection tarball,
# install it into an EMPTY collections path, and run the installed copy (by FQCN, from a
# directory outside the checkout) against a real test node broken as in incident 2:
#   1. fix_pull fixes the node and proves it with CRI pulls;
#   2. diagnose then finds the node clean;
#   3. the EXAMPLES of node_evidence, cri_pull and diagnose, as ansible-doc shows them
#      from the installed copy, run against the node.
set -euo pipefail
cd "$(dirname "$0")/../.."
checkout=$PWD
bin=$checkout/.venv/bin
work=$checkout/.build/installed
start=$(date +%s)

rm -rf "$work" && mkdir -p "$work/dist" "$work/collections" "$work/run" "$work/report"
"$bin/ansible-galaxy" collection build --output-path "$work/dist" . >/dev/null
tarball=$(ls "$work"/dist/kubenode-pullfix-*.tar.gz)
echo "installed: built $(basename "$tarball"): $(tar tzf "$tarball" | grep -vc '/$') files, $(stat -c %s "$tarball") bytes"

# Only the install path: not the checkout link the Makefile exports, not PYTHONPATH (which
# would put the checkout's ansible_collections on sys.path). community.docker, for the test
# node's connection, comes with the ansible package in the virtualenv.
export ANSIBLE_COLLECTIONS_PATH=$work/collections
unset PYTHONPATH
export ANSIBLE_PYTHON_INTERPRETER=auto_silent ANSIBLE_LOCALHOST_WARNING=false
export ANSIBLE_INVENTORY_UNPARSED_WARNING=false ANSIBLE_DISPLAY_SKIPPED_HOSTS=false
"$bin/ansible-galaxy" collection install --no-deps -p "$work/collections" "$tarball" >/dev/null

# The installed copy, and only it, is what ansible resolves kubenode.pullfix to.
found=$("$bin/ansible-galaxy" collection list kubenode.pullfix --format json)
"$bin/python" - "$found" "$work/collections" <<'PY'
import json, sys
paths = [p for p, cols in json.loads(sys.argv[1]).items() if 'kubenode.pullfix' in cols]
assert paths == [sys.argv[2] + '/ansible_collections'], 'kubenode.pullfix found in %s' % paths
PY
"$bin/ansible-doc" kubenode.pullfix.cri_pull | head -1 | grep -qF "$work/collections/" || {
  echo "installed: ansible-doc does not read kubenode.pullfix from the install path"; exit 1; }

log=$work/run.log
trap '"$bin/ansible-playbook" "$checkout/tests/installed/down.yml" >>"$log" 2>&1 || true' EXIT
run() {  # run NAME ARGS...: ansible-playbook from outside the checkout, output in the log
  local name=$1; shift
  echo "installed: $name" | tee -a "$log"
  (cd "$work/run" && "$bin/ansible-playbook" "$@") >>"$log" 2>&1 || {
    echo "installed: $name failed; the end of $log:"; tail -n 40 "$log"; exit 1; }
}
inventory=(-i "$checkout/tests/installed/inventory.yml")
run "start and break the test node" "${inventory[@]}" "$checkout/tests/installed/up.yml"
run "kubenode.pullfix.fix_pull" "${inventory[@]}" -e @"$checkout/tests/installed/vars.yml" -e pullfix_hosts=all \
  -e pullfix_report_dir="$work/report/fix" kubenode.pullfix.fix_pull
"$bin/python" tests/installed/check.py fix "$work/report/fix/pkg-installed-d13.json"
run "kubenode.pullfix.diagnose" "${inventory[@]}" -e @"$checkout/tests/installed/vars.yml" \
  -e pullfix_report_dir="$work/report/diagnose" kubenode.pullfix.diagnose
"$bin/python" tests/installed/check.py diagnose "$work/report/diagnose/pkg-installed-d13.json"
run "kubenode.pullfix.explain" "${inventory[@]}" -e @"$checkout/tests/installed/vars.yml" \
  -e image=docker.io/library/b:1 -e pull=true kubenode.pullfix.explain

"$bin/python" tests/installed/examples.py "$work/run/examples.yml" pkg-installed-d13 \
  --then tests/installed/examples_check.yml node_evidence cri_pull:"Ask the runtime who it is" diagnose
run "module EXAMPLES" "${inventory[@]}" examples.yml
echo "installed: passed in $(( $(date +%s) - start )) s (log: $log)"
