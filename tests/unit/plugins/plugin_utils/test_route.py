# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Routes per runtime and version on real file shapes, Go's NO_PROXY rules, pull error classes."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import tempfile

import pytest

from explain_cases import ERRORS, proxied
from pullfix_helpers import load, with_file, with_dir, with_hosts, set_containerd_version, run, ids, get
from test_pullfix_diagnose import cfg, k3s, crio, regconf, CERTS, V2_HEAD

from ansible_collections.kubenode.pullfix.plugins.module_utils import _evidence
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix import route as routing
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose.checks import routes as checks_routes
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose.checks.proxy import unit_environment
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose.context import Context
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts import proxy as pfacts
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.report import route_lines

CORPUS = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'corpus')
V2_CP = V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "%s"\n'
V3_CP = 'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "%s"\n'


def corpus(*parts):
    with open(os.path.join(CORPUS, *parts)) as f:
        return f.read()


def node(version='1.7.24', config_path=CERTS, hosts=None):
    ev = load()
    ev['files'].pop(CERTS + '/docker.io/hosts.toml', None)
    with_dir(ev, CERTS, [])
    set_containerd_version(ev, version)
    cfg(ev, (V3_CP if version >= '2' else V2_CP) % config_path)
    for name, text in (hosts or {}).items():
        with_hosts(ev, CERTS, name, text)
    return ev


def route(ev, image, **settings):
    settings.setdefault('explain_images', [image])
    result = run(ev, settings)
    return [r for r in result['routes'] if r['image'] == image][0]


def urls(r):
    return [ep['url'] for ep in r['endpoints']]


# ---------------------------------------------------------------- image names

@pytest.mark.parametrize('ref, want', [
    ('nginx', ('docker.io', 'library/nginx', 'latest', 'docker.io/library/nginx:latest')),
    ('nginx:1.27', ('docker.io', 'library/nginx', '1.27', 'docker.io/library/nginx:1.27')),
    ('bitnami/redis:7', ('docker.io', 'bitnami/redis', '7', 'docker.io/bitnami/redis:7')),
    ('index.docker.io/library/busybox:1', ('docker.io', 'library/busybox', '1', 'docker.io/library/busybox:1')),
    ('localhost:5000/a/b:c', ('localhost:5000', 'a/b', 'c', 'localhost:5000/a/b:c')),
    ('registry.k8s.io/pause:3.10', ('registry.k8s.io', 'pause', '3.10', 'registry.k8s.io/pause:3.10')),
    ('quay.io/x/y@sha256:' + 'a' * 64, ('quay.io', 'x/y', 'sha256:' + 'a' * 64, 'quay.io/x/y@sha256:' + 'a' * 64)),
    ('[::1]:5000/x:1', ('[::1]:5000', 'x', '1', '[::1]:5000/x:1')),
])
def test_normalize(ref, want):
    assert routing.normalize(ref) == want


@pytest.mark.parametrize('ref', ['', 'https://docker.io/nginx', 'Nginx', 'a b', 'nginx:', 'x//y'])
def test_bad_image_names_are_a_route_error_not_a_traceback(ref):
    r = route(node(), ref) if ref else routing.containerd_route(Context(node(), {}), ref, None, [CERTS])
    assert r['error'] and r['endpoints'] == []


# ---------------------------------------------------------------- containerd certs.d

def test_mirror_then_server_with_file_and_line():
    ev = node(hosts={'docker.io': corpus('hosts-toml', 'kubespray-docker.io.toml')})
    r = route(ev, 'nginx:1.27')
    assert r['runtime'] == 'containerd 1.7.24'
    # kubespray names docker.io itself as the server: the mirror table is its API host
    assert urls(r) == ['https://registry-1.docker.io/v2', 'https://docker.io/v2']
    for ep in r['endpoints']:
        assert ep['from'].startswith(CERTS + '/docker.io/hosts.toml:')
    assert r['lookup'] == [CERTS + '/docker.io: used (first existing directory)']


def test_spegel_pull_only_mirror_is_skipped_for_a_tag_and_used_for_a_digest():
    ev = node(hosts={'docker.io': corpus('hosts-toml', 'spegel-written-docker.io.toml')})
    tag = route(ev, 'docker.io/library/nginx:1.27')
    assert urls(tag) == ['https://registry-1.docker.io/v2']
    assert tag['skipped'][0]['url'] == 'http://127.0.0.1:5000/v2' and 'resolve' in tag['skipped'][0]['why']
    digest = route(ev, 'docker.io/library/nginx@sha256:' + 'b' * 64)
    assert urls(digest) == ['http://127.0.0.1:5000/v2', 'https://registry-1.docker.io/v2']


