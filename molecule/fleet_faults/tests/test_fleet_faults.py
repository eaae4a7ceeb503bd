"""fix_pull.yml when things go wrong: a change the runtime does not come back from is rolled back
and stops the rollout before the later batches; a run killed while it applies leaves every file
whole and the next run converges; a configuration directory that cannot be written fails clearly
and leaves no partial file."""
import json
import os
import subprocess

import pytest

testinfra_hosts = ["ansible://all"]

EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
PLAYBOOK = os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "playbooks", "fix_pull.yml")
CANARY, KILLED, READONLY = "flt-f1-rollback-d12", "flt-f2-kill-d13", "flt-f3-readonly-c21"
IMAGE = "127.0.0.1:5000/library/a:1"
# Every file a run could touch on these nodes, with its bytes.
SNAPSHOT = ("find /etc /var/lib/kubelet /run/containerd -xdev -not -path /etc/mtab \\( -type f -o -type l -o -type s \\) "
            "-exec sha256sum {} + 2>/dev/null | sort")
CONTAINERD_FILES = "find /etc/containerd -type f -exec sha256sum {} + | sort"
# The same without this collection's backups (<file>.<stamp>.pullfix~)
CONTAINERD_OWN_FILES = "find /etc/containerd -type f -not -name '*.pullfix~' -exec sha256sum {} + | sort"


