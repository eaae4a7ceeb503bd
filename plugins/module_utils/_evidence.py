# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Read-only evidence gathering for image pull diagnosis (node side).

Private to this collection. gather() reads configuration files, lists
directories, looks at /proc, asks systemd about a fixed set of units, runs
`<binary> --version` and probes unix sockets. It judges nothing and never
writes: everything it finds is returned raw (see docs/evidence.md) and the
controller decides what it means.

Every failure to read something becomes a recorded error; gather() never
raises for the node's content. Paths are resolved by hand, one component at a
time, so that a fake tree under ``root`` (unit tests) is never escaped through
an absolute symlink and a symlink loop is detected after a bounded number of
hops.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import codecs
import errno
import fnmatch
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time

from ansible_collections.kubenode.pullfix.plugins.module_utils._apply import PENDING_RESTART
from ansible_collections.kubenode.pullfix.plugins.module_utils._cri import CriError, parse_endpoint
from ansible_collections.kubenode.pullfix.plugins.module_utils._cri import probe as _cri_probe
from ansible_collections.kubenode.pullfix.plugins.module_utils._cri import runtime_status as _cri_status
from ansible_collections.kubenode.pullfix.plugins.module_utils._runtime_view import (
    first_lines,
    journal_lines,
    kubeadm_images,
    kubernetes_version,
    read_bounded,
    runtime_endpoint_in,
    shape_info,
    unit_of_cgroup,
)


SCHEMA = 1

MAX_SYMLINK_HOPS = 40
MAX_DIR_ENTRIES = 1000
MAX_IMPORT_DEPTH = 8
VERSION_TIMEOUT = 2.0
SYSTEMCTL_TIMEOUT = 5.0
VERSION_OUTPUT_CAP = 4096
CMDLINE_CAP = 65536
# The runtime's own view: each command is bounded in time and output.
RUNTIME_VIEW_TIMEOUT = 3.0
KUBEADM_TIMEOUT = 5.0
JOURNAL_CAP = 8 * 1048576
KUBEADM_OUTPUT_CAP = 65536
MAX_CONTAINERD_DUMPS = 4

PROCESS_NAMES = frozenset((
    "kubelet", "k3s", "k3s-server", "k3s-agent", "rke2", "k0s", "containerd", "crio",
    "dockerd", "cri-dockerd", "image-cri-shim", "registry", "docker-registry",
))

# Binaries asked for `--version` (none of them writes or starts a service for it).
# The readiness helper the cri_shim role installs (its ExecStartPre): gathered so the plan
# replaces an older one and leaves an equal one alone.
WAIT_HELPER = "/usr/local/libexec/kubenode-pullfix/wait-ready"
VERSION_BINARIES = ("containerd", "runc", "k3s", "rke2", "crio", "kubelet", "cri-dockerd", "dockerd")
BIN_DIRS = (
    "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin",
    "/opt/bin", "/var/lib/rancher/rke2/bin",
)

UNITS = (
    "containerd.service", "crio.service", "docker.service", "docker.socket", "cri-docker.service",
    "cri-docker.socket", "cri-dockerd.service", "image-cri-shim.service", "registry.service",
    "docker-registry.service", "kubelet.service", "k3s.service", "k3s-agent.service",
    "rke2-server.service", "rke2-agent.service", "k0sworker.service", "k0scontroller.service",
)
UNIT_PROPERTIES = (
    "Id", "LoadState", "ActiveState", "SubState", "UnitFileState", "FragmentPath", "DropInPaths",
    "After", "Wants", "Requires", "BindsTo", "Before", "TriggeredBy", "Triggers", "ExecStart",
    "Restart", "MainPID", "NRestarts", "Result", "ExecMainStatus", "Listen",
)
# Properties systemd prints as space-separated lists.
UNIT_LIST_PROPERTIES = frozenset((
    "DropInPaths", "After", "Wants", "Requires", "BindsTo", "Before", "TriggeredBy", "Triggers",
))

KNOWN_SOCKETS = (
    "/run/containerd/containerd.sock", "/var/run/containerd/containerd.sock",
    "/run/k3s/containerd/containerd.sock", "/run/k0s/containerd.sock", "/var/run/crio/crio.sock",
    "/run/crio/crio.sock", "/var/run/cri-dockerd.sock", "/run/cri-dockerd.sock",
    "/run/k3s/cri-dockerd/cri-dockerd.sock", "/var/run/image-cri-shim.sock", "/run/docker.sock",
)

DEFAULT_CERTS_DIRS = (
    "/etc/containerd/certs.d", "/etc/docker/certs.d",
)
DEFAULT_DATA_DIRS = {"k3s": "/var/lib/rancher/k3s", "rke2": "/var/lib/rancher/rke2"}

# Files searched for socket paths (config-mention).
MENTION_ROLES = frozenset((
    "kubelet-config", "crictl-config", "k3s-config", "rke2-config", "shim-config", "kubeadm-config",
))

_TYPE_NAMES = (
    (stat.S_ISREG, "file"), (stat.S_ISDIR, "dir"), (stat.S_ISLNK, "symlink"), (stat.S_ISSOCK, "socket"),
    (stat.S_ISFIFO, "fifo"), (stat.S_ISCHR, "char"), (stat.S_ISBLK, "block"),
)

_UNIX_URL_RE = re.compile(r"unix:(?://)?(/[^\s\"'`,;\]\[}{)(<>]+)")
_SOCK_PATH_RE = re.compile(r"(?<![\w.:/-])(/[\w.@%+=~,:/-]*\.sock)(?![\w.-])")
_IMPORTS_RE = re.compile(r"^[ \t]*imports[ \t]*=[ \t]*\[(.*?)\]", re.M | re.S)
_CONFIG_PATH_RE = re.compile(r"^[ \t]*config_path[ \t]*=[ \t]*(?:\"([^\"\n]*)\"|'([^'\n]*)')", re.M)
_TOML_STRING_RE = re.compile(r"\"((?:[^\"\\\n]|\\.)*)\"|'([^'\n]*)'")
_DATA_DIR_RE = re.compile(r"^[ \t]*[\"']?data-dir[\"']?[ \t]*:[ \t]*[\"']?([^\"'#\s]+)", re.M)
_EXEC_ARGV_RE = re.compile(r"argv\[\]=(.*?) ; ignore_errors=")


def _type_name(mode):
    for test, name in _TYPE_NAMES:
        if test(mode):
            return name
    return "unknown"


def _stat_dict(st, target=None):
    if st is None:
        return {"type": "missing", "mode": None, "uid": None, "gid": None, "size": None,
                "target": None, "resolved_type": None, "resolved_path": None}
    return {
        "type": _type_name(st.st_mode),
        "mode": "%04o" % stat.S_IMODE(st.st_mode),
        "uid": st.st_uid,
        "gid": st.st_gid,
        "size": st.st_size,
        "target": target,
        "resolved_type": None,
        "resolved_path": None,
    }


