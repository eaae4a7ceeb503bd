"""image-cri-shim after the fix: cold boots, CRI pulls through the shim, the files it changed.

image-cri-shim and kubelet are stand-ins (molecule/cri_shim/files/); containerd, systemd and the
registry are real.
"""
import json
import os
import subprocess

import yaml

testinfra_hosts = ["ansible://all"]

EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
SHIM = "unix:///var/run/image-cri-shim.sock"
RUNTIME = "unix:///run/containerd/containerd.sock"
IMAGE = "127.0.0.1:5000/library/a:1"
DROPIN = "/etc/systemd/system/image-cri-shim.service.d/50-kubenode-pullfix.conf"
KUBELET_DROPIN = "/etc/systemd/system/kubelet.service.d/50-kubenode-pullfix.conf"


def units(text):
    """systemctl show output of several units -> {Id: {property: value}}."""
    out = {}
    for block in text.strip().split("\n\n"):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        out[props["Id"]] = props
    return out


def boot(name, label):
    with open(os.path.join(EPHEMERAL, "boot", "%s-%s.json" % (name, label))) as f:
        record = json.load(f)
    record["units"] = units(record["units"])
    return record


def cold_boot(name):
    """Restart the node container, wait for the boot, pull through the shim at once."""
    # The journal outlives a container restart and the boot id is the host's: read from a cursor.
    cursor = subprocess.run(["docker", "exec", name, "journalctl", "-n", "0", "--show-cursor", "--no-pager"],
                            capture_output=True, text=True, check=True).stdout.strip().rsplit("cursor: ", 1)[-1]
    subprocess.run(["docker", "restart", "--time", "5", name], check=True, capture_output=True)
    for _attempt in range(30):
        state = subprocess.run(["docker", "exec", name, "timeout", "120", "systemctl", "is-system-running", "--wait"],
                               capture_output=True, text=True, check=False).stdout.strip()
        if state in ("running", "degraded"):
            break
    pull = subprocess.run(["docker", "exec", name, "python3", "/usr/local/lib/pullfix-shim-standin/cri-pull-once",
                           SHIM, IMAGE], capture_output=True, text=True, check=False)
    show = subprocess.run(["docker", "exec", name, "systemctl", "show", "--no-pager",
                           "--property=Id,ActiveState,NRestarts,ExecMainStartTimestampMonotonic,"
                           "ActiveEnterTimestampMonotonic,After",
                           "image-cri-shim.service", "containerd.service", "registry.service", "kubelet.service"],
                          capture_output=True, text=True, check=True).stdout
    journal = subprocess.run(["docker", "exec", name, "journalctl", "-u", "image-cri-shim.service", "--no-pager",
                              "-o", "cat", "--after-cursor=" + cursor], capture_output=True, text=True, check=False).stdout
    return pull, units(show), journal


def test_before_the_fix_a_cold_boot_left_the_shim_failed(host):
    before = boot(host.backend.get_hostname(), "before")
    assert "failed to connect to image services" in before["journal"]
    assert before["pull_rc"] != 0, before["pull"]
    assert "image-cri-shim.sock" in before["pull_error"]


