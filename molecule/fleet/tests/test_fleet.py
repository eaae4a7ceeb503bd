"""The main job across a fleet: one run fixes every node and proves it with CRI pulls, the check
run before it predicted exactly the files it changed, the second run changes nothing, the reports
cover every host, and no runtime socket, SELinux setting, TLS check or credential is given away."""
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

testinfra_hosts = ["ansible://all"]

EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
PLAYBOOK = os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "playbooks", "fix_pull.yml")
HOSTS = ["flt-dockercfg-d13", "flt-healthy-d13", "flt-hostdir-d13", "flt-mirrors-d12", "flt-nopath-c21",
         "flt-noversion-d12", "flt-podman-c21", "flt-sealos-d12", "flt-spegel-d13"]
# One host runs the checks of the whole fleet (reports, controller output) once.
FLEET_CHECKER = "flt-healthy-d13"
# What each node reproduced: findings the first run must report fixed.
FIXED = {
    "flt-mirrors-d12": {"containerd-mirrors-with-config-path", "cri-endpoint-no-cri-service", "socket-world-accessible"},
    "flt-noversion-d12": {"containerd-config-version-missing", "hosts-toml-unparsable", "containerd-config-path-unset"},
    "flt-sealos-d12": {"shim-unit-unordered", "kubeadm-image-repository-not-local", "sandbox-image-not-local"},
    "flt-dockercfg-d13": {"containerd-cri-disabled", "cri-endpoint-no-cri-service", "containerd-config-path-unset",
                          "cri-dockerd-without-docker", "multiple-cri-endpoints-kubelet-set"},
    "flt-hostdir-d13": {"certs-d-dir-never-matches"},
    "flt-spegel-d13": {"cri-endpoint-missing", "socket-world-accessible", "socket-compat-link-missing",
                       "socket-consumer-unordered"},
    "flt-healthy-d13": set(),
    "flt-nopath-c21": {"containerd-config-path-unset"},
    "flt-podman-c21": {"registries-conf-v1-dropin", "search-registries-mismatch", "containerd-config-path-unset"},
}
# Credentials the nodes hold: each may live only in its 0600 file (and that file's 0600 backups).
SECRETS = {
    "flt-noversion-d12": ("pullfix-canary-7f3a9c", r"^/etc/containerd/certs\.d/docker\.io/hosts\.toml(\..*\.pullfix~)?$"),
    "flt-sealos-d12": ("passw0rd", r"^/etc/image-cri-shim\.yaml(\..*\.pullfix~)?$"),
}


def load(kind, name):
    with open(os.path.join(EPHEMERAL, kind, name)) as f:
        return f.read() if not name.endswith(".json") else json.load(f)


def fleet_only(host):
    if host.backend.get_hostname() != FLEET_CHECKER:
        pytest.skip("a check of the whole fleet, run once")


def test_every_node_pulls_and_its_runtime_answers(host):
    name = host.backend.get_hostname()
    steady = load("report", name + ".json")  # the idempotence run's report: the state left behind
    assert [f["id"] for f in steady["findings"] if f["severity"] == "error" and not f["fixed"]] == []
    assert steady["verify"] and all(v["ok"] and v["image_ref"].startswith("sha256:") for v in steady["verify"])
    assert steady["version_check"]["ok"] and steady["version_check"]["runtime_name"] == "containerd"
    assert steady["outcome"] == "ok"


def test_first_run_fixed_what_the_node_reproduced(host):
    name = host.backend.get_hostname()
    first = load("first-report", name + ".json")
    fixed = {f["id"] for f in first["findings"] if f["fixed"]}
    assert FIXED[name] <= fixed, fixed
    assert all(v["ok"] for v in first["verify"])
    assert first["outcome"] == ("ok" if name == "flt-healthy-d13" else "fixed")
    assert bool(first["changes"] or first["commands"]) == (name != "flt-healthy-d13")


def test_check_run_predicted_exactly_the_files_changed(host):
    name = host.backend.get_hostname()
    predicted = load("check-report", name + ".json")
    made = load("first-report", name + ".json")
    assert predicted["outcome"] == ("ok" if name == "flt-healthy-d13" else "would change")
    assert sorted((c["path"], c["action"]) for c in predicted["changes"]) == \
        sorted((c["path"], c["action"]) for c in made["changes"])
    assert [c["argv"] for c in predicted["commands"]] == [c["argv"] for c in made["commands"]]
    assert not any(c["ran"] for c in predicted["commands"])


def test_check_run_showed_every_diff():
    log = load("", "check.log")
    for name in HOSTS:
        for change in load("first-report", name + ".json")["changes"]:
            if change["action"] != "removed":
                assert "+++ after: %s" % change["path"] in log, (name, change["path"])


def test_second_run_changed_nothing(host):
    steady = load("report", host.backend.get_hostname() + ".json")
    assert steady["changes"] == [] and not any(c["ran"] for c in steady["commands"])


