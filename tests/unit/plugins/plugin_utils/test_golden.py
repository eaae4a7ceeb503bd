# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The doctor's output on every recorded input is exactly the golden file: a change of behaviour is a
deliberate edit of tests/unit/fixtures/golden/diagnosis.json (python tests/unit/plugins/plugin_utils/golden.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import difflib
import json

import golden


def test_diagnosis_is_the_golden_output():
    with open(golden.GOLDEN) as f:
        want = f.read()
    got = golden.render()
    if got != want:
        old, new = json.loads(want), json.loads(got)
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        diff = ''.join(list(difflib.unified_diff(want.splitlines(True), got.splitlines(True), n=2))[:80])
        raise AssertionError('diagnosis differs on %d inputs: %s\n%s' % (len(changed), changed[:20], diff))


def test_golden_covers_every_input_kind():
    with open(golden.GOLDEN) as f:
        data = json.load(f)
    kinds = set(name.split('/')[0] for name in data)
    assert kinds == {'evidence', 'corpus', 'case'}
    assert 'evidence/healthy-containerd.json' in data
    assert len([n for n in data if n.startswith('case/')]) >= 180
