# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""When the gathering call's pulls count, and when the diagnosis pulls again through kubelet's endpoint."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.pipeline import verification

CONTAINERD = 'unix:///run/containerd/containerd.sock'
SHIM = 'unix:///var/run/image-cri-shim.sock'
PULLS = {'endpoint': CONTAINERD, 'results': [{'image': 'a:1', 'ok': True}]}


def test_pulls_through_kubelets_endpoint_are_kept():
    assert verification({'endpoint': CONTAINERD}, PULLS, ['a:1']) == (
        {'verify': {'endpoint': CONTAINERD, 'results': [{'image': 'a:1', 'ok': True}]}}, None)


def test_pulls_through_another_endpoint_are_made_again_through_kubelets():
    runtime = {'endpoint': CONTAINERD, 'image_endpoint': SHIM}
    assert verification(runtime, PULLS, ['a:1']) == (
        {}, {'endpoint': SHIM, 'action': 'pull', 'images': ['a:1'], 'fail_on_error': False})


def test_without_images_the_pulls_are_pending():
    runtime = {'endpoint': CONTAINERD, 'image_endpoint': SHIM}
    assert verification(runtime, PULLS, []) == ({'verify_pending': True}, None)
    assert verification(runtime, None, ['a:1']) == ({}, None)


def test_no_pull_before_a_fix_that_pulls_after_it():
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.pipeline import fix_follows
    fixable = {'id': 'containerd-config-path-unset', 'severity': 'error',
               'remediation': 'kubenode.pullfix.containerd_registry'}
    assert fix_follows([fixable])
    assert not fix_follows([dict(fixable, fixed=True)])
    assert not fix_follows([dict(fixable, severity='warning')])
    assert not fix_follows([dict(fixable, remediation='manual')])
