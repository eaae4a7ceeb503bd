# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The rules the CRI plugin applies at load, which `containerd config dump` does not check."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import tomllib

import pytest

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts.containerd import cri_load_refusals

V2 = 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n'
V3 = 'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n'
MIRRORS2 = '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n  endpoint = ["https://m"]\n'
MIRRORS3 = '[plugins."io.containerd.cri.v1.images".registry.mirrors."docker.io"]\n  endpoint = ["https://m"]\n'
TLS2 = '[plugins."io.containerd.grpc.v1.cri".registry.configs."m".tls]\n  ca_file = "/ca.pem"\n'
TLS3 = '[plugins."io.containerd.cri.v1.images".registry.configs."m".tls]\n  ca_file = "/ca.pem"\n'


@pytest.mark.parametrize('text,version,words', [
    (V2 + '  config_path = "/etc/containerd/certs.d"\n' + MIRRORS2, (1, 7, 24), '`mirrors` cannot be set'),
    (V3 + '  config_path = "/etc/containerd/certs.d"\n' + MIRRORS3, (2, 1, 9), '`mirrors` cannot be set'),
    (V3 + MIRRORS3, (2, 2, 0), 'default config_path of containerd 2.2.0'),
    (V2 + '  config_path = "/etc/containerd/certs.d"\n' + TLS2, (1, 6, 20), '`configs.tls` cannot be set'),
    ('version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n', (1, 7, 24), 'removes the CRI plugin'),
    ('version = 2\ndisabled_plugins = "cri"\n', (1, 7, 24), 'not an array'),
])
def test_refused(text, version, words):
    reasons = cri_load_refusals(tomllib.loads(text), version)
    assert any(words in r for r in reasons), reasons


@pytest.mark.parametrize('text,version', [
    (V2 + '  config_path = "/etc/containerd/certs.d"\n', (1, 6, 20)),
    (V2 + MIRRORS2, (1, 7, 24)),                                           # deprecated, still loads
    (V3 + MIRRORS3, (2, 1, 9)),                                            # mirrors without config_path
    (V3 + MIRRORS3, (2, 2, 2)),                                            # fixed in 2.2.2
    (V3 + '  config_path = "/etc/containerd/certs.d"\n' + TLS3, (2, 1, 9)),  # 2.x ignores configs.tls
])
def test_accepted(text, version):
    assert cri_load_refusals(tomllib.loads(text), version) == []


def _ev(config):
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.evidence import Evidence
    files = {}
    if config is not None:
        files['/etc/containerd/config.toml'] = {'stat': {'type': 'file'}, 'content': config, 'truncated': False,
                                                'error': None, 'why': ['containerd-config']}
    return Evidence({'files': files, 'processes': [], 'sockets': {}, 'dirs': {}})


@pytest.mark.parametrize('config,socket', [
    (None, '/run/containerd/containerd.sock'),
    ('version = 2\n', '/run/containerd/containerd.sock'),
    ('version = 2\n[grpc]\n  address = "/run/custom/containerd.sock"\n', '/run/custom/containerd.sock'),
    ('version = 2\n[grpc\n', '/run/containerd/containerd.sock'),     # unparsable: the default
])
def test_containerd_socket_to_wait_for_is_its_own(config, socket):
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts.containerd import socket_of
    assert socket_of(_ev(config)) == socket
