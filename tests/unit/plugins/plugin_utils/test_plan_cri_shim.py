# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The cri_shim planner on Sealos-shaped files (tests/unit/fixtures/corpus/shim, SOURCES.md)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import subprocess

import pytest
import yaml

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose import diagnose
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts import shim as facts
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan import PlanError
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.cri_shim import plan as _plan, units
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.roles import wanted

from pullfix_helpers import load, probe_fail, with_file, with_process, with_runtime, with_socket, with_unit

plan = with_runtime(_plan)

CORPUS = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'corpus', 'shim')
RT = {'name': 'containerd', 'endpoint': 'unix:///run/containerd/containerd.sock', 'version': '1.6.20'}
SOCK = '/run/containerd/containerd.sock'
LOCAL = {'local_registry': 'sealos.hub:5000'}
# The unit Sealos 4.1 writes (its installer's image-cri-shim.service): no ordering at all.
SEALOS_UNIT = '''[Unit]
Description=image-cri-shim: cri for kubelet endpoint

[Service]
ExecStart=/usr/bin/image-cri-shim -f /etc/image-cri-shim.yaml
Restart=always
RestartSec=10

[Install]
WantedBy=multi-user.target
'''
KUBEADM = '''apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
nodeRegistration:
  criSocket: unix:///run/containerd/containerd.sock
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
kubernetesVersion: v1.25.6
imageRepository: registry.k8s.io   # upstream
networking:
  podSubnet: 100.64.0.0/10
'''
KUBELET_CONFIG = '''apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# kubelet talks to the runtime here
containerRuntimeEndpoint: unix:///var/run/image-cri-shim.sock
cgroupDriver: systemd
'''


def corpus(name):
    with open(os.path.join(CORPUS, name)) as f:
        return f.read()


def node(shim_text=None, unit=True, kubelet_config=KUBELET_CONFIG, flags=None, kubelet_running=False, kubeadm=None,
         shim_serving=True):
    ev = load()
    if shim_serving:
        with_socket(ev, facts.SHIM_SOCKET, runtime_probe=probe_fail('unimplemented', 12, 'unknown service'))
    if shim_text is not None:
        with_file(ev, facts.SHIM_CONFIG, shim_text, 'shim-config')
    if unit:
        with_unit(ev, facts.SHIM_UNIT, FragmentPath='/etc/systemd/system/image-cri-shim.service')
        with_file(ev, '/etc/systemd/system/image-cri-shim.service', SEALOS_UNIT, 'unit-file')
    with_unit(ev, 'kubelet.service', FragmentPath='/lib/systemd/system/kubelet.service')
    if kubelet_config is not None:
        with_file(ev, '/var/lib/kubelet/config.yaml', kubelet_config, 'kubelet-config')
    if flags is not None:
        with_file(ev, '/var/lib/kubelet/kubeadm-flags.env', flags, 'kubelet-config')
    if kubelet_running:
        with_process(ev, 'kubelet', ['/usr/bin/kubelet', '--config=/var/lib/kubelet/config.yaml'] + kubelet_running)
    if kubeadm is not None:
        with_file(ev, '/etc/kubernetes/kubeadm-config.yaml', kubeadm, 'kubeadm-config')
    return ev


def by_path(result):
    return dict((c['path'], c) for c in result['changes'])


def test_sealos_testdata_config_gets_cri_and_address_and_keeps_everything_else():
    text = corpus('sealos-testdata-image-cri-shim.yaml').replace('/run/containerd/containerd.sock', '/var/run/containerd/cri.sock')
    result = plan(node(text), RT, {'local_registry': '127.0.0.1:5000'})
    assert not result['errors'], result['errors']
    new = by_path(result)[facts.SHIM_CONFIG]['content']
    old_lines, new_lines = text.splitlines(), new.splitlines()
    diff = [(a, b) for a, b in zip(old_lines, new_lines) if a != b]
    assert diff == [('cri: /var/run/containerd/cri.sock', 'cri: /run/containerd/containerd.sock'),
                    ('address: http://sealos.hub:5000', 'address: http://127.0.0.1:5000')]
    assert len(old_lines) == len(new_lines)
    assert new.startswith('# Copyright')           # the licence header (comments) kept
    assert by_path(result)[facts.SHIM_CONFIG]['restart'] == 'image-cri-shim'
    assert 'admin:passw0rd' in result['secrets']      # masked in diffs and logs