def test_microk8s_localhost_with_port_directory():
    ev = node(hosts={'localhost:32000': corpus('hosts-toml', 'microk8s-localhost-32000.toml')})
    assert urls(route(ev, 'localhost:32000/app:1')) == ['http://localhost:32000/v2', 'http://localhost:32000/v2']


@pytest.mark.parametrize('version, ignored', [('1.6.20', True), ('1.7.24', True), ('2.1.9', False)])
def test_server_only_file_per_version(version, ignored):
    ev = node(version, hosts={'docker.io': corpus('hosts-toml', 'zot-docs-default-server-only.toml')})
    r = route(ev, 'nginx:1')
    if ignored:
        assert r['endpoints'][0]['from'].startswith('implicit upstream')
        assert any('invalid `host` tree' in n for n in r['notes'])
    else:
        assert r['endpoints'][0]['from'].startswith(CERTS + '/docker.io/hosts.toml:2 server')


def test_host_port_directory_shadows_host_colon_port_and_default():
    ev = node(hosts={'reg.local_5000_': '[host."http://10.0.0.1:5000"]\n',
                     'reg.local:5000': '[host."http://10.0.0.2:5000"]\n',
                     '_default': '[host."http://10.0.0.3:5000"]\n'})
    r = route(ev, 'reg.local:5000/x:1')
    assert urls(r) == ['http://10.0.0.1:5000/v2', 'https://reg.local:5000/v2']
    assert r['lookup'] == [CERTS + '/reg.local_5000_: used (first existing directory)']


def test_default_directory_for_a_registry_without_its_own():
    ev = node(hosts={'_default': '[host."http://10.0.0.3:5000"]\n', 'docker.io': '[host."http://10.0.0.9"]\n'})
    r = route(ev, 'ghcr.io/o/p:1')
    assert urls(r) == ['http://10.0.0.3:5000/v2', 'https://ghcr.io/v2']
    assert r['lookup'] == [CERTS + '/ghcr.io: does not exist', CERTS + '/_default: used (first existing directory)']


def test_default_directory_unknown_before_1_6_17():
    ev = node('1.6.16', hosts={'_default': '[host."http://10.0.0.3:5000"]\n'})
    assert urls(route(ev, 'ghcr.io/o/p:1')) == ['https://ghcr.io/v2']


def test_an_existing_directory_without_hosts_toml_still_wins():
    ev = node(hosts={'_default': '[host."http://10.0.0.3:5000"]\n'})
    with_dir(ev, CERTS, [{'name': 'ghcr.io', 'type': 'dir'}, {'name': '_default', 'type': 'dir'}])
    with_dir(ev, CERTS + '/ghcr.io', [{'name': 'ca.crt', 'type': 'file'}])
    r = route(ev, 'ghcr.io/o/p:1')
    assert urls(r) == ['https://ghcr.io/v2']
    assert 'only the directory' in r['notes'][0]


@pytest.mark.parametrize('url, want', [
    ('mirror.example.com', 'https://mirror.example.com/v2'),
    ('http://m:5000/', 'http://m:5000//v2'),
    ('https://m/prefix/', 'https://m/prefix/v2'),
    ('https://m/api/v2', 'https://m/api/v2'),
])
def test_scheme_and_path_defaults(url, want):
    ev = node(hosts={'quay.io': '[host."%s"]\n' % url})
    assert urls(route(ev, 'quay.io/a/b:1'))[0] == want


def test_override_path_keeps_the_path():
    ev = node(hosts={'quay.io': '[host."https://m/artifactory/api/docker/q"]\n  override_path = true\n'})
    assert urls(route(ev, 'quay.io/a/b:1'))[0] == 'https://m/artifactory/api/docker/q'


def test_an_unknown_capability_drops_the_whole_file():
    ev = node(hosts={'quay.io': '[host."http://m:5000"]\n  capabilities = ["pull", "fetch"]\n'})
    r = route(ev, 'quay.io/a/b:1')
    assert urls(r) == ['https://quay.io/v2'] and 'unknown capability fetch' in r['notes'][0]


