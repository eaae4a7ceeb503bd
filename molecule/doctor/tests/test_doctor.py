"""The doctor names exactly the incidents each node was broken with, and writes nothing."""
import json
import os
import xml.etree.ElementTree as ET

import pytest

testinfra_hosts = ["ansible://all"]

REPORT_DIR = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "report")

# Every finding id (info included) the doctor must report per node, and no other.
EXPECTED = {
    "doctor-healthy-d12": set(),
    "doctor-healthy-d13": set(),
    "doctor-mirrors-d13": {
        "containerd-mirrors-with-config-path", "cri-endpoint-no-cri-service",
        "socket-world-accessible", "containerd-config-path-missing",
    },
    # kubelet already runs on containerd: the extra socket only stops the next kubeadm join/reset
    "doctor-kubekey-d12": {"multiple-cri-endpoints-kubelet-set", "cri-dockerd-without-docker"},
    "doctor-sealos-d13": {
        "cri-endpoint-missing", "shim-cri-socket-missing", "shim-unit-unordered",
        "kubeadm-image-repository-not-local",
    },
    # kubelet runs on containerd: the k3s file's wildcard breaks nothing here, a warning under its own id
    "doctor-k3s-crio-d12": {
        "k3s-wildcard-mirror-broken-runtime-unused", "search-registries-overridden", "search-registries-effective",
    },
    # kubelet's endpoint from a --config-dir drop-in must not give a false cri-endpoint-missing
    "doctor-consumers-d13": {"crictl-endpoint-missing", "registries-conf-v1-dropin"},
    # containerd 2.1 as its careful users leave it: version 3, config_path, pinned sandbox
    "doctor-healthy-c21": set(),
    # containerd 2.1 reads no certs.d without config_path (no default before 2.2)
    "doctor-nopath-c21": {"containerd-config-path-unset"},
}


def report(name):
    with open(os.path.join(REPORT_DIR, name + ".json")) as f:
        return json.load(f)


@pytest.fixture
def name(host):
    return host.backend.get_hostname()


def test_exact_findings(name):
    got = {f["id"] for f in report(name)["findings"]}
    assert got == EXPECTED[name]


def test_healthy_nodes_have_no_error(name):
    if "healthy" in name:
        assert not [f for f in report(name)["findings"] if f["severity"] == "error"]


def test_every_finding_is_explained(name):
    for f in report(name)["findings"]:
        assert f["evidence"] and f["explanation"] and f["remediation"]
        assert f["fixed"] is False
        assert f["category"] in ("pull", "consumer", "security", "hygiene")


# Symptoms the real nodes show, each under the root cause that explains it.
CAUSED_BY = {
    "doctor-mirrors-d13": {"cri-endpoint-no-cri-service": "containerd-mirrors-with-config-path"},
    "doctor-kubekey-d12": {"multiple-cri-endpoints-kubelet-set": "cri-dockerd-without-docker"},
}


def test_root_causes_first(name):
    findings = report(name)["findings"]
    got = {f["id"]: f["caused_by"] for f in findings if f["caused_by"]}
    assert got == CAUSED_BY.get(name, {})
    order = [f["id"] for f in findings]
    for symptom, cause in got.items():
        assert order.index(symptom) == order.index(cause) + 1


def test_runtime_came_from_a_real_cri_call(host, name):
    runtime = report(name)["runtime"]
    assert runtime["name"] == "containerd"
    assert runtime["endpoint"] == "unix:///run/containerd/containerd.sock"
    # The version the CRI client read must be the node's real containerd.
    assert runtime["version"] in host.check_output("containerd --version")
    if name != "doctor-mirrors-d13":  # its CRI plugin is down: no Version answer
        assert "CRI Version" in runtime["source"]


def test_kubelet_endpoint_as_the_running_kubelet_resolves_it(name):
    if name != "doctor-consumers-d13":
        pytest.skip("only this node runs the kubelet stand-in")
    # --config=kubelet-config.yaml (relative to its cwd) names a missing socket; the last
    # --config-dir drop-in names the real one and wins.
    source = report(name)["runtime"]["source"]
    assert "/etc/kubernetes/kubelet.conf.d/20-endpoint.conf:3 containerRuntimeEndpoint" in source


def test_consumer_finding_names_the_socket_that_exists(name):
    if name != "doctor-consumers-d13":
        pytest.skip("only this node points crictl elsewhere")
    f = next(f for f in report(name)["findings"] if f["id"] == "crictl-endpoint-missing")
    assert f["category"] == "consumer" and f["severity"] == "error"
    assert "/run/containerd/containerd.sock: a runtime answers here" in f["evidence"]


def test_v1_drop_in_really_breaks_every_podman_pull(host, name):
    if name != "doctor-consumers-d13":
        pytest.skip("only this node carries the v1 drop-in")
    # the error comes from loading the configuration, before any network access
    result = host.run("podman pull --quiet 127.0.0.1:5000/library/pause:3.10")
    assert result.rc != 0
    assert "must be in v2 format but is in v1" in result.stderr


def test_credentials_stay_out_of_reports(name):
    # The shim config on the Sealos node carries `auth: admin:passw0rd`.
    for fname in os.listdir(REPORT_DIR):
        with open(os.path.join(REPORT_DIR, fname)) as f:
            assert "passw0rd" not in f.read()


def test_doctor_wrote_nothing_on_the_node(host):
    changed = host.check_output(
        "find /etc /usr/local /var/lib/kubelet /var/lib/rancher /var/lib/docker-registry "
        "-newer /var/tmp/pullfix-prepared -print 2>/dev/null || true")
    assert changed == ""


def test_fleet_summary_and_junit():
    with open(os.path.join(REPORT_DIR, "summary.md")) as f:
        summary = f.read()
    for node in EXPECTED:
        assert node in summary
    assert "#### ERROR `cri-endpoint-no-cri-service`, caused by `containerd-mirrors-with-config-path`" in summary
    suites = ET.parse(os.path.join(REPORT_DIR, "junit.xml")).getroot()
    failures = {s.get("name"): int(s.get("failures")) for s in suites.iter("testsuite")}
    assert failures["doctor-healthy-d12"] == 0
    # three error findings, and CRI Version on kubelet's runtime endpoint (the CRI plugin did not load)
    assert failures["doctor-mirrors-d13"] == 4
    version = {s.get("name"): [c for c in s.iter("testcase") if c.get("name", "").startswith("CRI Version ")]
               for s in suites.iter("testsuite")}
    assert len(version["doctor-mirrors-d13"]) == 1 and version["doctor-mirrors-d13"][0].find("failure") is not None
    assert len(version["doctor-healthy-d12"]) == 1 and version["doctor-healthy-d12"][0].find("failure") is None