@pytest.mark.parametrize('name', sorted(os.listdir(CORPUS)))
def test_every_corpus_config_is_edited_minimally(name):
    text = corpus(name)
    result = plan(node(text), RT, {'local_registry': 'registry.example.test:5000'})
    assert not result['errors'], result['errors']
    new = by_path(result)[facts.SHIM_CONFIG]['content']
    old, data = yaml.safe_load(text), yaml.safe_load(new)
    assert data['address'] == 'http://registry.example.test:5000'
    assert data['cri'] in (SOCK, 'unix://' + SOCK) or data['cri'] == old['cri']
    old.pop('address'), data.pop('address'), old.pop('cri'), data.pop('cri')
    assert old == data
    changed = [a for a, b in zip(text.splitlines(), new.splitlines()) if a != b]
    assert len(changed) <= 2 and len(text.splitlines()) == len(new.splitlines())


def test_cri_missing_from_config_is_inserted_after_shim():
    text = 'shim: /var/run/image-cri-shim.sock\naddress: http://sealos.hub:5000  # local\nforce: true\n'
    new = by_path(plan(node(text), RT, LOCAL))[facts.SHIM_CONFIG]['content']
    assert new == ('shim: /var/run/image-cri-shim.sock\ncri: /run/containerd/containerd.sock\n'
                   'address: http://sealos.hub:5000  # local\nforce: true\n')


def test_quoted_value_and_crlf_kept():
    text = 'shim: "/var/run/image-cri-shim.sock"\r\ncri: "/nowhere.sock" # old\r\naddress: http://sealos.hub:5000\r\n'
    new = by_path(plan(node(text), RT, LOCAL))[facts.SHIM_CONFIG]['content']
    assert new == ('shim: "/var/run/image-cri-shim.sock"\r\ncri: "/run/containerd/containerd.sock" # old\r\n'
                   'address: http://sealos.hub:5000\r\n')


def test_config_already_right_is_not_touched():
    text = corpus('sealos-docs-5.0-example.yaml')
    result = plan(node(text), RT, LOCAL)
    assert facts.SHIM_CONFIG not in by_path(result)


def test_var_run_alias_is_the_same_socket():
    text = 'shim: /var/run/image-cri-shim.sock\ncri: /var/run/containerd/containerd.sock\naddress: http://sealos.hub:5000\n'
    ev = node(text)
    ev['var_run'] = {'type': 'symlink', 'target': '/run'}
    assert facts.SHIM_CONFIG not in by_path(plan(ev, RT, LOCAL))


@pytest.mark.parametrize('text,words', [
    ('shim: [unclosed\n', 'image-cri-shim.yaml:'),
    ('- a\n- b\n', 'expected a mapping'),
    ('shim: /s\ncri:\n  nested: 1\naddress: x\n', 'not a plain one-line string'),
    ('shim: /s\ncri: /a\ncri: /b\n', 'duplicate key'),
])
def test_malformed_config_is_refused_with_file_and_line(text, words):
    result = plan(node(text), RT, LOCAL)
    assert result['errors'] and words in result['errors'][0], result['errors']
    assert '/etc/image-cri-shim.yaml' in result['errors'][0]
    assert not result['changes']


def test_missing_config_is_a_note_not_a_rewrite():
    result = plan(node(None), RT, LOCAL)
    assert facts.SHIM_CONFIG not in by_path(result)
    assert any('does not exist' in n for n in result['notes'])


def test_dropins_order_shim_after_runtime_and_registry_and_kubelet_after_shim():
    result = plan(node(corpus('sealos-docs-5.0-example.yaml')), RT, LOCAL)
    changes = by_path(result)
    shim = changes[facts.shim_dropin()]
    assert 'After=containerd.service registry.service' in shim['content']
    assert 'Wants=containerd.service registry.service' in shim['content']
    assert '--socket /run/containerd/containerd.sock --registry http://sealos.hub:5000' in shim['content']
    assert 'ExecStartPost=/usr/bin/env python3 %s --timeout 60 --socket /var/run/image-cri-shim.sock' % (
        units.WAIT_HELPER) in shim['content']
    assert shim['restart'] == 'systemd'
    assert shim['validate'][:2] == ['/bin/sh', '-c'] and '%s' in shim['validate']
    kubelet = changes[facts.shim_dropin('kubelet.service')]
    assert 'After=image-cri-shim.service' in kubelet['content'] and kubelet['restart'] == 'systemd'
    assert changes[units.WAIT_HELPER]['mode'] == '0755'


