# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Version facts as read at the upstream tags (cited in facts/), and the 2.x pull-path model.

Each test fails on the value the facts held before they were checked at the tags."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from pullfix_helpers import load, with_dir, with_hosts, set_containerd_version, run, ids, get
from test_pullfix_diagnose import cfg, CERTS

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix import parse
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts import containerd as facts
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts import containers_image as cifacts
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts import shim as shimfacts

CORPUS = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'corpus')
COLON = '/etc/containerd/certs.d:/etc/docker/certs.d'
MIRROR = '[host."http://127.0.0.1:5000"]\n  capabilities = ["pull", "resolve"]\n'
V3_NO_PATH = 'version = 3\n[plugins."io.containerd.cri.v1.images".pinned_images]\n  sandbox = "registry.k8s.io/pause:3.10"\n'


def v(text):
    return tuple(int(x) for x in text.split('.'))


def corpus(*parts):
    with open(os.path.join(CORPUS, *parts)) as f:
        return f.read()


def eks_al2023():
    """The config nodeadm writes on EKS AL2023 (containerd 2.x), from the corpus."""
    return corpus('containerd-config', 'eks-al2023-nodeadm-template-v3.toml')


def node(version, config, mirror=True):
    ev = load()
    set_containerd_version(ev, version)
    cfg(ev, config)
    with_dir(ev, CERTS, ['docker.io'])
    if mirror:
        with_hosts(ev, CERTS, 'docker.io', MIRROR)
    return ev


def docker_io_route(ev):
    r = run(ev, {'explain_images': ['docker.io/library/busybox:1.36']})
    return [ep['url'] for ep in r['routes'][0]['endpoints']], r


def images(text):
    return facts.effective_images_config([parse.load_toml(text)[0]])


# ---------------------------------------------------------------- pause image per release

@pytest.mark.parametrize('version, image', [
    ('1.6.0', 'k8s.gcr.io/pause:3.6'), ('1.6.8', 'k8s.gcr.io/pause:3.6'),
    ('1.6.9', 'registry.k8s.io/pause:3.6'), ('1.6.20', 'registry.k8s.io/pause:3.6'),
    ('1.6.39', 'registry.k8s.io/pause:3.6'), ('1.7.0', 'registry.k8s.io/pause:3.8'),
    ('1.7.24', 'registry.k8s.io/pause:3.8'), ('2.0.0', 'registry.k8s.io/pause:3.10'),
    ('2.1.9', 'registry.k8s.io/pause:3.10'), ('2.2.0', 'registry.k8s.io/pause:3.10.1'),
    ('2.2.7', 'registry.k8s.io/pause:3.10.1'), ('2.3.0', 'registry.k8s.io/pause:3.10.2'),
    ('2.3.4', 'registry.k8s.io/pause:3.10.2')])
def test_default_pause_per_release(version, image):
    assert facts.default_pause(v(version)) == image


def test_doctor_names_the_1_6_default_pause_image():
    # containerd 1.6.20 without sandbox_image: `containerd config default` says pause:3.6, not 3.8
    ev = node('1.6.20', 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n'
                        '  config_path = "/etc/containerd/certs.d"\n')
    f = get(run(ev, {'local_registry': 'sealos.hub:5000'}), 'sandbox-image-not-local')
    assert 'registry.k8s.io/pause:3.6' in f['explanation'] and 'pause:3.8' not in f['explanation']


def test_doctor_names_the_2_2_default_pause_image():
    ev = node('2.2.1', 'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n'
                       '  config_path = "/etc/containerd/certs.d"\n')
    f = get(run(ev, {'local_registry': 'sealos.hub:5000'}), 'sandbox-image-not-local')
    assert 'registry.k8s.io/pause:3.10.1' in f['explanation']


# ---------------------------------------------------------------- default config_path

@pytest.mark.parametrize('version, want', [
    ('1.6.20', ''), ('1.7.24', ''), ('2.0.0', ''), ('2.1.9', ''), ('2.2.0', COLON), ('2.2.2', COLON), ('2.3.4', COLON)])
def test_default_config_path_is_the_colon_list_from_2_2(version, want):
    assert facts.default_config_path(v(version)) == want


