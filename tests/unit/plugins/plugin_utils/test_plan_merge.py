# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Two roles editing one file in one run: each planned on the other's result, one change per file."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import tomllib

import pytest

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.evidence import Evidence
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts import sockets as socket_facts
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan import merge_changes, sha256_text
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.roles import plan_roles

from pullfix_helpers import load, with_file, with_socket

CFG = '/etc/containerd/config.toml'
SOCK = '/run/containerd/containerd.sock'
# containerd 1.7 as Debian installs it: no config_path, so a declared mirror needs both roles' edit.
ORIGINAL = 'version = 2\n\n[grpc]\n  address = "%s"\n' % SOCK
RT = {'name': 'containerd', 'version': '1.7.24', 'containerd_version': '1.7.24', 'endpoint': 'unix://' + SOCK}
SETTINGS = {'registry_mirrors': {'docker.io': {'endpoints': ['http://127.0.0.1:5000']}}, 'socket_group': 'crisock'}


def node():
    ev = load()
    with_file(ev, CFG, ORIGINAL, 'containerd-config')
    with_socket(ev, SOCK, mode='0660', gid=0)
    with_file(ev, socket_facts.GROUP_DB, 'root:x:0:\ncrisock:x:997:\n', 'socket-access')
    return ev


def planned(roles=('containerd_registry', 'runtime_socket')):
    plans = plan_roles(list(roles), Evidence(node()), {'runtime': RT}, SETTINGS)
    changes = [c for r in roles for c in plans[r]['changes']]
    return plans, merge_changes(changes)


def test_both_roles_edits_reach_config_toml_in_one_change():
    plans, changes = planned()
    assert not plans['containerd_registry']['errors'] and not plans['runtime_socket']['errors']
    cfg = [c for c in changes if c['path'] == CFG]
    assert len(cfg) == 1
    merged = cfg[0]
    data = tomllib.loads(merged['content'])
    assert data['grpc']['gid'] == 997
    cri = data['plugins']['io.containerd.grpc.v1.cri']['registry']
    assert cri['config_path']
    # Checked on the node against the file as gathered, not against the first role's result.
    assert merged['expect'] == sha256_text(ORIGINAL)
    assert merged['action'] == 'update'
    assert merged['role'] == 'containerd_registry, runtime_socket'
    assert 'containerd' in (merged['restart'] if isinstance(merged['restart'], list) else [merged['restart']])


def test_the_second_role_sees_the_first_roles_file():
    plans, _changes = planned()
    first = [c for c in plans['containerd_registry']['changes'] if c['path'] == CFG][0]
    second = [c for c in plans['runtime_socket']['changes'] if c['path'] == CFG][0]
    assert second['expect'] == sha256_text(first['content'])
    assert 'config_path' in second['content']


def test_a_single_role_is_unchanged_by_merging():
    plans, changes = planned(roles=('containerd_registry',))
    assert changes == plans['containerd_registry']['changes']


@pytest.mark.parametrize('first,last,expect', [
    ('create', 'update', 'create'), ('update', 'update', 'update'), ('update', 'remove', 'remove'),
    ('create', 'remove', None)])
def test_merged_action_follows_the_original_and_the_result(first, last, expect):
    a = {'path': '/x', 'action': first, 'content': 'a', 'role': 'one', 'restart': 'containerd',
         'expect': None if first == 'create' else 'sha', 'reason': 'r1', 'mode': '0600'}
    b = {'path': '/x', 'action': last, 'content': None if last == 'remove' else 'b', 'role': 'two',
         'restart': ['systemd', 'containerd'], 'expect': 'other', 'reason': 'r2', 'mode': None}
    out = merge_changes([a, b])
    if expect is None:
        assert out == []
        return
    assert out[0]['action'] == expect
    assert out[0]['expect'] == a['expect']
    assert out[0]['restart'] == ['containerd', 'systemd']
    assert out[0]['mode'] == '0600'
    assert out[0]['reason'] == 'one: r1; two: r2'
