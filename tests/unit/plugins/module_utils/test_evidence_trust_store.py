# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The trust-store step of the node gather: change times of the store and start times of the runtimes."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import tempfile

import pytest

from ansible_collections.kubenode.pullfix.plugins.module_utils._evidence import _Gatherer, trust_store_evidence


@pytest.fixture
def root():
    path = tempfile.mkdtemp(prefix="ts", dir="/tmp")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _put(root, node_path, text, mtime):
    host = root + node_path
    if not os.path.isdir(os.path.dirname(host)):
        os.makedirs(os.path.dirname(host))
    with open(host, "w") as handle:
        handle.write(text)
    os.utime(host, (mtime, mtime))


def test_bundle_and_newest_directory_entries_with_their_change_times(root):
    _put(root, "/etc/ssl/certs/ca-certificates.crt", "-----BEGIN CERTIFICATE-----\n", 1777543200)
    _put(root, "/etc/ssl/certs/old.pem", "x", 1700000000)
    _put(root, "/etc/ssl/certs/new-ca.pem", "x", 1777543300)
    g = _Gatherer(root, (), 1.0, 4096)
    g.processes = [{"pid": 999999999, "name": "containerd", "cmdline": ["/usr/bin/containerd"], "cwd": None},
                   {"pid": 1, "name": "kubelet", "cmdline": ["/usr/bin/kubelet"], "cwd": None}]
    out = trust_store_evidence(g)
    assert out["files"] == {"/etc/ssl/certs/ca-certificates.crt": 1777543200}
    d = out["dirs"]["/etc/ssl/certs"]
    assert d["count"] == 3 and d["newest"][0] == {"name": "new-ca.pem", "mtime": 1777543300}
    # only runtimes are listed; a process that is gone has no start time (never an exception)
    assert out["runtimes"] == [{"pid": 999999999, "name": "containerd", "started_at": None, "env": None}]


def test_no_store_at_all_is_empty_not_an_error(root):
    g = _Gatherer(root, (), 1.0, 4096)
    assert trust_store_evidence(g) == {"files": {}, "dirs": {}, "runtimes": []}
