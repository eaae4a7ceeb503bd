# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The runtime's own view (runtime_view) against the model built from the files."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose import runtime
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose.context import Context
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts.endpoints import KUBELET_CONFIG

from pullfix_helpers import load, without_process


def test_kubelet_config_recorded_missing_is_not_a_file():
    ev = without_process(load(), 'kubelet')
    ev['files'][KUBELET_CONFIG] = {'stat': {'type': 'missing'}, 'content': None, 'truncated': False,
                                   'error': {'kind': 'missing', 'message': 'No such file or directory'},
                                   'why': ['kubelet-config']}
    assert runtime.kubelet_config_files(Context(ev, {})) == (None, [])
    ev['files'][KUBELET_CONFIG] = {'stat': {'type': 'file'}, 'content': 'kind: KubeletConfiguration\n',
                                   'truncated': False, 'error': None, 'why': ['kubelet-config']}
    assert runtime.kubelet_config_files(Context(ev, {})) == (KUBELET_CONFIG, [])
