#!/usr/bin/env bash
# Capture node_evidence from a real containerd 2.1 test node (pullfix-node:debian13-c21) set up
# the way the unit fixture tests/unit/fixtures/evidence/debian13-c21-captured.json describes:
# a version 3 config.toml without config_path and a certs.d/docker.io/hosts.toml that
# containerd 2.1 never reads. Also prints what `containerd config dump` says about config_path.
# Usage: tests/scripts/capture-c21-evidence.sh [container-name] > fixture.json
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NAME=${1:-pullfix-capture-c21}
IMAGE=pullfix-node:debian13-c21
docker rm -f "$NAME" >/dev/null 2>&1 || true
docker run -d --name "$NAME" --network none --cgroupns host --cap-add SYS_ADMIN \
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
  --tmpfs /run --tmpfs /run/lock --tmpfs /tmp:exec --tmpfs /var/lib/containerd:exec,size=1g \
  -v /sys/fs/cgroup:/sys/fs/cgroup:rw "$IMAGE" >/dev/null
trap 'docker rm -f "$NAME" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 60); do
  state=$(docker exec "$NAME" timeout 120 systemctl is-system-running --wait 2>/dev/null || true)
  [[ $state == running || $state == degraded ]] && break
  sleep 1
done
docker exec -i "$NAME" sh -eu >&2 <<'SETUP'
mkdir -p /etc/containerd/certs.d/docker.io /var/lib/kubelet
printf 'version = 3\n\n[plugins."io.containerd.cri.v1.images".pinned_images]\n  sandbox = "registry.k8s.io/pause:3.10"\n' \
  > /etc/containerd/config.toml
printf '[host."http://127.0.0.1:5000"]\n  capabilities = ["pull", "resolve"]\n' \
  > /etc/containerd/certs.d/docker.io/hosts.toml
printf 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncontainerRuntimeEndpoint: unix:///run/containerd/containerd.sock\n' \
  > /var/lib/kubelet/config.yaml
systemctl restart containerd
for i in $(seq 30); do [ -S /run/containerd/containerd.sock ] && break; sleep 1; done
containerd --version
echo "config dump: $(containerd config dump | grep -E '^\s*config_path' | tr -s ' ')"
SETUP
docker exec "$NAME" mkdir -p /tmp/pullfix-capture
for f in _cri.py _hpack.py _evidence.py; do
  sed 's/from ansible_collections.kubenode.pullfix.plugins.module_utils\./from /' \
    "$ROOT/plugins/module_utils/$f" | docker exec -i "$NAME" sh -c "cat > /tmp/pullfix-capture/$f"
done
docker exec -i "$NAME" python3 - <<'PY'
import json, sys, time
sys.path.insert(0, "/tmp/pullfix-capture")
import _evidence
for _attempt in range(30):  # the socket appears before the CRI plugin answers
    ev = _evidence.gather(probe_timeout=5.0)
    if (ev["sockets"]["/run/containerd/containerd.sock"].get("runtime_probe") or {}).get("ok"):
        break
    time.sleep(1)
ev["hostname"] = "debian13-c21"
ev["elapsed_ms"] = 0.0
print(json.dumps(ev, indent=1, sort_keys=True))
PY