def test_registry_unit_is_configurable():
    result = plan(node(corpus('sealos-docs-5.0-example.yaml')), RT, dict(LOCAL, shim_registry_unit='sealos-registry'))
    assert 'After=containerd.service sealos-registry.service' in by_path(result)[facts.shim_dropin()]['content']


def test_unit_file_that_is_not_a_unit_is_refused_with_line():
    ev = node(corpus('sealos-docs-5.0-example.yaml'))
    with_file(ev, '/etc/systemd/system/image-cri-shim.service', '[Unit]\nDescription=x\nthis is not a directive\n',
              'unit-file')
    result = plan(ev, RT, LOCAL)
    assert any('/etc/systemd/system/image-cri-shim.service:3:' in e for e in result['errors']), result['errors']
    assert facts.shim_dropin() not in by_path(result)


def test_foreign_file_at_the_dropin_path_is_not_replaced():
    ev = node(corpus('sealos-docs-5.0-example.yaml'))
    with_file(ev, facts.shim_dropin(), '[Unit]\nAfter=foo.service\n', 'unit-file')
    result = plan(ev, RT, LOCAL)
    assert any('exists and is not managed by kubenode.pullfix' in e for e in result['errors'])


def test_kubelet_config_gets_runtime_socket_and_shim_as_image_endpoint():
    result = plan(node(corpus('sealos-docs-5.0-example.yaml')), RT, LOCAL)
    change = by_path(result)['/var/lib/kubelet/config.yaml']
    data = yaml.safe_load(change['content'])
    assert data['containerRuntimeEndpoint'] == 'unix:///run/containerd/containerd.sock'
    assert data['imageServiceEndpoint'] == 'unix:///var/run/image-cri-shim.sock'
    assert '# kubelet talks to the runtime here' in change['content']
    assert change['restart'] == 'kubelet'


def test_kubelet_flags_file_is_edited_when_kubelet_takes_flags():
    flags = ('KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/image-cri-shim.sock '
             '--pod-infra-container-image=sealos.hub:5000/pause:3.9"\n')
    ev = node(corpus('sealos-docs-5.0-example.yaml'), flags=flags, kubelet_running=[
        '--container-runtime-endpoint=unix:///var/run/image-cri-shim.sock'])
    result = plan(ev, RT, LOCAL)
    changes = by_path(result)
    assert '/var/lib/kubelet/config.yaml' not in changes   # flags win over the config file
    assert changes['/var/lib/kubelet/kubeadm-flags.env']['content'] == (
        'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock '
        '--pod-infra-container-image=sealos.hub:5000/pause:3.9 '
        '--image-service-endpoint=unix:///var/run/image-cri-shim.sock"\n')


def test_kubelet_already_right_changes_nothing():
    cfg = KUBELET_CONFIG.replace('unix:///var/run/image-cri-shim.sock', 'unix:///run/containerd/containerd.sock') + \
        'imageServiceEndpoint: unix:///var/run/image-cri-shim.sock\n'
    result = plan(node(corpus('sealos-docs-5.0-example.yaml'), kubelet_config=cfg), RT, LOCAL)
    assert '/var/lib/kubelet/config.yaml' not in by_path(result)


def test_runtime_socket_is_never_the_shim():
    rt = dict(RT, endpoint='unix:///var/run/image-cri-shim.sock')
    ev = node(corpus('sealos-docs-5.0-example.yaml'))
    with_socket(ev, '/var/run/image-cri-shim.sock')
    result = plan(ev, rt, LOCAL)
    data = yaml.safe_load(by_path(result)['/var/lib/kubelet/config.yaml']['content'])
    assert data['containerRuntimeEndpoint'] == 'unix:///run/containerd/containerd.sock'


def test_kubeadm_image_repository_and_images_listed():
    result = plan(node(corpus('sealos-docs-5.0-example.yaml'), kubeadm=KUBEADM), RT, LOCAL)
    new = by_path(result)['/etc/kubernetes/kubeadm-config.yaml']['content']
    assert 'imageRepository: sealos.hub:5000   # upstream' in new
    assert new.replace('sealos.hub:5000', 'registry.k8s.io') == KUBEADM
    note = [n for n in result['notes'] if n.startswith('kubeadm v1.25.6')][0]
    assert 'sealos.hub:5000/kube-apiserver:v1.25.6' in note and 'sealos.hub:5000/etcd:3.5.6-0' in note
    assert 'sealos.hub:5000/coredns:v1.9.3' in note and 'sealos.hub:5000/pause:3.8' in note


