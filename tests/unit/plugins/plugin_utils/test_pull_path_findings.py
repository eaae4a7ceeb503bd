# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The pull-path findings (checks/pulls): what they say beyond their positive and near-miss cases."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from pullfix_helpers import get, ids, load, run, set_containerd_version, with_file, with_process

CFG = '/etc/containerd/config.toml'


def _explain(f):
    return ' '.join(f['explanation']) if isinstance(f['explanation'], list) else f['explanation']


def test_spegel_finding_says_turning_discard_off_switches_the_pull_path():
    ev = load()
    set_containerd_version(ev, '2.1.9')
    with_file(ev, CFG, 'version = 3\n[plugins."io.containerd.cri.v1.images"]\n  discard_unpacked_layers = true\n', 'containerd-config')
    with_process(ev, 'spegel', ['/app/spegel'], pid=2001)
    f = get(run(ev), 'containerd-discards-layers-for-spegel')
    assert 'from the local pull path to the transfer one' in _explain(f)
    assert any(e.startswith(CFG + ':3') for e in f['evidence'])


def test_discard_without_spegel_is_not_reported():
    ev = load()
    set_containerd_version(ev, '2.1.9')
    with_file(ev, CFG, 'version = 3\n[plugins."io.containerd.cri.v1.images"]\n  discard_unpacked_layers = true\n', 'containerd-config')
    assert 'containerd-discards-layers-for-spegel' not in ids(run(ev))


def test_spegel_named_as_a_socket_consumer_counts():
    ev = load()
    set_containerd_version(ev, '1.7.24')
    with_file(ev, CFG, 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  discard_unpacked_layers = true\n',
              'containerd-config')
    f = get(run(ev, {'socket_consumers': ['spegel.service']}), 'containerd-discards-layers-for-spegel')
    assert 'pull path' not in _explain(f)  # 1.7 has one pull path


def test_a_mirror_refusing_a_pull_is_caused_by_its_missing_credentials():
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose.checks.routes.pull_failures import example_verify
    from pullfix_helpers import with_hosts
    ev = load()
    with_file(ev, CFG, 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'
              '[plugins."io.containerd.grpc.v1.cri".registry.configs."docker.io".auth]\n  username = "u"\n  password = "pw-SECRET-9"\n',
              'containerd-config')
    with_hosts(ev, '/etc/containerd/certs.d', 'docker.io',
               'server = "https://registry-1.docker.io"\n[host."https://mirror.example.com"]\n  capabilities = ["pull", "resolve"]\n')
    img = 'docker.io/library/nginx:1.27'
    msg = ('failed to pull and unpack image "%s": failed to resolve reference "%s": unexpected status from HEAD request to '
           'https://mirror.example.com/v2/library/nginx/manifests/1.27?ns=docker.io: 403 Forbidden' % (img, img))
    result = run(ev, {'verify_images': [img], '_verify': example_verify(img, msg)})
    assert get(result, 'pull-unauthorized')['caused_by'] == 'containerd-mirror-credentials-missing'
    f = get(result, 'containerd-mirror-credentials-missing')
    assert f['severity'] == 'warning'
    assert 'pullfix_registry_mirrors.docker.io.headers' in _explain(f)
    assert 'pw-SECRET-9' not in repr(result)


def test_credentials_under_the_version_2_id_in_a_version_3_file_are_lost():
    ev = load()
    set_containerd_version(ev, '2.1.9')
    with_file(ev, CFG, 'version = 3\n[plugins."io.containerd.grpc.v1.cri".registry.configs."registry.example.org".auth]\n'
              '  username = "u"\n  password = "pw-SECRET-8"\n', 'containerd-config')
    result = run(ev)
    f = get(result, 'containerd-registry-auth-ignored')
    assert f['evidence'][0].startswith(CFG + ':2')
    assert 'io.containerd.cri.v1.images' in _explain(f)
    assert 'pw-SECRET-8' not in repr(result)


def test_unknown_authority_after_a_trust_store_change_is_caused_by_it():
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose.checks.routes.pull_failures import example_verify
    ev = load()
    start = 1777539600.0
    ev['trust_store'] = {'files': {'/etc/ssl/certs/ca-certificates.crt': start + 60}, 'dirs': {},
                         'runtimes': [{'pid': 812, 'name': 'containerd', 'started_at': start, 'env': {}}]}
    img = 'registry.example.org/app:1'
    msg = ('failed to pull and unpack image "%s": failed to resolve reference "%s": failed to do request: Head '
           '"https://registry.example.org/v2/app/manifests/1": tls: failed to verify certificate: x509: certificate signed by '
           'unknown authority' % (img, img))
    result = run(ev, {'verify_images': [img], '_verify': example_verify(img, msg)})
    assert get(result, 'pull-tls-unknown-authority')['caused_by'] == 'trust-store-changed-after-runtime-start'
    f = get(result, 'trust-store-changed-after-runtime-start')
    assert f['severity'] == 'warning' and 'systemctl restart containerd' in _explain(f)


def test_ssl_cert_file_of_the_runtime_decides_which_bundle_counts():
    ev = load()
    start = 1777539600.0
    ev['trust_store'] = {'files': {'/etc/ssl/certs/ca-certificates.crt': start + 60}, 'dirs': {},
                         'runtimes': [{'pid': 812, 'name': 'containerd', 'started_at': start,
                                       'env': {'SSL_CERT_FILE': '/opt/ca.pem', 'SSL_CERT_DIR': '/opt/certs'}}]}
    assert 'trust-store-changed-after-runtime-start' not in ids(run(ev))


def test_a_declared_mirror_header_is_left_to_containerd_registry():
    from pullfix_helpers import with_hosts
    ev = load()
    with_file(ev, CFG, 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'
              '[plugins."io.containerd.grpc.v1.cri".registry.configs."docker.io".auth]\n  username = "u"\n  password = "p"\n',
              'containerd-config')
    with_hosts(ev, '/etc/containerd/certs.d', 'docker.io',
               'server = "https://registry-1.docker.io"\n[host."https://mirror.example.com"]\n  capabilities = ["pull", "resolve"]\n')
    settings = {'registry_mirrors': {'docker.io': {'endpoints': ['https://mirror.example.com'],
                                                   'headers': {'Authorization': 'Basic dTpw'}}}}
    f = get(run(ev, settings), 'containerd-mirror-credentials-missing')
    assert f['remediation'] == 'kubenode.pullfix.containerd_registry' and not f.get('next_step')