def _error(kind, message):
    return {"kind": kind, "message": message}


def _errno_kind(exc):
    code = getattr(exc, "errno", None)
    if code in (errno.ENOENT, errno.ENOTDIR):
        return "missing"
    if code in (errno.EACCES, errno.EPERM):
        return "permission_denied"
    if code == errno.ELOOP:
        return "symlink_loop"
    if code == errno.EISDIR:
        return "is_directory"
    return "os_error"


def _os_message(exc):
    return "%s" % (getattr(exc, "strerror", None) or exc)


def _norm(path):
    """Normalise an absolute node path lexically (no symlinks followed)."""
    path = os.path.normpath(path)
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    return path


def _add_why(entry, why):
    if why not in entry["why"]:
        entry["why"].append(why)


class _Resolved(object):
    """Outcome of resolving a node path inside the root.

    host: host path of the last component reached; node: its node path;
    st: lstat of it (None when missing); error: None or an error kind.
    """

    __slots__ = ("host", "node", "st", "error", "message")

    def __init__(self, host, node, st, error=None, message=None):
        self.host = host
        self.node = node
        self.st = st
        self.error = error
        self.message = message


class _Gatherer(object):

    def __init__(self, root, extra_files, probe_timeout, file_cap):
        root = os.path.abspath(root or "/")
        self.root = "" if root == "/" else root.rstrip("/")
        self.extra_files = list(extra_files or ())
        self.probe_timeout = float(probe_timeout)
        self.file_cap = max(0, int(file_cap))
        self.files = {}
        self.dirs = {}
        self.sockets = {}
        self.processes = []

    # -- paths ------------------------------------------------------------

    def host(self, node_path):
        return self.root + node_path if self.root else node_path

    def resolve(self, node_path, follow_last=True):
        """Walk node_path inside the root, following symlinks (bounded)."""
        pending = [p for p in node_path.split("/") if p]
        done = []
        hops = 0
        while pending:
            name = pending.pop(0)
            if name == ".":
                continue
            if name == "..":
                if done:
                    done.pop()
                continue
            node = "/" + "/".join(done + [name])
            host = self.host(node)
            try:
                st = os.lstat(host)
            except OSError as exc:
                kind = _errno_kind(exc)
                return _Resolved(host, node, None, kind, _os_message(exc))
            is_last = not pending
            if stat.S_ISLNK(st.st_mode) and (follow_last or not is_last):
                hops += 1
                if hops > MAX_SYMLINK_HOPS:
                    return _Resolved(host, node, st, "symlink_loop",
                                     "more than %d symbolic links while resolving %s" % (MAX_SYMLINK_HOPS, node_path))
                try:
                    target = os.readlink(host)
                except OSError as exc:
                    return _Resolved(host, node, st, _errno_kind(exc), _os_message(exc))
                if target.startswith("/"):
                    done = []
                pending = [p for p in target.split("/") if p] + pending
                continue
            if not is_last and not stat.S_ISDIR(st.st_mode):
                # Nothing below it can exist, and the service that wants it cannot create it either.
                return _Resolved(host, node, None, "parent_not_directory", "%s is a %s, not a directory" % (
                    node, _type_name(st.st_mode)))
            done.append(name)
            if is_last:
                return _Resolved(host, node, st)
        node = "/" + "/".join(done)
        host = self.host(node) if done else (self.root or "/")
        try:
            st = os.lstat(host)
        except OSError as exc:
            return _Resolved(host, node, None, _errno_kind(exc), _os_message(exc))
        return _Resolved(host, node, st)

    def describe(self, node_path):
        """lstat-like description of node_path plus the resolution of a symlink.

        Returns (stat dict, final _Resolved or None when the path itself is missing).
        """
        parent = self.resolve(node_path, follow_last=False)
        if parent.st is None:
            return _stat_dict(None), parent
        target = None
        if stat.S_ISLNK(parent.st.st_mode):
            try:
                target = os.readlink(parent.host)
            except OSError:
                target = None
        info = _stat_dict(parent.st, target)
        if not stat.S_ISLNK(parent.st.st_mode):
            if parent.node != node_path:
                # A directory on the way was a symlink (e.g. /var/run -> /run).
                info["resolved_type"] = info["type"]
                info["resolved_path"] = parent.node
            return info, parent
        final = self.resolve(node_path, follow_last=True)
        if final.error == "symlink_loop":
            info["resolved_type"] = "loop"
        elif final.st is None:
            info["resolved_type"] = "missing"
            info["resolved_path"] = final.node
        else:
            info["resolved_type"] = _type_name(final.st.st_mode)
            info["resolved_path"] = final.node
        return info, final

    def to_node(self, host_path):
        if not self.root:
            return host_path
        if host_path.startswith(self.root + "/"):
            return host_path[len(self.root):]
        return None

    def glob(self, pattern):
        """Expand a node path pattern; returns sorted node paths that exist."""
        pattern = _norm(pattern)
        dirname, base = os.path.split(pattern)
        if any(ch in dirname for ch in "*?["):
            # Rare: wildcards in directory parts. Walk them one level at a time.
            results = []
            for parent in self.glob(dirname):
                results.extend(self.glob(parent.rstrip("/") + "/" + base))
            return sorted(set(results))
        res = self.resolve(dirname)
        if res.st is None or not stat.S_ISDIR(res.st.st_mode):
            return []
        try:
            names = os.listdir(res.host)
        except OSError:
            return []
        if not any(ch in base for ch in "*?["):
            return [pattern] if base in names else []
        prefix = dirname.rstrip("/") + "/"
        return sorted(prefix + n for n in names if fnmatch.fnmatchcase(n, base)
                      and not (n.startswith(".") and not base.startswith(".")))

    # -- files and directories -------------------------------------------

    def read_file(self, node_path, why):
        node_path = _norm(node_path)
        entry = self.files.get(node_path)
        if entry is not None:
            _add_why(entry, why)
            return entry
        entry = {"stat": None, "content": None, "truncated": False, "error": None, "why": [why]}
        self.files[node_path] = entry
        info, final = self.describe(node_path)
        entry["stat"] = info
        if info["type"] == "missing":
            entry["error"] = _error(final.error or "missing", final.message or "no such file")
            return entry
        if final.error or final.st is None:
            kind = final.error or "missing"
            entry["error"] = _error(kind, final.message or "symbolic link target does not exist")
            return entry
        mode = final.st.st_mode
        if stat.S_ISDIR(mode):
            entry["error"] = _error("is_directory", "%s is a directory" % node_path)
            return entry
        if not stat.S_ISREG(mode):
            entry["error"] = _error("not_regular", "%s is a %s, not a regular file" % (node_path, _type_name(mode)))
            return entry
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        cap = self.file_cap
        try:
            fd = os.open(final.host, flags)
            try:
                chunks = []
                got = 0
                while got <= cap:
                    chunk = os.read(fd, min(65536, cap + 1 - got))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    got += len(chunk)
            finally:
                os.close(fd)
        except OSError as exc:
            entry["error"] = _error(_errno_kind(exc), _os_message(exc))
            return entry
        data = b"".join(chunks)
        if len(data) > cap:
            data = data[:cap]
            entry["truncated"] = True
            if not data:
                entry["error"] = _error("too_large", "file is larger than the cap of %d bytes" % cap)
                return entry
        nul = data.find(b"\0")
        if nul >= 0:
            entry["error"] = _error("binary", "NUL byte at offset %d (line %d)" % (nul, data.count(b"\n", 0, nul) + 1))
            return entry
        try:
            # The incremental decoder tolerates a multi-byte character cut by the cap.
            text = codecs.getincrementaldecoder("utf-8")().decode(data, final=not entry["truncated"])
        except UnicodeDecodeError as exc:
            entry["error"] = _error("not_utf8", "not valid UTF-8: byte 0x%02x at offset %d (line %d)" % (
                data[exc.start], exc.start, data.count(b"\n", 0, exc.start) + 1))
            return entry
        entry["content"] = text
        return entry

    def list_dir(self, node_path, why):
        node_path = _norm(node_path)
        entry = self.dirs.get(node_path)
        if entry is not None:
            _add_why(entry, why)
            return entry
        entry = {"stat": None, "entries": [], "truncated": False, "error": None, "why": [why]}
        self.dirs[node_path] = entry
        info, final = self.describe(node_path)
        entry["stat"] = info
        if info["type"] == "missing" or final.error or final.st is None:
            entry["error"] = _error(final.error or "missing", final.message or "no such directory")
            return entry
        if not stat.S_ISDIR(final.st.st_mode):
            entry["error"] = _error("not_directory", "%s is a %s, not a directory" % (node_path, _type_name(final.st.st_mode)))
            return entry
        try:
            names = sorted(os.listdir(final.host))
        except OSError as exc:
            entry["error"] = _error(_errno_kind(exc), _os_message(exc))
            return entry
        if len(names) > MAX_DIR_ENTRIES:
            names = names[:MAX_DIR_ENTRIES]
            entry["truncated"] = True
        entries = []
        for name in names:
            try:
                kind = _type_name(os.lstat(os.path.join(final.host, name)).st_mode)
            except OSError:
                kind = "missing"
            entries.append({"name": name, "type": kind})
        entry["entries"] = entries
        return entry

    def dir_children(self, node_path, entry, want_dirs):
        """Node paths of the entries of a listed directory (dirs or non-dirs, symlinks followed)."""
        out = []
        base = node_path.rstrip("/")
        for item in entry["entries"]:
            child = base + "/" + item["name"]
            kind = item["type"]
            if kind == "symlink":
                res = self.resolve(child)
                kind = _type_name(res.st.st_mode) if res.st is not None and not res.error else "missing"
            if want_dirs and kind == "dir":
                out.append(child)
            elif not want_dirs and kind != "dir":
                out.append(child)
        return out

    # -- processes ---------------------------------------------------------

    def read_processes(self):
        proc = self.host("/proc")
        try:
            pids = [int(p) for p in os.listdir(proc) if p.isdigit()]
        except OSError:
            return
        for pid in sorted(pids):
            try:
                fd = os.open("%s/%d/cmdline" % (proc, pid), os.O_RDONLY)
                try:
                    raw = os.read(fd, CMDLINE_CAP)
                finally:
                    os.close(fd)
            except OSError:
                continue
            if not raw:
                continue
            argv = [a.decode("utf-8", "replace") for a in raw.rstrip(b"\0").split(b"\0")]
            base = os.path.basename(argv[0])
            words = base.split()
            name = words[0] if words else base
            if name not in PROCESS_NAMES and base not in PROCESS_NAMES:
                continue
            try:
                cwd = self.to_node(os.readlink("%s/%d/cwd" % (proc, pid))) if self.root else \
                    os.readlink("/proc/%d/cwd" % pid)
            except OSError:
                cwd = None
            self.processes.append({"pid": pid, "name": name, "cmdline": argv, "cwd": cwd})

    # -- sockets -----------------------------------------------------------

    def add_socket(self, node_path, why):
        node_path = _norm(node_path)
        entry = self.sockets.get(node_path)
        if entry is None:
            entry = {"stat": None, "selinux_label": None, "connect": None, "connect_message": None,
                     "runtime_probe": None, "image_probe": None, "why": []}
            self.sockets[node_path] = entry
        _add_why(entry, why)
        return entry

    def mentions(self, text, source):
        found = []
        for match in _UNIX_URL_RE.finditer(text):
            found.append(match.group(1))
        for match in _SOCK_PATH_RE.finditer(text):
            found.append(match.group(1))
        for path in found:
            path = path.rstrip(".")
            if path.startswith("/"):
                self.add_socket(path, "config-mention:%s" % source)

    def _connect(self, host_path):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.probe_timeout)
            sock.connect(host_path)
            return "ok", None
        except socket.timeout:
            return "timeout", "no connection within %gs" % self.probe_timeout
        except OSError as exc:
            code = exc.errno
            if code == errno.ECONNREFUSED:
                return "refused", _os_message(exc)
            if code in (errno.EACCES, errno.EPERM):
                return "permission_denied", _os_message(exc)
            if code in (errno.ENOENT, errno.ENOTDIR):
                return "missing", _os_message(exc)
            if code == errno.ENOTSOCK:
                return "not_socket", _os_message(exc)
            if code in (errno.EAGAIN, errno.EWOULDBLOCK):
                return "timeout", "listen backlog full: %s" % _os_message(exc)
            return "error", _os_message(exc)
        finally:
            sock.close()

    def _probe_host(self, host_path):
        result = {}
        result["connect"], result["connect_message"] = self._connect(host_path)
        if result["connect"] != "ok":
            return result
        for service in ("runtime", "image"):
            key = service + "_probe"
            try:
                result[key] = _cri_probe("unix://" + host_path, service=service, timeout=self.probe_timeout)
            except Exception as exc:  # pylint: disable=broad-except
                # probe() is documented never to raise; keep the gatherer alive anyway.
                result[key] = {"ok": False, "outcome": "protocol", "grpc_status": None,
                               "message": "probe failed: %s" % exc, "version": None}
        return result

    def probe_sockets(self):
        """Describe every socket entry; connect and probe each distinct target once, in parallel."""
        targets = {}
        for node_path, entry in self.sockets.items():
            info, final = self.describe(node_path)
            entry["stat"] = info
            if info["type"] == "missing":
                entry["connect"] = "missing"
                entry["connect_message"] = final.message or "no such file"
                continue
            if final.error or final.st is None:
                entry["connect"] = "missing"
                entry["connect_message"] = final.message or "symbolic link target does not exist"
                continue
            try:
                label = os.getxattr(final.host, "security.selinux")
                entry["selinux_label"] = label.rstrip(b"\0").decode("utf-8", "replace")
            except (OSError, AttributeError):
                entry["selinux_label"] = None
            if not stat.S_ISSOCK(final.st.st_mode):
                entry["connect"] = "not_socket"
                entry["connect_message"] = "%s is a %s, not a socket" % (node_path, _type_name(final.st.st_mode))
                continue
            targets.setdefault(final.host, []).append(entry)

        results = {}

        def work(host_path):
            results[host_path] = self._probe_host(host_path)

        threads = []
        for host_path in targets:
            thread = threading.Thread(target=work, args=(host_path,))
            thread.daemon = True
            thread.start()
            threads.append(thread)
        limit = time.monotonic() + 3 * self.probe_timeout + 1.0
        for thread in threads:
            thread.join(max(0.0, limit - time.monotonic()))
        for host_path, entries in targets.items():
            result = results.get(host_path) or {"connect": "timeout", "connect_message": "probe did not finish"}
            for entry in entries:
                for key, value in result.items():
                    entry[key] = dict(value) if isinstance(value, dict) else value

    # -- commands ------------------------------------------------------------

    def executable(self, node_path):
        """Host path of node_path when it is an executable regular file, else None."""
        res = self.resolve(node_path)
        if res.st is None or res.error or not stat.S_ISREG(res.st.st_mode):
            return None
        if res.st.st_mode & 0o111 and os.access(res.host, os.X_OK):
            return res.host
        return None

    def find_binary(self, name, preferred=()):
        for node_path in list(preferred) + [d + "/" + name for d in BIN_DIRS]:
            host_path = self.executable(node_path)
            if host_path is not None:
                return node_path, host_path
        return None, None

    def start(self, argv):
        env = {"PATH": ":".join(BIN_DIRS), "LC_ALL": "C", "LANG": "C", "SYSTEMD_PAGER": "", "PAGER": "cat"}
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, close_fds=True, cwd=self.root or "/", env=env,
                                    start_new_session=True)
        except OSError as exc:
            return None, _error(_errno_kind(exc), _os_message(exc))
        return proc, None

    @staticmethod
    def finish(proc, deadline):
        """Wait for proc until deadline; returns (rc, stdout bytes, stderr bytes, timed_out)."""
        try:
            out, err = proc.communicate(timeout=max(0.01, deadline - time.monotonic()))
            return proc.returncode, out, err, False
        except subprocess.TimeoutExpired:
            # Kill the whole session we started: a child left behind would keep the pipes open.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                proc.kill()
            try:
                out, err = proc.communicate(timeout=0.5)
            except (subprocess.TimeoutExpired, OSError, ValueError):
                out, err = b"", b""
                for pipe in (proc.stdout, proc.stderr):
                    if pipe is not None:
                        pipe.close()
            return None, out or b"", err or b"", True