@pytest.mark.parametrize('version, first', [('1.6.20', False), ('1.7.24', True), ('2.1.9', True)])
def test_http_host_with_tls_settings_tries_https_first_since_1_7(version, first):
    ev = node(version, hosts={'quay.io': '[host."http://m:5000"]\n  ca = "/etc/ssl/m.crt"\n'})
    assert route(ev, 'quay.io/a/b:1')['endpoints'][0]['https_first'] is first


@pytest.mark.parametrize('version, image, want', [
    ('1.6.20', 'localhost:5000/x:1', ('http://localhost:5000/v2', False)),
    ('1.7.24', 'localhost:5000/x:1', ('http://localhost:5000/v2', True)),
    ('2.1.9', '127.0.0.1:5000/x:1', ('http://127.0.0.1:5000/v2', True)),
    ('2.1.9', 'localhost/x:1', ('https://localhost/v2', False)),
    ('1.7.24', '127.0.0.1:80/x:1', ('http://127.0.0.1:80/v2', False)),
    ('1.7.24', '10.0.0.1:5000/x:1', ('https://10.0.0.1:5000/v2', False)),
])
def test_implicit_upstream_per_version(version, image, want):
    ep = route(node(version), image)['endpoints'][-1]
    assert (ep['url'], ep['https_first']) == want and ep['from'].startswith('implicit upstream')


def test_colon_list_config_path_per_version():
    for version, want in (('1.7.24', 'http://10.0.0.8/v2'), ('2.1.9', 'https://quay.io/v2')):
        ev = node(version, config_path='/etc/containerd/certs.d:/etc/docker/certs.d')
        with_dir(ev, '/etc/docker/certs.d', [])
        with_hosts(ev, '/etc/docker/certs.d', 'quay.io', '[host."http://10.0.0.8"]\n')
        assert urls(route(ev, 'quay.io/a:1'))[0] == want, version


def test_no_config_path_on_2_1_ignores_certs_d():
    ev = node('2.1.9', hosts={'quay.io': '[host."http://10.0.0.8"]\n'})
    cfg(ev, 'version = 3\n')
    r = route(ev, 'quay.io/a:1')
    assert urls(r) == ['https://quay.io/v2'] and 'no config_path' in r['lookup'][0]


# ---------------------------------------------------------------- deprecated mirrors table

LEGACY = V2_HEAD + '''[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
  endpoint = ["localhost:5000", "https://mirror.example.com/prefix"]
[plugins."io.containerd.grpc.v1.cri".registry.mirrors."*"]
  endpoint = ["http://10.0.0.7:5000"]
[plugins."io.containerd.grpc.v1.cri".registry.mirrors."quay.io"]
  endpoint = ["https://quay.io"]
'''


def test_deprecated_mirrors_order_scheme_and_path():
    ev = node('1.6.20')
    cfg(ev, LEGACY)
    r = route(ev, 'nginx:1')
    assert urls(r) == ['http://localhost:5000/v2', 'https://mirror.example.com/prefix', 'https://registry-1.docker.io/v2']
    assert r['endpoints'][0]['from'].startswith('/etc/containerd/config.toml:6 ')
    assert urls(route(ev, 'ghcr.io/a:1')) == ['http://10.0.0.7:5000/v2', 'https://ghcr.io/v2']
    assert urls(route(ev, 'quay.io/a:1')) == ['https://quay.io/v2']  # the registry itself: not appended again


# ---------------------------------------------------------------- k3s / RKE2

K3S_REG = '/etc/rancher/k3s/registries.yaml'


def k3s_node(registries, version='v1.32.3+k3s1', config=None):
    ev = load()
    k3s(ev, version)
    with_file(ev, K3S_REG, registries, 'k3s-registries')
    if config:
        with_file(ev, '/etc/rancher/k3s/config.yaml', config, 'k3s-config')
    return ev


def test_k3s_rewrite_applies_to_the_mirror_only():
    r = route(k3s_node(corpus('registries-yaml', 'k3s-docs-rewrite.yaml')), 'rancher/mirrored-pause:3.6')
    assert urls(r) == ['https://registry.example.com:5000/v2', 'https://registry-1.docker.io/v2']
    assert r['endpoints'][0]['repository'] == 'mirrorproject/rancher-images/mirrored-pause'
    assert 'repository' not in r['endpoints'][1]
    assert r['endpoints'][0]['from'].startswith(K3S_REG + ':')


