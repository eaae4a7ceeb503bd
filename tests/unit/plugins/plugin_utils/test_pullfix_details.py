# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Evidence lines (file:line), redaction, runtime detection and parsing helpers."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from pullfix_helpers import (without_kubelet, load, set_containerd_version, with_file, with_hosts, with_socket, with_process, without_process, with_version,
                             probe_ok, run, ids, get)
from test_pullfix_diagnose import k3s, shim, crio, kubelet_endpoint, cfg, regconf, V2_HEAD, CERTS, SHIM_SOCK

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix import parse
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.evidence import (
    image_registry, parse_version, redact_line, endpoint_path, distro_version)


# ---------------------------------------------------------------- evidence lines

def test_cri_disabled_cites_file_and_line():
    ev = load()
    cfg(ev, '# Docker package default\n\ndisabled_plugins = ["cri"]\n')
    f = get(run(ev), 'containerd-cri-disabled')
    assert f['evidence'] == ['/etc/containerd/config.toml:3 disabled_plugins = ["cri"]']


def test_toml_error_line():
    ev = load()
    cfg(ev, 'version = 2\n\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = /etc\n')
    f = get(run(ev), 'containerd-config-unparsable')
    assert f['evidence'] == ['/etc/containerd/config.toml:4 config_path = /etc']


def test_mirrors_with_config_path_lines():
    ev = load()
    cfg(ev, V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'
        '  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n    endpoint = ["https://m"]\n')
    f = get(run(ev), 'containerd-mirrors-with-config-path')
    assert f['evidence'] == [
        '/etc/containerd/config.toml:6 config_path = "/etc/containerd/certs.d"',
        '/etc/containerd/config.toml:7 [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]']
    assert '`mirrors` cannot be set when `config_path` is provided' in f['explanation']
    assert 'containerd-deprecated-mirrors' not in ids(run(ev))


MIRRORS_EMPTY_CP = ('version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = ""\n'
                    '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n  endpoint = ["https://m"]\n')


@pytest.mark.parametrize('version, conflict', [
    ('1.6.20', False), ('1.7.24', False), ('2.0.2', False), ('2.1.9', False),
    # 2.2.0/2.2.1 turn config_path = "" of a migrated version 2 file into the default (commit 5386802f8)
    ('2.2.0', True), ('2.2.1', True), ('2.2.2', False)])
def test_mirrors_with_empty_config_path_per_version(version, conflict):
    ev = load()
    set_containerd_version(ev, version)
    cfg(ev, MIRRORS_EMPTY_CP)
    found = ids(run(ev))
    assert ('containerd-mirrors-with-config-path' in found) is conflict
    assert ('containerd-deprecated-mirrors' in found) is not conflict


def test_yaml_line_for_k3s_wildcard():
    ev = load()
    k3s(ev, 'v1.31.6+k3s1', '# mirrors\nmirrors:\n  "*":\n    endpoint:\n      - "https://m.example.com"\n')
    r = run(ev)
    assert r['runtime']['name'] == 'k3s' and r['runtime']['version'] == 'v1.31.6+k3s1'
    f = get(r, 'k3s-wildcard-mirror-broken')
    assert f['evidence'][0] == '/etc/rancher/k3s/registries.yaml:3 "*":'


def test_rke2_wildcard_version():
    ev = load()
    k3s(ev)
    without_process(ev, 'k3s')
    ev['versions'].pop('k3s')
    with_process(ev, 'rke2', ['/usr/local/bin/rke2', 'server'])
    with_version(ev, 'rke2', 'rke2 version v1.32.2+rke2r1 (abc)\ngo version go1.23.6')
    with_file(ev, '/etc/rancher/rke2/registries.yaml', 'mirrors:\n  "*":\n    endpoint: ["https://m"]\n', 'rke2-registries')
    r = run(ev)
    assert r['runtime']['name'] == 'rke2' and r['runtime']['version'] == 'v1.32.2+rke2r1'
    assert 'k3s-wildcard-mirror-broken' in ids(r)


# ---------------------------------------------------------------- redaction

def test_header_and_auth_values_are_redacted():
    ev = load()
    with_hosts(ev, CERTS, 'quay.io', '[host."https://m.example.com"]\n  skip_verify = true\n  bogus = 1\n'
                                     '  [host."https://m.example.com".header]\n    Authorization = "Basic c2VjcmV0"\n'
                                     '    X-Tenant = "tenant-secret-id"\n')
    k3s_text = ('mirrors:\n  https://docker.io:\n    endpoint: ["https://user:hunter2@m.example.com"]\n'
                'configs:\n  m.example.com:\n    auth:\n      username: bob\n      password: hunter2\n')
    with_file(ev, '/etc/rancher/k3s/registries.yaml', k3s_text, 'k3s-registries')
    blob = json.dumps(run(ev))
    assert 'c2VjcmV0' not in blob and 'hunter2' not in blob and 'tenant-secret-id' not in blob