@pytest.mark.parametrize('version, config_path, config_version, mirrors, want', [
    ('2.2.0', None, 3, False, COLON),
    ('2.2.0', '', 3, False, ''),          # an explicit "" in a version 3 file stays empty on 2.2.0/2.2.1
    ('2.2.1', '', 2, False, COLON),       # ... but a migrated version 2 file gets the default
    ('2.2.2', '', 3, False, COLON),       # 2.2.2+ fills it in at plugin init whenever it is empty
    ('2.2.2', None, 3, True, ''),         # ... unless mirrors are set
    ('2.3.0', '/x', 3, False, '/x'),
    ('2.1.9', None, 3, False, ''),
])
def test_effective_config_path(version, config_path, config_version, mirrors, want):
    assert facts.effective_config_path(v(version), config_path, config_version, mirrors) == want


# ---------------------------------------------------------------- the pull path

def test_pull_path_2_0_is_always_local():
    for cfg_text in ('version = 3\n', eks_al2023()):
        assert facts.pull_path((2, 0, 0), images(cfg_text))[0] == 'local'
        assert facts.pull_path((2, 0, 11), images(cfg_text))[0] == 'local'


def test_pull_path_2_1_defaults_to_the_transfer_service():
    path, why = facts.pull_path((2, 1, 9), images('version = 3\n'))
    assert path == 'transfer' and 'use_local_image_pull = true' in why
    assert not facts.splits_config_path(path)
    assert facts.config_path_roots(path, COLON) == [COLON]


def test_pull_path_eks_al2023_is_local_because_of_discard_unpacked_layers():
    path, why = facts.pull_path((2, 1, 9), images(eks_al2023()))
    assert path == 'local' and "Found 'DiscardUnpackedLayers'" in why and 'discard_unpacked_layers = true' in why
    assert facts.config_path_roots(path, COLON) == ['/etc/containerd/certs.d', '/etc/docker/certs.d']


@pytest.mark.parametrize('table, trigger', [
    ('use_local_image_pull = true', None),
    ('disable_snapshot_annotations = false', 'DisableSnapshotAnnotations'),
    ('max_concurrent_downloads = 5', 'MaxConcurrentDownloads'),
    ('image_pull_with_sync_fs = true', 'ImagePullWithSyncFs'),
    ('[plugins."io.containerd.cri.v1.images".registry.configs."r.example.com".auth]\n  username = "u"',
     'Registry.Configs'),
])
def test_settings_that_force_the_local_pull_path(table, trigger):
    text = 'version = 3\n[plugins."io.containerd.cri.v1.images"]\n  ' + table + '\n'
    assert facts.pull_path((2, 1, 9), images(text))[0] == 'local'
    hit = facts.local_pull_trigger((2, 1, 9), images(text))
    assert (hit[0] if hit else None) == trigger


def test_default_values_keep_the_transfer_service():
    text = ('version = 3\n[plugins."io.containerd.cri.v1.images"]\n  max_concurrent_downloads = 3\n'
            '  disable_snapshot_annotations = true\n  discard_unpacked_layers = false\n')
    assert facts.pull_path((2, 2, 0), images(text))[0] == 'transfer'


def test_migrated_version_2_file_carries_discard_but_not_use_local_image_pull():
    discard = 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  discard_unpacked_layers = true\n'
    assert facts.pull_path((2, 1, 9), images(discard))[0] == 'local'
    # migrateConfig does not carry use_local_image_pull from the 1.x table
    local = 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  use_local_image_pull = true\n'
    assert facts.pull_path((2, 1, 9), images(local))[0] == 'transfer'


def test_pull_path_from_the_runtime_log():
    line = ("level=warning msg=\"Found 'DiscardUnpackedLayers' in CRI config which is incompatible with transfer "
            "service (not supported with transfer service). Falling back to local image pull mode.\"")
    assert facts.pull_path_from_log(['other', line]) == ('local', line)
    assert facts.pull_path_from_log(['level=info msg="loading plugin"']) is None


# ---------------------------------------------------------------- the doctor on the pull path

def test_eks_al2023_layout_draws_no_config_path_error_and_routes_through_the_mirror():
    ev = node('2.1.9', eks_al2023())
    urls, r = docker_io_route(ev)
    assert 'containerd-config-path-list' not in ids(r)
    assert 'containerd-config-path-unset' not in ids(r)
    assert urls[0] == 'http://127.0.0.1:5000/v2'


