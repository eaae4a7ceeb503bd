# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the node-side evidence gatherer, on fake trees under a temp dir."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import socket
import tempfile
import threading
import time

import pytest

from ansible_collections.kubenode.pullfix.plugins.module_utils import _evidence
from ansible_collections.kubenode.pullfix.plugins.module_utils._evidence import gather, parse_systemctl_show

KNOWN_WHY = {"containerd-config", "certs-d", "registries-conf", "crio-config", "k3s-registries",
             "rke2-registries", "k3s-config", "rke2-config", "shim-config", "kubelet-config",
             "crictl-config", "kubeadm-config", "unit-file"}
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "evidence")


# --- helpers -----------------------------------------------------------------

@pytest.fixture
def root():
    # Short path: AF_UNIX socket paths are limited to 107 bytes.
    path = tempfile.mkdtemp(prefix="ev", dir="/tmp")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def no_probe(monkeypatch):
    """Replace the CRI probe with a recorder (the real one is tested in test_cri.py)."""
    calls = []

    def fake_probe(endpoint, service="runtime", timeout=2.0):
        calls.append((endpoint, service, timeout))
        return {"ok": True, "outcome": "ok", "grpc_status": None, "message": None,
                "version": {"runtime_name": "fake"} if service == "runtime" else None}

    monkeypatch.setattr(_evidence, "_cri_probe", fake_probe)
    return calls


def put(root, node_path, data, mode=0o644):
    host = root + node_path
    parent = os.path.dirname(host)
    if not os.path.isdir(parent):
        os.makedirs(parent)
    with open(host, "wb") as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)
    os.chmod(host, mode)
    return host


def mkdir(root, node_path):
    host = root + node_path
    if not os.path.isdir(host):
        os.makedirs(host)
    return host


def symlink(root, node_path, target):
    host = root + node_path
    mkdir(root, os.path.dirname(node_path))
    os.symlink(target, host)


class Listener(object):
    """A unix socket that accepts connections and hangs up at once."""

    def __init__(self, path):
        mkdir("", os.path.dirname(path))
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.stop = threading.Event()
        self.accepted = 0
        self.thread = threading.Thread(target=self._serve)
        self.thread.daemon = True
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _addr = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self):
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


def stale_socket(path):
    mkdir("", os.path.dirname(path))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.close()  # the inode stays, nobody listens: connect() is refused


def snapshot(root):
    """Everything observable about a tree: names, types, sizes, modes, mtimes."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            out[path] = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_uid)
    return out


def run(root, **kwargs):
    kwargs.setdefault("probe_timeout", 0.3)
    evidence = gather(root=root, **kwargs)
    # Whatever the tree holds, the result must be plain JSON.
    json.dumps(evidence)
    return evidence


# --- containerd config, imports, config_path, certs.d ------------------------

CONFIG_TOML = """version = 2
imports = ["/etc/containerd/conf.d/*.toml",
           "relative.toml"]

