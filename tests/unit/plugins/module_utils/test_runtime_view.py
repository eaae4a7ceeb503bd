# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The runtime's own view: CRI Status decoding and the shaping of containerd's journal,
config dump and kubeadm's image list, on outputs recorded from real test nodes
(tests/unit/fixtures/runtime_view/README.md), and the view inside gather() on fake trees."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from ansible_collections.kubenode.pullfix.plugins.module_utils import _cri, _evidence, _runtime_view
from ansible_collections.kubenode.pullfix.tests.unit.plugins.module_utils.cri_testlib import FakeGrpcServer

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "runtime_view")


def fixture(name, mode="r"):
    with open(os.path.join(FIXTURES, name), mode) as handle:
        return handle.read()


def status_reply(version):
    return base64.b64decode(fixture("containerd-%s-status-verbose.b64" % version))


# --- CRI Status -------------------------------------------------------------------

def test_status_request_asks_for_verbose():
    assert _cri.encode_status_request(True) == b"\x08\x01"
    assert _cri.encode_status_request(False) == b""


def test_status_of_containerd_1_6_carries_its_effective_cri_config():
    status = _cri.decode_status_response(status_reply("1.6.20"))
    assert [(c["type"], c["status"]) for c in status["conditions"]] == [("RuntimeReady", True), ("NetworkReady", True)]
    assert status["runtime_handlers"] == [] and status["features"] is None
    config = json.loads(status["info"]["config"])
    assert config["sandboxImage"] == "registry.k8s.io/pause:3.6"
    assert config["registry"]["configPath"] == ""
    assert config["registry"]["mirrors"] == {"docker.io": {"endpoint": ["https://mirror.example.com"]}}


def test_status_of_containerd_2_1_names_its_deprecations_and_handlers():
    status = _cri.decode_status_response(status_reply("2.1.9"))
    warning = status["conditions"][-1]
    assert warning["type"] == "ContainerdHasNoDeprecationWarnings" and warning["status"] is False
    assert "io.containerd.deprecation/cri-registry-mirrors" in json.loads(warning["message"])
    assert [h["name"] for h in status["runtime_handlers"]] == ["", "runc"]
    assert status["features"]["supplemental_groups_policy"] is True
    # 2.x: the runtime part of the CRI config only, no registry.
    assert "registry" not in json.loads(status["info"]["config"])


def test_status_that_is_not_protobuf_is_a_protocol_error():
    with pytest.raises(_cri.ProtoError):
        _cri.decode_status_response(b"\x0a\x05ab")


def test_runtime_status_over_the_wire(tmp_path):
    sock = tempfile.mkdtemp(prefix="rv", dir="/tmp")
    reply = status_reply("2.1.9")

    def responder(server, conn):
        server.requests.append(conn.read_request())
        conn.send_settings()
        conn.send_reply(reply)

    try:
        with FakeGrpcServer(os.path.join(sock, "c.sock"), responder) as server:
            status = _cri.runtime_status(server.endpoint, verbose=True, timeout=5)
        assert server.requests[0].path == "/runtime.v1.RuntimeService/Status"
        assert server.requests[0].messages == [b"\x08\x01"]
        assert status["conditions"][0]["type"] == "RuntimeReady"
    finally:
        shutil.rmtree(sock, ignore_errors=True)


def test_shape_info_parses_json_values_and_cuts_huge_ones(monkeypatch):
    monkeypatch.setattr(_runtime_view, "INFO_VALUE_CAP", 10)
    info, cut = _runtime_view.shape_info({"golang": '"go1.19"', "odd": "not json", "big": '"' + "x" * 20 + '"'})
    assert info == {"golang": "go1.19", "odd": "not json", "big": '"' + "x" * 9}
    assert cut == ["big"]


# --- journal ------------------------------------------------------------------------

def test_journal_of_containerd_2_1_keeps_its_words_about_its_config():
    lines, matched = _runtime_view.journal_lines(fixture("containerd-2.1.9-journal.txt"))
    assert matched == len(lines) == 5
    text = "\n".join(lines)
    assert "Ignoring unknown key in TOML for plugin" in text and "registry bogus_key" in text
    assert "Falling back to local image pull mode" in text
    assert "`mirrors` is deprecated" in text
    # The info-level CRI config dump and the deprecations plugin's loading line are not kept.
    assert "starting cri plugin" not in text and "loading plugin" not in text


