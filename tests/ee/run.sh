#!/usr/bin/env bash
# `make ee-test`: run the collection from INSIDE its execution environment, as AWX/AAP does.
#   1. tests/ee/build.sh builds the EE image when its recipe changed (tests/ee/build.sh);
#   2. a test node is started and broken as in incident 2 (tests/ee/up.yml, from the host);
#   3. one EE container installs the current collection tarball into the job's private data
#      directory (as AWX installs a project's collections) and proves ansible resolves
#      kubenode.pullfix to it; then each job runs in its own EE container with ansible-runner:
#      fix_pull (fixes the node, proves it with CRI pulls), fix_pull again (changed=0),
#      diagnose (finds the node clean).
# The EE reaches the node like the other tests: community.docker's docker connection, through
# the host's docker socket and docker CLI, mounted into the container with the venv's
# community.docker (a test-only need: real nodes are reached over ssh, which the EE carries).
# The EE containers have no network.
set -euo pipefail
cd "$(dirname "$0")/../.."
checkout=$PWD
bin=$checkout/.venv/bin
work=$checkout/.build/ee-test
pdd=$work/runner
image=kubenode-pullfix-ee:test
node=pfee-d13
start=$(date +%s)

tests/ee/build.sh
built=$(date +%s)

rm -rf "$work" && mkdir -p "$work"
cp -r tests/ee/runner "$pdd"
cp tests/installed/vars.yml "$pdd/env/extravars"
mkdir -p "$pdd/project" "$pdd/collections" "$pdd/report"
chmod -R a+rwX "$pdd"

community_docker=$(env -u PYTHONPATH "$bin/python" -c \
  'import ansible_collections.community.docker as m; print(m.__path__[0])')
socket_gid=$(stat -c %g /var/run/docker.sock)
ee() {  # ee ARGS...: a command in a fresh EE container, as the EE's own user (uid 1000)
  docker run --rm --network none --group-add "$socket_gid" \
    -v /var/run/docker.sock:/var/run/docker.sock \
    -v "$(command -v docker)":/usr/local/bin/docker:ro \
    -v "$community_docker":/opt/pfee/collections/ansible_collections/community/docker:ro \
    -v "$checkout/.build/dist":/dist:ro \
    -v "$pdd":/runner \
    "$image" "$@"
}

log=$work/run.log
export ANSIBLE_PYTHON_INTERPRETER=auto_silent ANSIBLE_LOCALHOST_WARNING=false
export ANSIBLE_INVENTORY_UNPARSED_WARNING=false
trap '"$bin/ansible-playbook" "$checkout/tests/ee/down.yml" >>"$log" 2>&1 || true' EXIT
step() {  # step NAME CMD...: output in the log, its end shown on failure
  echo "ee-test: $1" | tee -a "$log"
  shift
  "$@" >>"$log" 2>&1 || { echo "ee-test: failed; the end of $log:"; tail -n 40 "$log"; exit 1; }
}
step "start and break the test node $node" \
  "$bin/ansible-playbook" -i tests/ee/runner/inventory/hosts.yml tests/ee/up.yml

# shellcheck disable=SC2016  # expanded inside the EE container
step "install the collection tarball into the job's collections (in the EE)" ee bash -c '
  set -e
  docker version --format "docker CLI {{.Client.Version}}, engine {{.Server.Version}}"
  ansible-galaxy collection install --no-deps --force -p /runner/collections /dist/kubenode-pullfix.tar.gz
  ANSIBLE_COLLECTIONS_PATH=$(python3 -c "import yaml; print(yaml.safe_load(open(\"/runner/env/envvars\"))[\"ANSIBLE_COLLECTIONS_PATH\"])") \
    ansible-galaxy collection list --format json >/runner/collections.json'
"$bin/python" - "$pdd/collections.json" <<'PY'
import json, sys
found = json.load(open(sys.argv[1]))
paths = [p for p, cols in found.items() if 'kubenode.pullfix' in cols]
assert paths[0] == '/runner/collections/ansible_collections', 'kubenode.pullfix resolves to %s' % paths
assert any('community.docker' in cols for cols in found.values()), 'community.docker missing: %s' % found
PY

job() {  # job IDENT PLAYBOOK EXTRA...: one ansible-runner job in its own EE container
  local ident=$1 playbook=$2
  shift 2
  step "ansible-runner: $playbook ($ident)" ee ansible-runner run /runner -p "$playbook" --ident "$ident" \
    --cmdline "-e pullfix_report_dir=/runner/report/$ident $*"
}
job fix kubenode.pullfix.fix_pull -e pullfix_hosts=nodes
step "the fix: job stats" "$bin/python" tests/ee/check_job.py "$pdd/artifacts/fix" changed
step "the fix: report" "$bin/python" tests/installed/check.py fix "$pdd/report/fix/$node.json"
# The idempotence check below must be able to fail: on the first run it does.
if "$bin/python" tests/ee/check_job.py "$pdd/artifacts/fix" unchanged >>"$log" 2>&1; then
  echo "ee-test: check_job.py finds no change in the run that fixed the node"; exit 1
fi
job again kubenode.pullfix.fix_pull -e pullfix_hosts=nodes
step "the second run changes nothing" "$bin/python" tests/ee/check_job.py "$pdd/artifacts/again" unchanged
step "the second run: nothing open" "$bin/python" tests/installed/check.py diagnose "$pdd/report/again/$node.json"
job diagnose kubenode.pullfix.diagnose
step "diagnose: job stats" "$bin/python" tests/ee/check_job.py "$pdd/artifacts/diagnose" unchanged
step "diagnose: the node is clean" "$bin/python" tests/installed/check.py diagnose "$pdd/report/diagnose/$node.json"
end=$(date +%s)
echo "ee-test: passed in $(( end - start )) s (image $(( built - start )) s, jobs $(( end - built )) s; log: $log)"