def test_kubeadm_without_image_repository_gets_one_after_the_version():
    text = 'apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nkubernetesVersion: v1.28.7\n'
    result = plan(node(corpus('sealos-docs-5.0-example.yaml'), kubeadm=text), RT, LOCAL)
    assert by_path(result)['/etc/kubernetes/kubeadm-config.yaml']['content'] == text + 'imageRepository: sealos.hub:5000\n'
    assert any('sealos.hub:5000/etcd:3.5.10-0' in n for n in result['notes'])


def test_kubeadm_untouched_without_local_registry():
    result = plan(node(corpus('sealos-docs-5.0-example.yaml'), kubeadm=KUBEADM), RT, {})
    assert '/etc/kubernetes/kubeadm-config.yaml' not in by_path(result)


def test_second_plan_on_the_result_changes_nothing():
    ev = node(corpus('sealos-testdata-image-cri-shim.yaml').replace('/run/containerd/containerd.sock', '/x.sock'),
              kubeadm=KUBEADM)
    first = plan(ev, RT, LOCAL)
    for c in first['changes']:
        with_file(ev, c['path'], c['content'], 'unit-file')
    assert plan(ev, RT, LOCAL)['changes'] == []


@pytest.mark.parametrize('settings,key', [
    ({'local_registry': 'user:pw@sealos.hub'}, 'pullfix_local_registry'),
    ({'local_registry': ['x']}, 'pullfix_local_registry'),
    ({'shim_registry_unit': 'a b'}, 'pullfix_shim_registry_unit'),
    ({'shim_wait_timeout': 0}, 'pullfix_shim_wait_timeout'),
])
def test_bad_settings_name_the_setting(settings, key):
    with pytest.raises(PlanError, match=key):
        plan(node(corpus('sealos-docs-5.0-example.yaml')), RT, settings)


def test_no_shim_installed_is_a_note():
    result = plan(node(None, unit=False), RT, {})
    assert result['changes'] == [] and any('not installed' in n for n in result['notes'])


def test_kubeadm_images_fact():
    assert facts.kubeadm_images('v1.25.6') == [
        'registry.k8s.io/kube-apiserver:v1.25.6', 'registry.k8s.io/kube-controller-manager:v1.25.6',
        'registry.k8s.io/kube-scheduler:v1.25.6', 'registry.k8s.io/kube-proxy:v1.25.6',
        'registry.k8s.io/pause:3.8', 'registry.k8s.io/etcd:3.5.6-0', 'registry.k8s.io/coredns/coredns:v1.9.3']
    assert facts.kubeadm_images('v1.27.10', 'sealos.hub:5000')[5] == 'sealos.hub:5000/etcd:3.5.10-0'
    assert facts.kubeadm_images('v1.99.0') is None and facts.kubeadm_images('latest') is None


def test_doctor_findings_send_fix_pull_to_this_role():
    ev = node('shim: /var/run/image-cri-shim.sock\ncri: /var/run/containerd/cri.sock\naddress: http://sealos.hub:5000\n')
    with_socket(ev, '/var/run/containerd/cri.sock', connect='missing')
    diagnosis = diagnose(ev, LOCAL)
    ids = [f['id'] for f in diagnosis['findings'] if f['remediation'] == 'kubenode.pullfix.cri_shim']
    assert 'shim-unit-unordered' in ids and 'shim-cri-socket-missing' in ids
    assert 'cri-endpoint-image-only' in ids     # kubelet's config makes the shim its runtime endpoint
    assert [w for w in wanted(diagnosis, {}) if w[0] == 'cri_shim']


@pytest.mark.skipif(not shutil.which('systemd-analyze'), reason='systemd-analyze not installed')
def test_dropin_validation_command_accepts_ours_and_rejects_a_broken_one(tmp_path):
    good = tmp_path / 'candidate'
    good.write_text(units.shim_dropin('containerd.service', 'registry.service', SOCK, 'http://sealos.hub:5000', 60,
                                      facts.SHIM_SOCKET))
    argv = units.verify_argv('image-cri-shim.service', '50-kubenode-pullfix.conf')

    def run(path):
        return subprocess.run([str(path) if a == '%s' else a for a in argv], capture_output=True, text=True, check=False)

    assert run(good).returncode == 0, run(good).stderr
    bad = tmp_path / 'broken'
    bad.write_text('[Service]\nExecStartPre=relative-command\n')
    assert run(bad).returncode != 0