def test_k3s_wildcard_then_the_default_endpoint():
    r = route(k3s_node('mirrors:\n  "*":\n    endpoint: ["http://10.0.0.5:5000"]\n'), 'ghcr.io/a:1')
    assert urls(r) == ['http://10.0.0.5:5000/v2', 'https://ghcr.io/v2'] and 'wildcard' in r['lookup'][0]


def test_k3s_broken_wildcard_release_never_falls_back():
    r = route(k3s_node('mirrors:\n  "*":\n    endpoint: ["http://10.0.0.5:5000"]\n', 'v1.32.2+k3s1'), 'ghcr.io/a:1')
    assert urls(r) == ['http://10.0.0.5:5000/v2'] and 'never falls back' in r['notes'][0]


def test_k3s_disable_default_registry_endpoint():
    r = route(k3s_node('mirrors:\n  docker.io:\n    endpoint: ["mirror.local:5000"]\n',
                       config='disable-default-registry-endpoint: true\n'), 'busybox:1')
    assert urls(r) == ['https://mirror.local:5000/v2']


def test_k3s_no_mirror_is_the_default_endpoint():
    assert urls(route(k3s_node('configs: {}\n'), 'quay.io/a:1')) == ['https://quay.io/v2']


# ---------------------------------------------------------------- containers-image

def test_containers_image_mirrors_then_location_and_blocked():
    ev = load()
    crio(ev)
    regconf(ev, None, corpus('registries-conf', 'containers-image-testdata-mirrors.conf'))
    r = route(ev, 'registry.com/image:1')
    assert [ep['host'] for ep in r['endpoints']][-3:] == ['mirror-1.registry.com', 'mirror-2.registry.com',
                                                          'registry.com']
    assert r['endpoints'][-2].get('insecure') is True
    assert route(ev, 'blocked.registry.com/x:1')['error'].startswith('blocked.registry.com/x is blocked')


def test_containers_image_short_name_through_search_and_alias():
    ev = load()
    crio(ev)
    regconf(ev, None, 'unqualified-search-registries = ["quay.io", "docker.io"]\nshort-name-mode = "enforcing"\n'
                      '[aliases]\n"pause" = "registry.k8s.io/pause"\n')
    r = route(ev, 'nginx:1')
    assert [ep['host'] for ep in r['endpoints']] == ['quay.io', 'registry-1.docker.io']
    assert r['endpoints'][1]['repository'] == 'library/nginx'
    assert 'ambiguous' in r['notes'][0]
    a = route(ev, 'pause:3.10')
    assert [ep['host'] for ep in a['endpoints']] == ['registry.k8s.io'] and 'alias' in a['lookup'][0]


def test_podman_route_on_a_containerd_node():
    ev = load()
    result = run(ev, {'explain_images': ['busybox:1'], 'explain_podman': True})
    assert [r['runtime'] for r in result['routes']] == ['containerd 1.6.20', 'podman']


def test_route_lines_show_lookup_endpoints_and_skips():
    ev = node(hosts={'docker.io': corpus('hosts-toml', 'spegel-written-docker.io.toml')})
    lines = route_lines(route(ev, 'nginx:1'))
    assert lines[0].startswith('nginx:1 (docker.io/library/nginx:1, containerd 1.7.24)')
    assert any(line.startswith('  1. https://registry-1.docker.io/v2  <- ') for line in lines)
    assert any('skipped (capabilities pull lack resolve)' in line for line in lines)


# ---------------------------------------------------------------- Go's NO_PROXY rules

@pytest.mark.parametrize('no_proxy, hostport, scheme, bypass', [
    ('', '127.0.0.1:5000', 'http', True),          # loopback: never proxied
    ('', 'localhost:5000', 'http', True),
    ('', '[::1]:5000', 'http', True),
    ('', '192.0.2.10:5000', 'http', False),
    ('*', 'anything.example:443', 'https', True),
    ('192.0.2.10', '192.0.2.10:5000', 'http', True),
    ('192.0.2.10:5000', '192.0.2.10:5000', 'http', True),
    ('192.0.2.10:5001', '192.0.2.10:5000', 'http', False),
    ('192.0.2.0/24', '192.0.2.10:5000', 'http', True),
    ('10.0.0.0/8', '192.0.2.10:5000', 'http', False),
    ('example.com', 'example.com', 'https', True),
    ('example.com', 'mirror.example.com', 'https', True),
    ('.example.com', 'example.com', 'https', False),
    ('.example.com', 'mirror.example.com', 'https', True),
    ('*.example.com', 'mirror.example.com', 'https', True),
    ('ample.com', 'example.com', 'https', False),
    ('example.com:443', 'mirror.example.com', 'https', True),
    ('example.com:80', 'mirror.example.com', 'https', False),
    (' Example.COM , x', 'mirror.example.com', 'https', True),
    ('192.0.2.10', 'mirror.example.com', 'https', False),   # an IP entry never covers a name
])
def test_go_no_proxy_rules(no_proxy, hostport, scheme, bypass):
    assert bool(pfacts.bypasses(no_proxy, hostport, scheme)) is bypass