def test_reports_cover_every_host(host):
    fleet_only(host)
    summary = load("report", "summary.md")
    rows = [line for line in summary.splitlines() if re.match(r"^\| flt-", line)]
    assert [r.split("|")[1].strip() for r in rows] == HOSTS
    assert all(r.rstrip(" |").endswith("| ok | ok") for r in rows), rows
    first_rows = [line for line in load("first-report", "summary.md").splitlines() if re.match(r"^\| flt-", line)]
    assert sum(1 for r in first_rows if r.rstrip(" |").endswith("| fixed")) == len(HOSTS) - 1
    junit = ET.fromstring(load("report", "junit.xml"))
    assert sorted(s.get("name") for s in junit.findall("testsuite")) == HOSTS
    assert junit.get("failures") == "0"
    for suite in junit.findall("testsuite"):
        names = [c.get("name") for c in suite.findall("testcase")]
        assert [n for n in names if n.startswith("CRI Version unix://")], suite.get("name")
        images = load("report", suite.get("name") + ".json")["verify"]
        assert images and all(v["image"] in names for v in images), suite.get("name")


def test_kubeadm_finds_one_cri_endpoint_on_the_kubekey_node(host):
    # incident 4: kubeadm dials its known sockets; after the run only containerd's answers
    if host.backend.get_hostname() != "flt-dockercfg-d13":
        pytest.skip("only this node reproduces incident 4")
    answering = [path for path in ("/var/run/containerd/containerd.sock", "/var/run/crio/crio.sock",
                                   "/var/run/cri-dockerd.sock")
                 if host.run("socat -u OPEN:/dev/null UNIX-CONNECT:%s" % path).rc == 0]
    assert answering == ["/var/run/containerd/containerd.sock"]
    assert not host.service("cri-docker").is_running and not host.service("cri-docker").is_enabled


def test_no_runtime_socket_is_world_accessible(host):
    # the CRI sockets (containerd's, k3s's path, the shim's); systemd's and D-Bus's own are 0666 by design
    sockets = host.check_output("find /run -xdev -type s \\( -name '*containerd*.sock' -o -name '*cri*.sock' \\) -print")
    assert sockets, "no runtime socket found: the test would prove nothing"
    assert host.check_output("find /run -xdev -type s \\( -name '*containerd*.sock' -o -name '*cri*.sock' \\) "
                             "-perm -0002 -print") == ""


def test_no_plan_touches_selinux_or_tls_verification(host):
    fleet_only(host)
    texts = [load("", "check.log")] + [json.dumps(load(kind, n + ".json")) for kind in ("check-report", "first-report")
                                       for n in HOSTS]
    for text in texts:
        assert "setenforce" not in text and "SELINUX=" not in text and "/etc/selinux" not in text
        assert "skip_verify = true" not in text


def test_node_has_no_skip_verify_and_no_selinux_config(host):
    assert host.run("grep -rIl skip_verify /etc/containerd").stdout == ""
    assert not host.file("/etc/selinux/config").exists


def test_the_podman_node_resolves_short_names_through_docker_io(host):
    if host.backend.get_hostname() != "flt-podman-c21":
        pytest.skip("the containers-image node")
    host.check_output("pullfix-short-name-pulls fleet-after")
    for image in ("pullfix_onlyhub_1", "pullfix_both_1"):
        assert host.file("/var/lib/pullfix-test/fleet-after/%s.rc" % image).content_string.strip() == "0"
        assert host.file("/var/lib/pullfix-test/fleet-after/%s.repo" % image).content_string.startswith("docker.io/")


def test_credentials_stay_in_their_0600_file_on_the_node(host):
    name = host.backend.get_hostname()
    if name not in SECRETS:
        pytest.skip("no credential on this node")
    secret, allowed = SECRETS[name]
    hits = host.run("grep -rlsF --exclude-dir=io.containerd.content.v1.content -e %s /etc /var/lib /run /tmp" % secret)
    paths = hits.stdout.split()
    assert paths, "the credential is not on the node at all: the test would prove nothing"
    for path in paths:
        assert re.match(allowed, path), path
        assert host.file(path).mode == 0o600, path
    assert host.run("journalctl --no-pager -o cat | grep -cF -e %s" % secret).stdout.strip() == "0"


def test_credentials_never_reach_output_or_reports(host):
    fleet_only(host)
    report_dir = os.path.join(EPHEMERAL, "vvv-report")
    run = subprocess.run(["ansible-playbook", "-vvv", "-i", INVENTORY, PLAYBOOK, "--limit", ",".join(SECRETS),
                          "-e", "pullfix_hosts=all", "-e", "pullfix_report_dir=" + report_dir],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert run.returncode == 0, run.stdout[-3000:]
    texts = {"-vvv output": run.stdout, "check.log": load("", "check.log")}
    for kind in ("check-report", "first-report", "report", "vvv-report"):
        for name in os.listdir(os.path.join(EPHEMERAL, kind)):
            texts["%s/%s" % (kind, name)] = load(kind, name)
    for secret, _allowed in SECRETS.values():
        for where, text in texts.items():
            assert secret not in text, where
