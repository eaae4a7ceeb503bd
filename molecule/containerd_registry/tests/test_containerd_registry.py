"""Registry mirrors and fallback, proven by CRI PullImage with the registries' logs as witnesses."""
import json
import os
import subprocess

import pytest

testinfra_hosts = ["ansible://all"]

MIRROR = "docker-registry"            # 127.0.0.1:5000
UPSTREAM = "docker-registry-upstream"  # 127.0.0.1:5001
SOCKET = "unix:///run/containerd/containerd.sock"
EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAULT_HOST = "cr-nopath-d12"


def cri_pull(host, image):
    host.run("ctr -n k8s.io images rm %s" % image)
    args = {"endpoint": SOCKET, "action": "pull", "images": [image], "fail_on_error": False}
    return host.ansible("kubenode.pullfix.cri_pull", json.dumps(args), check=False)["results"][0]


def test_a_image_in_the_mirror_comes_from_the_mirror(host, witness):
    mirror, upstream = witness(MIRROR), witness(UPSTREAM)
    result = cri_pull(host, "docker.io/library/a:1")
    assert result["ok"], result["error"]
    assert mirror.saw("/v2/library/a/manifests/1")
    assert not upstream.saw("/v2/library/a/")


def test_b_image_only_upstream_falls_back(host, witness):
    mirror, upstream = witness(MIRROR), witness(UPSTREAM)
    result = cri_pull(host, "docker.io/library/b:1")
    assert result["ok"], result["error"]
    assert mirror.saw("/v2/library/b/manifests/1")      # tried first, answered 404
    assert upstream.saw("/v2/library/b/manifests/1")    # then the upstream served it


def test_c_mirror_only_never_falls_back(host, witness):
    upstream = witness(UPSTREAM)
    # library/b exists only on 127.0.0.1:5001 itself, but that registry is mirror-only.
    result = cri_pull(host, "127.0.0.1:5001/library/b:1")
    assert not result["ok"]
    assert "not found" in result["error"]
    assert not upstream.saw("/v2/library/b/")
    # Control: what the mirror holds is served under that registry's name.
    assert cri_pull(host, "127.0.0.1:5001/library/a:1")["ok"]


def test_d_wildcard_serves_an_arbitrary_registry_name(host, witness):
    mirror = witness(MIRROR)
    result = cri_pull(host, "anything.pullfix.test/library/a:1")
    assert result["ok"], result["error"]
    assert mirror.saw("/v2/library/a/manifests/1")


def test_role_verified_with_a_real_pull(host):
    # converge's own verification (pullfix_verify_images) went through CRI too.
    assert host.file("/etc/containerd/certs.d/docker.io/hosts.toml").contains("kubenode.pullfix")


def test_check_mode_predicted_exactly_the_changes_made(check_predicted):
    _check, real = check_predicted
    assert real["changes"], "every node started broken, so the first run must change something"


@pytest.fixture(scope="module")
def doctor_report():
    report_dir = os.path.join(EPHEMERAL, "after-fix-report")
    subprocess.run(["ansible-playbook", "-i", INVENTORY, os.path.join(HERE, "..", "..", "playbooks", "diagnose.yml"),
                    "-e", "pullfix_report_dir=" + report_dir], check=True, stdout=subprocess.DEVNULL)
    return report_dir


def test_doctor_finds_no_error_after_the_fix(host, doctor_report):
    with open(os.path.join(doctor_report, host.backend.get_hostname() + ".json")) as f:
        errors = [f["id"] for f in json.load(f)["findings"] if f["severity"] == "error"]
    assert errors == []


def test_z_failed_restart_is_rolled_back(host):
    if host.backend.get_hostname() != FAULT_HOST:
        pytest.skip("the fault case runs on %s" % FAULT_HOST)
    before = host.file("/etc/containerd/config.toml").content_string
    try:
        run = subprocess.run(["ansible-playbook", "-i", INVENTORY, os.path.join(HERE, "fault.yml"),
                              "-e", "pullfix_fault_host=" + FAULT_HOST],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        assert run.returncode != 0, run.stdout
        assert "The previous files were restored" in run.stdout
        assert host.file("/etc/containerd/config.toml").content_string == before
        assert host.service("containerd").is_running
        assert cri_pull(host, "docker.io/library/a:1")["ok"]
    finally:
        host.run("rm -f /etc/systemd/system/containerd.service.d/pullfix-fault.conf && systemctl daemon-reload")


def run_role(limit, mirrors=None):
    """Run the role on one host, with other mirror settings when given (extra vars win)."""
    argv = ["ansible-playbook", "-i", INVENTORY, os.path.join(HERE, "converge.yml"), "--limit", limit]
    if mirrors is not None:
        argv += ["-e", json.dumps({"pullfix_registry_mirrors": mirrors})]
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)