def test_upper_case_wins_and_lower_case_is_the_fallback():
    assert pfacts.lookup({'HTTP_PROXY': 'a', 'http_proxy': 'b'}, 'HTTP_PROXY') == 'a'
    assert pfacts.lookup({'HTTP_PROXY': '', 'http_proxy': 'b'}, 'HTTP_PROXY') == 'b'


def test_unit_environment_order_reset_and_environment_file():
    ev = load()
    unit = '/lib/systemd/system/containerd.service'
    drop = '/etc/systemd/system/containerd.service.d/10-env.conf'
    with_file(ev, drop, '[Service]\nEnvironment=HTTP_PROXY=http://p:1 NO_PROXY=a\nEnvironment=\n'
                        'Environment="HTTPS_PROXY=http://p:2"\nEnvironmentFile=-/etc/default/containerd-proxy\n',
              'unit-file')
    with_file(ev, '/etc/default/containerd-proxy', '# proxy\nNO_PROXY="b,c"\n', 'unit-env')
    ev['systemd']['units']['containerd.service']['DropInPaths'] = [drop]
    env = unit_environment(Context(ev, {}), 'containerd.service')
    assert sorted(env) == ['HTTPS_PROXY', 'NO_PROXY']       # Environment= with nothing reset the list
    assert env['NO_PROXY'][0] == 'b,c' and env['NO_PROXY'][1].startswith('/etc/default/containerd-proxy:2')
    assert env['HTTPS_PROXY'][1].startswith(drop + ':4')
    assert unit  # the fragment itself sets nothing


def test_evidence_reads_the_files_environmentfile_names():
    root = tempfile.mkdtemp()
    os.makedirs(root + '/etc/systemd/system/containerd.service.d')
    os.makedirs(root + '/etc/default')
    with open(root + '/etc/systemd/system/containerd.service.d/p.conf', 'w') as f:
        f.write('[Service]\nEnvironmentFile=-/etc/default/proxy\nEnvironmentFile=/etc/default/%i\n')
    with open(root + '/etc/default/proxy', 'w') as f:
        f.write('HTTPS_PROXY=http://p:3128\n')
    g = _evidence._Gatherer(root, (), 1.0, 4096)
    g.read_file('/etc/systemd/system/containerd.service.d/p.conf', 'unit-file')
    _evidence.read_unit_environment_files(g)
    assert g.files['/etc/default/proxy']['content'] == 'HTTPS_PROXY=http://p:3128\n'
    assert g.files['/etc/default/proxy']['why'] == ['unit-env']
    assert not any('%' in p for p in g.files)


def test_a_proxy_covered_by_no_proxy_is_no_finding_and_upstreams_are_left_to_the_proxy():
    ev = proxied(load(), '192.0.2.0/24')
    assert 'proxy-no-proxy-missing' not in ids(run(ev, {'verify_images': ['busybox:1']}))
    ev = proxied(load(), None)
    f = get(run(ev, {'verify_images': ['busybox:1']}), 'proxy-no-proxy-missing')
    assert 'registry-1.docker.io' not in ' '.join(f['evidence'])


# ---------------------------------------------------------------- the registry's own answer

@pytest.mark.parametrize('fid', sorted(ERRORS))
def test_classify_real_messages(fid):
    assert checks_routes.classify(ERRORS[fid]) == fid