def run_fix(name, *extra):
    report_dir = os.path.join(EPHEMERAL, name)
    run = subprocess.run(["ansible-playbook", "-i", INVENTORY, PLAYBOOK, "-e", "pullfix_hosts=all",
                          "-e", "pullfix_report_dir=" + report_dir]
                         + list(extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                         check=False)
    return run, report_dir


def report(report_dir, host):
    with open(os.path.join(report_dir, host + ".json")) as f:
        return json.load(f)


def finding(entry, fid):
    found = [f for f in entry["findings"] if f["id"] == fid]
    assert found, [f["id"] for f in entry["findings"]]
    return found[0]


def pulls(host):
    host.run("ctr -n k8s.io images rm %s" % IMAGE)
    args = {"endpoint": "unix:///run/containerd/containerd.sock", "action": "pull", "images": [IMAGE],
            "fail_on_error": False}
    return host.ansible("kubenode.pullfix.cri_pull", json.dumps(args), check=False)["results"][0]["ok"]


def only_on(host, name):
    if host.backend.get_hostname() != name:
        pytest.skip("runs on %s" % name)


def test_a_failed_canary_is_rolled_back_and_stops_the_rollout(host):
    only_on(host, CANARY)
    nodes = dict((n, host.get_host("ansible://%s?ansible_inventory=%s" % (n, INVENTORY)))
                 for n in (CANARY, KILLED, READONLY))
    before = dict((n, h.check_output(SNAPSHOT)) for n, h in nodes.items())
    run, report_dir = run_fix("rollout")
    assert run.returncode != 0, run.stdout[-3000:]
    assert "Rolled back: containerd.service did not answer CRI Version" in run.stdout
    # the canary: its files back, containerd running with them, pulling
    restored = host.check_output(CONTAINERD_OWN_FILES).splitlines()
    assert restored and all(line in before[CANARY].splitlines() for line in restored)
    assert host.service("containerd").is_running and pulls(host)
    canary = report(report_dir, CANARY)
    assert canary["outcome"] == "rolled back"
    rolled = finding(canary, "remediation-rolled-back")
    assert "/etc/containerd/config.toml restored from /etc/containerd/config.toml." in "\n".join(rolled["evidence"])
    assert canary["verify"] and all(v["ok"] for v in canary["verify"])  # proven after the rollback
    # the later batches: never touched, and the report says so
    for name in (KILLED, READONLY):
        assert nodes[name].check_output(SNAPSHOT) == before[name], name
        later = report(report_dir, name)
        assert later["outcome"] == "not reached" and [f["id"] for f in later["findings"]] == ["host-not-reached"]
    with open(os.path.join(report_dir, "summary.md")) as f:
        summary = f.read()
    assert "| rolled back |" in summary and summary.count("| not reached |") == 2
    host.run("rm -f /etc/systemd/system/containerd.service.d/pullfix-fault.conf && systemctl daemon-reload")


def test_b_a_run_killed_while_it_applies_leaves_files_whole_and_the_next_converges(host):
    only_on(host, KILLED)
    old = dict(line.split()[::-1] for line in host.check_output(CONTAINERD_FILES).splitlines())
    host.run("rm -f /tmp/pullfix-killed.json")
    # The probe runs on the node and kills the module's processes the moment a staged file
    # appears next to a target: no delay is built into the shipped code.
    host.check_output("systemd-run --unit pullfix-kill-probe --collect /usr/bin/python3 /usr/local/lib/pullfix-kill-when-staged.py "
                      "/tmp/pullfix-killed.json /etc/containerd /etc/containerd/certs.d/docker.io")
    run, _dir = run_fix("killed", "--limit", KILLED)
    assert run.returncode != 0, run.stdout[-3000:]
    killed = json.loads(host.file("/tmp/pullfix-killed.json").content_string)
    assert killed["killed"], killed
    after_kill = dict(line.split()[::-1] for line in host.check_output(CONTAINERD_FILES).splitlines())
    assert host.service("containerd").is_running and pulls(host)

    run, report_dir = run_fix("after-kill", "--limit", KILLED)
    assert run.returncode == 0, run.stdout[-3000:]
    # "ok" when the kill came after the renames: the files were already the new ones
    assert report(report_dir, KILLED)["outcome"] in ("fixed", "ok")
    new = dict(line.split()[::-1] for line in host.check_output(CONTAINERD_FILES).splitlines())
    # every target file was, after the kill, either its old or its new self; the only extra files
    # are staged ones (the probe saw one; the module may have staged the next before it died),
    # which the next run removed
    staged = [p for p in after_kill if ".pullfix-" in p]
    for path, digest in after_kill.items():
        if path in staged:
            assert os.path.basename(path).startswith("."), path
            continue
        assert digest in (old.get(path), new.get(path)), path
    assert not [p for p in new if ".pullfix-" in p]

    run, report_dir = run_fix("steady", "--limit", KILLED)
    assert run.returncode == 0 and report(report_dir, KILLED)["changes"] == []


def test_b2_a_run_killed_after_its_renames_still_gets_its_restart(host):
    # A run killed after renaming its files into place and before restarting leaves files that are
    # right, a runtime still on the old ones, and the record apply_changes writes before the first
    # rename (unit-tested at the rename itself). The next run finds nothing to change, and still
    # owes the restart: it does it, verifies, and clears the record.
    only_on(host, KILLED)
    pid = host.check_output("systemctl show -p MainPID --value containerd")
    host.check_output("install -d -m 0700 /var/lib/kubenode-pullfix && printf 'containerd\\n' > "
                      "/var/lib/kubenode-pullfix/restart-pending")
    run, report_dir = run_fix("owed", "--limit", KILLED)
    assert run.returncode == 0, run.stdout[-3000:]
    entry = report(report_dir, KILLED)
    assert entry["changes"] == []
    assert any("stopped before restarting" in n for n in entry["notes"]), entry["notes"]
    assert host.check_output("systemctl show -p MainPID --value containerd") != pid
    assert not host.file("/var/lib/kubenode-pullfix/restart-pending").exists
    assert all(v["ok"] for v in entry["verify"]) and pulls(host)
    pid = host.check_output("systemctl show -p MainPID --value containerd")
    run, report_dir = run_fix("owed-steady", "--limit", KILLED)
    assert run.returncode == 0
    assert not [n for n in report(report_dir, KILLED)["notes"] if "stopped before restarting" in n]
    assert host.check_output("systemctl show -p MainPID --value containerd") == pid


def test_c_a_read_only_config_directory_fails_clearly_and_leaves_no_partial_file(host):
    only_on(host, READONLY)
    host.check_output("mount --bind /etc/containerd /etc/containerd && mount -o remount,ro,bind /etc/containerd")
    try:
        before = host.check_output("ls -lA /etc/containerd /etc/containerd/certs.d/docker.io; " + CONTAINERD_FILES)
        run, report_dir = run_fix("readonly", "--limit", READONLY)
        assert run.returncode != 0
        # The console says what failed once, and the summary quotes the node's own error.
        assert "applying its changes failed" in run.stdout and "Read-only file system" in run.stdout, run.stdout[-3000:]
        assert host.check_output("ls -lA /etc/containerd /etc/containerd/certs.d/docker.io; " + CONTAINERD_FILES) == before
        failed = report(report_dir, READONLY)
        assert failed["outcome"] == "apply failed"
        assert "Read-only file system" in finding(failed, "remediation-failed")["evidence"][0]
        assert host.service("containerd").is_running and pulls(host)
    finally:
        host.run("umount /etc/containerd")


def test_d_a_tag_plans_only_its_remediation_and_the_report_still_runs(host):
    only_on(host, READONLY)  # still missing config_path after the failed run
    planned = {}
    for label, extra in (("tag-other", ["--tags", "registries_conf"]), ("tag-skip", ["--skip-tags", "containerd_registry"]),
                         ("tag-own", ["--tags", "containerd_registry"])):
        run, report_dir = run_fix(label, "--limit", READONLY, "--check", *extra)
        entry = report(report_dir, READONLY)  # gathered, diagnosed and reported whatever the tag
        assert "containerd-config-path-unset" in [f["id"] for f in entry["findings"]], label
        planned[label] = (entry["outcome"], sorted(c["path"] for c in entry["changes"]))
    assert planned["tag-other"] == ("broken", []) and planned["tag-skip"] == ("broken", [])
    own = ["/etc/containerd/certs.d/docker.io/hosts.toml", "/etc/containerd/config.toml"]
    assert planned["tag-own"] == ("would change", own)
