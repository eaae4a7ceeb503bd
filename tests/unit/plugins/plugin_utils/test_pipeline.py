# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The decisions of the diagnose and remediate actions, made in the pure core (no Ansible needed)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ast
import os

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix import parse
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts.services import SERVICES, restart_key
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.pipeline import (
    ansible_input, applied_result, remediation)
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.services import after_apply

from pullfix_helpers import load, run, with_file

ACTIONS = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'plugins', 'action')


class Unsafe(str):
    """Stands for Ansible's AnsibleUnsafeText: a str subclass PyYAML's C loader refuses."""


class Tagged(dict):
    pass


def test_values_from_ansible_become_plain_types():
    args = ansible_input({'evidence': Tagged(files=Tagged(a=[Unsafe('x')])), 'settings': Tagged(local_registry=Unsafe('r:5000')),
                          'roles': [Unsafe('auto')], 'fail_on_errors': True})
    assert args['evidence'].__class__ is dict and args['evidence']['files'].__class__ is dict
    assert args['evidence']['files']['a'][0].__class__ is str
    assert args['settings']['local_registry'].__class__ is str and args['roles'][0].__class__ is str


def test_parse_reads_a_str_subclass():
    assert parse.load_yaml_all(Unsafe('a: 1\n---\nb: 2\n'))[1][0] == {'b': 2}
    assert parse.load_yaml(Unsafe('kind: KubeletConfiguration\n'))[0] == {'kind': 'KubeletConfiguration'}
    assert parse.load_toml(Unsafe('version = 2\n'))[0] == {'version': 2}


def test_every_runtime_unit_has_one_restart_key():
    assert restart_key('k3s-agent.service') == 'k3s'
    assert restart_key('rke2-server.service') == 'rke2'
    assert restart_key('containerd.service') == 'containerd'
    assert restart_key('other.service') == 'other'
    for key, entry in SERVICES.items():
        for unit in entry['units']:
            assert restart_key(unit) == key


def test_a_changed_drop_in_needs_a_daemon_reload_before_the_restart():
    ev = {'systemd': {'units': {'containerd.service': {'ActiveState': 'active'}}}}
    out = after_apply(['containerd'], [{'path': '/etc/systemd/system/containerd.service.d/x.conf'}], ev,
                      {'endpoint': 'unix:///run/containerd/containerd.sock'})
    assert out['restart'] == ['containerd', 'systemd']
    assert out['restart_units'] == ['containerd.service'] and out['reload_units'] == []
    assert out['wait_endpoint'] == 'unix:///run/containerd/containerd.sock'
    assert after_apply(['containerd'], [{'path': '/etc/containerd/config.toml'}], ev, {})['restart'] == ['containerd']


def _args(ev, settings, roles=('auto',)):
    return ansible_input({'roles': list(roles), 'evidence': ev, 'diagnosis': run(ev, settings), 'settings': settings,
                          'fail_on_errors': True, 'only': None})


def test_remediation_plans_applies_and_restarts_from_the_pure_core():
    ev = load()
    settings = {'registry_mirrors': {'docker.io': {'endpoints': ['http://10.0.0.5:5000']}}}
    args = _args(ev, settings)
    result, apply_args, owed = remediation(args)
    assert 'containerd_registry' in result['roles'] and owed == []
    paths = [c['path'] for c in apply_args['changes']]
    assert '/etc/containerd/certs.d/docker.io/hosts.toml' in paths
    applied = {'changed': True, 'changes': [{'path': p, 'action': 'created'} for p in paths],
               'restart': sorted(set(c['restart'] for c in apply_args['changes'] if c.get('restart')))}
    done = applied_result(result, applied, owed, args)
    assert done['changed'] is True
    assert set(done['restart_units']) >= set(u for k in applied['restart'] for u in SERVICES[k]['units'])


def test_a_refusal_writes_nothing():
    ev = with_file(load(), '/etc/containerd/config.toml', 'version = 2\n[plugins\n', 'containerd-config')
    result, apply_args, _owed = remediation(_args(ev, {'registry_mirrors': {'docker.io': {'endpoints': ['http://10.0.0.5:5000']}}}))
    assert apply_args is None and result['failed']
    assert result['errors'] == ["containerd_registry: /etc/containerd/config.toml:2: Expected ']' at the end of a table "
                                "declaration; the file is left as it is"]


def test_action_plugins_import_no_check_function():
    for name in ('diagnose.py', 'remediate.py'):
        with open(os.path.join(ACTIONS, name)) as f:
            tree = ast.parse(f.read())
        modules = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not [m for m in modules if '.diagnose' in (m or '') or '.checks' in (m or '') or 'module_utils' in (m or '')], modules