@pytest.mark.parametrize('message, want', [
    (ERRORS['pull-tls-unknown-authority'], ('https://127.0.0.1:5443/v2/pullfix/busybox/manifests/1', '127.0.0.1:5443')),
    (ERRORS['pull-unauthorized'], (None, '127.0.0.1:5443')),
    (ERRORS['pull-proxy-connect'], ('http://192.0.2.10:5000/v2/library/busybox/manifests/1?ns=docker.io',
                                    '192.0.2.10:5000')),
    ('dial tcp 10.1.1.1:443: connect: connection refused', (None, '10.1.1.1:443')),
])
def test_failed_endpoint(message, want):
    assert checks_routes.failed_endpoint(message) == want


def test_a_lookup_that_fails_on_the_dns_server_is_no_such_host():
    msg = ('failed to do request: Head "https://podman.example/v2/x/manifests/1": dial tcp: lookup podman.example on '
           '10.255.255.53:53: dial udp 10.255.255.53:53: connect: network is unreachable')
    assert checks_routes.classify(msg) == 'pull-no-such-host'


def test_docker_hub_denied_is_unauthorized_and_the_next_step_names_credentials():
    msg = ('failed to pull and unpack image "docker.io/library/privat:1": failed to resolve reference '
           '"docker.io/library/privat:1": pull access denied, repository does not exist or may require '
           'authorization: server message: insufficient_scope: authorization failed')
    result = run(load(), {'verify_images': ['privat:1'], '_verify': {
        'endpoint': 'unix:///run/containerd/containerd.sock',
        'results': [{'image': 'privat:1', 'ok': False, 'error': msg, 'error_kind': 'grpc'}]}})
    f = get(result, 'pull-unauthorized')
    assert 'credentials' in f['explanation'] and 'route: ' in f['evidence'][-1]


def test_a_cri_endpoint_failure_is_not_a_registry_answer():
    result = run(load(), {'verify_images': ['x:1'], '_verify': {
        'endpoint': 'unix:///run/containerd/containerd.sock',
        'results': [{'image': 'x:1', 'ok': False, 'error': 'connection refused', 'error_kind': 'refused'}]}})
    assert not [i for i in ids(result) if i.startswith('pull-')]


def test_containerd_names_no_endpoint_then_the_route_s_only_host_is_named():
    msg = ('failed to pull and unpack image "auth.example/pullfix/x:1": failed to resolve reference '
           '"auth.example/pullfix/x:1": pull access denied, repository does not exist or may require authorization: '
           'authorization failed: no basic auth credentials')
    ev = node(hosts={'auth.example': 'server = "http://127.0.0.1:5444"\n[host."http://127.0.0.1:5444"]\n'})
    result = run(ev, {'verify_images': ['auth.example/pullfix/x:1'], '_verify': {
        'endpoint': 'unix:///run/containerd/containerd.sock',
        'results': [{'image': 'auth.example/pullfix/x:1', 'ok': False, 'error': msg, 'error_kind': 'grpc'}]}})
    f = get(result, 'pull-unauthorized')
    assert 'failed endpoint: 127.0.0.1:5444 (the only one on the route)' in f['evidence']
    assert '127.0.0.1:5444' in f['explanation']


def test_a_pull_failure_not_pulled_again_stays_open():
    before = [{'id': 'pull-unauthorized', 'evidence': ['a:1: denied'], 'fixed': False},
              {'id': 'pull-proxy-connect', 'evidence': ['b:1: proxyconnect tcp'], 'fixed': False}]
    verify = {'results': [{'image': 'b:1', 'ok': True}]}
    kept = checks_routes.carry_unverified(before, [], verify)
    assert [f['id'] for f in kept] == ['pull-unauthorized']


def test_podman_routes_beside_do_not_decide_the_failed_endpoint():
    msg = ('failed to pull and unpack image "auth.example/pullfix/x:1": failed to resolve reference '
           '"auth.example/pullfix/x:1": pull access denied, repository does not exist or may require authorization: '
           'authorization failed: no basic auth credentials')
    ev = node(hosts={'auth.example': 'server = "http://127.0.0.1:5444"\n[host."http://127.0.0.1:5444"]\n'})
    result = run(ev, {'verify_images': ['auth.example/pullfix/x:1'], 'explain_podman': True, '_verify': {
        'endpoint': 'unix:///run/containerd/containerd.sock',
        'results': [{'image': 'auth.example/pullfix/x:1', 'ok': False, 'error': msg, 'error_kind': 'grpc'}]}})
    assert [r['runtime'] for r in result['routes']] == ['containerd 1.7.24', 'podman']
    f = get(result, 'pull-unauthorized')
    assert 'failed endpoint: 127.0.0.1:5444 (the only one on the route)' in f['evidence']
    assert f['evidence'][-1] == 'route: http://127.0.0.1:5444/v2 -> http://127.0.0.1:5444/v2'