def _decode_output(data, cap=VERSION_OUTPUT_CAP):
    data = data[:cap]
    return data.decode("utf-8", "replace").strip()


def _flag_values(argv, names):
    """Values of --flag VALUE / --flag=VALUE / -f VALUE options in argv."""
    values = []
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                values.append(argv[i + 1])
            elif name.startswith("--") and arg.startswith(name + "="):
                values.append(arg[len(name) + 1:])
    return values


def _in_cwd(value, cwd):
    """A command-line path as the process sees it: relative ones against its working directory."""
    if value.startswith("/"):
        return value
    return (cwd or "/").rstrip("/") + "/" + value


def _toml_strings(text):
    out = []
    for match in _TOML_STRING_RE.finditer(text):
        if match.group(1) is not None:
            out.append(match.group(1).replace("\\\\", "\\").replace('\\"', '"'))
        else:
            out.append(match.group(2))
    return out


def parse_systemctl_show(text):
    """Split `systemctl show` output into {unit Id: {property: value}} blocks."""
    units = []
    current = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                units.append(current)
                current = {}
            continue
        key, sep, value = line.partition("=")
        if not sep:
            continue
        if key == "Listen":
            current.setdefault("Listen", []).append(value)
        elif key in current and key == "ExecStart":
            current[key] += " " + value
        else:
            current[key] = value
    if current:
        units.append(current)
    return units


