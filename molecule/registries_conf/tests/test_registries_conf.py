"""Short-name resolution through containers-image, proven with real podman pulls from the node's
two loopback registries (127.0.0.1:5001 plays docker.io, 127.0.0.1:5000 quay.io), with the
registries' logs as witnesses."""
import json
import os
import subprocess

import pytest

testinfra_hosts = ["ansible://all"]

EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DROPINS = "/etc/containers/registries.conf.d"
OWNED = {"rcf-order-d12": DROPINS + "/zz-kubenode-pullfix.conf",
         "rcf-v1-d13": DROPINS + "/zz-kubenode-pullfix.conf",
         # zz-none.conf sets the search list and sorts after "zz-kubenode-pullfix.conf"
         "rcf-empty-c21": DROPINS + "/zzz-kubenode-pullfix.conf"}
QUAY = "docker-registry"              # 127.0.0.1:5000
HUB = "docker-registry-upstream"      # 127.0.0.1:5001


def digest(host, registry, image):
    return host.check_output("skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://%s/%s" % (registry, image))


def outcome(host, label, image):
    base = "/var/lib/pullfix-test/%s/%s" % (label, image.replace("/", "_").replace(":", "_"))
    return {"rc": int(host.file(base + ".rc").content_string.strip()),
            "log": host.file(base + ".log").content_string,
            "repo": host.file(base + ".repo").content_string.strip(),
            "digest": host.file(base + ".digest").content_string.strip()}


@pytest.fixture(scope="module")
def after(host, witness):
    quay = witness(QUAY)
    host.check_output("pullfix-short-name-pulls after")
    return quay


def test_before_the_fix_short_names_went_wrong(host):
    name = host.backend.get_hostname()
    both = outcome(host, "before", "pullfix/both:1")
    if name == "rcf-order-d12":
        # the incident: crio.conf's quay.io first, the image that exists in both comes from quay.io
        assert both["rc"] == 0, both["log"]
        assert both["repo"] == "quay.io/pullfix/both:1"
        assert both["digest"] == digest(host, "127.0.0.1:5000", "pullfix/both:1")
        assert "quay.io/pullfix/onlyhub:1" in outcome(host, "before", "pullfix/onlyhub:1")["log"]
    elif name == "rcf-v1-d13":
        # a v1 drop-in: containers-image refuses the whole configuration, every pull fails
        for image in ("pullfix/both:1", "pullfix/onlyhub:1"):
            result = outcome(host, "before", image)
            assert result["rc"] != 0
            assert "must be in v2 format but is in v1" in result["log"]
    else:
        # an explicit [] read last: no search registry at all
        for image in ("pullfix/both:1", "pullfix/onlyhub:1"):
            result = outcome(host, "before", image)
            assert result["rc"] != 0
            assert "no unqualified-search registries are defined" in result["log"]


def test_after_the_fix_short_names_resolve_through_docker_io(host, after):
    for image in ("pullfix/both:1", "pullfix/onlyhub:1"):
        result = outcome(host, "after", image)
        assert result["rc"] == 0, result["log"]
        assert result["repo"] == "docker.io/" + image
        assert result["digest"] == digest(host, "127.0.0.1:5001", image)
        assert "quay.io" not in result["log"]
    # quay.io was never asked
    assert not after.saw("/v2/pullfix/")


def test_one_owned_dropin_read_last_and_vendor_files_untouched(host):
    name = host.backend.get_hostname()
    owned = host.file(OWNED[name])
    assert owned.content_string.startswith("# Managed by kubenode.pullfix")
    assert 'unqualified-search-registries = ["docker.io"]' in owned.content_string
    assert owned.mode == 0o644
    assert host.file(DROPINS + "/crio.conf").content_string == 'unqualified-search-registries = ["quay.io", "docker.io"]\n'
    assert host.file(DROPINS + "/99-site.conf").content_string == 'unqualified-search-registries = ["docker.io"]\n'
    mine = host.check_output("ls %s | grep -c kubenode-pullfix" % DROPINS)
    assert mine.strip() == "1"