def test_kubeadm_images_the_local_registry_lacks_are_listed():
    ev = node(corpus('sealos-docs-5.0-example.yaml'), kubeadm=KUBEADM)
    ev['local_registry'] = {'url': 'http://sealos.hub:5000', 'truncated': False, 'error': None,
                            'repositories': {'pause': ['3.8'], 'etcd': ['3.5.4-0'], 'kube-proxy': ['v1.25.6']}}
    notes = plan(ev, RT, LOCAL)['notes']
    lacks = [n for n in notes if 'lacks' in n][0]
    assert lacks.startswith('the local registry sealos.hub:5000 lacks 5 of them: ')
    assert 'sealos.hub:5000/etcd:3.5.6-0' in lacks and 'sealos.hub:5000/pause:3.8' not in lacks
    assert 'kube-proxy' not in lacks


def test_kubeadm_images_when_the_registry_cannot_be_listed():
    ev = node(corpus('sealos-docs-5.0-example.yaml'), kubeadm=KUBEADM)
    ev['local_registry'] = {'url': 'http://sealos.hub:5000', 'repositories': {}, 'truncated': False,
                            'error': {'kind': 'unauthorized', 'message': 'HTTP 401 from http://sealos.hub:5000'}}
    assert any('could not be listed (HTTP 401' in n for n in plan(ev, RT, LOCAL)['notes'])


def test_kubelet_is_not_pointed_at_a_shim_that_does_not_answer():
    # the demo node's state: Sealos' unit and config, no shim running, kubelet on containerd
    cfg = KUBELET_CONFIG.replace('unix:///var/run/image-cri-shim.sock', 'unix:///run/containerd/containerd.sock')
    result = plan(node(corpus('sealos-docs-5.0-example.yaml'), kubelet_config=cfg, shim_serving=False), RT, LOCAL)
    assert '/var/lib/kubelet/config.yaml' not in by_path(result)
    assert any('left as they are' in n for n in result['notes'])
    assert facts.shim_dropin() in by_path(result)    # the ordering is still fixed


def test_kubelet_on_the_shim_is_fixed_even_when_the_shim_is_down():
    rt = dict(RT, endpoint='unix:///var/run/image-cri-shim.sock')
    result = plan(node(corpus('sealos-docs-5.0-example.yaml'), shim_serving=False), rt, LOCAL)
    data = yaml.safe_load(by_path(result)['/var/lib/kubelet/config.yaml']['content'])
    assert data['containerRuntimeEndpoint'] == 'unix:///run/containerd/containerd.sock'


def test_doctor_names_unit_lines_systemd_ignores_and_a_missing_config():
    ev = node(None)
    ev['files'][facts.SHIM_CONFIG] = {'stat': {'type': 'missing'}, 'content': None, 'truncated': False,
                                      'error': {'kind': 'missing', 'message': 'missing'}, 'why': ['shim-config']}
    with_file(ev, '/etc/systemd/system/image-cri-shim.service', SEALOS_UNIT.replace('RestartSec=10', 'RestartSec 10'),
              'unit-file')
    found = dict((f['id'], f) for f in diagnose(ev, LOCAL)['findings'])
    assert found['shim-unit-unparsable']['evidence'] == ['/etc/systemd/system/image-cri-shim.service:7 RestartSec 10']
    assert 'shim-config-missing' in found
    result = plan(ev, RT, LOCAL)
    assert any(e.startswith('/etc/systemd/system/image-cri-shim.service:7:') for e in result['errors'])
    assert result['changes'] == [] or facts.shim_dropin() not in by_path(result)


def test_wait_helper_is_gathered_and_left_alone_when_equal():
    """node_evidence reads the helper the role installs, so a second run plans no create for it."""
    import tempfile
    from ansible_collections.kubenode.pullfix.plugins.module_utils._evidence import gather
    root = tempfile.mkdtemp()
    os.makedirs(os.path.dirname(root + units.WAIT_HELPER))
    with open(root + units.WAIT_HELPER, 'w') as f:
        f.write(units.WAIT_HELPER_TEXT)
    gathered = gather(root=root, probe_timeout=0.1)['files'][units.WAIT_HELPER]
    assert gathered['content'] == units.WAIT_HELPER_TEXT
    ev = node(corpus('sealos-docs-5.0-example.yaml'))
    ev['files'][units.WAIT_HELPER] = gathered
    assert units.WAIT_HELPER not in [c['path'] for c in plan(ev, RT, LOCAL)['changes']]


