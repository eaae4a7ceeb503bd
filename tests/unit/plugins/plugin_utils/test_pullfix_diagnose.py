# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every finding id: a positive case (the id is reported) and a near-miss negative case (it is not)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from explain_cases import EXPLAIN_CASES
from pullfix_helpers import (without_kubelet, load, with_file, with_error, with_dir, with_hosts, with_socket, with_process,
                             without_process, with_unit, with_version, set_containerd_version, probe_ok,
                             probe_fail, run, ids, get)

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


def E(fn=None, settings=None):
    """A case: builder over the healthy fixture, plus settings."""
    def build():
        ev = load()
        if fn is not None:
            fn(ev)
        return ev, settings or {}
    return build


CASES = {
    # ------------------------------------------------------------ kubelet / endpoints
    'cri-endpoint-missing': (
        E(lambda ev: kubelet_endpoint(ev, 'unix:///var/run/crio/crio.sock')),
        E(lambda ev: kubelet_endpoint(ev, 'unix:///var/run/containerd/containerd.sock'))),
    'cri-endpoint-refused': (
        E(lambda ev: with_socket(ev, RUN_SOCK, 'refused')),
        E(lambda ev: with_socket(ev, '/run/docker.sock', 'refused'))),
    'cri-endpoint-not-socket': (
        E(lambda ev: with_socket(ev, RUN_SOCK, 'not_socket')),
        E(lambda ev: with_socket(ev, '/run/k0s/containerd.sock', 'not_socket'))),
    'cri-endpoint-permission-denied': (
        E(lambda ev: with_socket(ev, RUN_SOCK, 'permission_denied')),
        E(lambda ev: with_socket(ev, '/var/run/crio/crio.sock', 'permission_denied'))),
    'cri-endpoint-timeout': (
        E(lambda ev: with_socket(ev, RUN_SOCK, 'timeout')),
        E(lambda ev: with_socket(ev, RUN_SOCK, image_probe=probe_fail('timeout')))),
    'cri-endpoint-image-only': (
        E(lambda ev: (shim(ev), kubelet_endpoint(ev, 'unix://' + SHIM_SOCK))),
        E(lambda ev: (shim(ev), kubelet_endpoint(ev, 'unix://' + RUN_SOCK, 'unix://' + SHIM_SOCK)))),
    'cri-endpoint-no-cri-service': (
        E(lambda ev: with_socket(ev, RUN_SOCK, runtime_probe=probe_fail('unimplemented', 12),
                                 image_probe=probe_fail('unimplemented', 12))),
        E(lambda ev: with_socket(ev, '/var/run/containerd/containerd.sock', runtime_probe=probe_fail('unimplemented', 12),
                                 image_probe=probe_fail('unimplemented', 12)))),
    # a node being provisioned (no kubelet configuration yet): kubeadm join stops now
    'multiple-cri-endpoints': (
        E(lambda ev: with_socket(without_kubelet(ev), '/var/run/cri-dockerd.sock', runtime_probe=probe_ok('docker', '24.0.7'))),
        E(lambda ev: with_socket(without_kubelet(ev), '/run/docker.sock', runtime_probe=probe_fail('protocol')))),
    # kubelet already names containerd: nothing fails now, the next kubeadm join/reset needs criSocket
    'multiple-cri-endpoints-kubelet-set': (
        E(lambda ev: with_socket(ev, '/var/run/cri-dockerd.sock', runtime_probe=probe_ok('docker', '24.0.7'))),
        E(lambda ev: with_socket(without_kubelet(ev), '/var/run/cri-dockerd.sock', runtime_probe=probe_ok('docker', '24.0.7')))),
    'cri-dockerd-without-docker': (
        E(lambda ev: with_unit(ev, 'cri-docker.socket', ActiveState='active')),
        E(lambda ev: with_unit(ev, 'cri-docker.socket', ActiveState='inactive', UnitFileState='disabled'))),
    'kubelet-config-unparsable': (
        E(lambda ev: with_file(ev, KCONF, 'kind: KubeletConfiguration\ncontainerRuntimeEndpoint: [unix:///x\n',
                               'kubelet-config')),
        E(lambda ev: with_file(ev, KCONF, 'kind: KubeletConfiguration\n', 'kubelet-config'))),
    # ------------------------------------------------------------ containerd config.toml
    'containerd-config-unparsable': (
        E(lambda ev: cfg(ev, 'version = 2\n[plugins."io.containerd.grpc.v1.cri"\n')),
        E(lambda ev: cfg(ev, 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n'))),
    'containerd-cri-disabled': (
        E(lambda ev: cfg(ev, 'disabled_plugins = ["cri"]\n')),
        E(lambda ev: cfg(ev, 'version = 2\ndisabled_plugins = ["io.containerd.internal.v1.opt"]\n'))),
    'containerd-mirrors-with-config-path': (
        E(lambda ev: cfg(ev, V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'
                         '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n  endpoint = ["https://m.example.com"]\n')),
        # containerd 1.x accepts mirrors with an empty config_path (deprecated, but loads)
        E(lambda ev: cfg(ev, V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = ""\n'
                         '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n  endpoint = ["https://m.example.com"]\n'))),
    'containerd-deprecated-mirrors': (
        E(lambda ev: cfg(ev, V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n'
                         '  endpoint = ["https://m.example.com"]\n')),
        E(lambda ev: cfg(ev, V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry.configs."r.example.com".auth]\n'
                         '  username = "u"\n'))),
    'containerd-config-path-unset': (
        E(lambda ev: cfg(ev, V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = ""\n')),
        E(lambda ev: (set_containerd_version(ev, '2.0.2'),
                      cfg(ev, 'version = 3\n[plugins."io.containerd.cri.v1.images".pinned_images]\n  sandbox = "registry.k8s.io/pause:3.10"\n'
                              '[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/containerd/certs.d"\n')))),
    'containerd-config-path-missing': (
        E(lambda ev: (cfg(ev, V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/registry.d"\n'),
                      with_dir(ev, '/etc/containerd/registry.d', [], kind='missing'))),
        E()),
    'containerd-config-path-not-directory': (
        E(lambda ev: (cfg(ev, V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/hosts.toml"\n'),
                      with_dir(ev, '/etc/containerd/hosts.toml', [], kind='file'))),
        E()),
    'containerd-config-path-list': (
        E(lambda ev: (set_containerd_version(ev, '2.1.1'),
                      cfg(ev, 'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n'
                          '  config_path = "/etc/containerd/certs.d:/etc/docker/certs.d"\n'))),
        E(lambda ev: (set_containerd_version(ev, '2.0.5'),
                      cfg(ev, 'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n'
                          '  config_path = "/etc/containerd/certs.d:/etc/docker/certs.d"\n')))),
    'containerd-config-version-missing': (
        E(lambda ev: cfg(ev, '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n')),
        E(lambda ev: cfg(ev, '[plugins.cri.registry]\n  config_path = "/etc/containerd/certs.d"\n'))),
    'containerd-config-rejected': (
        E(lambda ev: cfg(ev, 'disabled_plugins = "cri"\n')),
        E(lambda ev: cfg(ev, 'disabled_plugins = ["cri"]\n'))),
    'containerd-import-missing': (
        E(lambda ev: (cfg(ev, V2_HEAD.replace('version = 2\n', 'version = 2\nimports = ["/etc/containerd/conf.d/10-x.toml"]\n')),
                      with_error(ev, '/etc/containerd/conf.d/10-x.toml', 'missing', 'containerd-config'))),
        E(lambda ev: (cfg(ev, V2_HEAD.replace('version = 2\n', 'version = 2\nimports = ["/etc/containerd/conf.d/*.toml"]\n'))))),
    'containerd-import-replaces-cri-table': (
        E(lambda ev: (cfg(ev, 'version = 2\nimports = ["/etc/containerd/conf.d/10-runc.toml"]\n'
                              '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'),
                      with_file(ev, '/etc/containerd/conf.d/10-runc.toml', 'version = 2\n'
                                '[plugins."io.containerd.grpc.v1.cri".containerd]\n  snapshotter = "overlayfs"\n',
                                'containerd-config'))),
        # containerd 2.x merges plugin tables key by key
        E(lambda ev: (set_containerd_version(ev, '2.1.9'),
                      cfg(ev, 'version = 3\nimports = ["/etc/containerd/conf.d/10-runc.toml"]\n'
                              '[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/containerd/certs.d"\n'),
                      with_file(ev, '/etc/containerd/conf.d/10-runc.toml', 'version = 3\n'
                                '[plugins."io.containerd.cri.v1.images"]\n  snapshotter = "overlayfs"\n',
                                'containerd-config')))),
    'containerd-configs-tls-ignored': (
        E(lambda ev: (set_containerd_version(ev, '2.1.9'),
                      cfg(ev, 'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/containerd/certs.d"\n'
                              '[plugins."io.containerd.cri.v1.images".registry.configs."r.local".tls]\n  ca_file = "/ca.pem"\n'))),
        E(lambda ev: (set_containerd_version(ev, '2.1.9'),
                      cfg(ev, 'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/containerd/certs.d"\n')))),
    'containerd-sandbox-image-ignored': (
        E(lambda ev: (set_containerd_version(ev, '2.1.9'),
                      cfg(ev, 'version = 3\n[plugins."io.containerd.cri.v1.images"]\n  sandbox_image = "r.local/pause:3.10"\n'))),
        E(lambda ev: (set_containerd_version(ev, '2.1.9'),
                      cfg(ev, 'version = 3\n[plugins."io.containerd.cri.v1.images".pinned_images]\n  sandbox = "r.local/pause:3.10"\n')))),
    'containerd-config-version-mismatch': (
        E(lambda ev: cfg(ev, 'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/containerd/certs.d"\n')),
        E(lambda ev: (set_containerd_version(ev, '2.0.2'),
                      cfg(ev, 'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n'
                          '  config_path = "/etc/containerd/certs.d"\n[plugins."io.containerd.grpc.v1.cri"]\n'
                          '  stream_server_port = "0"\n')))),
    'containerd-config-tables-ignored': (
        # 2.x table names in a version 2 file on 1.x: loaded and ignored
        E(lambda ev: cfg(ev, V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'
                         '[plugins."io.containerd.cri.v1.images".pinned_images]\n  sandbox = "registry.k8s.io/pause:3.10"\n')),
        E(lambda ev: cfg(ev, V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'))),
    # ------------------------------------------------------------ certs.d / hosts.toml
    'hosts-toml-unparsable': (
        E(lambda ev: with_hosts(ev, CERTS, 'quay.io', 'server = "https://quay.io\n')),
        E(lambda ev: with_hosts(ev, CERTS, 'quay.io', 'server = "https://quay.io"\n'))),
    'hosts-toml-no-host-table': (
        E(lambda ev: with_hosts(ev, CERTS, 'quay.io', 'server = "http://10.0.0.5:5000"\n')),
        E(lambda ev: with_hosts(ev, CERTS, 'quay.io', 'server = "http://10.0.0.5:5000"\n'
                                '[host."http://10.0.0.5:5000"]\n  capabilities = ["pull", "resolve"]\n'))),
    'hosts-toml-url-invalid': (
        E(lambda ev: with_hosts(ev, CERTS, 'docker.io', 'server = "*"\n[host."http://10.0.0.5:5000"]\n  capabilities = ["pull"]\n')),
        E(lambda ev: with_hosts(ev, CERTS, 'docker.io', 'server = "https://registry-1.docker.io"\n'
                                '[host."http://10.0.0.5:5000"]\n  capabilities = ["pull"]\n'))),
    'hosts-toml-unknown-key': (
        E(lambda ev: with_hosts(ev, CERTS, 'quay.io', 'server = "https://quay.io"\n[host."https://m.example.com"]\n'
                                '  capabilities = ["pull"]\n  insecure = true\n')),
        E(lambda ev: with_hosts(ev, CERTS, 'quay.io', 'server = "https://quay.io"\n[host."https://m.example.com"]\n'
                                '  capabilities = ["pull"]\n  override_path = false\n  [host."https://m.example.com".header]\n'
                                '    X-Mirror = "1"\n'))),
    'hosts-toml-no-scheme': (
        E(lambda ev: with_hosts(ev, CERTS, 'quay.io', '[host."m.example.com:5000"]\n  capabilities = ["pull"]\n')),
        E(lambda ev: with_hosts(ev, CERTS, 'quay.io', '[host."http://m.example.com:5000"]\n  capabilities = ["pull"]\n'))),
    'hosts-toml-trailing-slash': (
        E(lambda ev: with_hosts(ev, CERTS, 'quay.io', '[host."https://m.example.com/"]\n  capabilities = ["pull"]\n')),
        E(lambda ev: with_hosts(ev, CERTS, 'quay.io', '[host."https://m.example.com"]\n  capabilities = ["pull"]\n'))),
    'hosts-toml-path-without-override': (
        E(lambda ev: with_hosts(ev, CERTS, 'quay.io', '[host."https://m.example.com/api/quay"]\n  capabilities = ["pull"]\n')),
        E(lambda ev: with_hosts(ev, CERTS, 'quay.io', '[host."https://m.example.com/api/quay"]\n  capabilities = ["pull"]\n'
                                '  override_path = true\n'))),
    'hosts-toml-relative-ca': (
        E(lambda ev: with_hosts(ev, CERTS, 'quay.io', '[host."https://m.example.com"]\n  ca = "ca.crt"\n')),
        E(lambda ev: with_hosts(ev, CERTS, 'quay.io', '[host."https://m.example.com"]\n  ca = ["/etc/ssl/m.crt"]\n'))),
    'hosts-toml-skip-verify': (
        E(lambda ev: with_hosts(ev, CERTS, 'quay.io', '[host."https://m.example.com"]\n  skip_verify = true\n')),
        E(lambda ev: with_hosts(ev, CERTS, 'quay.io', '[host."https://m.example.com"]\n  skip_verify = true\n'),
          {'registry_mirrors': {'quay.io': {'endpoints': ['https://m.example.com'], 'skip_verify': True}}})),
    'certs-d-dir-never-matches': (
        E(lambda ev: with_hosts(ev, CERTS, 'reg.example.com', 'server = "https://reg.example.com:5000"\n')),
        E(lambda ev: with_hosts(ev, CERTS, 'reg.example.com_5000_', 'server = "https://reg.example.com:5000"\n'))),
    'certs-d-symlink-loop': (
        E(lambda ev: (cfg(ev, V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'),
                      with_dir(ev, CERTS, [{'name': 'docker.io', 'type': 'symlink'}]),
                      loop_dir(ev, CERTS + '/docker.io'))),
        E(lambda ev: (cfg(ev, V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'),
                      with_dir(ev, CERTS, [{'name': 'docker.io', 'type': 'symlink'}]),
                      with_dir(ev, CERTS + '/docker.io', [])))),
    'certs-d-entry-not-directory': (
        E(lambda ev: (cfg(ev, V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'),
                      with_dir(ev, CERTS, [{'name': 'docker.io', 'type': 'file'}]))),
        E(lambda ev: (cfg(ev, V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'),
                      with_dir(ev, CERTS, [{'name': 'README', 'type': 'file'}, {'name': 'docker.io', 'type': 'dir'}]),
                      with_dir(ev, CERTS + '/docker.io', [])))),
    'certs-d-entry-dangling': (
        E(lambda ev: (cfg(ev, V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'),
                      with_dir(ev, CERTS, [{'name': 'docker.io', 'type': 'symlink'}]),
                      dangling_dir(ev, CERTS + '/docker.io'))),
        E(lambda ev: (cfg(ev, V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'),
                      with_dir(ev, CERTS, [{'name': 'docker.io', 'type': 'symlink'}]),
                      with_dir(ev, CERTS + '/docker.io', [])))),
    'containerd-config-path-relative': (
        E(lambda ev: cfg(ev, V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "certs.d"\n')),
        E(lambda ev: cfg(ev, V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'))),
    'certs-d-default-unsupported': (
        E(lambda ev: (set_containerd_version(ev, '1.6.16'),
                      with_hosts(ev, CERTS, '_default', '[host."https://m.example.com"]\n'))),
        E(lambda ev: (set_containerd_version(ev, '1.6.17'),
                      with_hosts(ev, CERTS, '_default', '[host."https://m.example.com"]\n')))),
    'sandbox-image-not-local': (
        E(None, {'local_registry': 'sealos.hub:5000'}),
        E(lambda ev: cfg(ev, V2_HEAD.replace('registry.k8s.io/pause:3.9', 'sealos.hub:5000/pause:3.9') +
                         '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'),
          {'local_registry': 'http://sealos.hub:5000'})),
    # ------------------------------------------------------------ k3s / rke2
    'k3s-wildcard-mirror-broken': (
        E(lambda ev: k3s(ev, 'v1.32.2+k3s1', 'mirrors:\n  "*":\n    endpoint:\n      - "https://m.example.com"\n')),
        E(lambda ev: k3s(ev, 'v1.32.3+k3s1', 'mirrors:\n  "*":\n    endpoint:\n      - "https://m.example.com"\n'))),
    'k3s-mirror-key-invalid': (
        E(lambda ev: k3s(ev, registries='mirrors:\n  https://docker.io/:\n    endpoint: ["https://m.example.com"]\n')),
        E(lambda ev: k3s(ev, registries='mirrors:\n  docker.io:\n    endpoint: ["https://m.example.com"]\n'))),
    'k3s-endpoint-no-scheme': (
        E(lambda ev: k3s(ev, registries='mirrors:\n  docker.io:\n    endpoint: ["m.example.com:5000"]\n')),
        E(lambda ev: k3s(ev, registries='mirrors:\n  docker.io:\n    endpoint: ["http://m.example.com:5000"]\n'))),
    'k3s-generated-certs-d-edited': (
        E(lambda ev: (k3s(ev), with_hosts(ev, K3S_CERTS, 'docker.io', 'server = "https://registry-1.docker.io"\n'))),
        E(lambda ev: (k3s(ev), with_hosts(ev, K3S_CERTS, 'docker.io', '# File generated by k3s. DO NOT EDIT.\n'
                                                                      'server = "https://registry-1.docker.io"\n')))),
    'k3s-registries-unparsable': (
        E(lambda ev: k3s(ev, registries='mirrors:\n  *:\n    endpoint: ["https://m.example.com"]\n')),
        E(lambda ev: k3s(ev, registries='mirrors:\n  "*":\n    endpoint: ["https://m.example.com"]\n'))),
    'k3s-config-unparsable': (
        E(lambda ev: (k3s(ev), with_file(ev, '/etc/rancher/k3s/config.yaml', 'docker: [true\n', 'k3s-config'))),
        E(lambda ev: (k3s(ev), with_file(ev, '/etc/rancher/k3s/config.yaml', 'write-kubeconfig-mode: "0644"\n', 'k3s-config')))),
    # ------------------------------------------------------------ containers-image / CRI-O
    'search-registries-effective': (
        E(),
        E(lambda ev: with_file(ev, REGCONF, 'short-name-mode = "permissive"\n', 'registries-conf'))),
    'search-registries-overridden': (
        E(lambda ev: (regconf(ev, '99-mine.conf', 'unqualified-search-registries = ["docker.io"]\n'),
                      regconf(ev, 'crio.conf', 'unqualified-search-registries = ["docker.io", "quay.io"]\n'))),
        E(lambda ev: (regconf(ev, 'crio.conf', 'unqualified-search-registries = ["docker.io", "quay.io"]\n'),
                      regconf(ef(ev), 'zz-mine.conf', 'unqualified-search-registries = ["docker.io"]\n')))),
    'search-registries-mismatch': (
        E(None, {'search_registries': ['docker.io', 'quay.io']}),
        E(None, {'search_registries': ['docker.io']})),
    'registries-conf-v1-format': (
        E(lambda ev: with_file(ev, REGCONF, '[registries.search]\nregistries = ["docker.io"]\n', 'registries-conf')),
        E()),
    'registries-conf-v1-dropin': (
        E(lambda ev: regconf(ev, '50-v1.conf', '[registries.search]\nregistries = ["docker.io"]\n')),
        E(lambda ev: regconf(ev, None, '[registries.search]\nregistries = ["docker.io"]\n'))),
    'registries-conf-mixed-versions': (
        E(lambda ev: with_file(ev, REGCONF, 'unqualified-search-registries = ["docker.io"]\n[registries.search]\n'
                               'registries = ["docker.io"]\n', 'registries-conf')),
        E(lambda ev: with_file(ev, REGCONF, '[registries.search]\nregistries = ["docker.io"]\n', 'registries-conf'))),
    'registries-conf-unparsable': (
        E(lambda ev: regconf(ev, '50-x.conf', 'unqualified-search-registries = ["docker.io"\n')),
        E(lambda ev: regconf(ev, '50-x.conf', 'unqualified-search-registries = ["docker.io"]\n'))),
    'registries-conf-dropin-ignored': (
        E(lambda ev: ev['dirs'][DROPIN]['entries'].append({'name': '10-dir.conf', 'type': 'dir'})),
        E(lambda ev: ev['dirs'][DROPIN]['entries'].append({'name': 'old', 'type': 'dir'}))),
    'short-name-ambiguous-enforcing': (
        E(lambda ev: (crio(ev, '1.34.1'), regconf(ev, 'crio.conf', 'unqualified-search-registries = ["docker.io", "quay.io"]\n'))),
        E(lambda ev: (crio(ev, '1.33.2'), regconf(ev, 'crio.conf', 'unqualified-search-registries = ["docker.io", "quay.io"]\n')))),
    'crio-config-unparsable': (
        E(lambda ev: (crio(ev), with_file(ev, '/etc/crio/crio.conf.d/10-x.conf', '[crio.image\n', 'crio-config'))),
        E(lambda ev: (crio(ev), with_file(ev, '/etc/crio/crio.conf.d/10-x.conf', '[crio.image]\nshort_name_mode = "disabled"\n',
                                          'crio-config')))),
    # ------------------------------------------------------------ crictl and other consumers
    'crictl-endpoint-missing': (
        E(lambda ev: (k3s(ev), crictl(ev, 'runtime-endpoint: unix:///run/containerd/containerd.sock\n'))),
        E(lambda ev: (k3s(ev), crictl(ev, 'runtime-endpoint: unix:///run/k3s/containerd/containerd.sock\n')))),
    'crictl-config-unreadable': (
        E(lambda ev: with_error(ev, CRICTL, 'is_directory', 'crictl-config')),
        E(lambda ev: crictl(ev, 'runtime-endpoint: unix:///run/containerd/containerd.sock\n'))),
    'unrendered-template': (
        E(lambda ev: with_hosts(ev, CERTS, 'docker.io', '[host."{{ mirror_url }}"]\n  capabilities = ["pull"]\n')),
        E(lambda ev: with_hosts(ev, CERTS, 'docker.io', '# rendered from {{ mirror_url }}\n[host."https://m.example.com"]\n'
                                '  capabilities = ["pull"]\n'))),
    # ------------------------------------------------------------ sockets
    'socket-world-accessible': (
        E(lambda ev: with_socket(ev, RUN_SOCK, mode='0666')),
        E(lambda ev: with_socket(ev, RUN_SOCK, mode='0660'))),
    'socket-group-mismatch': (
        E(lambda ev: with_socket(ev, RUN_SOCK, gid=0), {'socket_group': 997}),
        E(lambda ev: with_socket(ev, RUN_SOCK, gid=997), {'socket_group': '997'})),
    'var-run-not-run': (
        E(lambda ev: (ev.update(var_run={'type': 'dir', 'mode': '0755', 'target': None}),
                      with_socket(ev, '/var/run/containerd/containerd.sock', 'missing'))),
        E(lambda ev: ev.update(var_run={'type': 'dir', 'mode': '0755', 'target': None}))),
    'socket-selinux-label': (
        E(lambda ev: (ev.update(selinux={'mounted': True, 'enforce': '1'}),
                      with_socket(ev, RUN_SOCK, label='system_u:object_r:var_run_t:s0'))),
        E(lambda ev: (ev.update(selinux={'mounted': True, 'enforce': '1'}),
                      with_socket(ev, RUN_SOCK, label='system_u:object_r:container_var_run_t:s0')))),
    'socket-consumer-unordered': (
        E(lambda ev: with_unit(ev, 'spegel.service', After=['basic.target']), {'socket_consumers': ['spegel']}),
        E(lambda ev: (with_unit(ev, 'spegel.service', After=['basic.target', 'containerd.service'],
                                DropInPaths=['/etc/systemd/system/spegel.service.d/50-pullfix-runtime-socket.conf']),
                      with_file(ev, '/etc/systemd/system/spegel.service.d/50-pullfix-runtime-socket.conf',
                                'ExecStartPre=... [ ! -S /run/containerd/containerd.sock ] ...\n', 'socket-consumer')),
          {'socket_consumers': ['spegel']})),
    'socket-consumer-unit-missing': (
        E(lambda ev: ev['systemd'].setdefault('not_found', []).append('spegel.service'), {'socket_consumers': ['spegel']}),
        E(lambda ev: ev['systemd'].setdefault('not_found', []).append('spegel.service'), {'socket_consumers': []})),
    'socket-compat-link-missing': (
        E(k3s, {'socket_compat_link': True}),
        E(lambda ev: (k3s(ev), with_socket(ev, RUN_SOCK, kind='symlink', resolved_type='socket',
                                           target='/run/k3s/containerd/containerd.sock')),
          {'socket_compat_link': True})),
    # ------------------------------------------------------------ Sealos
    'shim-unit-unordered': (
        E(lambda ev: with_unit(ev, 'image-cri-shim.service', After=['network.target', 'basic.target'])),
        E(lambda ev: with_unit(ev, 'image-cri-shim.service', After=['network.target', 'containerd.service', 'registry.service']))),
    'shim-cri-socket-missing': (
        E(lambda ev: (shim(ev, cri='/var/run/containerd.sock'), with_socket(ev, '/var/run/containerd.sock', 'missing'))),
        E(shim)),
    'shim-config-missing': (
        E(lambda ev: (with_unit(ev, 'image-cri-shim.service'), ev['files'].update({SHIM_CFG: {
            'stat': {'type': 'missing'}, 'content': None, 'truncated': False,
            'error': {'kind': 'missing', 'message': 'No such file or directory'}, 'why': ['shim-config']}}))),
        E(lambda ev: (with_unit(ev, 'image-cri-shim.service'), shim(ev)))),
    'shim-unit-unparsable': (
        E(lambda ev: (with_unit(ev, 'image-cri-shim.service'),
                      with_file(ev, '/etc/systemd/system/image-cri-shim.service',
                                '[Unit]\nDescription=x\n[Service]\nRestartSec 10\n', 'unit-file'))),
        E(lambda ev: (with_unit(ev, 'image-cri-shim.service'),
                      with_file(ev, '/etc/systemd/system/image-cri-shim.service',
                                '# c\n[Unit]\nDescription=x\n[Service]\nExecStart=/bin/a \\\n  -f x\n', 'unit-file')))),
    'shim-config-unparsable': (
        E(lambda ev: with_file(ev, SHIM_CFG, 'shim: /var/run/image-cri-shim.sock\ncri: [\n', 'shim-config')),
        E(shim)),
    'kubeadm-image-repository-not-local': (
        E(lambda ev: (shim(ev), with_file(ev, '/etc/kubernetes/kubeadm.yaml',
                                          'apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\n---\n'
                                          'apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n'
                                          'imageRepository: registry.k8s.io\n', 'kubeadm-config'))),
        E(lambda ev: (shim(ev), with_file(ev, '/etc/kubernetes/kubeadm.yaml',
                                          'apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n'
                                          'imageRepository: sealos.hub:5000\n', 'kubeadm-config')))),
    'kubeadm-config-unparsable': (
        E(lambda ev: (shim(ev), with_file(ev, '/etc/kubernetes/kubeadm.yaml', 'kind: ClusterConfiguration\n  x: [\n',
                                          'kubeadm-config'))),
        E(lambda ev: with_file(ev, '/etc/kubernetes/kubeadm.yaml', 'kind: ClusterConfiguration\n', 'kubeadm-config'))),
    # ------------------------------------------------------------ evidence
    'evidence-read-error': (
        E(lambda ev: with_error(ev, '/etc/crio/crio.conf', 'permission_denied', 'crio-config')),
        E(lambda ev: with_error(ev, '/etc/crio/crio.conf', 'missing', 'crio-config'))),
    'evidence-truncated': (
        E(lambda ev: with_file(ev, '/etc/crio/crio.conf', '[crio]\n', 'crio-config', truncated=True)),
        E()),
}
CASES.update(EXPLAIN_CASES)  # routes, pull failures and proxies (explain_cases.py)


def ef(ev):
    return ev


def test_every_catalogue_id_has_cases():
    assert sorted(CASES) == sorted(set(CATALOGUE) - REPORT_ONLY)


@pytest.mark.parametrize('fid', sorted(CASES))
def test_positive(fid):
    ev, settings = CASES[fid][0]()
    result = run(ev, settings)
    assert fid in ids(result), result['findings']
    f = get(result, fid)
    assert f['severity'] == CATALOGUE[fid]['severity']
    assert f['remediation'] == CATALOGUE[fid]['remediation']
    assert f['category'] == CATALOGUE[fid]['category']
    assert f['evidence'] and f['explanation'] and f['fixed'] is False


@pytest.mark.parametrize('fid', sorted(CASES))
def test_negative(fid):
    ev, settings = CASES[fid][1]()
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