def test_after_the_fix_a_cold_boot_starts_the_shim_after_containerd_and_the_registry(host):
    name = host.backend.get_hostname()
    pull, state, journal = cold_boot(name)
    # a CRI PullImage through the shim's socket right after the boot, with no retry
    assert pull.returncode == 0, pull.stderr
    assert pull.stdout.startswith("sha256:")
    shim, containerd, registry = (state["image-cri-shim.service"], state["containerd.service"],
                                  state["registry.service"])
    assert shim["ActiveState"] == "active" and shim["NRestarts"] == "0", shim
    assert "failed to connect" not in journal
    started = int(shim["ExecMainStartTimestampMonotonic"])
    assert started >= int(containerd["ActiveEnterTimestampMonotonic"]) > 0
    assert started >= int(registry["ActiveEnterTimestampMonotonic"]) > 0
    assert {"containerd.service", "registry.service"} <= set(shim["After"].split())
    kubelet = state["kubelet.service"]
    assert "image-cri-shim.service" in kubelet["After"].split()
    assert int(kubelet["ExecMainStartTimestampMonotonic"]) >= started
    # Figures for the record: .build/cri_shim-boots.jsonl in the checkout
    record = {"host": name, "pull": pull.stdout.strip(),
              "shim_start_after_containerd_ready_ms": (started - int(containerd["ActiveEnterTimestampMonotonic"])) // 1000,
              "shim_start_after_registry_ready_ms": (started - int(registry["ActiveEnterTimestampMonotonic"])) // 1000}
    build = os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), ".build")
    if os.path.isdir(build):
        with open(os.path.join(build, "cri_shim-boots.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")


def test_dropins_are_ours_and_verified(host):
    dropin = host.file(DROPIN)
    assert dropin.contains("kubenode.pullfix")
    assert dropin.contains("^After=containerd.service registry.service$")
    assert dropin.contains("--socket /run/containerd/containerd.sock --registry http://127.0.0.1:5000")
    assert host.file(KUBELET_DROPIN).contains("^After=image-cri-shim.service$")
    for unit in ("image-cri-shim.service", "kubelet.service"):
        assert host.run("systemd-analyze verify %s" % unit).rc == 0


def test_shim_config_changed_only_in_cri_and_address(host):
    old = host.file("/root/image-cri-shim.yaml.orig").content_string.splitlines()
    new = host.file("/etc/image-cri-shim.yaml").content_string.splitlines()
    assert len(old) == len(new)
    changed = [(a, b) for a, b in zip(old, new) if a != b]
    keys = [b.split(":", 1)[0] for _a, b in changed]
    assert set(keys) <= {"cri", "address"} and "address" in keys
    data = yaml.safe_load("\n".join(new))
    assert data["cri"] in ("/run/containerd/containerd.sock", RUNTIME)
    assert data["address"] == "http://127.0.0.1:5000"
    assert "address: http://127.0.0.1:5000   # the node-local registry" in new
    assert host.file("/etc/image-cri-shim.yaml").mode == 0o600


def test_kubelet_uses_the_shim_only_for_images(host):
    name = host.backend.get_hostname()
    if name == "csh-flags-d13":
        flags = host.file("/var/lib/kubelet/kubeadm-flags.env").content_string
        assert "--container-runtime-endpoint=%s" % RUNTIME in flags
        assert "--image-service-endpoint=%s" % SHIM in flags
        assert "--pod-infra-container-image=127.0.0.1:5000/pause:3.8" in flags
        assert "containerRuntimeEndpoint" not in host.file("/var/lib/kubelet/config.yaml").content_string
    else:
        data = yaml.safe_load(host.file("/var/lib/kubelet/config.yaml").content_string)
        assert data["containerRuntimeEndpoint"] == RUNTIME
        assert data["imageServiceEndpoint"] == SHIM
    # the running kubelet (stand-in) was restarted with them
    cmdline = host.check_output("cat /proc/$(systemctl show -p MainPID --value kubelet)/cmdline | tr '\\0' ' '")
    if name == "csh-flags-d13":
        assert "--image-service-endpoint=%s" % SHIM in cmdline


def test_runtime_endpoint_answers_version_and_shim_answers_images_only(host):
    version = host.run("python3 -c \"import sys; sys.path.insert(0, '/usr/local/lib/pullfix-shim-standin'); "
                       "from ansible_collections.kubenode.pullfix.plugins.module_utils import _cri; "
                       "print(_cri.probe('%s', 'runtime')['outcome'], _cri.probe('%s', 'runtime')['outcome'])\"" % (
                           RUNTIME, SHIM))
    assert version.stdout.split() == ["ok", "unimplemented"]


def test_kubeadm_pulls_from_the_local_registry(host):
    text = host.file("/etc/kubernetes/kubeadm-config.yaml").content_string
    cluster = [d for d in yaml.safe_load_all(text) if d and d.get("kind") == "ClusterConfiguration"][0]
    assert cluster["imageRepository"] == "127.0.0.1:5000"
    assert "criSocket: unix:///run/containerd/containerd.sock" in text


def test_report_lists_what_kubeadm_pulls(host):
    with open(os.path.join(EPHEMERAL, "changes", "%s-real.json" % host.backend.get_hostname())) as f:
        real = json.load(f)
    notes = " ".join(real["notes"])
    assert "127.0.0.1:5000/kube-apiserver:v1.25.6" in notes and "127.0.0.1:5000/etcd:3.5.6-0" in notes
    # prepare pushed pause:3.8 only: the registry's real catalogue says what is missing
    lacks = [n for n in real["notes"] if "lacks" in n]
    assert lacks and "lacks 6 of them" in lacks[0], real["notes"]
    assert "pause" not in lacks[0] and "127.0.0.1:5000/kube-apiserver:v1.25.6" in lacks[0]


def test_check_mode_predicted_exactly_the_changes_made(check_predicted):
    check, real = check_predicted
    assert real["changes"]
    assert check["diff"], "check mode showed no diff"
    assert "passw0rd" not in json.dumps(check) and "passw0rd" not in json.dumps(real)
