# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every finding id: a positive case (the id is reported) and a near-miss negative case (it is not),
both written in the finding's module."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import types

import pytest

from explain_cases import proxied
import pullfix_helpers
from pullfix_helpers import (load, with_file, with_dir, with_hosts, with_socket, with_process, without_process, with_version,
                             probe_ok, probe_fail, run, ids, get)

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose.catalogue import expanded, modules
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.findings import CATALOGUE, REPORT_ONLY

CFG = '/etc/containerd/config.toml'
CERTS = '/etc/containerd/certs.d'
RUN_SOCK = '/run/containerd/containerd.sock'
KCONF = '/var/lib/kubelet/config.yaml'
REGCONF = '/etc/containers/registries.conf'
DROPIN = '/etc/containers/registries.conf.d'
K3S_REG = '/etc/rancher/k3s/registries.yaml'
K3S_CERTS = '/var/lib/rancher/k3s/agent/etc/containerd/certs.d'
SHIM_CFG = '/etc/image-cri-shim.yaml'
SHIM_SOCK = '/var/run/image-cri-shim.sock'

V2_HEAD = 'version = 2\n\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "registry.k8s.io/pause:3.9"\n'


def cfg(ev, text):
    return with_file(ev, CFG, text, 'containerd-config')


def kubelet_endpoint(ev, endpoint, image=None):
    text = 'kind: KubeletConfiguration\ncontainerRuntimeEndpoint: %s\n' % endpoint
    if image:
        text += 'imageServiceEndpoint: %s\n' % image
    return with_file(ev, KCONF, text, 'kubelet-config')


def regconf(ev, name, text):
    path = REGCONF if name is None else DROPIN + '/' + name
    if name is not None:
        entries = ev['dirs'][DROPIN]['entries']
        entries.append({'name': name, 'type': 'file'})
    return with_file(ev, path, text, 'registries-conf')


def k3s(ev, version='v1.32.2+k3s1', registries=None, containerd='v2.0.2-k3s2'):
    without_process(ev, 'containerd')
    without_process(ev, 'kubelet')
    with_process(ev, 'k3s', ['/usr/local/bin/k3s', 'server'])
    with_version(ev, 'k3s', 'k3s version %s (abc)\ngo version go1.23.6' % version)
    with_socket(ev, '/run/k3s/containerd/containerd.sock', runtime_probe=probe_ok('containerd', containerd))
    with_socket(ev, RUN_SOCK, 'missing')
    with_socket(ev, '/var/run/containerd/containerd.sock', 'missing')
    ev['files'].pop(KCONF, None)
    ev['files'].pop('/var/lib/kubelet/kubeadm-flags.env', None)
    ev['files'].pop('/etc/default/kubelet', None)
    if registries is not None:
        with_file(ev, K3S_REG, registries, 'k3s-registries')
    return ev


def shim(ev, cri='/run/containerd/containerd.sock', address='http://sealos.hub:5000'):
    with_file(ev, SHIM_CFG, 'shim: /var/run/image-cri-shim.sock\ncri: %s\naddress: %s\nforce: true\n'
              'auth: admin:passw0rd\ntimeout: 15m\n' % (cri, address), 'shim-config')
    with_socket(ev, SHIM_SOCK, runtime_probe=probe_fail('unimplemented', 12, 'unknown service runtime.v1.RuntimeService'))
    return ev


def crio(ev, version='1.34.1'):
    without_process(ev, 'containerd')
    with_process(ev, 'crio', ['/usr/bin/crio'])
    with_socket(ev, '/var/run/crio/crio.sock', runtime_probe=probe_ok('cri-o', version))
    with_socket(ev, '/run/crio/crio.sock', runtime_probe=probe_ok('cri-o', version))
    with_socket(ev, RUN_SOCK, 'missing')
    with_socket(ev, '/var/run/containerd/containerd.sock', 'missing')
    return kubelet_endpoint(ev, 'unix:///var/run/crio/crio.sock')


CRICTL = '/etc/crictl.yaml'


def crictl(ev, text):
    return with_file(ev, CRICTL, text, 'crictl-config')


def loop_dir(ev, path):
    ev['dirs'][path] = {'stat': {'type': 'symlink', 'mode': '0777', 'uid': 0, 'gid': 0, 'size': 0, 'target': path,
                                 'resolved_type': 'loop', 'resolved_path': None},
                        'why': ['certs-d'], 'error': {'kind': 'symlink_loop', 'message': 'loop'}, 'entries': [],
                        'truncated': False}
    return ev


def dangling_dir(ev, path):
    ev['dirs'][path] = {'stat': {'type': 'symlink', 'mode': '0777', 'uid': 0, 'gid': 0, 'size': 0,
                                 'target': '/nonexistent', 'resolved_type': 'missing', 'resolved_path': None},
                        'why': ['certs-d'], 'error': {'kind': 'missing', 'message': 'no such directory'},
                        'entries': [], 'truncated': False}
    return ev


# Every finding's positive and near-miss case, from its module (diagnose/checks/<area>/<name>.py: CASES).
def helpers():
    """The vocabulary of the cases (``h``): this module's builders and constants, pullfix_helpers, proxied."""
    names = dict(vars(pullfix_helpers), proxied=proxied)
    names.update(globals())
    return types.SimpleNamespace(**dict((name, value) for name, value in names.items() if not name.startswith('_')))


def _case(c):
    def build():
        ev = load()
        if c['build'] is not None:
            c['build'](ev, helpers())
        return ev, dict(c['settings'])
    build.expect = c.get('expect') or {}
    return build


