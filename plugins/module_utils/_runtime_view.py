# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The runtime's own view of itself (node side): the pieces gather() needs that are plain
functions, so they are tested on outputs recorded from real nodes
(tests/unit/fixtures/runtime_view).

Private to this collection. Nothing here judges: the controller's diagnosis reads the
result. What is shaped here: a bounded read of a command's output, the journal lines worth
keeping (credentials redacted), the systemd unit a process runs in, kubeadm's image list,
the kubelet's runtime endpoint and the ``info`` map of CRI ``Status``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import selectors
import signal
import subprocess
import time

# Journal lines kept: what containerd says about its own configuration, in its own words
# (1.6, 1.7, 2.x), matched case-insensitively as substrings. A phrase is kept at any level;
# a level or "deprecat" only on lines that are not info or debug (at info, containerd loads
# its "deprecations" plugin and prints its whole CRI config, which names ignoreDeprecationWarnings).
JOURNAL_PHRASES = (
    "Falling back to local image pull mode",
    "Ignoring unknown key",
    "failed to load plugin",
    "invalid `host` tree",
)
JOURNAL_PATTERNS = ("level=warning", "level=error", "level=fatal", "deprecat")
_QUIET_LEVELS = ("level=info", "level=debug", "level=trace")
JOURNAL_MAX_LINES = 50
JOURNAL_LINE_CAP = 2000
STDERR_LINES = 10
# One CRI Status info value larger than this is kept as a cut string.
INFO_VALUE_CAP = 262144

_REDACTED = "********"
# key = "value", key: value, "key":"value", key=value, map[Key:[value]] (Go's %+v).
_SECRET_RE = re.compile(
    r"(?i)((?<![a-z_])(?:password|passwd|auth|identity_?token|registry_?token|secret|authorization)"
    r"\\?[\"']?\\?[\"']?\s*[:=]\s*\[?\\?[\"']?)((?:Basic|Bearer)\s+)?([^\s\"'\\\],}]+)")
_URL_USERINFO_RE = re.compile(r"(://)[^/@\s\"']+@")
_VERSION_RE = re.compile(r"\bv(\d+\.\d+\.\d+)\b")
_IMAGE_RE = re.compile(r"^[a-z0-9][\w.\-/:@]*$", re.I)
_RUNTIME_ENDPOINT_RE = re.compile(r"^[ \t]*[\"']?containerRuntimeEndpoint[\"']?[ \t]*:[ \t]*[\"']?([^\"'#\s]+)", re.M)


def redact(line):
    """Blank out credentials in a log line: values of password/auth/token keys, Basic and Bearer
    credentials, and user:password in URLs."""
    line = _URL_USERINFO_RE.sub(r"\1" + _REDACTED + "@", line)
    return _SECRET_RE.sub(lambda m: m.group(1) + (m.group(2) or "") + _REDACTED, line)


def journal_lines(text, limit=JOURNAL_MAX_LINES):
    """The lines of ``text`` worth keeping (JOURNAL_PHRASES, JOURNAL_PATTERNS): (kept, number matched).

    At most ``limit`` lines are kept, in order, each cut to JOURNAL_LINE_CAP characters and
    with credentials redacted."""
    phrases = [p.lower() for p in JOURNAL_PHRASES]
    patterns = [p.lower() for p in JOURNAL_PATTERNS]
    kept = []
    matched = 0
    for line in text.splitlines():
        low = line.lower()
        if not any(p in low for p in phrases):
            if any(q in low for q in _QUIET_LEVELS) or not any(p in low for p in patterns):
                continue
        matched += 1
        if len(kept) < limit:
            kept.append(redact(line[:JOURNAL_LINE_CAP]))
    return kept, matched


def first_lines(data, count=STDERR_LINES):
    """The first non-empty lines of a command's output (bytes), decoded."""
    lines = [line.strip() for line in data.decode("utf-8", "replace").splitlines()]
    return [line[:JOURNAL_LINE_CAP] for line in lines if line][:count]


def unit_of_cgroup(text):
    """The systemd unit a process runs in, from the content of /proc/<pid>/cgroup (v1 or v2)."""
    unified = named = None
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and not parts[1]:
            unified = parts[2]
        elif parts[1] == "name=systemd":
            named = parts[2]
    for path in (unified, named):
        leaf = (path or "").rstrip("/").rsplit("/", 1)[-1]
        if leaf.endswith(".service"):
            return leaf
    return None


def kubernetes_version(text):
    """``1.31.0`` from ``Kubernetes v1.31.0`` (kubelet --version) or ``v1.31.0`` (kubeadm version -o short)."""
    match = _VERSION_RE.search(text or "")
    return match.group(1) if match else None


def kubeadm_images(text):
    """The image references `kubeadm config images list` prints, one a line; other lines dropped."""
    return [line.strip() for line in text.splitlines() if _IMAGE_RE.match(line.strip())]


def runtime_endpoint_in(text):
    """``containerRuntimeEndpoint`` of a kubelet configuration file (YAML or JSON), else None."""
    match = _RUNTIME_ENDPOINT_RE.search(text or "")
    if match is None:
        match = re.search(r"\"containerRuntimeEndpoint\"\s*:\s*\"([^\"]+)\"", text or "")
    return match.group(1) if match else None


def shape_info(info):
    """CRI Status ``info`` values are JSON text: parsed where they parse, cut where they are huge.

    Returns (info, names of the values cut)."""
    shaped = {}
    cut = []
    for key in sorted(info):
        value = info[key]
        if len(value) > INFO_VALUE_CAP:
            shaped[key] = value[:INFO_VALUE_CAP]
            cut.append(key)
            continue
        try:
            shaped[key] = json.loads(value)
        except ValueError:
            shaped[key] = value
    return shaped, cut


def read_bounded(proc, deadline, cap):
    """Read a started command's stdout and stderr until it ends, ``deadline`` passes or stdout
    passes ``cap`` bytes; then its whole session is killed. Returns
    (rc or None, stdout bytes, stderr bytes, timed_out, truncated)."""
    buffers = {proc.stdout: bytearray(), proc.stderr: bytearray()}
    timed_out = truncated = False
    with selectors.DefaultSelector() as selector:
        for pipe in buffers:
            selector.register(pipe, selectors.EVENT_READ)
        while selector.get_map() and not truncated:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            for key, _events in selector.select(remaining):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                buffer = buffers[key.fileobj]
                buffer += chunk
                if len(buffer) > cap:
                    del buffer[cap:]
                    truncated = truncated or key.fileobj is proc.stdout
    rc = None
    if timed_out or truncated:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
    try:
        rc = proc.wait(timeout=0.5)
    except subprocess.TimeoutExpired:
        rc = None
    for pipe in buffers:
        pipe.close()
    if timed_out or truncated:
        rc = None
    return rc, bytes(buffers[proc.stdout]), bytes(buffers[proc.stderr]), timed_out, truncated