def _shape_unit(raw):
    unit = {}
    for prop in UNIT_PROPERTIES:
        if prop == "Id":
            continue
        value = raw.get(prop)
        if prop == "DropInPaths":
            unit[prop] = value.split() if value else []  # in the order systemd applies them
        elif prop in UNIT_LIST_PROPERTIES:
            # Dependencies are sets whose printed order changes between calls.
            unit[prop] = sorted(value.split()) if value else []
        elif prop == "Listen":
            unit[prop] = list(value or [])
        elif prop == "ExecStart":
            if value:
                argvs = _EXEC_ARGV_RE.findall(value)
                unit[prop] = "\n".join(argvs) if argvs else value
            else:
                unit[prop] = None
        else:
            unit[prop] = value if value not in (None, "") else None
    return unit


# -- runtime socket consumers (read for the runtime_socket remediation) ------
# Same paths as plugins/plugin_utils/pullfix/facts/sockets.py (node code cannot import it).
SOCKET_CONSUMER_FILES = ("/etc/group", "/etc/tmpfiles.d/pullfix-runtime-socket.conf")
SOCKET_CONSUMER_DROPIN = "50-pullfix-runtime-socket.conf"
_UNIT_NAME_RE = re.compile(r"^[A-Za-z0-9:_.@\\-]{1,200}$")
_UNIT_SUFFIXES = (".service", ".socket", ".target", ".timer", ".path", ".mount")


def socket_consumer_evidence(g, consumers):
    """Read the group database (socket group names to gids), the collection's tmpfiles entry and
    each named consumer's drop-in; return the consumer units for the one `systemctl show` call.

    Names that are not unit names are skipped (the planner refuses them by name).
    """
    for path in SOCKET_CONSUMER_FILES:
        g.read_file(path, "socket-access")
    units = []
    for name in consumers or ():
        if not isinstance(name, str) or not _UNIT_NAME_RE.match(name) or name.startswith("-"):
            continue
        unit = name if name.endswith(_UNIT_SUFFIXES) else name + ".service"
        if unit not in units and unit not in UNITS:
            units.append(unit)
        g.read_file("/etc/systemd/system/%s.d/%s" % (unit, SOCKET_CONSUMER_DROPIN), "socket-consumer")
    return units


# The node-local registry's catalogue (cri_shim compares it with the images kubeadm pulls): at
# most this many repositories are listed, within this many seconds in all.
REGISTRY_MAX_REPOSITORIES = 100
REGISTRY_BUDGET = 5.0


