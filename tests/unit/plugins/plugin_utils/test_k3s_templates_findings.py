# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""k3s templates and the embedded registry on the real files of the corpus (SOURCES.md)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from pullfix_helpers import load, run, with_file, get
from test_pullfix_diagnose import k3s

CORPUS = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'corpus')
TMPL = '/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl'
REG = 'mirrors:\n  docker.io:\n    endpoint:\n      - "https://mirror.example.com"\n'


def corpus(*parts):
    with open(os.path.join(CORPUS, *parts)) as handle:
        return handle.read()


def _ids(result):
    return dict((f['id'], f) for f in result['findings'])


def _node(template, registries=REG, version='v1.30.9+k3s1'):
    ev = load()
    k3s(ev, version, registries)
    with_file(ev, TMPL, template, 'k3s-template')
    return run(ev)


def test_copied_generated_config_drops_registries_yaml():
    found = _ids(_node(corpus('k3s-templates', 'k3s-6606-generated-config-copied.toml')))
    f = found['k3s-template-drops-registries']
    assert f['severity'] == 'error'
    assert any(line.startswith('/etc/rancher/k3s/registries.yaml:2') for line in f['evidence'])


def test_base_template_and_certs_d_copy_keep_registries_yaml():
    for name in ('k3s-7992-base-plus-registry-auth.toml.tmpl', 'spegel-212-config.toml.tmpl'):
        found = _ids(_node(corpus('k3s-templates', name)))
        assert not set(found) & {'k3s-template-drops-registries', 'k3s-template-full-copy'}, name


def test_embedded_registry_with_mirrors_is_served_and_without_is_idle():
    ev = load()
    k3s(ev, 'v1.32.3+k3s1', corpus('k3s-embedded-registry', 'k3s-9026-registries.yaml'))
    with_file(ev, '/etc/rancher/k3s/config.yaml', corpus('k3s-embedded-registry', 'k3s-9026-config.yaml'), 'k3s-config')
    assert 'k3s-embedded-registry-idle' not in _ids(run(ev))
    with_file(ev, '/etc/rancher/k3s/registries.yaml', 'configs: {}\n', 'k3s-registries')
    f = get(run(ev), 'k3s-embedded-registry-idle')
    assert f['evidence'][0] == '/etc/rancher/k3s/config.yaml:2 embedded-registry: true'
