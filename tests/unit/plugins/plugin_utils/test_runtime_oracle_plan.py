# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The planner reads the pull path, not the major version, before it touches a colon-list config_path."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.containerd_registry import plan as _plan

from pullfix_helpers import load, with_file, with_runtime

plan_containerd_registry = with_runtime(_plan)
CFG = '/etc/containerd/config.toml'
CORPUS = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'corpus', 'containerd-config')
RT219 = {'name': 'containerd', 'version': '2.1.9', 'containerd_version': '2.1.9'}
DOCKER_IO = {'docker.io': {'endpoints': ['https://mirror.example.com']}}


def eks_text():
    with open(os.path.join(CORPUS, 'eks-al2023-nodeadm-template-v3.toml')) as f:
        return f.read()


def _plan_on(text):
    ev = load('debian12-captured.json')
    with_file(ev, CFG, text, 'containerd-config')
    return plan_containerd_registry(ev, RT219, {'registry_mirrors': DOCKER_IO})


def test_eks_al2023_colon_list_on_local_pull_path_is_kept():
    # discard_unpacked_layers = true sends 2.1.9 to the local pull path, which splits the list:
    # the node already reads /etc/containerd/certs.d, so config.toml stays and containerd is not restarted.
    result = _plan_on(eks_text())
    paths = [c['path'] for c in result['changes']]
    assert paths == ['/etc/containerd/certs.d/docker.io/hosts.toml'], result['changes']
    assert not result['errors']


def test_colon_list_on_transfer_path_is_shortened():
    # the same file without the trigger: the transfer service takes the list as one literal name
    text = eks_text().replace('discard_unpacked_layers = true\n', '')
    changes = dict((c['path'], c) for c in _plan_on(text)['changes'])
    assert CFG in changes
    assert 'config_path = "/etc/containerd/certs.d"\n' in changes[CFG]['content']
    assert '/etc/containerd/certs.d/docker.io/hosts.toml' in changes


def test_colon_list_with_mirrors_is_shortened_because_the_plan_removes_the_trigger():
    # registry.mirrors is what sends this 2.1.9 to the local pull path; the plan moves the mirrors to
    # hosts.toml and removes them, so after the restart the transfer service reads config_path whole
    text = ('version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n'
            '  config_path = "/etc/containerd/certs.d:/etc/docker/certs.d"\n'
            '[plugins."io.containerd.cri.v1.images".registry.mirrors."quay.io"]\n'
            '  endpoint = ["https://q.example.com"]\n')
    result = _plan_on(text)
    changes = dict((c['path'], c) for c in result['changes'])
    assert 'config_path = "/etc/containerd/certs.d"\n' in changes[CFG]['content'], result
    assert 'mirrors' not in changes[CFG]['content']