def local_registry_catalog(registry, timeout=1.0):
    """Repositories and tags of a registry (``host[:port]``, plain http, or an http(s) URL).

    Read-only GETs of /v2/_catalog and /v2/<repository>/tags/list, never through a proxy and
    without credentials. Returns {"url", "repositories": {name: [tags]}, "truncated", "error"}.
    """
    import json
    try:
        from urllib.request import ProxyHandler, build_opener
        from urllib.error import HTTPError, URLError
        from http.client import HTTPException  # e.g. InvalidURL for a port that is no number
    except ImportError:  # pragma: no cover - Python 2 sanity runs
        return {"url": None, "repositories": {}, "truncated": False, "error": _error("unsupported", "Python 3 needed")}
    base = registry.rstrip("/") if "://" in registry else "http://" + registry.rstrip("/")
    out = {"url": base, "repositories": {}, "truncated": False, "error": None}
    opener = build_opener(ProxyHandler({}))
    deadline = time.monotonic() + REGISTRY_BUDGET

    def get(path):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout()
        with opener.open(base + path, timeout=min(timeout, remaining)) as response:
            return json.loads(response.read(1048576).decode("utf-8"))

    try:
        names = get("/v2/_catalog?n=%d" % (REGISTRY_MAX_REPOSITORIES + 1)).get("repositories") or []
        if len(names) > REGISTRY_MAX_REPOSITORIES:
            names, out["truncated"] = names[:REGISTRY_MAX_REPOSITORIES], True
        for name in names:
            out["repositories"][str(name)] = sorted(str(t) for t in (get("/v2/%s/tags/list" % name).get("tags") or []))
    except HTTPError as exc:
        out["error"] = _error("unauthorized" if exc.code == 401 else "http_status", "HTTP %s from %s" % (exc.code, base))
    except (socket.timeout, TimeoutError):
        out["error"] = _error("timeout", "%s did not answer within %gs" % (base, timeout))
        out["truncated"] = bool(out["repositories"])
    except (URLError, OSError, ValueError, AttributeError, HTTPException) as exc:
        out["error"] = _error("unreachable", "%s: %s" % (base, getattr(exc, "reason", None) or exc))
    return out


_ENVIRONMENT_FILE_RE = re.compile(r"^[ \t]*EnvironmentFile[ \t]*=[ \t]*(.*?)[ \t]*$", re.M)


def read_unit_environment_files(g):
    """The files the units' EnvironmentFile= lines name (why "unit-env"): their proxies are evidence.

    A leading "-" (the file may be missing) is dropped; paths with systemd specifiers are skipped."""
    for path in sorted(g.files):
        entry = g.files[path]
        if "unit-file" not in entry["why"] or not entry["content"]:
            continue
        for match in _ENVIRONMENT_FILE_RE.finditer(entry["content"]):
            for value in match.group(1).split():
                value = value.lstrip("-").strip("\"'")
                if value.startswith("/") and "%" not in value:
                    g.read_file(value, "unit-env")


def _start_versions(g):
    """Start `<binary> --version` for every runtime binary found; collected by _finish_versions."""
    version_procs = {}
    for name in VERSION_BINARIES:
        preferred = [p["cmdline"][0] for p in g.processes
                     if p["name"] == name and p["cmdline"] and p["cmdline"][0].startswith("/")]
        node_bin, host_bin = g.find_binary(name, preferred)
        if node_bin is None:
            continue
        proc, err = g.start([host_bin, "--version"])
        version_procs[name] = (node_bin, proc, err, time.monotonic() + VERSION_TIMEOUT)
    return version_procs


def _start_systemctl(g, consumer_units):
    """Start the one `systemctl show` call; returns (systemd dict, process or None, deadline)."""
    systemd = {"available": False, "error": None, "units": {}, "not_found": []}
    systemctl_proc = None
    systemctl_node, systemctl_host = g.find_binary("systemctl")
    booted = g.resolve("/run/systemd/system")
    if systemctl_node is None:
        systemd["error"] = _error("missing", "systemctl not found")
    elif booted.st is None or not stat.S_ISDIR(booted.st.st_mode):
        systemd["error"] = _error("missing", "/run/systemd/system does not exist: PID 1 is not systemd")
    else:
        systemctl_proc, err = g.start([systemctl_host, "show", "--no-pager",
                                       "--property=" + ",".join(UNIT_PROPERTIES)] + list(UNITS) + consumer_units)
        systemd["error"] = err
    return systemd, systemctl_proc, time.monotonic() + SYSTEMCTL_TIMEOUT


def _host_facts(g):
    """The evidence dict's head: schema, host name, Python, SELinux and /var/run."""
    evidence = {
        "schema": SCHEMA,
        "hostname": socket.gethostname(),
        "python": "%d.%d.%d" % tuple(sys.version_info[:3]),
        "elapsed_ms": None,
    }
    se_dir = g.resolve("/sys/fs/selinux")
    selinux = {"mounted": se_dir.st is not None and stat.S_ISDIR(se_dir.st.st_mode), "enforce": None}
    if selinux["mounted"]:
        enforce = g.resolve("/sys/fs/selinux/enforce")
        if enforce.st is not None and not enforce.error:
            try:
                with open(enforce.host, "rb") as handle:
                    selinux["enforce"] = handle.read(64).decode("ascii", "replace").strip()
            except (OSError, IOError):
                selinux["enforce"] = None
    evidence["selinux"] = selinux
    evidence["var_run"] = g.describe("/var/run")[0]
    return evidence


def _read_containerd_config(g, node_path, certs_dirs, seen, depth=0):
    """Read one containerd config file, collect its config_path values and follow its imports."""
    node_path = _norm(node_path)
    entry = g.read_file(node_path, "containerd-config")
    if node_path in seen:
        return
    seen.add(node_path)
    text = entry["content"]
    if not text:
        return
    for match in _CONFIG_PATH_RE.finditer(text):
        value = match.group(1) if match.group(1) is not None else match.group(2)
        for part in value.split(":"):
            if part.strip().startswith("/"):
                certs_dirs.append(part.strip())
    if depth >= MAX_IMPORT_DEPTH:
        return
    for match in _IMPORTS_RE.finditer(text):
        for item in _toml_strings(match.group(1)):
            if not item:
                continue
            if not item.startswith("/"):
                item = os.path.dirname(node_path) + "/" + item
            if "*" not in item:
                # containerd opens such an entry as is: record it even when it is missing
                _read_containerd_config(g, item, certs_dirs, seen, depth + 1)
                continue
            for path in g.glob(item):
                _read_containerd_config(g, path, certs_dirs, seen, depth + 1)


