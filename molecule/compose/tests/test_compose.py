"""Roles compose: a user's play chains containerd_registry, runtime_socket and node_runtime.

Each role edits /etc/containerd/config.toml and restarts containerd; each must plan from the
file as the role before it left it, and none may run the handlers of the user's play.
"""
import json
import os

testinfra_hosts = ["ansible://all"]

EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
CONFIG = "/etc/containerd/config.toml"
SOCKET = "unix:///run/containerd/containerd.sock"


def first_real_run(host):
    """The steps of the first real run, in the order they ran: [(step, detail)]."""
    path = os.path.join(EPHEMERAL, "changes", "order-%s.log" % host.backend.get_hostname())
    with open(path) as f:
        rows = [[part.strip() for part in line.split(" | ")] for line in f.read().splitlines()]
    steps, seen = [], set()
    for row in rows:
        if row[0] == "real" and row[1] not in seen:
            seen.add(row[1])
            steps.append((row[1], row[2:]))
    return steps


def test_user_handler_runs_once_at_the_end_of_the_play(host):
    names = [name for name, _detail in first_real_run(host)]
    assert names == ["notified", "containerd_registry", "runtime_socket", "node_runtime", "user handler"], names


def test_each_role_changed_config_toml_from_the_file_the_one_before_left(host):
    # A role planning from the evidence gathered before the previous role's change would be
    # refused ("changed since it was gathered") and the play would have failed.
    steps = dict(first_real_run(host))
    for role in ("containerd_registry", "runtime_socket", "node_runtime"):
        assert CONFIG in steps[role][0].split(","), (role, steps[role])
    assert "/etc/containerd/certs.d/docker.io/hosts.toml" in steps["containerd_registry"][0].split(",")


def test_every_role_edit_is_in_config_toml(host):
    config = host.file(CONFIG).content_string
    assert 'config_path = "/etc/containerd/certs.d"' in config
    assert "gid = %d" % host.group("crisock").gid in config
    assert "SystemdCgroup = true" in config
    dump = host.check_output("containerd config dump")
    assert "/etc/containerd/certs.d" in dump and "SystemdCgroup = true" in dump
    sock = host.file("/run/containerd/containerd.sock")
    assert sock.is_socket and sock.mode == 0o660 and sock.group == "crisock"


def test_the_last_role_verified_the_pull_after_its_restart(host):
    steps = dict(first_real_run(host))
    assert json.loads(steps["node_runtime"][1]) == [True], steps["node_runtime"]


def test_a_cri_pull_works(host):
    host.run("ctr -n k8s.io images rm docker.io/library/a:1")
    args = {"endpoint": SOCKET, "action": "pull", "images": ["docker.io/library/a:1"], "fail_on_error": False}
    result = host.ansible("kubenode.pullfix.cri_pull", json.dumps(args), check=False)["results"][0]
    assert result["ok"], result["error"]
    assert result["image_ref"].startswith("sha256:")