def test_same_file_without_discard_unpacked_layers_ignores_the_mirror():
    text = eks_al2023().replace('discard_unpacked_layers = true\n', '')
    ev = node('2.1.9', text)
    urls, r = docker_io_route(ev)
    f = get(r, 'containerd-config-path-list')
    assert f['severity'] == 'error'
    assert 'transfer service' in f['explanation'] and 'use_local_image_pull = true' in f['explanation']
    assert urls == ['https://registry-1.docker.io/v2']


def test_use_local_image_pull_keeps_the_colon_list():
    text = eks_al2023().replace('discard_unpacked_layers = true', 'use_local_image_pull = true')
    assert 'containerd-config-path-list' not in ids(run(node('2.1.9', text)))


def test_2_0_splits_the_colon_list():
    text = eks_al2023().replace('discard_unpacked_layers = true\n', '')
    urls, r = docker_io_route(node('2.0.0', text))
    assert 'containerd-config-path-list' not in ids(r) and urls[0] == 'http://127.0.0.1:5000/v2'


def test_2_2_without_config_path_ignores_certs_d_on_the_transfer_path():
    ev = node('2.2.2', V3_NO_PATH)
    urls, r = docker_io_route(ev)
    f = get(r, 'containerd-config-path-unset')
    assert f['severity'] == 'error'
    assert COLON in f['explanation'] and 'transfer service' in f['explanation']
    assert urls == ['https://registry-1.docker.io/v2']


def test_2_2_without_config_path_on_the_local_path_reads_certs_d():
    ev = node('2.2.2', V3_NO_PATH + '[plugins."io.containerd.cri.v1.images"]\n  discard_unpacked_layers = true\n')
    urls, r = docker_io_route(ev)
    assert 'containerd-config-path-unset' not in ids(r)
    assert urls[0] == 'http://127.0.0.1:5000/v2'


def test_2_1_without_config_path_names_the_pull_path():
    f = get(run(node('2.1.9', V3_NO_PATH)), 'containerd-config-path-unset')
    assert 'transfer service' in f['explanation']


# ---------------------------------------------------------------- 2.2.0 / 2.2.1 refuse mirrors without config_path

@pytest.mark.parametrize('version, refused', [('2.1.9', False), ('2.2.0', True), ('2.2.1', True), ('2.2.2', False)])
def test_mirrors_without_config_path_refused_only_by_2_2_0_and_2_2_1(version, refused):
    text = ('version = 3\n[plugins."io.containerd.cri.v1.images".registry.mirrors."docker.io"]\n'
            '  endpoint = ["http://127.0.0.1:5000"]\n')
    data = parse.load_toml(text)[0]
    assert bool(facts.cri_load_refusals(data, v(version))) is refused
    r = run(node(version, text, mirror=False))
    assert ('containerd-mirrors-with-config-path' in ids(r)) is refused


# ---------------------------------------------------------------- hosts.toml

@pytest.mark.parametrize('version, used', [('2.1.9', False), ('2.2.0', True), ('2.3.4', True)])
def test_referrers_capability_since_2_2(version, used):
    ev = node(version, 'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n'
                       '  config_path = "/etc/containerd/certs.d"\n', mirror=False)
    with_hosts(ev, CERTS, 'docker.io', '[host."http://127.0.0.1:5000"]\n  capabilities = ["pull", "resolve", "referrers"]\n')
    urls, r = docker_io_route(ev)
    assert (urls[0] == 'http://127.0.0.1:5000/v2') is used
    assert ('referrers' in facts.capabilities(v(version))) is used


@pytest.mark.parametrize('version, known', [('1.7.24', False), ('2.0.6', False), ('2.0.7', True), ('2.1.0', True)])
def test_dial_timeout_known_from_2_0_7_and_2_1_0(version, known):
    assert facts.knows_dial_timeout(v(version)) is known
    head = ('version = 3\n' if version >= '2' else 'version = 2\n') + \
        '[plugins."%s".registry]\n  config_path = "/etc/containerd/certs.d"\n' % (
            facts.IMAGES_V3 if version >= '2' else facts.CRI_V2)
    ev = node(version, head, mirror=False)
    with_hosts(ev, CERTS, 'docker.io', '[host."http://127.0.0.1:5000"]\n  dial_timeout = "3s"\n')
    assert ('hosts-toml-unknown-key' in ids(run(ev))) is not known


