# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from pullfix_helpers import load, with_file, with_runtime

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan import PlanError
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.containerd_registry import plan as _plan_containerd_registry

plan_containerd_registry = with_runtime(_plan_containerd_registry)

REG = '/etc/rancher/k3s/registries.yaml'
K3S = {'name': 'k3s', 'version': 'v1.32.3+k3s1'}
K3S_BROKEN = {'name': 'k3s', 'version': 'v1.32.2+k3s1'}


def ev():
    return load('debian12-captured.json')


def plan(evidence, mirrors, runtime=None, **settings):
    settings['registry_mirrors'] = mirrors
    return plan_containerd_registry(evidence, runtime or K3S, settings)


def test_create_registries_yaml():
    result = plan(ev(), {'docker.io': {'endpoints': ['https://mirror.example.com'], 'server': 'https://upstream.example.com',
                                       'ca': '/etc/ssl/m.pem', 'skip_verify': True}})
    assert result['errors'] == [] and result['notes'] == []
    change, = result['changes']
    assert change == {
        'path': REG, 'action': 'create', 'mode': '0600', 'validate': None, 'restart': 'k3s', 'secret': False,
        'remove_empty_parent': False, 'reason': 'registries.yaml: mirrors for docker.io; tls for mirror.example.com',
        'role': 'containerd_registry', 'expect': None,
        'content': '''mirrors:
  docker.io:
    endpoint:
    - https://mirror.example.com
    - https://upstream.example.com
configs:
  mirror.example.com:
    tls:
      ca_file: /etc/ssl/m.pem
      insecure_skip_verify: true
'''}


EXISTING = '''# ops managed
mirrors:
  quay.io:
    endpoint: ["https://q.example.com"]
    rewrite:
      "^(.*)$": "mirror/$1"
configs:
  private.example.com:
    auth:
      username: u
      password: p
'''


def test_minimal_edit_keeps_comments_style_and_other_entries():
    e = ev()
    with_file(e, REG, EXISTING, 'k3s-registries', mode='0600')
    result = plan(e, {'docker.io': {'endpoints': ['https://mirror.example.com']}})
    change, = result['changes']
    assert change['content'] == EXISTING.replace('configs:\n', '  docker.io:\n    endpoint:\n    - https://mirror.example.com\nconfigs:\n')
    assert (change['action'], change['secret'], change['mode']) == ('update', True, '0600')
    assert result['notes'] == [] and result['secrets'] == ['p']
    # steady state
    with_file(e, REG, change['content'], 'k3s-registries', mode='0600')
    assert plan(e, {'docker.io': {'endpoints': ['https://mirror.example.com']}}) == {
        'changes': [], 'notes': [], 'errors': [], 'secrets': ['p']}


def test_semantically_equal_file_is_not_rewritten():
    e = ev()
    with_file(e, REG, '# mine\nmirrors: {docker.io: {endpoint: ["https://m.example.com"]}}\n', 'k3s-registries')
    assert plan(e, {'docker.io': {'endpoints': ['https://m.example.com']}})['changes'] == []


def test_fallback_false_notes_global_setting():
    result = plan(ev(), {'docker.io': {'endpoints': ['https://m.example.com'], 'fallback': False}})
    assert result['notes'] == ['/etc/rancher/k3s/registries.yaml: fallback false for docker.io: k3s still tries the default '
                               'endpoint last unless "disable-default-registry-endpoint: true" is set in /etc/rancher/k3s/config.yaml '
                               '(a global setting; not changed by kubenode.pullfix)']
    e = ev()
    with_file(e, '/etc/rancher/k3s/config.yaml', 'disable-default-registry-endpoint: true\n', 'k3s-config')
    assert plan(e, {'docker.io': {'endpoints': ['https://m.example.com'], 'fallback': False}})['notes'] == []


def test_wildcard_workaround_on_broken_release():
    e = ev()
    with_file(e, REG, 'mirrors:\n  sealos.hub:5000:\n    endpoint: [http://sealos.hub:5000]\n', 'k3s-registries')
    result = plan(e, {'*': {'endpoints': ['http://10.0.0.5:5000']}}, K3S_BROKEN,
                  verify_images=['my.registry.io/app:1'], sandbox_image='registry.example.com/pause:3.10')
    change, = result['changes']
    wildcard = '    endpoint:\n    - http://10.0.0.5:5000\n'
    assert change['content'] == ('mirrors:\n  sealos.hub:5000:\n    endpoint:\n    - http://sealos.hub:5000\n'
                                 + ''.join('  %s:\n%s' % (r, wildcard) for r in (
                                     'docker.io', 'ghcr.io', 'my.registry.io', 'quay.io', 'registry.example.com', 'registry.k8s.io')))
    assert result['notes'] == ['k3s v1.32.2+k3s1: the "*" mirror does not work in this release and was expanded into explicit '
                               'registries; upgrade to v1.32.3+k3s1 is the real fix']
    # fixed release keeps "*"
    assert "'*':" in plan(e, {'*': {'endpoints': ['http://10.0.0.5:5000']}}, K3S)['changes'][0]['content']


def test_rke2_path_and_restart_and_version_from_evidence():
    e = ev()
    e['versions']['rke2'] = {'path': '/usr/local/bin/rke2', 'output': 'rke2 version v1.31.6+rke2r1 (abc)', 'rc': 0, 'error': None}
    result = plan(e, {'*': {'endpoints': ['http://10.0.0.5:5000']}}, {'name': 'rke2', 'version': None})
    change, = result['changes']
    assert (change['path'], change['restart']) == ('/etc/rancher/rke2/registries.yaml', 'rke2')
    assert "'*'" not in change['content'] and 'upgrade to v1.31.7+rke2r1' in result['notes'][0]


def test_never_touches_generated_certs_d():
    result = plan(ev(), {'docker.io': {'endpoints': ['https://m.example.com']}})
    assert all(not c['path'].startswith('/var/lib/rancher') for c in result['changes'])


def test_headers_cannot_be_expressed():
    with pytest.raises(PlanError) as exc:
        plan(ev(), {'docker.io': {'endpoints': ['https://m.example.com'], 'headers': {'Authorization': 'Bearer x'}}})
    assert str(exc.value) == ("pullfix_registry_mirrors['docker.io'].headers: k3s/RKE2 registries.yaml cannot set HTTP headers "
                              "(use configs.<registry>.auth for credentials, or remove the headers)")


def test_unparsable_registries_yaml():
    e = ev()
    with_file(e, REG, 'mirrors:\n  docker.io:\n    endpoint: [a\n', 'k3s-registries')
    result = plan(e, {'docker.io': {'endpoints': ['https://m.example.com']}})
    assert result['changes'] == []
    assert result['errors'][0].startswith('/etc/rancher/k3s/registries.yaml:4: ')
