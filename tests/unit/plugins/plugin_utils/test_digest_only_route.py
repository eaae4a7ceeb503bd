# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The containers-image route skips a digest-only mirror for a tag and says which line made it so."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from pullfix_helpers import load, run, get
from test_pullfix_diagnose import crio, regconf

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose.checks.registries import digest_only_mirrors as mod
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.report import route_lines

DIGEST = 'docker.io/library/busybox@sha256:' + '0' * 64


def _routes(text, images):
    ev = load()
    crio(ev)
    regconf(ev, '50-mirror.conf', text)
    result = run(ev, {'explain_images': images})
    return result, dict((r['image'], r) for r in result['routes'])


def test_registry_digest_only_skips_the_mirror_for_a_tag_with_the_line():
    result, routes = _routes(mod.DIGEST_ONLY, ['docker.io/library/busybox:1', DIGEST])
    tag = routes['docker.io/library/busybox:1']
    assert [ep['host'] for ep in tag['endpoints']] == ['registry-1.docker.io']
    assert tag['skipped'][0]['url'] == 'mirror.example.com'
    assert tag['skipped'][0]['why'] == ('/etc/containers/registries.conf.d/50-mirror.conf:4 mirror-by-digest-only = true: '
                                        'not used for a tag pull')
    assert [ep['host'] for ep in routes[DIGEST]['endpoints']] == ['mirror.example.com', 'registry-1.docker.io']
    assert any('mirror.example.com skipped (/etc/containers/registries.conf.d/50-mirror.conf:4' in line for line in route_lines(tag))
    assert get(result, 'registries-mirror-digest-only')['severity'] == 'warning'


def test_per_mirror_tag_only_skips_for_a_digest_and_is_no_finding():
    result, routes = _routes(mod.PER_MIRROR % 'tag-only', ['docker.io/library/busybox:1', DIGEST])
    assert routes[DIGEST]['skipped'][0]['why'] == 'pull-from-mirror = "tag-only": not used for a digest pull'
    assert [ep['host'] for ep in routes['docker.io/library/busybox:1']['endpoints']][0] == 'mirror.example.com'
    assert 'registries-mirror-digest-only' not in [f['id'] for f in result['findings']]


def test_one_of_two_mirrors_serving_tags_is_enough():
    text = mod.PER_MIRROR % 'digest-only' + '[[registry.mirror]]\nlocation = "tags.example.com"\n'
    result, routes = _routes(text, ['docker.io/library/busybox:1'])
    assert [ep['host'] for ep in routes['docker.io/library/busybox:1']['endpoints']] == ['tags.example.com',
                                                                                         'registry-1.docker.io']
    assert 'registries-mirror-digest-only' not in [f['id'] for f in result['findings']]