def test_v1_dropin_converted_in_place_and_v1_main_only_reported(host):
    if host.backend.get_hostname() != "rcf-v1-d13":
        pytest.skip("the v1 files are on rcf-v1-d13")
    text = host.file(DROPINS + "/50-v1.conf").content_string
    assert text.startswith("# Converted from the v1 format by kubenode.pullfix")
    assert 'unqualified-search-registries = ["quay.io"]' in text
    assert 'prefix = "127.0.0.1:5000"' in text and "insecure = true" in text
    assert "# [registries.insecure]" in text
    backups = host.check_output("ls -a %s | grep '^50-v1.conf\\..*pullfix~$' || true" % DROPINS).split()
    assert len(backups) == 1
    assert host.file(DROPINS + "/" + backups[0]).content_string.startswith("# an old site file\n[registries.search]")
    # the main file is v1 but accepted: reported, left as it is
    assert host.file("/etc/containers/registries.conf").content_string.startswith("# site registries.conf")
    with open(os.path.join(EPHEMERAL, "changes", "rcf-v1-d13-real.json")) as f:
        notes = json.load(f)["notes"]
    assert any("deprecated v1 format" in n and "pullfix_registries_conf_convert_v1" in n for n in notes)
    # ...and its block list is still in force (a v1 [registries.block])
    assert "blocked" in host.run("podman pull registry.blocked.test/pullfix/both:1").stderr


def test_blocking_registry_left_in_force(host):
    if host.backend.get_hostname() != "rcf-empty-c21":
        pytest.skip("the blocking [[registry]] is on rcf-empty-c21")
    run = host.run("podman pull registry.blocked.test/pullfix/both:1")
    assert run.rc != 0 and "blocked" in run.stderr
    assert host.file(DROPINS + "/zz-none.conf").content_string == "unqualified-search-registries = []\n"


def test_report_names_the_winner_of_each_key_before_and_after(host):
    name = host.backend.get_hostname()
    with open(os.path.join(EPHEMERAL, "changes", "%s-real.json" % name)) as f:
        notes = json.load(f)["notes"]
    before = {"rcf-order-d12": "unqualified-search-registries = [quay.io, docker.io] (from %s/crio.conf:1)" % DROPINS,
              "rcf-v1-d13": "is a v1 drop-in; containers-image refused the whole configuration",
              "rcf-empty-c21": "unqualified-search-registries = [] (from %s/zz-none.conf:1)" % DROPINS}[name]
    assert any(before in n for n in notes), notes
    assert "registries_conf: after: unqualified-search-registries = [docker.io] (from %s:3)" % OWNED[name] in notes


def test_check_mode_predicted_the_changes_and_showed_the_diff(host, check_predicted):
    name = host.backend.get_hostname()
    check, real = check_predicted
    assert real["changes"], "every node started broken, so the first run must change something"
    diffs = dict((d["after_header"], d) for d in check["diff"])
    assert 'unqualified-search-registries = ["docker.io"]' in diffs[OWNED[name]]["after"]


@pytest.fixture(scope="module")
def doctor_report():
    report_dir = os.path.join(EPHEMERAL, "after-fix-report")
    subprocess.run(["ansible-playbook", "-i", INVENTORY, os.path.join(HERE, "..", "..", "playbooks", "diagnose.yml"),
                    "-e", "pullfix_report_dir=" + report_dir, "-e", json.dumps({"pullfix_search_registries": ["docker.io"]})],
                   check=True, stdout=subprocess.DEVNULL)
    return report_dir


def test_doctor_agrees_after_the_fix(host, doctor_report):
    """The doctor reads the same containers-image facts: no registries error is left, and it names the
    owned drop-in as the file that sets the search order."""
    with open(os.path.join(doctor_report, host.backend.get_hostname() + ".json")) as f:
        findings = json.load(f)["findings"]
    ours = [f for f in findings if f["remediation"] == "kubenode.pullfix.registries_conf"]
    assert [f["id"] for f in ours if f["severity"] == "error"] == []
    effective = [f for f in ours if f["id"] == "search-registries-effective"][0]
    assert OWNED[host.backend.get_hostname()] in " ".join(effective["evidence"]) + effective["explanation"]