def test_journal_of_containerd_1_6():
    lines, matched = _runtime_view.journal_lines(fixture("containerd-1.6.20-journal.txt"))
    assert matched == 3
    assert any("failed to load plugin io.containerd.snapshotter.v1.devmapper" in line for line in lines)
    assert "`mirrors` is deprecated" in lines[-1]


def test_journal_lines_are_bounded_and_counted():
    text = "\n".join('level=error msg="broken %d"' % i for i in range(80))
    lines, matched = _runtime_view.journal_lines(text, limit=50)
    assert matched == 80 and len(lines) == 50 and lines[0].endswith('"broken 0"')
    long_line = "level=warning " + "y" * 5000
    assert len(_runtime_view.journal_lines(long_line)[0][0]) == _runtime_view.JOURNAL_LINE_CAP


@pytest.mark.parametrize("line, secret", [
    ('password = "s3cretpass"', "s3cretpass"),
    ("Headers:map[Authorization:[Basic eHl6OmFiYw==]]", "eHl6OmFiYw=="),
    ('endpoint = ["https://user:pw1234@mirror.example.com"]', "pw1234"),
    ('config="{\\"auth\\":\\"abcd1234\\",\\"username\\":\\"bob\\"}"', "abcd1234"),
    ('"identitytoken": "tok123"', "tok123"),
])
def test_journal_credentials_are_redacted(line, secret):
    kept, _matched = _runtime_view.journal_lines("level=warning " + line)
    assert secret not in kept[0]
    assert "********" in kept[0]


def test_redaction_leaves_ordinary_words():
    line = 'level=error msg="failed to fetch anonymous token: unexpected status" author=x'
    assert _runtime_view.redact(line) == line


# --- small parsers -------------------------------------------------------------------

def test_unit_of_cgroup_v1_and_v2():
    v1 = ("12:hugetlb:/\n9:name=systemd:/docker/abc/system.slice/containerd.service\n"
          "4:memory:/docker/abc/system.slice/containerd.service\n")
    assert _runtime_view.unit_of_cgroup(v1) == "containerd.service"
    assert _runtime_view.unit_of_cgroup("0::/system.slice/containerd.service\n") == "containerd.service"
    assert _runtime_view.unit_of_cgroup("0::/user.slice/user-0.slice/session-1.scope\n") is None


def test_kubernetes_version_and_kubeadm_images():
    assert _runtime_view.kubernetes_version("Kubernetes v1.31.4") == "1.31.4"
    assert _runtime_view.kubernetes_version("v1.30.0\n") == "1.30.0"
    assert _runtime_view.kubernetes_version("") is None
    out = "W1207 23:00:00.1 warning: something\nregistry.k8s.io/kube-apiserver:v1.31.4\nregistry.k8s.io/pause:3.10\n"
    assert _runtime_view.kubeadm_images(out) == ["registry.k8s.io/kube-apiserver:v1.31.4", "registry.k8s.io/pause:3.10"]


def test_runtime_endpoint_in_kubelet_config_yaml_and_json():
    assert _runtime_view.runtime_endpoint_in(
        "kind: KubeletConfiguration\ncontainerRuntimeEndpoint: unix:///run/k3s/containerd/containerd.sock\n"
    ) == "unix:///run/k3s/containerd/containerd.sock"
    assert _runtime_view.runtime_endpoint_in('{"containerRuntimeEndpoint": "unix:///run/x.sock"}') == "unix:///run/x.sock"
    assert _runtime_view.runtime_endpoint_in("# containerRuntimeEndpoint: unix:///no\n") is None