def test_redact_line():
    assert redact_line('Authorization = "Basic abc"') == 'Authorization = <redacted>'
    assert redact_line('  password: hunter2') == '  password: <redacted>'
    assert redact_line('X-Tenant = "id"', secret_context=True) == 'X-Tenant = <redacted>'
    assert redact_line('endpoint = ["https://u:p@h"]') == 'endpoint = ["https://u:<redacted>@h"]'
    assert redact_line('server = "https://h"') == 'server = "https://h"'
    assert redact_line('auth:') == 'auth:'


def test_unparsable_yaml_does_not_leak_line_content():
    ev = load()
    with_file(ev, '/etc/image-cri-shim.yaml', 'auth: admin:s3cret: x\n', 'shim-config')
    f = get(run(ev), 'shim-config-unparsable')
    assert 's3cret' not in json.dumps(f)
    assert f['evidence'][0].startswith('/etc/image-cri-shim.yaml:1 ')


# ---------------------------------------------------------------- runtime detection

def test_settings_runtime_wins():
    r = run(load(), {'runtime': 'crio'})
    assert r['runtime']['name'] == 'crio' and r['runtime']['source'] == 'settings.runtime'


def test_crio_detected_from_probe():
    ev = load()
    crio(ev, '1.34.1')
    r = run(ev)
    assert r['runtime']['name'] == 'crio' and r['runtime']['version'] == '1.34.1'
    assert r['runtime']['endpoint'] == 'unix:///var/run/crio/crio.sock'


def test_shim_as_image_endpoint_keeps_containerd():
    ev = load()
    shim(ev)
    kubelet_endpoint(ev, 'unix:///run/containerd/containerd.sock', 'unix://' + SHIM_SOCK)
    r = run(ev)
    assert r['runtime']['name'] == 'containerd'
    assert r['runtime']['image_endpoint'] == 'unix://' + SHIM_SOCK
    assert 'cri-endpoint-image-only' not in ids(r)


def test_shim_as_runtime_endpoint_falls_back_to_processes():
    ev = load()
    shim(ev)
    kubelet_endpoint(ev, 'unix://' + SHIM_SOCK)
    r = run(ev)
    assert r['runtime']['name'] == 'containerd' and r['runtime']['source'] == 'process containerd'
    f = get(r, 'cri-endpoint-image-only')
    assert any('unimplemented' in line for line in f['evidence'])


def test_kubelet_flag_beats_config():
    ev = load()
    ev['processes'][1]['cmdline'].append('--container-runtime-endpoint=unix:///var/run/crio/crio.sock')
    r = run(ev)
    assert r['runtime']['endpoint'] == 'unix:///var/run/crio/crio.sock'
    assert 'cri-endpoint-missing' in ids(r)


def test_kubeadm_flags_env_when_kubelet_not_running():
    ev = load()
    without_process(ev, 'kubelet')
    with_file(ev, '/var/lib/kubelet/kubeadm-flags.env',
              'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/cri-dockerd.sock"\n', 'kubelet-config')
    with_socket(ev, '/var/run/cri-dockerd.sock', runtime_probe=probe_ok('docker', '24.0.7'))
    with_process(ev, 'dockerd')
    with_process(ev, 'cri-dockerd')
    r = run(ev)
    assert r['runtime']['name'] == 'docker' and r['runtime']['version'] == '24.0.7'
    assert 'cri-dockerd-without-docker' not in ids(r)
    # A Docker Engine node kubelet runs on: containerd's socket next to cri-dockerd's is normal
    # there; only kubeadm run again without criSocket would stop (a warning, not an error).
    assert 'multiple-cri-endpoints' not in ids(r)
    assert get(r, 'multiple-cri-endpoints-kubelet-set')['severity'] == 'warning'


def test_processes_order_without_kubelet():
    ev = load()
    without_process(ev, 'kubelet')
    for p in list(ev['files']):
        if 'kubelet' in p:
            ev['files'].pop(p)
    with_process(ev, 'crio')
    assert run(ev)['runtime']['name'] == 'crio'


def test_empty_evidence_does_not_crash():
    r = run({})
    assert r['runtime']['name'] == 'unknown' and r['findings'] == []