def _read_rancher_configs(g):
    """k3s/RKE2 config.yaml (and drop-ins) and registries.yaml; returns their data dirs by dist."""
    data_dirs = {"k3s": [DEFAULT_DATA_DIRS["k3s"]], "rke2": [DEFAULT_DATA_DIRS["rke2"]]}
    for dist in ("k3s", "rke2"):
        g.read_file("/etc/rancher/%s/config.yaml" % dist, "%s-config" % dist)
        drop = "/etc/rancher/%s/config.yaml.d" % dist
        listing = g.list_dir(drop, "%s-config" % dist)
        for child in g.dir_children(drop, listing, want_dirs=False):
            if child.endswith(".yaml") or child.endswith(".yml"):
                g.read_file(child, "%s-config" % dist)
        for entry in [g.files[p] for p in sorted(g.files)]:
            if "%s-config" % dist in entry["why"] and entry["content"]:
                data_dirs[dist].extend(m.group(1) for m in _DATA_DIR_RE.finditer(entry["content"]))
        g.read_file("/etc/rancher/%s/registries.yaml" % dist, "%s-registries" % dist)
    return data_dirs


def _containerd_config_arg(g, process, value):
    """containerd resolves a relative --config against its working directory."""
    if value.startswith("/"):
        return value
    try:
        cwd = os.readlink(g.host("/proc/%d/cwd" % process["pid"]))
    except OSError:
        cwd = "/"
    return cwd.rstrip("/") + "/" + value


def _read_process_configs(g, data_dirs):
    """Follow the running processes' flags: containerd --config files (returned), k3s/RKE2 data dirs
    (added to data_dirs), kubelet --config/--config-dir and image-cri-shim config files (read)."""
    config_files = []
    for process in g.processes:
        argv = process["cmdline"]
        if process["name"] == "containerd":
            config_files.extend(_containerd_config_arg(g, process, v) for v in _flag_values(argv, ("--config", "-c")))
        elif process["name"] in ("k3s", "k3s-server", "k3s-agent", "rke2"):
            dist = "rke2" if process["name"] == "rke2" else "k3s"
            data_dirs[dist].extend(v for v in _flag_values(argv, ("--data-dir", "-d")) if v.startswith("/"))
        elif process["name"] == "kubelet":
            # kubelet resolves both against its working directory.
            for value in _flag_values(argv, ("--config",)):
                g.read_file(_in_cwd(value, process.get("cwd")), "kubelet-config")
            for value in _flag_values(argv, ("--config-dir",)):
                drop = _in_cwd(value, process.get("cwd"))
                listing = g.list_dir(drop, "kubelet-config")
                for child in g.dir_children(drop, listing, want_dirs=False):
                    if child.endswith(".conf"):
                        g.read_file(child, "kubelet-config")
        elif process["name"] == "image-cri-shim":
            for value in _flag_values(argv, ("-f", "--file", "--config")):
                if value.startswith("/"):
                    g.read_file(value, "shim-config")
    return config_files


def _read_containerd_configs(g):
    """Every containerd config (default, --config, k3s/RKE2 agent) with its imports; returns the
    certs.d directories they name, k3s/RKE2 agent ones included."""
    certs_dirs = []
    data_dirs = _read_rancher_configs(g)
    config_files = ["/etc/containerd/config.toml"] + _read_process_configs(g, data_dirs)
    for dist in ("k3s", "rke2"):
        for data_dir in data_dirs[dist]:
            if data_dir.startswith("/"):
                base = _norm(data_dir) + "/agent/etc/containerd"
                config_files.append(base + "/config.toml")
                certs_dirs.append(base + "/certs.d")
    seen = set()
    for path in config_files:
        _read_containerd_config(g, path, certs_dirs, seen)
    return certs_dirs


def _read_certs_dirs(g, certs_dirs):
    """List the default and configured certs.d trees and read each host's hosts.toml."""
    seen_certs = set()
    for path in list(DEFAULT_CERTS_DIRS) + certs_dirs:
        path = _norm(path)
        if path in seen_certs:
            continue
        seen_certs.add(path)
        listing = g.list_dir(path, "certs-d")
        children = g.dir_children(path, listing, want_dirs=True)
        for item in listing["entries"]:
            child = path.rstrip("/") + "/" + item["name"]
            if item["type"] == "symlink" and child not in children:
                g.list_dir(child, "certs-d")  # records why it is no directory (e.g. symlink_loop)
        for child in children:
            sub = g.list_dir(child, "certs-d")
            if any(item["name"] == "hosts.toml" for item in sub["entries"]):
                g.read_file(child + "/hosts.toml", "certs-d")


def _read_containers_and_crio(g):
    """containers-image registries.conf (and .d) and CRI-O's crio.conf (and .d)."""
    g.read_file("/etc/containers/registries.conf", "registries-conf")
    listing = g.list_dir("/etc/containers/registries.conf.d", "registries-conf")
    for child in g.dir_children("/etc/containers/registries.conf.d", listing, want_dirs=False):
        if child.endswith(".conf"):
            g.read_file(child, "registries-conf")
    g.read_file("/etc/crio/crio.conf", "crio-config")
    listing = g.list_dir("/etc/crio/crio.conf.d", "crio-config")
    for child in g.dir_children("/etc/crio/crio.conf.d", listing, want_dirs=False):
        g.read_file(child, "crio-config")


def _read_client_configs(g):
    """Shim, kubelet, crictl and kubeadm files, the owed-restart marker and the extra files."""
    g.read_file("/etc/image-cri-shim.yaml", "shim-config")
    for path in ("/var/lib/kubelet/config.yaml", "/var/lib/kubelet/kubeadm-flags.env",
                 "/etc/default/kubelet", "/etc/sysconfig/kubelet"):
        g.read_file(path, "kubelet-config")
    g.read_file("/etc/crictl.yaml", "crictl-config")
    g.read_file(PENDING_RESTART, "restart-pending")
    # Helpers kubenode.pullfix installs (plan/cri_shim/units.py): planned from what is there.
    g.read_file(WAIT_HELPER, "owned-file")
    for path in ["/etc/kubernetes/kubeadm-config.yaml", "/etc/kubernetes/kubeadm.yaml"] + g.extra_files:
        if isinstance(path, str) and path.startswith("/"):
            g.read_file(path, "kubeadm-config")


def _probe_sockets(g):
    """Known default sockets, then every one the files and command lines read so far mention."""
    for path in KNOWN_SOCKETS:
        g.add_socket(path, "known-default")
    for path in sorted(g.files):
        entry = g.files[path]
        if entry["content"] and MENTION_ROLES.intersection(entry["why"]):
            g.mentions(entry["content"], path)
    for process in g.processes:
        g.mentions("\n".join(process["cmdline"]), "/proc/%d/cmdline" % process["pid"])
    g.probe_sockets()