[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "/etc/containerd/certs.d:/srv/certs.d"
"""


def test_containerd_config_imports_and_config_path(root, no_probe):
    put(root, "/etc/containerd/config.toml", CONFIG_TOML)
    put(root, "/etc/containerd/conf.d/10-a.toml", "imports = ['/etc/containerd/nested.toml']\n")
    put(root, "/etc/containerd/conf.d/ignored.txt", "not matched by the glob\n")
    put(root, "/etc/containerd/relative.toml", "# relative import\n")
    put(root, "/etc/containerd/nested.toml", "# imported by an import\n")
    put(root, "/etc/containerd/certs.d/docker.io/hosts.toml", 'server = "https://registry-1.docker.io"\n')
    put(root, "/etc/containerd/certs.d/docker.io/ca.crt", "CERT\n")
    mkdir(root, "/etc/containerd/certs.d/_default")  # exists, no hosts.toml: still listed
    put(root, "/etc/containerd/certs.d/README", "a file, not a host directory\n")
    put(root, "/srv/certs.d/local:5000/hosts.toml", '[host."http://127.0.0.1:5000"]\n')

    ev = run(root)
    files, dirs = ev["files"], ev["dirs"]

    for path in ("/etc/containerd/config.toml", "/etc/containerd/conf.d/10-a.toml",
                 "/etc/containerd/relative.toml", "/etc/containerd/nested.toml"):
        assert files[path]["why"] == ["containerd-config"], path
        assert files[path]["error"] is None
    assert "/etc/containerd/conf.d/ignored.txt" not in files
    assert files["/etc/containerd/config.toml"]["content"] == CONFIG_TOML
    assert files["/etc/containerd/config.toml"]["stat"]["type"] == "file"
    assert files["/etc/containerd/config.toml"]["stat"]["mode"] == "0644"

    certs = dirs["/etc/containerd/certs.d"]
    assert certs["why"] == ["certs-d"]
    assert certs["entries"] == [{"name": "README", "type": "file"}, {"name": "_default", "type": "dir"},
                                {"name": "docker.io", "type": "dir"}]
    assert dirs["/etc/containerd/certs.d/docker.io"]["entries"] == [
        {"name": "ca.crt", "type": "file"}, {"name": "hosts.toml", "type": "file"}]
    assert dirs["/etc/containerd/certs.d/_default"]["entries"] == []
    assert files["/etc/containerd/certs.d/docker.io/hosts.toml"]["why"] == ["certs-d"]
    assert "/etc/containerd/certs.d/_default/hosts.toml" not in files
    assert "/etc/containerd/certs.d/docker.io/ca.crt" not in files
    # The second config_path entry (split on ':') is listed and its hosts read.
    assert dirs["/srv/certs.d"]["why"] == ["certs-d"]
    assert "/srv/certs.d/local:5000/hosts.toml" in files
    # Defaults are always looked at, recorded as missing when absent.
    assert dirs["/etc/docker/certs.d"]["stat"]["type"] == "missing"
    assert dirs["/etc/docker/certs.d"]["error"]["kind"] == "missing"
    # Keys are node paths, never the fake root.
    assert not any(key.startswith(root) for key in list(files) + list(dirs) + list(ev["sockets"]))


def test_config_path_v3_literal_string_and_k3s_data_dir(root, no_probe):
    put(root, "/etc/containerd/config.toml",
        "version = 3\n[plugins.'io.containerd.cri.v1.images'.registry]\n  config_path = '/opt/hosts'\n")
    put(root, "/opt/hosts/example.com/hosts.toml", 'server = "https://example.com"\n')
    put(root, "/etc/rancher/k3s/config.yaml", "data-dir: /data/k3s\n")
    put(root, "/data/k3s/agent/etc/containerd/config.toml", "version = 2\n")
    put(root, "/data/k3s/agent/etc/containerd/certs.d/_default/hosts.toml", "# File generated by k3s. DO NOT EDIT.\n")
    ev = run(root)
    assert "/opt/hosts/example.com/hosts.toml" in ev["files"]
    assert ev["files"]["/etc/rancher/k3s/config.yaml"]["why"] == ["k3s-config"]
    assert ev["files"]["/data/k3s/agent/etc/containerd/config.toml"]["why"] == ["containerd-config"]
    assert "/data/k3s/agent/etc/containerd/certs.d/_default/hosts.toml" in ev["files"]
    # The default data dir is still looked at.
    assert ev["dirs"]["/var/lib/rancher/k3s/agent/etc/containerd/certs.d"]["stat"]["type"] == "missing"


def test_registries_conf_d_lists_everything_reads_only_conf(root, no_probe):
    put(root, "/etc/containers/registries.conf", 'unqualified-search-registries = ["docker.io"]\n')
    put(root, "/etc/containers/registries.conf.d/99-mine.conf", "short-name-mode = 'permissive'\n")
    put(root, "/etc/containers/registries.conf.d/crio.conf", 'unqualified-search-registries = ["quay.io"]\n')
    put(root, "/etc/containers/registries.conf.d/notes.conf.bak", "old\n")
    ev = run(root)
    listing = ev["dirs"]["/etc/containers/registries.conf.d"]
    assert [e["name"] for e in listing["entries"]] == ["99-mine.conf", "crio.conf", "notes.conf.bak"]
    assert listing["why"] == ["registries-conf"]
    assert ev["files"]["/etc/containers/registries.conf.d/99-mine.conf"]["why"] == ["registries-conf"]
    assert "/etc/containers/registries.conf.d/crio.conf" in ev["files"]
    assert "/etc/containers/registries.conf.d/notes.conf.bak" not in ev["files"]


# --- robustness: every odd file becomes a recorded error ---------------------

def test_symlink_loop_is_recorded_not_followed_forever(root, no_probe):
    symlink(root, "/etc/crictl.yaml", "/etc/crictl-b.yaml")
    symlink(root, "/etc/crictl-b.yaml", "crictl.yaml")
    symlink(root, "/etc/containerd/certs.d", "certs.d")  # a directory loop too
    started = time.monotonic()
    ev = run(root)
    assert time.monotonic() - started < 5
    entry = ev["files"]["/etc/crictl.yaml"]
    assert entry["content"] is None
    assert entry["error"]["kind"] == "symlink_loop"
    assert entry["stat"]["type"] == "symlink"
    assert entry["stat"]["target"] == "/etc/crictl-b.yaml"
    assert entry["stat"]["resolved_type"] == "loop"
    certs = ev["dirs"]["/etc/containerd/certs.d"]
    assert certs["error"]["kind"] == "symlink_loop"
    assert certs["entries"] == []


def test_binary_and_non_utf8_files(root, no_probe):
    put(root, "/etc/image-cri-shim.yaml", b"shim: /var/run/x.sock\x00\x01\x02")
    put(root, "/etc/crio/crio.conf", b"[crio]\nname = \"caf\xe9\"\n")
    ev = run(root)
    shim = ev["files"]["/etc/image-cri-shim.yaml"]
    assert shim["error"]["kind"] == "binary"
    assert shim["content"] is None
    assert shim["stat"]["size"] == 24
    crio = ev["files"]["/etc/crio/crio.conf"]
    assert crio["error"]["kind"] == "not_utf8"
    assert crio["content"] is None
    # Nothing is taken from a file that could not be decoded.
    assert "/var/run/x.sock" not in ev["sockets"]


def test_directory_where_config_toml_should_be(root, no_probe):
    mkdir(root, "/etc/containerd/config.toml")
    ev = run(root)
    entry = ev["files"]["/etc/containerd/config.toml"]
    assert entry["error"]["kind"] == "is_directory"
    assert entry["stat"]["type"] == "dir"
    assert entry["content"] is None


def test_fifo_where_a_file_is_expected_does_not_block(root, no_probe):
    mkdir(root, "/etc")
    os.mkfifo(root + "/etc/crictl.yaml")
    ev = run(root)
    entry = ev["files"]["/etc/crictl.yaml"]
    assert entry["error"]["kind"] == "not_regular"
    assert entry["stat"]["type"] == "fifo"


def test_file_larger_than_cap_is_truncated(root, no_probe):
    text = "# " + "é" * 100 + "\n"  # two bytes per é: the cap cuts through a character
    put(root, "/etc/containers/registries.conf", text)
    ev = run(root, file_cap=51)
    entry = ev["files"]["/etc/containers/registries.conf"]
    assert entry["truncated"] is True
    assert entry["error"] is None
    assert entry["content"] == "# " + "é" * 24  # 50 bytes kept whole, the cut half dropped
    assert entry["stat"]["size"] == len(text.encode("utf-8"))

    ev = run(root, file_cap=4096)
    assert ev["files"]["/etc/containers/registries.conf"]["truncated"] is False
    assert ev["files"]["/etc/containers/registries.conf"]["content"] == text


def test_missing_well_known_file_is_recorded(root, no_probe):
    ev = run(root)
    entry = ev["files"]["/var/lib/kubelet/config.yaml"]
    assert entry["stat"]["type"] == "missing"
    assert entry["error"]["kind"] == "missing"
    assert entry["why"] == ["kubelet-config"]


def test_absolute_symlinks_stay_inside_root(root, no_probe):
    # /var/run -> /run must resolve to <root>/run, not to the host's /run.
    symlink(root, "/var/run", "/run")
    put(root, "/run/crictl-real.yaml", "runtime-endpoint: unix:///run/k0s/containerd.sock\n")
    symlink(root, "/etc/crictl.yaml", "/run/crictl-real.yaml")
    ev = run(root)
    assert ev["var_run"]["type"] == "symlink"
    assert ev["var_run"]["target"] == "/run"
    assert ev["var_run"]["resolved_type"] == "dir"
    assert ev["files"]["/etc/crictl.yaml"]["content"].startswith("runtime-endpoint:")
    assert ev["files"]["/etc/crictl.yaml"]["stat"]["resolved_path"] == "/run/crictl-real.yaml"
    # The host's own containerd socket (if any) must not leak into the fake tree.
    assert ev["sockets"]["/var/run/containerd/containerd.sock"]["stat"]["type"] == "missing"


# --- sockets -------------------------------------------------------------------

def test_socket_paths_that_are_files_or_directories(root, no_probe):
    put(root, "/run/containerd/containerd.sock", "not a socket\n")
    mkdir(root, "/run/crio/crio.sock")
    ev = run(root)
    as_file = ev["sockets"]["/run/containerd/containerd.sock"]
    assert as_file["stat"]["type"] == "file"
    assert as_file["connect"] == "not_socket"
    assert as_file["runtime_probe"] is None and as_file["image_probe"] is None
    as_dir = ev["sockets"]["/run/crio/crio.sock"]
    assert as_dir["stat"]["type"] == "dir"
    assert as_dir["connect"] == "not_socket"
    missing = ev["sockets"]["/run/k0s/containerd.sock"]
    assert missing["stat"]["type"] == "missing"
    assert missing["connect"] == "missing"
    assert missing["why"] == ["known-default"]
    assert no_probe == []


def test_listening_and_stale_sockets(root, no_probe):
    listener = Listener(root + "/run/containerd/containerd.sock")
    try:
        stale_socket(root + "/run/crio/crio.sock")
        symlink(root, "/var/run", "/run")
        ev = run(root)
    finally:
        listener.close()
    live = ev["sockets"]["/run/containerd/containerd.sock"]
    assert live["stat"]["type"] == "socket"
    assert live["connect"] == "ok"
    assert live["runtime_probe"]["version"] == {"runtime_name": "fake"}
    assert live["image_probe"]["ok"] is True
    # Reached through /var/run -> /run: same socket, probed once per service.
    alias = ev["sockets"]["/var/run/containerd/containerd.sock"]
    assert alias["connect"] == "ok"
    assert alias["stat"]["resolved_path"] == "/run/containerd/containerd.sock"
    endpoint = "unix://" + root + "/run/containerd/containerd.sock"
    assert sorted(call[:2] for call in no_probe) == [(endpoint, "image"), (endpoint, "runtime")]
    assert all(call[2] == 0.3 for call in no_probe)
    stale = ev["sockets"]["/run/crio/crio.sock"]
    assert stale["stat"]["type"] == "socket"
    assert stale["connect"] == "refused"
    assert stale["runtime_probe"] is None


def test_real_cri_probe_against_a_non_grpc_listener(root):
    listener = Listener(root + "/run/containerd/containerd.sock")
    try:
        ev = run(root, probe_timeout=0.5)
    finally:
        listener.close()
    live = ev["sockets"]["/run/containerd/containerd.sock"]
    assert live["connect"] == "ok"
    for key in ("runtime_probe", "image_probe"):
        assert live[key]["ok"] is False
        assert live[key]["outcome"] in ("protocol", "refused", "timeout")


def test_kubelet_config_mention_is_probed(root, no_probe):
    listener = Listener(root + "/run/x.sock")
    try:
        put(root, "/var/lib/kubelet/config.yaml",
            "apiVersion: kubelet.config.k8s.io/v1beta1\n"
            "containerRuntimeEndpoint: unix:///run/x.sock\n"
            "imageServiceEndpoint: \"unix:///var/run/image-cri-shim.sock\"\n")
        put(root, "/var/lib/kubelet/kubeadm-flags.env",
            'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=/run/y.sock --image-service-endpoint=unix:/run/w"\n')
        put(root, "/run/containerd/containerd.sock.ttrpc", "")
        ev = run(root)
    finally:
        listener.close()
    mention = ev["sockets"]["/run/x.sock"]
    assert mention["why"] == ["config-mention:/var/lib/kubelet/config.yaml"]
    assert mention["connect"] == "ok"
    assert mention["runtime_probe"]["ok"] is True
    shim = ev["sockets"]["/var/run/image-cri-shim.sock"]
    assert shim["why"] == ["known-default", "config-mention:/var/lib/kubelet/config.yaml"]
    assert ev["sockets"]["/run/y.sock"]["why"] == ["config-mention:/var/lib/kubelet/kubeadm-flags.env"]
    assert ev["sockets"]["/run/y.sock"]["connect"] == "missing"
    # unix:/path (one slash) is a valid endpoint too, whatever the file name ends with.
    assert ev["sockets"]["/run/w"]["why"] == ["config-mention:/var/lib/kubelet/kubeadm-flags.env"]
    # Files that are not kubelet/crictl/k3s/shim/kubeadm files are not searched,
    # and a .sock prefix of a longer name is not a mention.
    assert "/run/containerd/containerd.sock.ttrpc" not in ev["sockets"]


def test_extra_files_are_read_and_searched(root, no_probe):
    put(root, "/root/kubeadm-init.yaml", "nodeRegistration:\n  criSocket: unix:///run/k3s/cri-dockerd/z.sock\n")
    ev = run(root, extra_files=["/root/kubeadm-init.yaml", "/root/missing.yaml"])
    assert ev["files"]["/root/kubeadm-init.yaml"]["why"] == ["kubeadm-config"]
    assert ev["files"]["/root/missing.yaml"]["error"]["kind"] == "missing"
    assert ev["sockets"]["/run/k3s/cri-dockerd/z.sock"]["why"] == ["config-mention:/root/kubeadm-init.yaml"]


# --- processes, systemd, versions ------------------------------------------------

def fake_process(root, pid, argv):
    put(root, "/proc/%d/cmdline" % pid, b"\0".join(a.encode("utf-8") for a in argv) + b"\0")


def test_processes_name_configs_and_sockets(root, no_probe):
    fake_process(root, 1, ["/sbin/init"])
    fake_process(root, 812, ["/usr/local/bin/containerd", "--config", "/etc/alt/containerd.toml"])
    fake_process(root, 900, ["/usr/bin/kubelet", "--config=/etc/kubelet.yaml",
                             "--container-runtime-endpoint=unix:///run/k.sock"])
    fake_process(root, 901, ["/usr/local/bin/k3s server", "", ""])
    fake_process(root, 902, ["/usr/bin/bash", "-c", "containerd"])
    put(root, "/etc/alt/containerd.toml", "version = 2\n")
    put(root, "/etc/kubelet.yaml", "kind: KubeletConfiguration\n")
    ev = run(root)
    names = [(p["pid"], p["name"]) for p in ev["processes"]]
    assert names == [(812, "containerd"), (900, "kubelet"), (901, "k3s")]
    assert ev["processes"][0]["cmdline"] == ["/usr/local/bin/containerd", "--config", "/etc/alt/containerd.toml"]
    assert ev["files"]["/etc/alt/containerd.toml"]["why"] == ["containerd-config"]
    assert ev["files"]["/etc/kubelet.yaml"]["why"] == ["kubelet-config"]
    assert ev["sockets"]["/run/k.sock"]["why"] == ["config-mention:/proc/900/cmdline"]


EXEC_START = ("{ path=/usr/bin/containerd ; argv[]=/usr/bin/containerd --log-level debug ; ignore_errors=no ; "
              "start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }")
SYSTEMCTL_OUTPUT = """Id=containerd.service
LoadState=loaded
ActiveState=active
SubState=running
UnitFileState=enabled
FragmentPath=/lib/systemd/system/containerd.service
DropInPaths=/etc/systemd/system/containerd.service.d/10-x.conf
After=network.target local-fs.target
Wants=
ExecStart=%s

Id=crio.service
LoadState=not-found
ActiveState=inactive
FragmentPath=

Id=docker.socket
LoadState=loaded
Listen=/run/docker.sock (Stream)
Listen=/run/docker2.sock (Stream)
""" % EXEC_START


def fake_systemd(root, output, rc=0):
    mkdir(root, "/run/systemd/system")
    script = "#!/bin/sh\ncat <<'EOF'\n%sEOF\nexit %d\n" % (output, rc)
    put(root, "/usr/bin/systemctl", script, mode=0o755)


def test_systemd_units_from_one_systemctl_show(root, no_probe):
    fake_systemd(root, SYSTEMCTL_OUTPUT)
    put(root, "/lib/systemd/system/containerd.service", "[Service]\nExecStart=/usr/bin/containerd\n")
    put(root, "/etc/systemd/system/containerd.service.d/10-x.conf", "[Unit]\nAfter=registry.service\n")
    ev = run(root)
    sd = ev["systemd"]
    assert sd["available"] is True
    assert sd["error"] is None
    assert sd["not_found"] == ["crio.service"]
    unit = sd["units"]["containerd.service"]
    assert unit["ActiveState"] == "active"
    assert unit["After"] == ["local-fs.target", "network.target"]
    assert unit["Wants"] == []
    assert unit["DropInPaths"] == ["/etc/systemd/system/containerd.service.d/10-x.conf"]
    assert unit["ExecStart"] == "/usr/bin/containerd --log-level debug"
    assert sd["units"]["docker.socket"]["Listen"] == ["/run/docker.sock (Stream)", "/run/docker2.sock (Stream)"]
    assert ev["files"]["/lib/systemd/system/containerd.service"]["why"] == ["unit-file"]
    assert ev["files"]["/etc/systemd/system/containerd.service.d/10-x.conf"]["why"] == ["unit-file"]


def test_systemd_not_booted(root, no_probe):
    put(root, "/usr/bin/systemctl", "#!/bin/sh\nexit 1\n", mode=0o755)
    ev = run(root)
    assert ev["systemd"]["available"] is False
    assert ev["systemd"]["error"]["kind"] == "missing"
    assert ev["systemd"]["units"] == {}


def test_parse_systemctl_show_blocks_and_multiple_exec():
    text = ("Id=a.service\nExecStart={ path=/bin/a ; argv[]=/bin/a 1 ; ignore_errors=no ; x=y } "
            "{ path=/bin/b ; argv[]=/bin/b 2 ; ignore_errors=yes ; x=y }\n\nId=b.service\nLoadState=loaded\n")
    blocks = parse_systemctl_show(text)
    assert [b["Id"] for b in blocks] == ["a.service", "b.service"]
    assert _evidence._shape_unit(blocks[0])["ExecStart"] == "/bin/a 1\n/bin/b 2"


def test_versions_run_in_parallel_with_errors_recorded(root, no_probe, monkeypatch):
    monkeypatch.setattr(_evidence, "VERSION_TIMEOUT", 0.5)
    put(root, "/usr/bin/containerd", "#!/bin/sh\necho containerd fake 1.6.20\n", mode=0o755)
    put(root, "/usr/sbin/runc", "#!/bin/sh\necho broken >&2\nexit 3\n", mode=0o755)
    put(root, "/usr/local/bin/crio", "#!/bin/sh\nsleep 5\n", mode=0o755)
    put(root, "/usr/local/bin/k3s", "#!/bin/sh\nsleep 5\n", mode=0o755)
    put(root, "/usr/bin/rke2", "not executable\n", mode=0o644)
    started = time.monotonic()
    ev = run(root)
    elapsed = time.monotonic() - started
    versions = ev["versions"]
    assert versions["containerd"] == {"path": "/usr/bin/containerd", "output": "containerd fake 1.6.20",
                                      "rc": 0, "error": None}
    assert versions["runc"]["output"] == "broken"
    assert versions["runc"]["error"]["kind"] == "exit_status"
    assert versions["crio"]["error"]["kind"] == "timeout"
    assert versions["k3s"]["error"]["kind"] == "timeout"
    assert "rke2" not in versions
    # Two hung binaries with 0.5 s each: in parallel, not one after the other.
    assert elapsed < 0.95


# --- whole-run properties ---------------------------------------------------------

def test_gather_writes_nothing(root, no_probe):
    put(root, "/etc/containerd/config.toml", CONFIG_TOML)
    put(root, "/etc/containerd/certs.d/docker.io/hosts.toml", "server = 'x'\n")
    put(root, "/usr/bin/containerd", "#!/bin/sh\necho v\n", mode=0o755)
    fake_systemd(root, SYSTEMCTL_OUTPUT)
    listener = Listener(root + "/run/containerd/containerd.sock")
    try:
        before = snapshot(root)
        run(root)
        after = snapshot(root)
    finally:
        listener.close()
    assert before == after


def test_top_level_shape(root, no_probe):
    ev = run(root)
    assert ev["schema"] == 1
    assert set(ev) == {"schema", "hostname", "python", "elapsed_ms", "selinux", "var_run", "processes",
                       "versions", "files", "dirs", "sockets", "systemd", "local_registry", "runtime_view",
                       "executables", "trust_store"}
    assert isinstance(ev["elapsed_ms"], float)
    assert ev["selinux"] == {"mounted": False, "enforce": None}
    for entry in ev["sockets"].values():
        assert set(entry) == {"stat", "selinux_label", "connect", "connect_message",
                              "runtime_probe", "image_probe", "why"}


def test_selinux_enforce_is_raw_text(root, no_probe):
    put(root, "/sys/fs/selinux/enforce", "1\n")
    ev = run(root)
    assert ev["selinux"] == {"mounted": True, "enforce": "1"}


@pytest.mark.parametrize("name", ["debian12-captured.json", "debian13-captured.json", "debian13-c21-captured.json"])
def test_captured_fixtures_match_the_contract(name):
    path = os.path.join(FIXTURES, name)
    if not os.path.exists(path):
        pytest.skip("fixture %s not captured" % name)
    with open(path) as handle:
        ev = json.load(handle)
    assert ev["schema"] == 1
    assert ev["systemd"]["available"] is True
    assert ev["systemd"]["units"]["containerd.service"]["ActiveState"] == "active"
    sock = ev["sockets"]["/run/containerd/containerd.sock"]
    assert sock["connect"] == "ok"
    assert sock["runtime_probe"]["version"]["runtime_name"] == "containerd"
    assert ev["versions"]["containerd"]["output"].startswith("containerd ")
    assert ev["files"]["/etc/containerd/config.toml"]["error"] is None
    assert any(p["name"] == "containerd" for p in ev["processes"])
    for entry in list(ev["files"].values()) + list(ev["dirs"].values()):
        assert entry["stat"]["type"] in ("file", "dir", "symlink", "socket", "fifo", "char", "block", "missing")
        assert set(entry["why"]) <= KNOWN_WHY


def test_unit_dependencies_are_sorted_but_drop_ins_keep_their_order():
    # systemd prints dependency sets in an order that changes between calls; the
    # evidence (and so every report) must not.
    shaped = _evidence._shape_unit({"After": "z.target a.service m.socket",
                                    "DropInPaths": "/etc/b.conf /etc/a.conf"})
    assert shaped["After"] == ["a.service", "m.socket", "z.target"]
    assert shaped["DropInPaths"] == ["/etc/b.conf", "/etc/a.conf"]


def test_kubelet_config_anywhere_and_config_dir_drop_ins(root, no_probe):
    fake_process(root, 900, ["/usr/bin/kubelet", "--config", "kubelet-config.yaml", "--config-dir=/etc/kubernetes/kubelet.conf.d"])
    symlink(root, "/proc/900/cwd", root + "/etc/kubernetes")
    put(root, "/etc/kubernetes/kubelet-config.yaml", "containerRuntimeEndpoint: unix:///run/k3s/containerd/containerd.sock\n")
    put(root, "/etc/kubernetes/kubelet.conf.d/20-b.conf", "imageServiceEndpoint: unix:///var/run/image-cri-shim.sock\n")
    put(root, "/etc/kubernetes/kubelet.conf.d/10-a.conf", "containerRuntimeEndpoint: unix:///run/a.sock\n")
    put(root, "/etc/kubernetes/kubelet.conf.d/README", "not read\n")
    ev = run(root)
    assert ev["processes"][0]["cwd"] == "/etc/kubernetes"
    for path in ("/etc/kubernetes/kubelet-config.yaml", "/etc/kubernetes/kubelet.conf.d/10-a.conf",
                 "/etc/kubernetes/kubelet.conf.d/20-b.conf"):
        assert ev["files"][path]["why"] == ["kubelet-config"], path
    assert "/etc/kubernetes/kubelet.conf.d/README" not in ev["files"]
    assert [e["name"] for e in ev["dirs"]["/etc/kubernetes/kubelet.conf.d"]["entries"]] == ["10-a.conf", "20-b.conf", "README"]
    # sockets named in the drop-ins are probed like those of the main file
    assert "/run/a.sock" in ev["sockets"] and "/run/k3s/containerd/containerd.sock" in ev["sockets"]


def test_containerd_import_without_glob_is_recorded_when_missing(root, no_probe):
    put(root, "/etc/containerd/config.toml", 'version = 2\nimports = ["/etc/containerd/conf.d/10-x.toml", "conf.d/*.toml"]\n')
    put(root, "/etc/containerd/conf.d/20-y.toml", "version = 2\n")
    ev = run(root)
    missing = ev["files"]["/etc/containerd/conf.d/10-x.toml"]
    assert missing["error"]["kind"] == "missing" and missing["why"] == ["containerd-config"]
    assert ev["files"]["/etc/containerd/conf.d/20-y.toml"]["error"] is None


def test_certs_d_symlink_loop_is_recorded(root, no_probe):
    mkdir(root, "/etc/containerd/certs.d")
    symlink(root, "/etc/containerd/certs.d/docker.io", "docker.io")
    symlink(root, "/etc/containerd/certs.d/gone", "/nowhere")
    ev = run(root)
    assert ev["dirs"]["/etc/containerd/certs.d/docker.io"]["error"]["kind"] == "symlink_loop"
    assert ev["dirs"]["/etc/containerd/certs.d/gone"]["error"]["kind"] == "missing"


def test_unreadable_bytes_are_named(root, no_probe):
    put(root, "/etc/containerd/config.toml", b'version = 2\n# caf\xff\n')
    put(root, "/etc/crio/crio.conf", b"[crio]\n\nx\x00")
    ev = run(root)
    assert ev["files"]["/etc/containerd/config.toml"]["error"] == {
        "kind": "not_utf8", "message": "not valid UTF-8: byte 0xff at offset 17 (line 2)"}
    assert ev["files"]["/etc/crio/crio.conf"]["error"] == {"kind": "binary", "message": "NUL byte at offset 9 (line 3)"}


def test_a_file_where_a_directory_belongs_is_named(root, no_probe):
    put(root, "/var/lib/kubelet", "not a directory\n")
    ev = run(root)
    err = ev["files"]["/var/lib/kubelet/config.yaml"]["error"]
    assert err["kind"] == "parent_not_directory"
    assert err["message"] == "/var/lib/kubelet is a file, not a directory"


def test_socket_consumers_join_the_one_systemctl_call_with_group_and_drop_ins(root, no_probe):
    # The fake systemctl records its arguments, so the consumer units are proven to be asked for.
    mkdir(root, "/run/systemd/system")
    script = ("#!/bin/sh\necho \"$@\" > %s/systemctl-args\ncat <<'EOF'\nId=spegel.service\nLoadState=loaded\n"
              "ActiveState=failed\n\nId=gone.service\nLoadState=not-found\n\nEOF\n" % root)
    put(root, "/usr/bin/systemctl", script, mode=0o755)
    put(root, "/etc/group", "root:x:0:\ncrisock:x:997:spegel\n")
    put(root, "/etc/systemd/system/spegel.service.d/50-pullfix-runtime-socket.conf", "[Unit]\nAfter=containerd.service\n")
    ev = run(root, socket_consumers=["spegel", "gone.service", "../etc/passwd", "spegel"])
    with open(root + "/systemctl-args") as handle:
        args = handle.read().split()
    assert args.count("spegel.service") == 1 and "gone.service" in args
    assert not [a for a in args if "passwd" in a]
    assert ev["systemd"]["units"]["spegel.service"]["ActiveState"] == "failed"
    assert "gone.service" in ev["systemd"]["not_found"]
    assert ev["files"]["/etc/group"]["content"].endswith("crisock:x:997:spegel\n")
    assert ev["files"]["/etc/group"]["why"] == ["socket-access"]
    dropin = ev["files"]["/etc/systemd/system/spegel.service.d/50-pullfix-runtime-socket.conf"]
    assert dropin["why"] == ["socket-consumer"] and "After=containerd.service" in dropin["content"]
    assert ev["files"]["/etc/tmpfiles.d/pullfix-runtime-socket.conf"]["stat"]["type"] == "missing"


def _registry_server(handler_map):
    """A loopback HTTP server answering GET paths from handler_map ({path: (status, body)})."""
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status, body = handler_map.get(self.path, (404, {}))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = HTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_local_registry_catalog_lists_repositories_and_tags():
    server = _registry_server({
        '/v2/_catalog?n=101': (200, {'repositories': ['pause', 'coredns/coredns']}),
        '/v2/pause/tags/list': (200, {'name': 'pause', 'tags': ['3.9', '3.8']}),
        '/v2/coredns/coredns/tags/list': (200, {'name': 'coredns/coredns', 'tags': None}),
    })
    try:
        out = _evidence.local_registry_catalog('127.0.0.1:%d' % server.server_port)
    finally:
        server.shutdown()
    assert out['error'] is None and not out['truncated']
    assert out['repositories'] == {'pause': ['3.8', '3.9'], 'coredns/coredns': []}
    assert out['url'] == 'http://127.0.0.1:%d' % server.server_port


def test_local_registry_catalog_records_refusals():
    server = _registry_server({'/v2/_catalog?n=101': (401, {'errors': []})})
    try:
        out = _evidence.local_registry_catalog('http://127.0.0.1:%d' % server.server_port)
    finally:
        server.shutdown()
    assert out['error']['kind'] == 'unauthorized' and out['repositories'] == {}
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    assert _evidence.local_registry_catalog('127.0.0.1:%d' % port)['error']['kind'] == 'unreachable'


def test_local_registry_that_is_no_url_is_an_error_not_an_exception():
    # http.client.InvalidURL is no ValueError: a newline meant to inject YAML into the shim's config
    out = _evidence.local_registry_catalog("127.0.0.1:5000\ncri: /tmp/x.sock", timeout=0.2)
    assert out["repositories"] == {} and out["error"]["kind"] == "unreachable"
    assert "nonnumeric port" in out["error"]["message"]