def _pairs(value):
    """A module's cases of one id: one (positive, near-miss) pair, or a list of them."""
    return value if isinstance(value, list) else [value]


# id for the first pair of an id, id#2, id#3... for the next ones
CASES = dict(('%s#%d' % (fid, n) if n > 1 else fid, (_case(positive), _case(near_miss)))
             for mod in modules() for fid, value in getattr(mod, 'CASES', {}).items()
             for n, (positive, near_miss) in enumerate(_pairs(value), 1))


def ef(ev):
    return ev


def test_every_catalogue_id_has_cases_in_its_own_module():
    assert sorted(set(key.split('#')[0] for key in CASES)) == sorted(set(CATALOGUE) - REPORT_ONLY)
    for mod in modules():
        assert set(getattr(mod, 'CASES', {})) <= set(fid for fid, _e in expanded(mod)), mod.__name__


@pytest.mark.parametrize('key', sorted(CASES))
def test_positive(key):
    fid = key.split('#')[0]
    ev, settings = CASES[key][0]()
    result = run(ev, settings)
    assert fid in ids(result), result['findings']
    f = get(result, fid)
    assert f['severity'] == CATALOGUE[fid]['severity']
    expect = CASES[key][0].expect
    assert f['remediation'] == expect.get('remediation', CATALOGUE[fid]['remediation'])
    if 'next_step' in expect:
        assert expect['next_step'] in f.get('next_step', ''), f
    else:
        assert 'next_step' not in f, f
    assert f['category'] == CATALOGUE[fid]['category']
    assert f['evidence'] and f['explanation'] and f['fixed'] is False


@pytest.mark.parametrize('key', sorted(CASES))
def test_negative(key):
    fid = key.split('#')[0]
    ev, settings = CASES[key][1]()
    result = run(ev, settings)
    assert fid not in ids(result), get(result, fid)


def test_healthy_fixture_has_only_the_info_finding():
    result = run(load())
    assert ids(result) == ['search-registries-effective']
    assert result['runtime'] == {
        'name': 'containerd', 'version': '1.6.20', 'endpoint': 'unix:///run/containerd/containerd.sock',
        'image_endpoint': 'unix:///run/containerd/containerd.sock', 'containerd_version': '1.6.20',
        'source': result['runtime']['source']}
    assert 'kubelet runtime endpoint' in result['runtime']['source']


def test_deterministic_and_sorted():
    ev = load()
    cfg(ev, 'disabled_plugins = ["cri"]\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "x"\n')
    with_socket(ev, RUN_SOCK, mode='0666')
    a = run(ev, {'search_registries': ['quay.io']})
    b = run(load() and ev, {'search_registries': ['quay.io']})
    assert a == b
    keys = [({'error': 0, 'warning': 1, 'info': 2}[f['severity']], f['id']) for f in a['findings']]
    assert keys == sorted(keys)


def test_empty_search_registries_setting_means_no_opinion():
    # The role default is []: the doctor must not invent a wanted order.
    assert 'search-registries-mismatch' not in ids(run(load(), {'search_registries': []}))


def test_host_dir_is_harmless_once_the_host_port_dir_exists():
    # A stray certs.d/<host> (for <host>:<port> images) stops mattering once the
    # <host>:<port> directory that containerd does look up exists.
    def build(ev, with_port_dir):
        with_file(ev, '/etc/containerd/config.toml', 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n'
                  '  config_path = "/etc/containerd/certs.d"\n', 'containerd-config')
        names = ['reg.local'] + (['reg.local:5000'] if with_port_dir else [])
        with_dir(ev, '/etc/containerd/certs.d', names, 'certs-d')
        with_file(ev, '/etc/containerd/certs.d/reg.local/hosts.toml', 'server = "http://reg.local:5000"\n', 'certs-d')
        if with_port_dir:
            with_dir(ev, '/etc/containerd/certs.d/reg.local:5000', [], 'certs-d')
        return ev
    assert 'certs-d-dir-never-matches' in ids(run(build(load(), False)))
    assert 'certs-d-dir-never-matches' not in ids(run(build(load(), True)))


def test_mirror_urls_with_a_port_do_not_make_a_directory_wrong():
    # certs.d/reg.local serving reg.local images through a mirror on :5000 is fine:
    # only `server` says which registry a directory is for.
    ev = load()
    with_file(ev, '/etc/containerd/config.toml', 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n'
              '  config_path = "/etc/containerd/certs.d"\n', 'containerd-config')
    with_hosts(ev, '/etc/containerd/certs.d', 'reg.local', 'server = "https://reg.local"\n'
               '[host."http://reg.local:5000"]\n  capabilities = ["pull", "resolve"]\n')
    assert 'certs-d-dir-never-matches' not in ids(run(ev))


def test_mark_fixed_keeps_gone_findings_as_fixed():
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose import mark_fixed
    before = [{'id': 'containerd-cri-disabled', 'severity': 'error', 'fixed': False},
              {'id': 'socket-world-accessible', 'severity': 'error', 'fixed': False}]
    after = [{'id': 'socket-world-accessible', 'severity': 'error', 'fixed': False},
             {'id': 'search-registries-effective', 'severity': 'info', 'fixed': False}]
    merged = mark_fixed(before, after)
    assert [(f['id'], f['fixed']) for f in merged] == [
        ('containerd-cri-disabled', True), ('socket-world-accessible', False), ('search-registries-effective', False)]