def test_an_older_wait_helper_of_ours_is_replaced():
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan import sha256_text
    old = units.SCRIPT_HEAD + units.MARKER + '\nimport sys\nsys.exit(0)\n'
    ev = with_file(node(corpus('sealos-docs-5.0-example.yaml')), units.WAIT_HELPER, old, 'owned-file', mode='0755')
    result = plan(ev, RT, LOCAL)
    (c,) = [c for c in result['changes'] if c['path'] == units.WAIT_HELPER]
    assert (c['action'], c['content'], c['expect']) == ('update', units.WAIT_HELPER_TEXT, sha256_text(old))
    assert not [e for e in result['errors'] if units.WAIT_HELPER in e]


KUBELET_JSON = {
    # EKS AL2 (amazon-eks-ami templates/al2/runtime/kubelet-config.json) and nodeadm AL2023
    # (/etc/kubernetes/kubelet/config.json): kubelet reads them as YAML, they are JSON.
    'eks-al2-kubelet-config.json': '/etc/kubernetes/kubelet/kubelet-config.json',
    'eks-nodeadm-kubelet-config.json': '/etc/kubernetes/kubelet/config.json',
}


@pytest.mark.parametrize('name', sorted(KUBELET_JSON))
def test_json_kubelet_config_is_edited_as_json(name):
    import json
    import yaml
    path = KUBELET_JSON[name]
    with open(os.path.join(CORPUS, '..', 'kubelet', name)) as f:
        text = f.read()
    ev = node(corpus('sealos-docs-5.0-example.yaml'), kubelet_config=None)
    with_file(ev, path, text, 'kubelet-config')
    with_process(ev, 'kubelet', ['/usr/bin/kubelet', '--config=' + path])
    result = plan(ev, RT, LOCAL)
    assert not [e for e in result['errors'] if path in e], result['errors']
    new = by_path(result)[path]['content']
    want = dict(json.loads(text), containerRuntimeEndpoint='unix://' + SOCK,
                imageServiceEndpoint='unix:///var/run/image-cri-shim.sock')
    assert json.loads(new) == want and yaml.safe_load(new) == want
    assert [k for k in json.loads(new) if k in json.loads(text)] == list(json.loads(text))  # key order kept
    old_lines = text.splitlines()
    added = [line for line in new.splitlines() if line not in old_lines]
    indent = old_lines[1][:len(old_lines[1]) - len(old_lines[1].lstrip())]
    runtime_line = '"containerRuntimeEndpoint": "unix://%s",' % SOCK
    expected = ['"imageServiceEndpoint": "unix:///var/run/image-cri-shim.sock",']
    if runtime_line not in [line.strip() for line in old_lines]:
        expected.append(runtime_line)
    assert sorted(line.strip() for line in added) == sorted(expected)
    assert len(new.splitlines()) == len(old_lines) + len(expected)  # every other line as it was
    assert all(line.startswith(indent + '"') for line in added)
    again = with_file(ev, path, new, 'kubelet-config')
    assert path not in by_path(plan(again, RT, LOCAL))


def test_json_edit_of_compact_and_empty_objects():
    import json
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.cri_shim.json_edit import set_json_scalars
    text, changed = set_json_scalars('{"kind":"KubeletConfiguration"}\n', {'imageServiceEndpoint': 'unix:///x.sock'}, 'f')
    assert text == '{"kind":"KubeletConfiguration", "imageServiceEndpoint":"unix:///x.sock"}\n' and changed == ['imageServiceEndpoint']
    text, _changed = set_json_scalars('{}\n', {'a': 'b'}, 'f')
    assert json.loads(text) == {'a': 'b'}
    assert set_json_scalars('{"a": "b"}', {'a': 'b'}, 'f') == ('{"a": "b"}', [])
    assert set_json_scalars('{"a": 1, "b": [1, 2]}', {'a': 'x'}, 'f')[0] == '{"a": "x", "b": [1, 2]}'
