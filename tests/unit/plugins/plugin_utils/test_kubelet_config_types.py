# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""kubelet decodes its config strictly: wrong shapes are findings naming file, line and key."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from pullfix_helpers import get, ids, load, run, with_file

CONFIG = '/var/lib/kubelet/config.yaml'
HEAD = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n'


@pytest.mark.parametrize('text,words', [
    (HEAD + 'containerRuntimeEndpoint: [unix:///run/containerd/containerd.sock]\n', 'containerRuntimeEndpoint is a list'),
    (HEAD + 'imageServiceEndpoint: 5\n', 'imageServiceEndpoint is a number'),
    ('- a\n- b\n', 'is a YAML list'),
    (HEAD + 'containerRuntimeEndpoint: a\ncontainerRuntimeEndpoint: b\n', 'duplicate key'),
])
def test_wrong_shapes_are_named(text, words):
    ev = with_file(load(), CONFIG, text, 'kubelet-config')
    result = run(ev)
    assert 'kubelet-config-unparsable' in ids(result)
    finding = get(result, 'kubelet-config-unparsable')
    assert words in finding['explanation'] + ' '.join(finding['evidence'])
    assert any(CONFIG in line for line in finding['evidence'])


def test_a_string_endpoint_is_fine():
    ev = with_file(load(), CONFIG, HEAD + 'containerRuntimeEndpoint: unix:///run/containerd/containerd.sock\n',
                   'kubelet-config')
    assert 'kubelet-config-unparsable' not in ids(run(ev))