@pytest.mark.parametrize('message', [
    # containerd 2.1.9 (transfer service) and 1.7.24 wording of the same 404s
    'failed to pull and unpack image "docker.io/library/hit:nope": failed to resolve image: '
    'docker.io/library/hit:nope: not found',
    'failed to pull and unpack image "docker.io/library/hit:nope": failed to resolve reference '
    '"docker.io/library/hit:nope": docker.io/library/hit:nope: not found',
])
def test_not_found_per_version(message):
    assert checks_routes.classify(message) == 'pull-manifest-unknown'


# PullImage messages captured from containerd 1.7.24 in the explain Molecule scenario (cri_pull
# results; the CRI client's "CRI endpoint ... (PullImage): " prefix and grpc-status suffix kept).
CAPTURED_1_7 = {
    'pull-http-to-https': (
        'CRI endpoint unix:///run/containerd/containerd.sock (runtime.v1.ImageService/PullImage): failed to pull and '
        'unpack image "plain.example/pullfix/x:1": failed to resolve reference "plain.example/pullfix/x:1": failed to '
        'do request: Head "https://127.0.0.1:5002/v2/pullfix/x/manifests/1?ns=plain.example": http: server gave HTTP '
        'response to HTTPS client [grpc-status 2 UNKNOWN]', '127.0.0.1:5002'),
    'pull-tls-unknown-authority': (
        'CRI endpoint unix:///run/containerd/containerd.sock (runtime.v1.ImageService/PullImage): failed to pull and '
        'unpack image "selfsigned.example/pullfix/x:1": failed to resolve reference "selfsigned.example/pullfix/x:1": '
        'failed to do request: Head "https://127.0.0.1:5443/v2/pullfix/x/manifests/1?ns=selfsigned.example": tls: '
        'failed to verify certificate: x509: certificate signed by unknown authority [grpc-status 2 UNKNOWN]',
        '127.0.0.1:5443'),
    'pull-unauthorized': (
        'CRI endpoint unix:///run/containerd/containerd.sock (runtime.v1.ImageService/PullImage): failed to pull and '
        'unpack image "auth.example/pullfix/x:1": failed to resolve reference "auth.example/pullfix/x:1": pull access '
        'denied, repository does not exist or may require authorization: authorization failed: no basic auth '
        'credentials [grpc-status 2 UNKNOWN]', None),
    'pull-manifest-unknown': (
        'CRI endpoint unix:///run/containerd/containerd.sock (runtime.v1.ImageService/PullImage): failed to pull and '
        'unpack image "docker.io/library/hit:nope": failed to resolve reference "docker.io/library/hit:nope": '
        'docker.io/library/hit:nope: not found [grpc-status 5 NOT_FOUND]', None),
    'pull-connection-refused': (
        'CRI endpoint unix:///run/containerd/containerd.sock (runtime.v1.ImageService/PullImage): failed to pull and '
        'unpack image "closed.example/pullfix/x:1": failed to resolve reference "closed.example/pullfix/x:1": failed '
        'to do request: Head "http://127.0.0.1:5999/v2/pullfix/x/manifests/1?ns=closed.example": dial tcp '
        '127.0.0.1:5999: connect: connection refused [grpc-status 2 UNKNOWN]', '127.0.0.1:5999'),
    'pull-proxy-connect': (
        'CRI endpoint unix:///run/containerd/containerd.sock (runtime.v1.ImageService/PullImage): failed to pull and '
        'unpack image "proxied.example/pullfix/px:1": failed to resolve reference "proxied.example/pullfix/px:1": '
        'failed to do request: Head "http://192.0.2.10:5005/v2/pullfix/px/manifests/1?ns=proxied.example": '
        'proxyconnect tcp: dial tcp 127.0.0.1:3128: connect: connection refused [grpc-status 2 UNKNOWN]',
        '192.0.2.10:5005'),
}


@pytest.mark.parametrize('fid', sorted(CAPTURED_1_7))
def test_captured_containerd_messages(fid):
    message, host = CAPTURED_1_7[fid]
    assert checks_routes.classify(message) == fid
    assert checks_routes.failed_endpoint(message)[1] == host
