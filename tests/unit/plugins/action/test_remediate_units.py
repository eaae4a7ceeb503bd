# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which units the handlers restart and reload for the restart keys of the changed files."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.services import reload_units, restart_units


def _ev(**states):
    return {'systemd': {'units': dict((u, {'ActiveState': s}) for u, s in states.items())}}


def test_plain_key_restarts_its_service():
    assert restart_units(['containerd'], _ev()) == ['containerd.service']


def test_k3s_restarts_only_active_units():
    ev = _ev(**{'k3s.service': 'inactive', 'k3s-agent.service': 'active'})
    assert restart_units(['k3s'], ev) == ['k3s-agent.service']


def test_reload_and_daemon_reload_are_not_restarts():
    ev = _ev(**{'crio.service': 'active'})
    assert restart_units(['systemd', 'reload:crio'], ev) == []
    assert reload_units(['systemd', 'reload:crio'], ev) == ['crio.service']


def test_reload_skips_inactive_and_restarted_units():
    assert reload_units(['reload:crio'], _ev(**{'crio.service': 'inactive'})) == []
    ev = _ev(**{'crio.service': 'active'})
    assert reload_units(['crio', 'reload:crio'], ev) == []
    assert reload_units(['reload:crio', 'reload:crio.service'], ev) == ['crio.service']


def test_wait_for_the_runtime_behind_an_image_only_runtime_endpoint():
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.services import wait_endpoint
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.evidence import Evidence
    from pullfix_helpers import load, probe_fail, with_socket
    ev = with_socket(load(), '/var/run/image-cri-shim.sock',
                     runtime_probe=probe_fail('unimplemented', 12, 'unknown service runtime.v1.RuntimeService'))
    shim = {'endpoint': 'unix:///var/run/image-cri-shim.sock'}
    assert wait_endpoint(['kubelet'], Evidence(ev), shim) == 'unix:///run/containerd/containerd.sock'
    assert wait_endpoint(['kubelet'], Evidence(ev), {'endpoint': 'unix:///run/containerd/containerd.sock'}) == \
        'unix:///run/containerd/containerd.sock'


def test_wait_for_the_runtime_when_the_shim_endpoint_is_not_up_yet():
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.services import wait_endpoint
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.evidence import Evidence
    from pullfix_helpers import load, with_socket
    ev = with_socket(load(), '/var/run/image-cri-shim.sock', connect='missing')
    assert wait_endpoint(['kubelet', 'image-cri-shim'], Evidence(ev), {'endpoint': 'unix:///var/run/image-cri-shim.sock'}) \
        == 'unix:///run/containerd/containerd.sock'


def test_a_restart_owed_by_a_stopped_run_is_picked_up():
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.services import owed_restarts
    from ansible_collections.kubenode.pullfix.plugins.module_utils._apply import PENDING_RESTART
    ev = _ev(**{'containerd.service': 'active', 'k3s.service': 'inactive'})
    assert owed_restarts(ev) == []
    ev['files'] = {PENDING_RESTART: {'content': 'containerd\n', 'error': None}}
    assert owed_restarts(ev) == ['containerd']
    # a record for a unit that is no longer active restarts nothing
    ev['files'][PENDING_RESTART]['content'] = 'k3s\n'
    assert owed_restarts(ev) == []
    ev['files'][PENDING_RESTART] = {'content': None, 'error': {'kind': 'missing'}}
    assert owed_restarts(ev) == []
