"""node_runtime under containerd: one CRI endpoint for kubeadm, a real CRI pull, cri-dockerd skipped.

The stale cri-dockerd is a stand-in (files/cri-dockerd-standin.sh); containerd, systemd and the
registry are real.
"""
import json
import os
import re

testinfra_hosts = ["ansible://all"]

EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
SOCKET = "unix:///run/containerd/containerd.sock"
# kubeadm's defaultKnownCRISockets (cmd/kubeadm/app/util/runtime/runtime.go, with the constants of
# cmd/kubeadm/app/constants/constants_unix.go; Kubernetes 1.24 and later): with no criSocket given,
# kubeadm keeps each entry that isExistingSocket accepts and stops with "found multiple CRI
# endpoints on the host" when more than one is left. isExistingSocket dials the socket
# (net.Dial("unix", path)); kubeadm before 1.24 only stat()ed it and knew docker.sock instead.
KUBEADM_KNOWN_CRI_SOCKETS = (
    "unix:///var/run/containerd/containerd.sock",
    "unix:///var/run/crio/crio.sock",
    "unix:///var/run/cri-dockerd.sock",
)
DIAL = "import socket, sys; s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1])"
LOG_PREFIX = re.compile(r"^\S+ \S+ p=\d+ u=\S+ n=ansible \w+\| ")
CRI_DOCKERD_TASK = re.compile(r"TASK \[kubenode\.pullfix\.node_runtime : Docker CRI \(cri-dockerd\)")


def kubeadm_detected(host):
    """What kubeadm's detection finds: each known URL whose socket accepts a connection."""
    found = []
    for url in KUBEADM_KNOWN_CRI_SOCKETS:
        if host.run("python3 -c '%s' %s" % (DIAL, url[len("unix://"):])).rc == 0:
            found.append(url)
    return found


def test_kubeadm_finds_exactly_one_cri_endpoint(host):
    assert kubeadm_detected(host) == ["unix:///var/run/containerd/containerd.sock"]


def unit_state(host, unit):
    out = host.check_output("systemctl show --property=ActiveState --property=UnitFileState %s" % unit)
    return dict(line.split("=", 1) for line in out.splitlines())


def test_stale_cri_dockerd_is_stopped_and_disabled(host, recorded):
    # The socket was enabled: now disabled and stopped, so nothing starts the service again.
    assert unit_state(host, "cri-docker.socket") == {"ActiveState": "inactive", "UnitFileState": "disabled"}
    # The service is static (prepare.yml): stopped; "static" is what systemd says of it whatever is done.
    assert unit_state(host, "cri-docker.service") == {"ActiveState": "inactive", "UnitFileState": "static"}
    assert not host.file("/run/cri-dockerd.sock").exists
    commands = [" ".join(c["argv"]) for c in recorded("real")["commands"]]
    assert "systemctl disable --now cri-docker.service cri-docker.socket" in commands
    assert any(c.startswith("rm -f -- ") and "cri-dockerd.sock" in c for c in commands), commands


def test_second_run_leaves_the_static_service_alone(host, recorded):
    # The idempotence step failed on any change; this says which one would have been wrong:
    # a static service that is not running needs no stop and cannot be disabled.
    second = recorded("second")
    assert second["commands"] == [] and second["changes"] == [], second


def test_cri_dockerd_tasks_were_visibly_skipped(host):
    # ANSIBLE_LOG_PATH (molecule.yml) holds every run's output, each line behind a time stamp
    with open(os.path.join(EPHEMERAL, "ansible.log")) as f:
        log = "\n".join(LOG_PREFIX.sub("", line) for line in f.read().splitlines())
    name = host.backend.get_hostname()
    # the message task ran and says why
    assert "Docker CRI (cri-dockerd): skipped, the runtime is containerd" in log
    assert "cri-dockerd is not installed: it serves Docker Engine only and pullfix_runtime is containerd" in " ".join(
        log.split())
    # every task of the cri-dockerd install was skipped on this host, none ran
    blocks = re.split(r"\n(?=TASK \[)", log)
    install = [b for b in blocks if CRI_DOCKERD_TASK.match(b) and "skipped, the runtime" not in b.split("\n", 1)[0]]
    assert install, "no cri-dockerd install task in the log"
    for block in install:
        assert "skipping: [%s]" % name in block, block[:300]
        assert ("ok: [%s]" % name) not in block and ("changed: [%s]" % name) not in block
    assert not host.file("/etc/systemd/system/cri-docker.service").contains("kubenode.pullfix")


def test_containerd_configured_from_bare(host):
    text = host.file("/etc/containerd/config.toml").content_string
    assert 'config_path = "/etc/containerd/certs.d"' in text
    assert "SystemdCgroup = true" in text
    dump = host.check_output("containerd config dump")
    assert re.search(r"SystemdCgroup = true", dump)
    # the runc runtime keeps its type (1.x would otherwise leave runtime_type empty)
    assert re.search(r"runtime_type = ['\"]io\.containerd\.runc\.v2['\"]", dump)
    assert host.service("containerd").is_running and host.service("containerd").is_enabled


def test_crictl_points_at_containerd(host):
    assert host.file("/etc/crictl.yaml").contains("^runtime-endpoint: %s$" % SOCKET)


def test_a_cri_pull_works(host, recorded):
    host.run("ctr -n k8s.io images rm docker.io/library/a:1")
    args = {"endpoint": SOCKET, "action": "pull", "images": ["docker.io/library/a:1"], "fail_on_error": False}
    result = host.ansible("kubenode.pullfix.cri_pull", json.dumps(args), check=False)["results"][0]
    assert result["ok"], result["error"]
    # and the role's own verification pulled it through CRI after the restart
    verify = recorded("real")["verify"] or {}
    assert verify["endpoint"] == SOCKET
    assert [(v["image"], v["ok"]) for v in verify["results"]] == [("docker.io/library/a:1", True)], verify


def test_check_mode_predicted_exactly_the_changes_made(check_predicted):
    _check, real = check_predicted
    assert real["changes"]


def test_doctor_saw_the_stale_cri_dockerd_and_it_is_fixed(host, recorded):
    findings = dict((f["id"], f) for f in recorded("real")["findings"])
    # two sockets among kubeadm's defaults: kubeadm init/join fail now, so an error
    assert findings["multiple-cri-endpoints"]["severity"] == "error"
    assert findings["multiple-cri-endpoints"].get("fixed") is True
    # cri-dockerd itself under containerd: a risk, not a failure on its own
    assert findings["cri-dockerd-without-docker"]["severity"] == "warning"
    assert findings["cri-dockerd-without-docker"].get("fixed") is True
    assert not [f for f in findings.values() if f["severity"] == "error" and not f.get("fixed")], findings