def _finish_systemctl(g, systemd, systemctl_proc, deadline):
    """Collect `systemctl show` into systemd, then read the unit files and their EnvironmentFiles."""
    if systemctl_proc is not None:
        rc, out, err, timed_out = g.finish(systemctl_proc, deadline)
        if timed_out:
            systemd["error"] = _error("timeout", "systemctl show did not finish in %gs" % SYSTEMCTL_TIMEOUT)
        elif rc != 0 and not out.strip():
            systemd["error"] = _error("exit_status", "systemctl show exited with %s: %s" % (rc, _decode_output(err)))
        else:
            systemd["available"] = True
            for raw in parse_systemctl_show(out.decode("utf-8", "replace")):
                name = raw.get("Id")
                if not name:
                    continue
                if raw.get("LoadState") == "not-found":
                    systemd["not_found"].append(name)
                    continue
                systemd["units"][name] = _shape_unit(raw)
    for name in sorted(systemd["units"]):
        unit = systemd["units"][name]
        for path in [unit.get("FragmentPath")] + list(unit.get("DropInPaths") or []):
            if path and path.startswith("/"):
                g.read_file(path, "unit-file")
    read_unit_environment_files(g)
    return systemd


def _finish_versions(g, version_procs):
    """Collect the `--version` commands started by _start_versions."""
    versions = {}
    for name, (node_bin, proc, err, deadline) in version_procs.items():
        item = {"path": node_bin, "output": None, "rc": None, "error": err}
        if proc is not None:
            rc, out, errout, timed_out = g.finish(proc, deadline)
            item["rc"] = rc
            item["output"] = _decode_output(out + errout)
            if timed_out:
                item["error"] = _error("timeout", "`%s --version` did not finish in %gs" % (name, VERSION_TIMEOUT))
            elif rc != 0:
                item["error"] = _error("exit_status", "`%s --version` exited with %s" % (name, rc))
        versions[name] = item
    return versions


# -- the runtime's own view (docs/evidence.md, runtime_view) ---------------------

def _process_binary(g, process):
    """Node path of the binary a process runs: its absolute argv[0], else /proc/<pid>/exe."""
    argv = process["cmdline"]
    if argv and argv[0].startswith("/"):
        return argv[0]
    try:
        exe = os.readlink(g.host("/proc/%d/exe" % process["pid"]))
    except OSError:
        return None
    exe = exe[:-len(" (deleted)")] if exe.endswith(" (deleted)") else exe
    return g.to_node(exe) if g.root else exe


def _start_config_dump(g, node_bin, config, source):
    """Start `containerd [--config FILE] config dump`: the merged configuration this binary loads."""
    host_bin = g.executable(node_bin) if node_bin else None
    argv = [node_bin] + (["--config", config] if config else []) + ["config", "dump"]
    item = {"binary": node_bin, "argv": argv, "from": source, "rc": None, "output": None,
            "truncated": False, "stderr": [], "error": None}
    if host_bin is None:
        item["error"] = _error("missing", "%s is not an executable file" % node_bin)
        return item, None, None
    proc, item["error"] = g.start([host_bin] + argv[1:])
    return item, proc, time.monotonic() + RUNTIME_VIEW_TIMEOUT


def _start_running_config_dumps(g):
    """One dump per running containerd (binary and --config as it was started)."""
    dumps = []
    for process in g.processes:
        if process["name"] != "containerd" or len(dumps) >= MAX_CONTAINERD_DUMPS:
            continue
        configs = _flag_values(process["cmdline"], ("--config", "-c"))
        config = _containerd_config_arg(g, process, configs[-1]) if configs else None
        dumps.append(_start_config_dump(g, _process_binary(g, process), config, "process %d" % process["pid"]))
    return dumps


def _start_idle_config_dump(g, systemd):
    """No containerd runs: dump with the binary and --config of containerd.service's ExecStart,
    else with the containerd binary found (its default config file)."""
    unit = systemd["units"].get("containerd.service") or {}
    argv = ((unit.get("ExecStart") or "").splitlines() or [""])[0].split()
    if argv and argv[0].startswith("/"):
        configs = _flag_values(argv, ("--config", "-c"))
        return [_start_config_dump(g, argv[0], configs[-1] if configs else None, "containerd.service ExecStart")]
    node_bin, _host = g.find_binary("containerd")
    return [_start_config_dump(g, node_bin, None, "binary found")] if node_bin else []


def _finish_config_dump(g, item, proc, deadline):
    if proc is None:
        return item
    rc, out, err, timed_out, truncated = read_bounded(proc, deadline, g.file_cap)
    item.update(rc=rc, output=out.decode("utf-8", "replace"), truncated=truncated, stderr=first_lines(err))
    if timed_out:
        item["error"] = _error("timeout", "`containerd config dump` did not finish in %gs" % RUNTIME_VIEW_TIMEOUT)
    elif rc != 0 and not truncated:
        item["error"] = _error("exit_status", "`%s` exited with %s: %s" % (
            " ".join(item["argv"]), rc, (item["stderr"] or ["(no message)"])[-1]))
    return item


def _start_journal(g):
    """Start journalctl for the containerd unit's current (or last) invocation."""
    pids = [p["pid"] for p in g.processes if p["name"] == "containerd"]
    item = {"unit": None, "invocation_id": None, "pid": pids[0] if pids else None, "argv": None,
            "lines": [], "matched": 0, "truncated": False, "rc": None, "error": None}
    if pids:
        try:
            with open(g.host("/proc/%d/cgroup" % pids[0]), "rb") as handle:
                item["unit"] = unit_of_cgroup(handle.read(CMDLINE_CAP).decode("utf-8", "replace"))
        except (OSError, IOError):
            pass
    else:
        item["unit"] = "containerd.service"
    if item["unit"] is None:
        item["error"] = _error("not_systemd_unit", "containerd (pid %d) does not run in a systemd unit" % pids[0])
        return item, None, None
    try:
        item["invocation_id"] = os.readlink(g.host("/run/systemd/units/invocation:" + item["unit"]))
    except OSError:
        pass
    if item["invocation_id"]:
        matches = ["_SYSTEMD_INVOCATION_ID=" + item["invocation_id"]]
    elif item["pid"]:
        matches = ["-b", "_PID=%d" % item["pid"], "_COMM=containerd"]
    else:
        item["error"] = _error("missing", "%s has not run since boot" % item["unit"])
        return item, None, None
    node_bin, host_bin = g.find_binary("journalctl")
    if node_bin is None:
        item["error"] = _error("missing", "journalctl not found")
        return item, None, None
    item["argv"] = [node_bin, "--no-pager", "-o", "cat"] + matches
    proc, item["error"] = g.start([host_bin] + item["argv"][1:])
    return item, proc, time.monotonic() + RUNTIME_VIEW_TIMEOUT


def _finish_journal(item, proc, deadline):
    if proc is None:
        return item
    rc, out, err, timed_out, truncated = read_bounded(proc, deadline, JOURNAL_CAP)
    item["rc"] = rc
    item["lines"], item["matched"] = journal_lines(out.decode("utf-8", "replace"))
    item["truncated"] = truncated or item["matched"] > len(item["lines"])
    if timed_out:
        item["error"] = _error("timeout", "journalctl did not finish in %gs" % RUNTIME_VIEW_TIMEOUT)
    elif rc != 0 and not truncated:
        item["error"] = _error("exit_status", "journalctl exited with %s: %s" % (
            rc, (first_lines(err) or ["(no message)"])[0]))
    return item


