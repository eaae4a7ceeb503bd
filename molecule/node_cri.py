"""What the harness and facts scenarios' testinfra tests ask of a node's containerd: CRI calls through
the collection's cri_pull module, a registry's config digest, a restart that waits for CRI.
(molecule/conftest.py puts this folder on pytest's path.)"""
import json
import time

import pytest

SOCKET = "unix:///run/containerd/containerd.sock"
MANIFEST = "/v2/pullfix/hello/manifests/1"


def cri(host, **args):
    result = host.ansible("kubenode.pullfix.cri_pull", json.dumps(args), check=False)
    assert not result.get("failed"), result.get("msg")
    return result


def cri_pull(host, image):
    host.run("ctr -n k8s.io images rm %s" % image)
    return cri(host, endpoint=SOCKET, action="pull", images=[image], fail_on_error=False)["results"][0]


def config_digest(host, registry):
    """The config digest of pullfix/hello:1 in one registry: what PullImage returns as image_ref."""
    return host.check_output(
        "python3 -c 'import json, urllib.request as u; r = u.urlopen(u.Request("
        "\"http://%s%s\", headers={\"Accept\": \"application/vnd.oci.image.manifest.v1+json\"})); "
        "print(json.load(r)[\"config\"][\"digest\"])'" % (registry, MANIFEST)
    ).strip()


def restart_containerd(host):
    host.check_output("systemctl restart containerd")
    deadline = time.monotonic() + 30
    while True:
        probe = host.ansible("kubenode.pullfix.cri_pull", json.dumps({"endpoint": SOCKET, "action": "version"}), check=False)
        if not probe.get("failed"):
            return
        if time.monotonic() > deadline:
            pytest.fail("CRI did not answer within 30 s of restarting containerd: %s" % probe.get("msg"))
        time.sleep(0.5)