def _popen(script):
    return subprocess.Popen(["/bin/sh", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def test_read_bounded_stops_at_the_cap_and_at_the_deadline():
    rc, out, err, timed_out, truncated = _runtime_view.read_bounded(
        _popen("echo oops >&2; while :; do echo yyyyyyyy; done"), time.monotonic() + 5, 1000)
    assert (rc, len(out), timed_out, truncated) == (None, 1000, False, True)
    started = time.monotonic()
    rc, out, err, timed_out, truncated = _runtime_view.read_bounded(
        _popen("echo early; sleep 5"), time.monotonic() + 0.3, 1000)
    assert (rc, out, timed_out) == (None, b"early\n", True)
    assert time.monotonic() - started < 2
    rc, out, err, timed_out, truncated = _runtime_view.read_bounded(
        _popen("echo out; echo err >&2; exit 3"), time.monotonic() + 5, 1000)
    assert (rc, out, err, timed_out, truncated) == (3, b"out\n", b"err\n", False, False)


# --- inside gather() -----------------------------------------------------------------

@pytest.fixture
def root():
    path = tempfile.mkdtemp(prefix="rv", dir="/tmp")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def put(root, node_path, data, mode=0o644):
    host = root + node_path
    os.makedirs(os.path.dirname(host), exist_ok=True)
    with open(host, "wb") as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)
    os.chmod(host, mode)


def script(root, node_path, body):
    put(root, node_path, "#!/bin/sh\n" + body, mode=0o755)


def fake_containerd_process(root, pid, argv, unit="containerd.service", invocation="0fdb2c70"):
    put(root, "/proc/%d/cmdline" % pid, b"\0".join(a.encode() for a in argv) + b"\0")
    put(root, "/proc/%d/cgroup" % pid, "0::/system.slice/%s\n" % unit)
    if invocation:
        os.makedirs(root + "/run/systemd/units", exist_ok=True)
        os.symlink(invocation, root + "/run/systemd/units/invocation:" + unit)


@pytest.fixture
def statuses(monkeypatch):
    """The CRI probe answers for every listening socket; Status is recorded, not sent."""
    calls = []

    def fake_probe(endpoint, service="runtime", timeout=2.0):
        return {"ok": True, "outcome": "ok", "grpc_status": None, "message": None, "version": None}

    def fake_status(endpoint, verbose=True, timeout=5.0):
        calls.append((endpoint, verbose))
        return _cri.decode_status_response(status_reply("1.6.20"))

    monkeypatch.setattr(_evidence, "_cri_probe", fake_probe)
    monkeypatch.setattr(_evidence, "_cri_status", fake_status)
    return calls


def test_view_of_a_running_containerd_with_its_config_flag(root, statuses):
    fake_containerd_process(root, 74, ["/usr/bin/containerd", "--config", "/etc/alt/config.toml"])
    put(root, "/proc/900/cmdline", b"/usr/bin/kubelet\0--container-runtime-endpoint=unix:///run/k.sock\0")
    script(root, "/usr/bin/containerd", 'echo "$@"\necho "level=warning msg=\\"Ignoring unknown key\\"" >&2\n')
    script(root, "/usr/bin/journalctl", 'echo "$@" >&2\ncat <<\'EOF\'\n%s\nEOF\n'
           % fixture("containerd-2.1.9-journal.txt").replace("\\", "\\\\"))
    view = _evidence.gather(root=root, probe_timeout=0.3)["runtime_view"]
    (dump,) = view["containerd_config"]
    assert dump["argv"] == ["/usr/bin/containerd", "--config", "/etc/alt/config.toml", "config", "dump"]
    assert dump["output"] == "--config /etc/alt/config.toml config dump\n"
    assert dump["from"] == "process 74" and dump["rc"] == 0 and dump["error"] is None
    assert dump["stderr"] == ['level=warning msg="Ignoring unknown key"']
    journal = view["journal"]
    assert journal["argv"] == ["/usr/bin/journalctl", "--no-pager", "-o", "cat", "_SYSTEMD_INVOCATION_ID=0fdb2c70"]
    assert (journal["unit"], journal["pid"], journal["matched"], journal["error"]) == ("containerd.service", 74, 5, None)
    # kubelet's flag names the endpoint; its socket does not exist, so Status is not asked.
    status = view["cri_status"]
    assert status["endpoint"] == "unix:///run/k.sock"
    assert status["chosen_by"] == "kubelet process 900 --container-runtime-endpoint"
    assert status["error"]["kind"] == "missing" and statuses == []
    assert view["kubeadm_images"] is None


def test_a_config_the_installed_binary_refuses_is_an_error(root, statuses):
    fake_containerd_process(root, 74, ["/usr/bin/containerd"], invocation=None)
    script(root, "/usr/bin/containerd", "cat <<'EOF' >&2\n%sEOF\nexit 1\n"
           % fixture("containerd-2.1.9-config-dump-broken.stderr"))
    view = _evidence.gather(root=root, probe_timeout=0.3)["runtime_view"]
    (dump,) = view["containerd_config"]
    assert dump["rc"] == 1
    assert dump["error"]["kind"] == "exit_status"
    assert "failed to unmarshal TOML at row 2 column 9" in dump["error"]["message"]
    assert len(dump["stderr"]) == 2
    # No invocation link: the journal is asked by the process id (this boot only).
    assert view["journal"]["error"]["kind"] == "missing"  # no journalctl in this tree
    assert view["journal"]["invocation_id"] is None


def test_idle_containerd_is_dumped_with_its_unit_config(root, statuses, monkeypatch):
    script(root, "/usr/local/bin/containerd", 'echo "$@"\n')
    os.makedirs(root + "/run/systemd/system")
    script(root, "/usr/bin/systemctl", "cat <<'EOF'\nId=containerd.service\nLoadState=loaded\nActiveState=failed\n"
           "ExecStart={ path=/usr/local/bin/containerd ; argv[]=/usr/local/bin/containerd -c /etc/c.toml ;"
           " ignore_errors=no }\n\nEOF\n")
    view = _evidence.gather(root=root, probe_timeout=0.3)["runtime_view"]
    (dump,) = view["containerd_config"]
    assert dump["from"] == "containerd.service ExecStart"
    assert dump["output"] == "--config /etc/c.toml config dump\n"
    # Not running and no invocation since boot: nothing to read, said so.
    assert view["journal"]["error"] == {"kind": "missing", "message": "containerd.service has not run since boot"}


def test_status_is_asked_on_a_serving_well_known_socket(root, statuses, monkeypatch):
    path = "/run/containerd/containerd.sock"
    g = _evidence._Gatherer(root, (), 0.3, 1000)
    g.add_socket(path, "known-default")["runtime_probe"] = {"ok": True}
    status = _evidence._runtime_status(g)
    assert statuses == [("unix://" + path, True)]
    assert status["chosen_by"] == "first well-known socket serving the CRI runtime service"
    assert status["info"]["config"]["sandboxImage"] == "registry.k8s.io/pause:3.6"
    assert status["conditions"][0] == {"type": "RuntimeReady", "status": True, "reason": "", "message": ""}
    assert status["error"] is None


def test_status_is_not_asked_again_of_a_socket_whose_probe_failed(root, statuses):
    g = _evidence._Gatherer(root, (), 0.3, 1000)
    argv = ["kubelet", "--container-runtime-endpoint", "/run/containerd/containerd.sock"]
    g.processes.append({"pid": 9, "name": "kubelet", "cmdline": argv})
    g.add_socket("/run/containerd/containerd.sock", "known-default")["runtime_probe"] = {
        "ok": False, "outcome": "permission_denied", "message": "not allowed to connect"}
    status = _evidence._runtime_status(g)
    assert status["error"] == {"kind": "permission_denied", "message": "not allowed to connect"}
    assert statuses == []


def test_status_failure_is_recorded_not_raised(root, monkeypatch):
    def refuse(endpoint, verbose=True, timeout=5.0):
        raise _cri.CriError("unimplemented", "unknown service runtime.v1.RuntimeService", grpc_status=12)

    monkeypatch.setattr(_evidence, "_cri_status", refuse)
    g = _evidence._Gatherer(root, (), 0.3, 1000)
    g.files["/var/lib/kubelet/config.yaml"] = {"content": "containerRuntimeEndpoint: unix:///run/shim.sock\n",
                                               "why": ["kubelet-config"]}
    status = _evidence._runtime_status(g)
    assert status["endpoint"] == "unix:///run/shim.sock"
    assert status["chosen_by"] == "containerRuntimeEndpoint in /var/lib/kubelet/config.yaml"
    assert status["error"]["kind"] == "unimplemented"
    assert status["conditions"] is None


def test_kubeadm_images_for_kubelets_version_stay_offline(root, statuses):
    script(root, "/usr/bin/kubelet", "echo Kubernetes v1.31.4\n")
    script(root, "/usr/bin/kubeadm", 'case "$1" in version) echo v1.32.0;; *) echo "$@" >&2;'
           ' echo registry.k8s.io/pause:3.10;; esac\n')
    images = _evidence.gather(root=root, probe_timeout=0.3)["runtime_view"]["kubeadm_images"]
    assert images["kubernetes_version"] == "1.31.4" and images["version_from"] == "kubelet --version"
    assert images["argv"] == ["/usr/bin/kubeadm", "config", "images", "list", "--kubernetes-version", "v1.31.4"]
    assert images["images"] == ["registry.k8s.io/pause:3.10"]
    assert images["error"] is None


def test_kubeadm_without_any_version_is_not_run(root, statuses):
    script(root, "/usr/bin/kubeadm", 'case "$1" in version) exit 1;; *) echo registry.k8s.io/pause:3.10;; esac\n')
    images = _evidence.gather(root=root, probe_timeout=0.3)["runtime_view"]["kubeadm_images"]
    assert images["error"]["kind"] == "no_version"
    assert images["argv"] is None and images["images"] == []
