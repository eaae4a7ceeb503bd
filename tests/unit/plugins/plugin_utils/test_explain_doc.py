# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""docs/explain.md shows what the explain playbook prints: the route lines the diagnosis computes
for the evidence the page describes, as the default callback shows debug's msg list."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from pullfix_helpers import load, run, set_containerd_version, with_hosts
from test_pullfix_diagnose import CERTS, V2_HEAD, cfg

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.report import route_lines

DOC = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'docs', 'explain.md')


def test_explain_page_shows_real_output():
    ev = load()
    set_containerd_version(ev, '1.7.24')
    cfg(ev, V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n')
    with_hosts(ev, CERTS, 'docker.io', 'server = "https://registry-1.docker.io"\n\n'
                                       '[host."http://10.0.0.5:5000"]\n  capabilities = ["pull", "resolve"]\n')
    result = run(ev, {'explain_images': ['docker.io/library/nginx:1.27']})
    lines = [line for route in result['routes'] for line in route_lines(route)]
    assert len(lines) == 4
    with open(DOC) as f:
        page = f.read()
    # as the default callback prints debug's msg: one JSON string per line, 8 spaces in
    shown = '\n'.join('        %s%s' % (json.dumps(line), ',' if i < len(lines) - 1 else '') for i, line in enumerate(lines))
    assert '    "msg": [\n' + shown + '\n    ]' in page