def _kubelet_runtime_endpoint(g):
    """(endpoint, why): kubelet's runtime endpoint by its flag, its config files, else the first
    well-known socket serving the CRI runtime service; (None, why not) when there is none."""
    for process in g.processes:
        if process["name"] == "kubelet":
            values = _flag_values(process["cmdline"], ("--container-runtime-endpoint",))
            if values:
                return values[-1], "kubelet process %d --container-runtime-endpoint" % process["pid"]
    for path, entry in g.files.items():
        value = runtime_endpoint_in(entry["content"]) if "kubelet-config" in entry["why"] else None
        if value:
            return value, "containerRuntimeEndpoint in %s" % path
    for path in KNOWN_SOCKETS:
        if ((g.sockets.get(path) or {}).get("runtime_probe") or {}).get("ok"):
            return "unix://" + path, "first well-known socket serving the CRI runtime service"
    return None, "no kubelet endpoint and no well-known socket serves the CRI runtime service"


def _runtime_status(g):
    """CRI RuntimeService/Status with verbose on kubelet's runtime endpoint."""
    endpoint, why = _kubelet_runtime_endpoint(g)
    item = {"endpoint": endpoint, "chosen_by": why, "conditions": None, "info": None, "info_cut": [],
            "runtime_handlers": None, "features": None, "error": None}
    if endpoint is None:
        item["error"] = _error("missing", why)
        return item
    try:
        sock = g.sockets.get(_norm(parse_endpoint(endpoint)))
        probe = (sock or {}).get("runtime_probe") or {}
        if sock is not None and not probe.get("ok"):
            # Asking again would only wait for the same failure.
            item["error"] = _error(probe.get("outcome") or sock.get("connect") or "error",
                                   probe.get("message") or sock.get("connect_message") or "no answer")
            return item
        status = _cri_status(endpoint, verbose=True, timeout=2 * g.probe_timeout)
    except ValueError as exc:
        item["error"] = _error("invalid_endpoint", str(exc))
        return item
    except CriError as exc:
        item["error"] = _error(exc.kind, str(exc))
        return item
    item["info"], item["info_cut"] = shape_info(status["info"])
    for key in ("conditions", "runtime_handlers", "features"):
        item[key] = status[key]
    return item


def _start_kubeadm_version(g):
    node_bin, host_bin = g.find_binary("kubeadm")
    if node_bin is None:
        return None
    proc, err = g.start([host_bin, "version", "-o", "short"])
    return node_bin, host_bin, proc, err, time.monotonic() + RUNTIME_VIEW_TIMEOUT


def _kubeadm_images(g, started, versions):
    """`kubeadm config images list` for kubelet's (else kubeadm's) version, given so kubeadm stays offline."""
    if started is None:
        return None
    node_bin, host_bin, proc, err, deadline = started
    own = _decode_output(g.finish(proc, deadline)[1]) if proc is not None else ""
    version = kubernetes_version((versions.get("kubelet") or {}).get("output"))
    source = "kubelet --version"
    if version is None:
        version, source = kubernetes_version(own), "kubeadm version"
    item = {"binary": node_bin, "kubernetes_version": version, "version_from": source if version else None,
            "argv": None, "rc": None, "images": [], "stderr": [], "error": err}
    if version is None:
        item["error"] = item["error"] or _error("no_version", "neither kubelet nor kubeadm tells its version;"
                                                " without one kubeadm asks the network")
        return item
    item["argv"] = [node_bin, "config", "images", "list", "--kubernetes-version", "v" + version]
    proc, item["error"] = g.start([host_bin] + item["argv"][1:])
    if proc is None:
        return item
    rc, out, errout, timed_out, _cut = read_bounded(proc, time.monotonic() + KUBEADM_TIMEOUT, KUBEADM_OUTPUT_CAP)
    item.update(rc=rc, images=kubeadm_images(out.decode("utf-8", "replace")), stderr=first_lines(errout))
    if timed_out:
        item["error"] = _error("timeout", "kubeadm config images list did not finish in %gs" % KUBEADM_TIMEOUT)
    elif rc != 0:
        item["error"] = _error("exit_status", "kubeadm config images list exited with %s: %s" % (
            rc, (item["stderr"] or ["(no message)"])[0]))
    return item


def _start_runtime_view(g):
    """Start the runtime view's commands with the other slow ones (collected by _finish_runtime_view)."""
    return {"dumps": _start_running_config_dumps(g), "journal": _start_journal(g),
            "kubeadm": _start_kubeadm_version(g)}


def _finish_runtime_view(g, started, systemd, versions):
    """The runtime's own view: containerd's merged config, CRI Status, its journal and kubeadm's images."""
    dumps = started["dumps"] or _start_idle_config_dump(g, systemd)
    return {
        "containerd_config": [_finish_config_dump(g, *dump) for dump in dumps],
        "cri_status": _runtime_status(g),
        "journal": _finish_journal(*started["journal"]),
        "kubeadm_images": _kubeadm_images(g, started["kubeadm"], versions),
    }


def gather(root="/", extra_files=(), probe_timeout=1.0, file_cap=262144, socket_consumers=(), local_registry=None):
    """Collect the evidence dict described in docs/evidence.md. Never writes, never raises for node content.

    Processes come first (they name configs, data dirs and binaries); the slow external commands
    start next and are collected at the end, so they run while the files are read.
    """
    started = time.monotonic()
    g = _Gatherer(root, extra_files, probe_timeout, file_cap)
    g.read_processes()
    version_procs = _start_versions(g)
    consumer_units = socket_consumer_evidence(g, socket_consumers)
    systemd, systemctl_proc, systemctl_deadline = _start_systemctl(g, consumer_units)
    runtime_view = _start_runtime_view(g)
    evidence = _host_facts(g)
    _read_certs_dirs(g, _read_containerd_configs(g))
    _read_containers_and_crio(g)
    _read_client_configs(g)
    _probe_sockets(g)
    evidence["systemd"] = _finish_systemctl(g, systemd, systemctl_proc, systemctl_deadline)
    evidence["processes"] = g.processes
    evidence["versions"] = _finish_versions(g, version_procs)
    evidence["files"] = g.files
    evidence["dirs"] = g.dirs
    evidence["sockets"] = g.sockets
    evidence["runtime_view"] = _finish_runtime_view(g, runtime_view, evidence["systemd"], evidence["versions"])
    evidence["local_registry"] = local_registry_catalog(local_registry, probe_timeout) if local_registry else None
    evidence["elapsed_ms"] = round((time.monotonic() - started) * 1000.0, 1)
    return evidence