def run_role(limit, *extra):
    argv = ["ansible-playbook", "-i", INVENTORY, os.path.join(HERE, "converge.yml"), "--limit", limit]
    for item in extra:
        argv += ["-e", json.dumps(item)]
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)


def snapshot(host):
    return host.check_output("find /etc/containers -type f -exec sha256sum {} + | sort")


def test_z_invalid_registry_name_fails_before_anything_is_written(host):
    name = host.backend.get_hostname()
    if name != "rcf-order-d12":
        pytest.skip("runs once, on rcf-order-d12")
    before = snapshot(host)
    run = run_role(name, {"pullfix_search_registries": ["docker.io", "https://quay.io"]})
    assert run.returncode != 0
    assert "pullfix_search_registries[1]" in run.stdout
    assert snapshot(host) == before


def test_z_malformed_layer_is_reported_with_file_and_line(host):
    name = host.backend.get_hostname()
    if name != "rcf-order-d12":
        pytest.skip("runs once, on rcf-order-d12")
    path = DROPINS + "/60-broken.conf"
    host.run("printf 'unqualified-search-registries = [\"quay.io\"\\nshort-name-mode = 1\\n' > %s" % path)
    try:
        before = snapshot(host)
        run = run_role(name, {"pullfix_search_registries": ["quay.io"]})
        assert run.returncode != 0
        assert path + ":2: not valid TOML" in run.stdout
        assert snapshot(host) == before
    finally:
        host.run("rm -f %s" % path)


def test_z_convert_v1_main_when_asked(host):
    name = host.backend.get_hostname()
    if name != "rcf-v1-d13":
        pytest.skip("runs once, on rcf-v1-d13")
    run = run_role(name, {"pullfix_registries_conf_convert_v1": True})
    assert run.returncode == 0, run.stdout
    text = host.file("/etc/containers/registries.conf").content_string
    assert text.startswith("# Converted from the v1 format by kubenode.pullfix")
    assert 'unqualified-search-registries = ["quay.io", "docker.io"]' in text
    assert 'prefix = "registry.blocked.test"' in text and "blocked = true" in text
    # still blocked, and short names still resolve through docker.io (the owned drop-in wins)
    assert "blocked" in host.run("podman pull registry.blocked.test/pullfix/both:1").stderr
    host.run("podman rmi -a -f")
    assert host.run("podman pull pullfix/both:1").rc == 0
    assert host.check_output("podman images --format '{{.Repository}}'").strip() == "docker.io/pullfix/both"
    host.run("podman rmi -a -f")


def test_z_mirrors_and_aliases_are_read_by_podman(host, witness):
    name = host.backend.get_hostname()
    if name != "rcf-order-d12":
        pytest.skip("runs once, on rcf-order-d12")
    settings = {"pullfix_registry_mirrors": {"docker.io": {"endpoints": ["http://127.0.0.1:5001"]}},
                "pullfix_short_name_aliases": {"hubboth": "docker.io/pullfix/both"}}
    try:
        run = run_role(name, settings)
        assert run.returncode == 0, run.stdout
        text = host.file(OWNED[name]).content_string
        assert '[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n' in text
        assert '[[registry.mirror]]\nlocation = "127.0.0.1:5001"\ninsecure = true\n' in text
        # the owned [[registry]] replaces the fixture's docker.io entry (same prefix, later file):
        # podman now reaches 127.0.0.1:5001 as a mirror of docker.io, and the alias resolves
        hub = witness(HUB)
        host.run("podman rmi -a -f")
        pull = host.run("podman pull hubboth:1")
        assert pull.rc == 0, pull.stderr
        assert "docker.io/pullfix/both:1" in pull.stderr
        assert host.check_output("podman images --format '{{.Digest}}'").strip() == \
            digest(host, "127.0.0.1:5001", "pullfix/both:1")
        assert hub.saw("/v2/pullfix/both/manifests/1")
    finally:
        host.run("podman rmi -a -f")
        assert run_role(name).returncode == 0  # back to the scenario's settings
    assert "[[registry]]" not in host.file(OWNED[name]).content_string
