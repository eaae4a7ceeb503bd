# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Node-side code runs on the oldest and newest Pythons a node may have.

The node-side files are imported and exercised (gather() on an empty tree, the CRI
client against a missing socket) by each interpreter found on this machine.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import json
import os
import shutil
import subprocess

import pytest

COLLECTIONS = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', '.build', 'collections'))

SCRIPT = r'''
import json, sys, tempfile
from ansible_collections.kubenode.pullfix.plugins.module_utils import _evidence, _cri
with tempfile.TemporaryDirectory() as root:
    ev = _evidence.gather(root=root, probe_timeout=0.2)
probe = _cri.probe("unix:///nonexistent/pullfix.sock")
print(json.dumps({"schema": ev["schema"], "python": sys.version_info[:2], "probe": probe["outcome"]}))
'''


def interpreters():
    found = {}
    for version in ('3.8', '3.13'):
        candidates = [shutil.which('python' + version)] + sorted(
            glob.glob(os.path.expanduser('~/.pyenv/versions/%s.*/bin/python%s' % (version, version))))
        for path in candidates:
            if path and subprocess.call([path, '-c', 'pass'], stderr=subprocess.DEVNULL) == 0:
                found[version] = path
                break
    return found


FOUND = interpreters()


@pytest.mark.parametrize('version', ['3.8', '3.13'])
def test_node_side_code_runs(version):
    if version not in FOUND:
        pytest.skip('no python%s on this machine' % version)
    out = subprocess.check_output([FOUND[version], '-c', SCRIPT], env=dict(os.environ, PYTHONPATH=COLLECTIONS))
    result = json.loads(out)
    assert result['python'] == [int(p) for p in version.split('.')]
    assert result['schema'] == 1
    assert result['probe'] == 'missing'
