# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fix_host: a host's whole fix-pull run in one task. A settled node costs one node call (the
gathering); a fix adds the apply, the restart, one call that waits, gathers again and verifies,
and the rollback only when the runtime does not come back. The evidence never leaves the action."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json
import os

import pytest

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.pipeline import (
    node_args, restart_args, rollback_args, settle_args)

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'evidence')
CONTAINERD = 'unix:///run/containerd/containerd.sock'
CHANGE = {'path': '/etc/containerd/config.toml', 'action': 'updated', 'backup': '/etc/containerd/config.toml.b'}
FIXED = {'restart': ['containerd'], 'restart_units': ['containerd.service'], 'reload_units': [],
         'wait_endpoint': CONTAINERD, 'changes': [CHANGE]}


def evidence():
    with open(os.path.join(FIXTURES, 'healthy-containerd.json')) as f:
        return json.load(f)


# ---------------------------------------------------------------- pure decisions

def test_unset_gathering_options_are_left_out():
    assert node_args({'extra_files': [], 'local_registry': None}, verify_images=['a:1'], wait_for=None) == {
        'extra_files': [], 'verify_images': ['a:1']}


def test_no_restart_call_when_nothing_needs_one():
    assert restart_args({'restart': [], 'restart_units': [], 'reload_units': []}) is None
    assert restart_args(FIXED) == {'daemon_reload': False, 'restart_units': ['containerd.service'], 'reload_units': []}
    assert restart_args({'restart': ['systemd'], 'restart_units': []})['daemon_reload'] is True


def test_the_settle_call_waits_for_the_restarted_runtime_and_pulls_through_kubelets_endpoint():
    runtime = {'endpoint': CONTAINERD, 'image_endpoint': 'unix:///var/run/image-cri-shim.sock'}
    args = settle_args({'extra_files': []}, FIXED, runtime, ['a:1'], 90)
    assert args == {'extra_files': [], 'wait_for': CONTAINERD, 'wait_timeout': 90, 'verify_images': ['a:1'],
                    'verify_endpoint': 'unix:///var/run/image-cri-shim.sock'}
    # nothing restarted: a short wait
    assert settle_args({}, dict(FIXED, restart_units=[]), runtime, [], 90)['wait_timeout'] == 5


def test_rollback_only_when_a_restarted_runtime_did_not_answer():
    assert rollback_args(FIXED, {'wait': {'ok': True}}, 90, False) is None
    assert rollback_args(FIXED, {'wait': {'ok': False}}, 90, True) is None  # check mode wrote nothing
    assert rollback_args(dict(FIXED, restart_units=[]), {'wait': {'ok': False}}, 90, False) is None
    args = rollback_args(FIXED, {'wait': {'ok': False, 'error': 'connection refused'}}, 90, False)
    assert args['restore'] == [CHANGE] and args['restart_units'] == ['containerd.service']
    assert 'within 90 s after /etc/containerd/config.toml changed (connection refused)' in args['fail_msg']


# ---------------------------------------------------------------- the action's calls

class Node(object):
    """The node modules the action calls, in order, with canned results."""

    def __init__(self, waited_ok=True, ev=None):
        self.calls = []
        self.waited_ok = waited_ok
        self.ev = ev or evidence()

    def __call__(self, module_name, module_args, task_vars):
        self.calls.append((module_name.split('.')[-1], copy.deepcopy(module_args)))
        if module_name.endswith('node_evidence'):
            out = {'evidence': copy.deepcopy(self.ev), 'verify': None}
            if 'wait_for' in module_args:
                out['wait'] = {'ok': self.waited_ok, 'error': None if self.waited_ok else 'connection refused'}
            return out
        if module_name.endswith('apply_changes'):
            if 'restore' in module_args:
                return {'failed': True, 'changed': True, 'msg': module_args['fail_msg']}
            if 'changes' in module_args:
                return {'changed': True, 'changes': [dict(c, backup='/b') for c in module_args['changes']],
                        'restart': ['containerd']}
            return {'changed': True}
        return {}