def test_refused_explanation_quotes_kubelet_message():
    ev = load()
    with_socket(ev, '/run/containerd/containerd.sock', 'refused')
    f = get(run(ev), 'cri-endpoint-refused')
    assert 'dial unix /run/containerd/containerd.sock: connect: connection refused' in f['explanation']
    assert f['evidence'][0].startswith('/var/lib/kubelet/config.yaml:4 containerRuntimeEndpoint:')


def test_search_overridden_lexical_order():
    ev = load()
    regconf(ev, '99-mine.conf', 'unqualified-search-registries = ["docker.io"]\n')
    regconf(ev, 'crio.conf', 'unqualified-search-registries = ["docker.io", "quay.io"]\n')
    r = run(ev, {'search_registries': ['docker.io']})
    assert get(r, 'search-registries-effective')['evidence'] == [
        '/etc/containers/registries.conf.d/crio.conf:1 unqualified-search-registries = ["docker.io", "quay.io"]']
    assert '/etc/containers/registries.conf.d/99-mine.conf:1 unqualified-search-registries = ["docker.io"]' in \
        get(r, 'search-registries-overridden')['evidence']
    assert 'search-registries-mismatch' in ids(r)


def test_explicit_empty_list_replaces():
    ev = load()
    regconf(ev, '50-none.conf', 'unqualified-search-registries = []\n')
    r = run(ev, {'search_registries': ['docker.io']})
    assert 'search-registries-mismatch' in ids(r)
    regconf(ev, '60-keep.conf', 'short-name-mode = "enforcing"\n')
    assert 'no registry' in get(run(ev), 'search-registries-effective')['explanation']


def test_short_name_mode_from_registries_conf_only_where_kubelet_resolves_short_names():
    ev = load()
    with_file(ev, '/etc/containers/registries.conf',
              'unqualified-search-registries = ["docker.io", "quay.io"]\nshort-name-mode = "enforcing"\n', 'registries-conf')
    # containerd never reads registries.conf
    assert 'short-name-ambiguous-enforcing' not in ids(run(ev))
    # a node without a CRI runtime (podman only) resolves through registries.conf
    without_process(ev, 'containerd')
    without_process(ev, 'kubelet')
    for path in ('/run/containerd/containerd.sock', '/var/run/containerd/containerd.sock'):
        ev['sockets'].pop(path, None)
    ev['files'].pop('/var/lib/kubelet/config.yaml', None)
    ev['versions'].pop('containerd', None)
    ev['systemd']['units'].pop('containerd.service', None)
    assert 'short-name-ambiguous-enforcing' in ids(run(ev))


def test_multiple_endpoints_skipped_when_cri_socket_configured():
    ev = load()
    with_socket(ev, '/var/run/crio/crio.sock', runtime_probe=probe_ok('cri-o', '1.30.0'))
    assert 'multiple-cri-endpoints-kubelet-set' in ids(run(ev))
    without_kubelet(ev)
    assert 'multiple-cri-endpoints' in ids(run(ev))
    with_file(ev, '/etc/kubernetes/kubeadm.yaml', 'kind: InitConfiguration\nnodeRegistration:\n'
              '  criSocket: unix:///run/containerd/containerd.sock\n', 'kubeadm-config')
    assert not {'multiple-cri-endpoints', 'multiple-cri-endpoints-kubelet-set'} & set(ids(run(ev)))


def test_certs_d_port_dir_from_settings():
    ev = load()
    with_hosts(ev, CERTS, 'reg.local', 'server = "https://reg.local"\n')
    r = run(ev, {'verify_images': ['reg.local:5000/app:1']})
    f = get(r, 'certs-d-dir-never-matches')
    assert f['evidence'] == ['/etc/containerd/certs.d/reg.local: directory']


def test_certs_d_scheme_dir():
    ev = load()
    with_hosts(ev, CERTS, 'https:', 'server = "https://x"\n')
    assert 'certs-d-dir-never-matches' in ids(run(ev))


def test_evidence_read_error_names_kind():
    ev = load()
    ev['files']['/etc/crio/crio.conf'] = {'stat': None, 'content': None, 'truncated': False, 'why': ['crio-config'],
                                          'error': {'kind': 'symlink_loop', 'message': 'loop'}}
    f = get(run(ev), 'evidence-read-error')
    assert f['evidence'] == ['/etc/crio/crio.conf: symlink_loop (symlink loop)']


# ---------------------------------------------------------------- helpers

