# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The node_evidence module shell: the root check, and what it says about the image store."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.kubenode.pullfix.plugins.modules import node_evidence
from ansible_collections.kubenode.pullfix.tests.unit.plugins.module_utils.cri_testlib import run_module


@pytest.fixture
def gathered(monkeypatch):
    calls = []

    def fake_gather(**kwargs):
        calls.append(kwargs)
        return {"schema": 1, "processes": [], "sockets": {}}

    monkeypatch.setattr(node_evidence, "gather", fake_gather)
    return calls


def test_without_root_it_fails_and_says_become_instead_of_gathering(monkeypatch, capsys, gathered):
    monkeypatch.setattr(node_evidence.os, "geteuid", lambda: 1000)
    code, result = run_module(node_evidence.main, capsys, {})
    assert code == 1 and result["failed"] is True
    assert "runs as uid 1000, not root: run it with become" in result["msg"]
    assert "dial the runtime socket" in result["msg"]
    assert "evidence" not in result
    assert gathered == []  # no misleading evidence: every probe would have failed with EACCES


def test_as_root_it_gathers(monkeypatch, capsys, gathered):
    monkeypatch.setattr(node_evidence.os, "geteuid", lambda: 0)
    code, result = run_module(node_evidence.main, capsys, {})
    assert code == 0 and result["changed"] is False
    assert result["evidence"]["schema"] == 1
    assert len(gathered) == 1


@pytest.mark.parametrize("present_before, check_mode, changed", [
    (False, False, True),   # a pull wrote the image store
    (True, False, False),   # already there: the pull changed nothing
    (False, True, True),    # check mode predicts the pull's change
])
def test_changed_says_whether_a_verification_pull_wrote_the_image_store(monkeypatch, capsys, gathered,
                                                                        present_before, check_mode, changed):
    monkeypatch.setattr(node_evidence.os, "geteuid", lambda: 0)
    calls = []

    def fake_check_image(endpoint, image, pull=True, timeout=60.0, check_mode=False):
        calls.append((endpoint, image, check_mode))
        entry = {"image": image, "ok": True, "present_before": present_before, "pulled": not check_mode}
        return entry, pull and not present_before

    monkeypatch.setattr(node_evidence, "check_image", fake_check_image)
    args = {"verify_images": ["registry.k8s.io/pause:3.10"], "verify_endpoint": "unix:///run/containerd/containerd.sock"}
    if check_mode:
        args["_ansible_check_mode"] = True
    code, result = run_module(node_evidence.main, capsys, args)
    assert code == 0
    assert result["changed"] is changed
    assert calls == [("unix:///run/containerd/containerd.sock", "registry.k8s.io/pause:3.10", check_mode)]
    assert result["verify"]["results"][0]["present_before"] is present_before
