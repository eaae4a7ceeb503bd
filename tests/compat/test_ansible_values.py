# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Values as the installed ansible-core hands them over: ansible-core 2.17 and 2.18 pass module
results and variables as AnsibleUnsafeText (a str subclass) and its dict and list wrappers, which
PyYAML's C loader refused ("a string or stream input is required": diagnose.yml and fix_pull.yml
failed on every host). `make compat-unit` runs this file under each older minor."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import yaml
from ansible.utils.unsafe_proxy import AnsibleUnsafeText, wrap_var

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix import parse
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.settings import plain


def test_unsafe_text_is_what_this_ansible_core_passes():
    assert isinstance(wrap_var('a: 1'), AnsibleUnsafeText)


def test_yaml_stream_from_unsafe_text():
    docs = parse.load_yaml_all(wrap_var('a: 1\n---\nb: [x]\n'))
    assert [data for data, _lines in docs] == [{'a': 1}, {'b': ['x']}]


def test_toml_from_unsafe_text():
    data, _lines = parse.load_toml(wrap_var('version = 2\n[plugins]\n'))
    assert data['version'] == 2


def test_settings_from_unsafe_values_are_plain_and_dumpable():
    value = wrap_var({'docker.io': {'endpoints': ['http://127.0.0.1:5000'], 'fallback': True}})
    out = plain(value)
    assert list(out)[0].__class__ is str and out['docker.io']['endpoints'][0].__class__ is str
    assert yaml.safe_dump(out) == 'docker.io:\n  endpoints:\n  - http://127.0.0.1:5000\n  fallback: true\n'
    assert json.loads(json.dumps(out)) == out
