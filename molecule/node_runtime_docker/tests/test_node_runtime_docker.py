"""node_runtime under docker: Debian's docker.io installed by the role, cri-dockerd (a stand-in,
files/cri-dockerd-standin.py) installed from a checked file, its socket answering CRI Version.

Docker Engine, containerd, systemd and apt are real.
"""
import hashlib
import json
import os

testinfra_hosts = ["ansible://all"]

EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
ENDPOINT = "unix:///var/run/cri-dockerd.sock"
UNITS = "/etc/systemd/system/cri-docker.service /etc/systemd/system/cri-docker.socket"


def test_docker_io_was_installed_by_the_role_from_the_local_repository(host, recorded):
    assert host.package("docker.io").is_installed
    real, check = recorded("real"), recorded("check")
    assert real["installed"] is True and real["missing"] == ["docker.io"]
    # the check run predicted the install without doing it
    assert check["installed"] is True and check["missing"] == ["docker.io"]
    policy = host.check_output("apt-cache policy docker.io")
    assert "file:/srv/pullfix-apt" in policy


def test_docker_engine_runs(host):
    assert host.service("docker").is_running and host.service("docker").is_enabled
    assert host.check_output("docker info --format '{{.Driver}}'") == "vfs"


def test_cri_dockerd_installed_from_the_checked_file(host):
    with open(os.path.join(EPHEMERAL, "cri-dockerd-standin"), "rb") as f:
        want = hashlib.sha256(f.read()).hexdigest()
    binary = host.file("/usr/local/bin/cri-dockerd")
    assert binary.sha256sum == want
    assert binary.mode == 0o755 and binary.user == "root"


def test_units_are_ours_and_verified(host):
    assert host.file("/etc/systemd/system/cri-docker.socket").contains("^SocketMode=0660$")
    assert host.file("/etc/systemd/system/cri-docker.socket").contains("^SocketGroup=docker$")
    assert host.file("/etc/systemd/system/cri-docker.service").contains("kubenode.pullfix")
    assert host.run("systemd-analyze verify %s" % UNITS).rc == 0
    for unit in ("cri-docker.socket", "cri-docker.service"):
        assert host.service(unit).is_running and host.service(unit).is_enabled, unit


def test_socket_mode_and_group(host):
    sock = host.file("/run/cri-dockerd.sock")
    assert sock.is_socket
    assert sock.mode == 0o660
    assert sock.group == "docker"


def test_socket_answers_cri_version(host):
    args = {"endpoint": ENDPOINT, "action": "version"}
    result = host.ansible("kubenode.pullfix.cri_pull", json.dumps(args), check=False)
    assert not result.get("failed"), result
    assert result["version"]["runtime_name"] == "docker"
    # the stand-in asked the real dockerd for its version
    docker_version = host.check_output("docker version --format '{{.Server.Version}}'")
    assert result["version"]["runtime_version"] == docker_version


def test_crictl_names_cri_dockerd(host):
    assert host.file("/etc/crictl.yaml").contains("^runtime-endpoint: %s$" % ENDPOINT)


def test_kubeadm_is_told_to_choose(host, recorded):
    notes = " ".join(recorded("real")["notes"])
    assert "criSocket: %s" % ENDPOINT in notes
