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
