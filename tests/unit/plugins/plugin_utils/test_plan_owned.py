# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one owned-file step every planner uses: marker, refusal, equality, expect."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.evidence import Evidence
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan import new_plan, sha256_text
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.owned import (
    NOT_OURS, is_ours, marker, owned_file, owner)

from pullfix_helpers import load, with_file

PLAN_DIR = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'plugins', 'plugin_utils', 'pullfix', 'plan')
PATH = '/etc/systemd/system/x.service.d/zz-kubenode-pullfix.conf'
# The markers earlier releases wrote: their files stay ours.
EARLIER = {
    '# Managed by kubenode.pullfix (proxy_env). Local edits are overwritten.': 'proxy_env',
    '# Managed by kubenode.pullfix (registries_conf role): edits here are overwritten.': 'registries_conf',
    '# Managed by kubenode.pullfix (containerd_registry). Local edits are overwritten.': 'containerd_registry',
    '# Managed by kubenode.pullfix (cri_shim). Changes here are overwritten.': 'cri_shim',
}


def _plan(ev, content, **kw):
    result = new_plan()
    return owned_file(Evidence(ev), PATH, content, 'why', 'proxy_env', result, **kw), result


def test_one_marker_form_and_the_earlier_ones_are_ours():
    assert marker('proxy_env') == '# Managed by kubenode.pullfix (proxy_env). Changes here are overwritten.'
    for line, role in EARLIER.items():
        assert owner(line + '\n[Service]\n') == role
    assert owner('#!/usr/bin/env python3\n' + marker('cri_shim') + '\nimport sys\n') == 'cri_shim'
    assert not is_ours('# Managed by someone else\n')
    assert not is_ours('[Service]\n' + marker('proxy_env') + '\n')
    assert is_ours(marker('cri_shim') + '\n', 'cri_shim') and not is_ours(marker('cri_shim') + '\n', 'proxy_env')


def test_missing_file_is_created_and_equal_file_is_left():
    content = marker('proxy_env') + '\n[Service]\n'
    state, result = _plan(load(), content, mode='0644')
    assert state == 'planned' and result['changes'][0]['action'] == 'create' and result['changes'][0]['expect'] is None
    state, result = _plan(with_file(load(), PATH, content, 'unit-file'), content)
    assert (state, result['changes']) == ('same', [])


def test_an_earlier_marker_alone_rewrites_nothing_but_a_real_change_updates_with_expect():
    old = '# Managed by kubenode.pullfix (proxy_env). Local edits are overwritten.\n[Service]\n'
    assert _plan(with_file(load(), PATH, old, 'unit-file'), marker('proxy_env') + '\n[Service]\n')[0] == 'same'
    state, result = _plan(with_file(load(), PATH, old, 'unit-file'), marker('proxy_env') + '\n[Service]\nX=1\n')
    assert state == 'planned' and result['changes'][0]['action'] == 'update'
    assert result['changes'][0]['expect'] == sha256_text(old)


def test_a_file_that_is_not_ours_is_refused_in_the_one_wording():
    state, result = _plan(with_file(load(), PATH, '[Service]\n', 'unit-file'), marker('proxy_env') + '\n')
    assert state == 'refused' and result['changes'] == []
    assert result['errors'] == [PATH + ': ' + NOT_OURS + '; move it away or merge it by hand']
    state, result = _plan(with_file(load(), PATH, '[Service]\n', 'unit-file'), marker('proxy_env') + '\n', takeover=True)
    assert state == 'planned'


def test_planners_write_owned_files_only_through_the_helper():
    """No planner keeps its own marker sentence or refusal wording."""
    found = []
    for root, _dirs, files in os.walk(PLAN_DIR):
        for name in files:
            if not name.endswith('.py') or name == 'owned.py':
                continue
            with open(os.path.join(root, name)) as f:
                text = f.read()
            for pattern in (r"'# Managed by kubenode\.pullfix", r'not written by kubenode', r'def _owned_file'):
                if re.search(pattern, text):
                    found.append('%s: %s' % (name, pattern))
    assert found == []


def test_every_planner_checks_its_settings_under_one_name():
    import importlib
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.roles import ROLES
    for role, (planner, _keys) in ROLES.items():
        module = importlib.import_module(planner.__module__)
        assert callable(getattr(module, 'check_settings', None)), role
        assert planner.__code__.co_varnames[:3] == ('ev', 'diagnosis', 'settings'), role


def test_no_function_of_the_planners_or_action_plugins_is_over_80_lines():
    import ast
    root = os.path.join(PLAN_DIR, '..', '..', '..')
    files = [os.path.join(root, 'action', n) for n in ('diagnose.py', 'remediate.py')]
    for base, _dirs, names in os.walk(PLAN_DIR):
        files.extend(os.path.join(base, n) for n in names if n.endswith('.py'))
    long_ones = []
    for path in files:
        with open(path) as f:
            tree = ast.parse(f.read())
        long_ones.extend('%s %s: %d' % (os.path.basename(path), n.name, n.end_lineno - n.lineno + 1)
                         for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.end_lineno - n.lineno >= 80)
    assert long_ones == []


def test_a_role_with_nothing_to_do_says_so_in_one_form():
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.owned import nothing_to_do
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.cri_shim import plan
    assert nothing_to_do('image-cri-shim', 'not installed') == 'image-cri-shim: not installed; nothing to do'
    result = plan(load(), {'runtime': {'name': 'k3s'}}, {})
    assert result['notes'] == [nothing_to_do('runtime k3s', 'image-cri-shim is a Sealos component')]