def action(node, check_mode=False, **args):
    pytest.importorskip('ansible')
    from unittest import mock
    from ansible.plugins.action import ActionBase
    from ansible_collections.kubenode.pullfix.plugins.action import fix_host
    task = mock.MagicMock(check_mode=check_mode)
    plugin = fix_host.ActionModule(task, mock.MagicMock(), mock.MagicMock(), None, None, None)
    full = {'gather': {}, 'verify_images': [], 'settings': {}, 'roles': ['auto'], 'only': None,
            'fail_on_errors': False, 'restart_timeout': 30}
    full.update(args)
    with mock.patch.object(ActionBase, 'run', return_value={}), \
            mock.patch.object(fix_host.ActionModule, 'validate_argument_spec', return_value=(None, full)), \
            mock.patch.object(fix_host.ActionModule, '_execute_module', side_effect=node):
        return plugin.run(task_vars={})


MIRRORS = {'registry_mirrors': {'docker.io': {'endpoints': ['https://mirror.example.com']}}}


def test_a_settled_node_costs_one_node_call():
    node = Node()
    result = action(node)
    assert [c[0] for c in node.calls] == ['node_evidence']
    assert not result.get('changed') and not result.get('failed')
    assert result['diagnosis']['runtime']['name'] == 'containerd'
    assert 'evidence' not in result and 'evidence' not in result['diagnosis']


def test_a_fix_applies_restarts_and_waits_gathers_and_verifies_in_the_same_task():
    node = Node()
    result = action(node, settings=MIRRORS, verify_images=['a:1'])
    assert [c[0] for c in node.calls] == ['node_evidence', 'apply_changes', 'apply_changes', 'node_evidence'], node.calls
    assert result['changed'] is True
    assert node.calls[2][1]['restart_units'] == result['restart_units']
    assert node.calls[3][1]['wait_for'] and node.calls[3][1]['verify_images'] == ['a:1']
    assert 'rollback' not in result and result['wait']['ok'] is True
    assert 'evidence' not in result


def test_a_runtime_that_does_not_come_back_is_rolled_back_and_gathered_again():
    node = Node(waited_ok=False)
    result = action(node, settings=MIRRORS)
    assert [c[0] for c in node.calls] == ['node_evidence', 'apply_changes', 'apply_changes', 'node_evidence',
                                          'apply_changes', 'node_evidence']
    assert node.calls[4][1]['restore'][0]['path'] == result['changes'][0]['path']
    assert result['rollback']['failed'] is True and 'did not answer CRI Version' in result['rollback']['msg']
    # the host reaches its report; the play fails it after the report
    assert not result.get('failed')


def test_check_mode_never_rolls_back():
    node = Node(waited_ok=False)
    result = action(node, check_mode=True, settings=MIRRORS)
    assert 'restore' not in str([c[1] for c in node.calls])
    assert 'rollback' not in result


def test_skipping_every_remediation_plans_nothing():
    node = Node()
    result = action(node, settings=MIRRORS, only=[])
    assert [c[0] for c in node.calls] == ['node_evidence']
    assert result['roles'] == {}


def test_a_failed_gathering_fails_the_host_without_its_evidence():
    def broken(module_name, module_args, task_vars):
        return {'failed': True, 'msg': 'python not found'}
    result = action(broken)
    assert result['failed'] and 'python not found' in result['msg']


def test_the_report_reads_the_one_registered_result():
    pytest.importorskip('ansible')
    from ansible_collections.kubenode.pullfix.plugins.action.report import host_entry
    node = Node(waited_ok=False)
    registered = action(node, settings=MIRRORS)
    entry = host_entry('n1', {'n1': {'pullfix_remediation': registered}})
    assert entry['runtime']['name'] == 'containerd'
    assert entry['outcome'] == 'rolled back'
    assert entry['findings'][0]['id'] == 'remediation-rolled-back'
    assert entry['changes'][0]['path'] == registered['changes'][0]['path']
    settled = host_entry('n2', {'n2': {'pullfix_remediation': action(Node())}})
    assert settled['outcome'] is None and settled['remediations'] == []
    assert host_entry('n3', {'n3': {}})['outcome'] == 'not reached'