def test_z_invalid_settings_fail_before_anything_is_written(host):
    name = host.backend.get_hostname()
    if name != FAULT_HOST:
        pytest.skip("runs once, on %s" % FAULT_HOST)
    before = host.check_output("find /etc/containerd -type f -exec sha256sum {} + | sort")
    run = run_role(name, {"docker.io": {"endpoints": ["mirror.local:5000"]}})
    assert run.returncode != 0
    assert "pullfix_registry_mirrors['docker.io'].endpoints[0]" in run.stdout
    assert "no scheme" in run.stdout
    assert host.check_output("find /etc/containerd -type f -exec sha256sum {} + | sort") == before


def test_z_stale_files_of_ours_are_removed_and_others_kept(host):
    name = host.backend.get_hostname()
    if name != "cr-hostdir-d13":
        pytest.skip("runs once, on cr-hostdir-d13")
    mirrors = {"docker.io": {"endpoints": ["http://127.0.0.1:5000"], "server": "http://127.0.0.1:5001"}}
    try:
        run = run_role(name, mirrors)
        assert run.returncode == 0, run.stdout
        # Ours, no longer wanted: gone with their directories (an empty one would still win the lookup).
        assert not host.file("/etc/containerd/certs.d/_default").exists
        assert not host.file("/etc/containerd/certs.d/127.0.0.1:5001").exists
        # Not ours: left exactly where it was.
        assert host.file("/etc/containerd/certs.d/127.0.0.1/hosts.toml").exists
        assert host.file("/etc/containerd/certs.d/docker.io/hosts.toml").exists
    finally:
        assert run_role(name).returncode == 0  # back to the scenario's settings


TAKEN_OVER = {"cr-nopath-d12": "[host.\"http://127.0.0.1:5000\"\n", "cr-noversion-d12": "server = \"http://127.0.0.1:5001\""}


def test_unmanaged_file_of_a_declared_registry_is_taken_over_with_backup(host):
    name = host.backend.get_hostname()
    if name not in TAKEN_OVER:
        pytest.skip("only %s start with a hosts.toml someone else wrote" % ", ".join(sorted(TAKEN_OVER)))
    path = "/etc/containerd/certs.d/docker.io/hosts.toml"
    assert host.file(path).content_string.startswith("# Managed by kubenode.pullfix")
    with open(os.path.join(EPHEMERAL, "changes", "%s-real.json" % name)) as f:
        change = [c for c in json.load(f)["changes"] if c["path"] == path][0]
    # The backup is named in what the run reported, and holds the file as it was.
    assert change["action"] == "updated" and change["backup"].startswith(path + ".")
    assert TAKEN_OVER[name] in host.file(change["backup"]).content_string


def test_z_takeover_false_refuses_and_writes_nothing(host):
    name = host.backend.get_hostname()
    if name != "cr-mirrors-d13":
        pytest.skip("runs once, on cr-mirrors-d13")
    path = "/etc/containerd/certs.d/docker.io/hosts.toml"
    original = host.file(path).content_string
    theirs = 'server = "http://127.0.0.1:5001"\n'
    host.run("printf '%%s' '%s' > %s" % (theirs, path))
    try:
        before = host.check_output("find /etc/containerd -type f -exec sha256sum {} + | sort")
        run = subprocess.run(["ansible-playbook", "-i", INVENTORY, os.path.join(HERE, "converge.yml"), "--limit", name,
                              "-e", "pullfix_registry_takeover=false"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        assert run.returncode != 0
        assert "pullfix_registry_takeover is false" in run.stdout
        assert host.check_output("find /etc/containerd -type f -exec sha256sum {} + | sort") == before
    finally:
        host.run("printf '%%s' '%s' > %s" % (original.replace("'", "'\\''"), path))