def test_parse_version_and_images():
    assert parse_version('containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+b1') == (1, 6, 20)
    assert parse_version('containerd github.com/containerd/containerd/v2 v2.1.1 abc') == (2, 1, 1)
    assert parse_version('v2.0.2-k3s2') == (2, 0, 2)
    assert parse_version(None) is None
    assert distro_version('k3s version v1.32.2+k3s1 (381620ef)', 'k3s') == 'v1.32.2+k3s1'
    assert image_registry('nginx') == 'docker.io'
    assert image_registry('library/nginx:1') == 'docker.io'
    assert image_registry('sealos.hub:5000/pause:3.9') == 'sealos.hub:5000'
    assert image_registry('localhost/x') == 'localhost'
    assert endpoint_path('unix:///run/./crio/../x.sock') == '/run/x.sock'
    assert endpoint_path('tcp://1.2.3.4:1') is None


def test_toml_key_lines():
    text = ('version = 2 # c\n'
            'imports = [\n  "/a.toml",\n  "/b.toml",\n]\n'
            'x = """\n[not.a.table]\n"""\n'
            '[plugins."io.containerd.grpc.v1.cri".registry]\n'
            '  config_path = "/etc/containerd/certs.d"\n'
            '  mirrors."docker.io".endpoint = ["https://m"]\n'
            '[[registry]]\nprefix = "a"\n[[registry]]\nprefix = "b"\n')
    data, index = parse.load_toml(text)
    assert index[('version',)] == 1
    assert index[('imports',)] == 2
    assert ('not', 'a', 'table') not in index
    assert index[('plugins', 'io.containerd.grpc.v1.cri', 'registry')] == 9
    assert index[('plugins', 'io.containerd.grpc.v1.cri', 'registry', 'config_path')] == 10
    assert index[('plugins', 'io.containerd.grpc.v1.cri', 'registry', 'mirrors', 'docker.io', 'endpoint')] == 11
    assert index[('registry', 1, 'prefix')] == 15
    assert parse.line_of(index, ('plugins', 'io.containerd.grpc.v1.cri', 'registry', 'nope')) == 9
    assert parse.line_of(index, ('plugins', 'io.containerd.grpc.v1.cri', 'registry', 'mirrors')) == 11


def test_yaml_lines_and_errors():
    data, index = parse.load_yaml('a:\n  b:\n    - x\n    - y\n')
    assert data == {'a': {'b': ['x', 'y']}}
    assert index[('a', 'b')] == 2 and index[('a', 'b', 1)] == 4
    with pytest.raises(parse.ParseError) as exc:
        parse.load_yaml('a: 1\nb: [\n')
    assert exc.value.line is not None
    # An unclosed quote is reported where it opens, not at the end of the file.
    with pytest.raises(parse.ParseError) as exc:
        parse.load_yaml('kind: K\nendpoint: "unix:///run/x.sock\nother: 1\n')
    assert exc.value.line == 2
    docs = parse.load_yaml_all('kind: A\n---\nkind: B\nx: 1\n')
    assert [d for d, _index in docs] == [{'kind': 'A'}, {'kind': 'B', 'x': 1}]
    assert docs[1][1][('x',)] == 4


def test_yaml_alias_bomb_is_refused_before_it_expands():
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + ''.join(
        '%s: &%s [%s]\n' % (chr(98 + i), chr(98 + i), ','.join(['*' + chr(97 + i)] * 9)) for i in range(9))
    with pytest.raises(parse.ParseError) as err:
        parse.load_yaml(bomb)
    assert 'aliases' in err.value.message and err.value.line == 1
    # Ordinary anchors still work.
    assert parse.load_yaml('x: &a [1, 2]\ny: *a\n')[0] == {'x': [1, 2], 'y': [1, 2]}


def test_kubelet_files_gathered_as_missing_do_not_count_as_a_joined_node():
    # A real node without kubelet: the gathering records its default files as missing entries.
    ev = without_kubelet(load())
    for path in ('/var/lib/kubelet/config.yaml', '/var/lib/kubelet/kubeadm-flags.env', '/etc/default/kubelet'):
        ev['files'][path] = {'stat': {'type': 'missing'}, 'content': None, 'truncated': False,
                             'error': {'kind': 'missing', 'message': 'no such file'}, 'why': ['kubelet-config']}
    with_socket(ev, '/var/run/cri-dockerd.sock', runtime_probe=probe_ok('docker', '24.0.7'))
    found = ids(run(ev))
    assert 'multiple-cri-endpoints' in found and 'multiple-cri-endpoints-kubelet-set' not in found
