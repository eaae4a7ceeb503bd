"""runtime_socket on k3s-like nodes, proven by the consumer's own CRI call (a stand-in for Spegel)."""
import json
import os
import subprocess
import time

import pytest

testinfra_hosts = ["ansible://all"]

REAL = "/run/k3s/containerd/containerd.sock"
CONVENTIONAL = "/run/containerd/containerd.sock"
CONSUMER = "spegel-standin"
DROPIN = "/etc/systemd/system/spegel-standin.service.d/50-pullfix-runtime-socket.conf"
TMPFILES = "/etc/tmpfiles.d/pullfix-runtime-socket.conf"
EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOCKET_IDS = ("socket-world-accessible", "socket-group-mismatch", "socket-consumer-unordered",
              "socket-compat-link-missing", "crictl-endpoint-missing")


def consumer_call(host, user):
    """One CRI Version call through the conventional path, as ``user``."""
    return host.run("runuser -u %s -- python3 /usr/local/lib/spegel-standin/spegel-standin.py --once" % user)


def assert_fixed(host):
    sock = host.file(REAL)
    assert sock.is_socket
    assert sock.mode == 0o660, oct(sock.mode)
    assert sock.group == "crisock"
    link = host.file(CONVENTIONAL)
    assert link.is_symlink and link.linked_to == REAL
    assert host.service(CONSUMER).is_running
    log = host.check_output("journalctl -b -u %s -o cat --no-pager" % CONSUMER)
    assert "CRI Version answered at unix://%s: containerd" % CONVENTIONAL in log, log


def test_consumer_answers_through_the_conventional_path(host):
    assert_fixed(host)
    call = consumer_call(host, CONSUMER)
    assert call.rc == 0, call.stdout
    assert "answered" in call.stdout


def test_user_outside_the_group_is_refused(host):
    call = consumer_call(host, "outsider")
    assert call.rc == 1
    assert "Permission denied" in call.stdout


def test_socket_is_never_world_accessible(host):
    assert host.file(REAL).mode & 0o007 == 0
    assert host.file("/etc/containerd/config.toml").contains("^ *gid = %d$" % host.group("crisock").gid)


def test_crictl_points_at_the_real_socket(host):
    assert host.file("/etc/crictl.yaml").content_string == "runtime-endpoint: unix://%s\n" % REAL


def test_consumer_is_ordered_after_the_runtime_and_waits(host):
    props = host.check_output("systemctl show -p After -p DropInPaths %s" % CONSUMER)
    assert "containerd.service" in props.split("After=", 1)[1].split("\n", 1)[0]
    assert DROPIN in props
    assert host.file(DROPIN).contains("ExecStartPre=.*-S %s" % REAL)
    assert host.run("systemd-analyze verify %s.service" % CONSUMER).rc == 0


def test_check_mode_predicted_the_changes_and_showed_diffs(check_predicted):
    check, real = check_predicted
    paths = sorted((c["path"], c["action"]) for c in real["changes"])
    assert paths == sorted([("/etc/containerd/config.toml", "updated"), ("/etc/crictl.yaml", "created"),
                            (DROPIN, "created"), (TMPFILES, "created")])
    assert ["chmod", "0660", REAL] in [c["argv"] for c in real["commands"]]
    shown = json.dumps(check["diff"])
    assert "gid = " in shown and "ExecStartPre" in shown and "runtime-endpoint" in shown


def test_doctor_finds_the_socket_problems_gone(host):
    report_dir = os.path.join(EPHEMERAL, "after-fix-report")
    subprocess.run(["ansible-playbook", "-i", INVENTORY, os.path.join(HERE, "..", "..", "playbooks", "diagnose.yml"),
                    "--limit", host.backend.get_hostname(), "-e", "pullfix_report_dir=" + report_dir],
                   check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(report_dir, host.backend.get_hostname() + ".json")) as f:
        found = [f["id"] for f in json.load(f)["findings"] if not f.get("fixed")]
    assert not [fid for fid in found if fid in SOCKET_IDS], found


def test_z_cold_boot_keeps_link_group_and_ordering(host):
    """A restart of the node container: /run is a tmpfs, so the link comes back only from tmpfiles.d."""
    name = host.backend.get_hostname()
    subprocess.run(["docker", "restart", name], check=True, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    state = ""
    while time.monotonic() < deadline:
        state = subprocess.run(["docker", "exec", name, "systemctl", "is-system-running"],
                               stdout=subprocess.PIPE, universal_newlines=True, check=False).stdout.strip()
        if state in ("running", "degraded"):
            break
        time.sleep(1)
    assert state in ("running", "degraded"), state
    for _attempt in range(30):  # the consumer may still be waiting for the socket in ExecStartPre
        if host.service(CONSUMER).is_running and "answered" in host.run(
                "journalctl -b -u %s -o cat --no-pager" % CONSUMER).stdout:
            break
        time.sleep(1)
    assert_fixed(host)
    assert "Permission denied" in consumer_call(host, "outsider").stdout


def run_role(limit, extra):
    argv = ["ansible-playbook", "-i", INVENTORY, os.path.join(HERE, "converge.yml"), "--limit", limit,
            "-e", json.dumps(extra)]
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)


def test_y_bad_input_is_named_and_changes_nothing(host):
    name = host.backend.get_hostname()
    if name != "rsk-k3s-d12":
        pytest.skip("runs once, on rsk-k3s-d12")
    files = "find /etc/systemd/system /etc/tmpfiles.d /etc/containerd /etc/crictl.yaml -type f -exec sha256sum {} + | sort"
    before = host.check_output(files)
    run = run_role(name, {"pullfix_socket_consumers": ["no-such-consumer", "spegel-standin"]})
    out = " ".join(run.stdout.split())  # the YAML callback wraps long lines
    assert run.returncode == 0, run.stdout
    assert "no-such-consumer.service: no such unit (pullfix_socket_consumers); nothing written for it" in out
    assert "changed=0" in out
    run = run_role(name, {"pullfix_socket_consumers": ["../etc/passwd"]})
    out = " ".join(run.stdout.split())
    assert run.returncode != 0
    assert "pullfix_socket_consumers[0]: '../etc/passwd' is not a systemd unit name" in out
    assert host.check_output(files) == before
    assert_fixed(host)