@pytest.mark.parametrize('version, port, first', [
    ('1.6.24', '5000', False), ('1.6.25', '5000', True), ('1.6.25', '', False),
    ('1.7.6', '5000', False), ('1.7.7', '', True), ('1.7.7', '80', True), ('1.7.8', '', False),
    ('1.7.8', '5000', True), ('1.7.24', '80', False), ('2.0.0', '', True), ('2.1.9', '80', False)])
def test_https_first_fallback_per_release_and_port(version, port, first):
    assert facts.http_tls_fallback(v(version), port) is first


@pytest.mark.parametrize('version, registry, want', [
    ('1.6.24', 'localhost:5000', ('http', False)), ('1.6.25', 'localhost:5000', ('http', True)),
    ('1.6.25', 'localhost', ('https', False)), ('1.7.7', 'localhost', ('http', True)),
    ('1.7.8', 'localhost', ('https', False)), ('2.1.9', '127.0.0.1:80', ('http', False))])
def test_loopback_implicit_upstream_per_release(version, registry, want):
    scheme, _host, first, _why = facts.implicit_upstream(registry, v(version))
    assert (scheme, first) == want


# ---------------------------------------------------------------- configs.tls on 2.x

def test_configs_tls_ignored_on_2_x_without_config_path():
    text = ('version = 3\n[plugins."io.containerd.cri.v1.images".registry.configs."r.example.com".tls]\n'
            '  ca_file = "/etc/ssl/r.crt"\n')
    f = get(run(node('2.1.9', text, mirror=False)), 'containerd-configs-tls-ignored')
    assert '2.0 removed' in f['explanation']
    assert facts.configs_tls_ignored((2, 0, 0), '') and not facts.configs_tls_ignored((1, 7, 24), '')


# ---------------------------------------------------------------- imports

@pytest.mark.parametrize('version, joined', [
    ('1.6.28', False), ('1.6.29', True), ('1.7.15', False), ('1.7.16', True), ('2.0.0', True)])
def test_relative_import_glob_joined_per_release(version, joined):
    assert facts.relative_glob_joined(v(version)) is joined


# ---------------------------------------------------------------- CRI-O short_name_mode

@pytest.mark.parametrize('mode, want', [('enforcing', 'enforcing'), ('disabled', 'disabled'), ('permissive', None)])
def test_crio_accepts_only_enforcing_or_disabled(mode, want):
    got, why = cifacts.crio_resolves_with((1, 34, 0), mode)
    assert got == want
    if want is None:
        assert 'invalid short name mode' in why


# ---------------------------------------------------------------- kubeadm images

@pytest.mark.parametrize('version, etcd, coredns, pause', [
    ('v1.27.16', '3.5.12-0', 'v1.10.1', '3.9'),   # was 3.5.10-0: the 1.27.12 bump was missing
    ('v1.28.15', '3.5.15-0', 'v1.10.1', '3.9'),
    ('v1.29.10', '3.5.15-0', 'v1.11.1', '3.9'),
    ('v1.30.6', '3.5.15-0', 'v1.11.3', '3.9'),    # CoreDNS raised in 1.30.5
    ('v1.31.0', '3.5.15-0', 'v1.11.1', '3.10'),   # 1.31 was not recorded at all
    ('v1.31.2', '3.5.15-0', 'v1.11.3', '3.10'),
])
def test_kubeadm_images_at_the_tags(version, etcd, coredns, pause):
    imgs = shimfacts.kubeadm_images(version)
    assert 'registry.k8s.io/etcd:%s' % etcd in imgs
    assert 'registry.k8s.io/coredns/coredns:%s' % coredns in imgs
    assert 'registry.k8s.io/pause:%s' % pause in imgs


def test_a_missing_second_root_of_a_split_list_is_no_finding():
    # the stock EKS AL2023 node has no /etc/docker/certs.d: containerd skips that root
    ev = node('2.1.9', eks_al2023())
    with_dir(ev, '/etc/docker/certs.d', [], kind='missing')
    found = ids(run(ev))
    assert 'containerd-config-path-missing' not in found and 'containerd-config-path-not-directory' not in found
    # with neither root there, nothing is read: that is worth the warning, naming the pull path
    ev['files'].pop(CERTS + '/docker.io/hosts.toml', None)
    ev['dirs'].pop(CERTS + '/docker.io', None)
    with_dir(ev, CERTS, [], kind='missing')
    f = get(run(ev), 'containerd-config-path-missing')
    assert 'local pull path' in f['explanation']
