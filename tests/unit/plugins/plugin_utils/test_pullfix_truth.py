# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The diagnosis is true per containerd version (1.6, 1.7, 2.1, 2.2): each case broken and healthy."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from pullfix_helpers import (load, with_file, with_error, with_dir, with_hosts, with_socket, with_process,
                             without_process, set_containerd_version, probe_fail, run, ids, get)
from test_pullfix_diagnose import (k3s, crio, cfg, regconf, crictl, loop_dir, CERTS, RUN_SOCK, CFG, KCONF,
                                   V2_HEAD)

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix import report
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.findings import CATALOGUE

V1X = ('1.6.20', '1.7.24')
V3_CP = 'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/containerd/certs.d"\n'
V2_CP = V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'
MIRROR = '[host."http://10.0.0.5:5000"]\n  capabilities = ["pull", "resolve"]\n'


def node(version, config):
    ev = load()
    set_containerd_version(ev, version)
    cfg(ev, config)
    return ev


def good_config(version):
    return V3_CP if version >= '2' else V2_CP


# ---------------------------------------------------------------- config_path on 2.0/2.1

def test_containerd_2_1_without_config_path_never_reads_certs_d():
    ev = node('2.1.9', 'version = 3\n[plugins."io.containerd.cri.v1.images".pinned_images]\n'
                       '  sandbox = "registry.k8s.io/pause:3.10"\n')
    with_hosts(ev, CERTS, 'docker.io', MIRROR)
    f = get(run(ev), 'containerd-config-path-unset')
    assert f['severity'] == 'error' and f['category'] == 'pull'
    assert '2.1.9 has no default' in f['explanation']
    assert '/etc/containerd/certs.d/docker.io/hosts.toml: ignored' in f['evidence']
    assert 'plugins."io.containerd.cri.v1.images".registry' in f['explanation']


def test_captured_containerd_2_1_9_node():
    # Evidence gathered on a real containerd 2.1.9 node (tests/scripts/capture-c21-evidence.sh):
    # version 3 config without config_path, certs.d/docker.io/hosts.toml present.
    ev = load('debian13-c21-captured.json')
    r = run(ev)
    assert r['runtime']['containerd_version'] == '2.1.9' and 'CRI Version' in r['runtime']['source']
    assert ids(r) == ['containerd-config-path-unset']
    # the same node with config_path set is healthy
    cfg(ev, V3_CP)
    assert ids(run(ev)) == []


@pytest.mark.parametrize('version, config, fires', [
    ('2.1.9', V3_CP, False),                      # config_path set
    # 2.2 fills in "/etc/containerd/certs.d:/etc/docker/certs.d", which the default transfer pull path
    # takes as one directory (containerd#12636): certs.d is not read
    ('2.2.2', 'version = 3\n', True),
    ('2.2.2', 'version = 3\n[plugins."io.containerd.cri.v1.images"]\n  use_local_image_pull = true\n', False),
    ('1.7.24', V2_HEAD, True), ('1.6.20', V2_HEAD, True), ('2.0.0', 'version = 3\n', True)])
def test_config_path_unset_per_version(version, config, fires):
    ev = node(version, config)
    with_hosts(ev, CERTS, 'docker.io', MIRROR)
    assert ('containerd-config-path-unset' in ids(run(ev))) is fires


# ---------------------------------------------------------------- kubelet endpoints as kubelet resolves them

def kubelet_elsewhere(ev, config_text, dropins=(), extra_args=()):
    without_process(ev, 'kubelet')
    ev['files'].pop(KCONF, None)
    args = ['/usr/bin/kubelet', '--config=/etc/kubernetes/kubelet-config.yaml']
    if dropins:
        args.append('--config-dir=/etc/kubernetes/kubelet.conf.d')
        with_dir(ev, '/etc/kubernetes/kubelet.conf.d', [{'name': n, 'type': 'file'} for n, _t in dropins], 'kubelet-config')
        for name, text in dropins:
            with_file(ev, '/etc/kubernetes/kubelet.conf.d/' + name, text, 'kubelet-config')
    with_process(ev, 'kubelet', args + list(extra_args), pid=900)
    with_file(ev, '/etc/kubernetes/kubelet-config.yaml', config_text, 'kubelet-config')
    return ev


def test_kubelet_config_outside_var_lib_kubelet_names_the_socket():
    ev = k3s(load())
    kubelet_elsewhere(ev, 'kind: KubeletConfiguration\n'
                          'containerRuntimeEndpoint: unix:///run/k3s/containerd/containerd.sock\n')
    r = run(ev)
    assert 'cri-endpoint-missing' not in ids(r)
    assert r['runtime']['endpoint'] == 'unix:///run/k3s/containerd/containerd.sock'
    # the same file naming a socket that does not exist is reported, with that file as the source
    kubelet_elsewhere(ev, 'kind: KubeletConfiguration\ncontainerRuntimeEndpoint: unix:///run/nowhere.sock\n')
    with_socket(ev, '/run/nowhere.sock', 'missing')
    f = get(run(ev), 'cri-endpoint-missing')
    assert f['evidence'][0].startswith('/etc/kubernetes/kubelet-config.yaml:2 ')


def test_kubelet_drop_ins_merge_over_the_file_and_flags_win():
    ev = load()
    with_socket(ev, '/run/k0s/containerd.sock', 'missing')
    dropins = [('10-a.conf', 'containerRuntimeEndpoint: unix:///run/k0s/containerd.sock\n'),
               ('20-b.conf', 'containerRuntimeEndpoint: unix:///run/containerd/containerd.sock\n')]
    kubelet_elsewhere(ev, 'containerRuntimeEndpoint: unix:///run/k0s/containerd.sock\n', dropins)
    r = run(ev)
    assert r['runtime']['endpoint'] == 'unix:///run/containerd/containerd.sock'  # the last drop-in wins
    assert 'cri-endpoint-missing' not in ids(r)
    swapped = [(dropins[0][0], dropins[1][1]), (dropins[1][0], dropins[0][1])]
    kubelet_elsewhere(ev, 'containerRuntimeEndpoint: unix:///run/containerd/containerd.sock\n', swapped)
    assert get(run(ev), 'cri-endpoint-missing')['evidence'][0].startswith('/etc/kubernetes/kubelet.conf.d/20-b.conf:1')
    kubelet_elsewhere(ev, '', swapped, ['--container-runtime-endpoint=unix:///run/containerd/containerd.sock'])
    assert 'cri-endpoint-missing' not in ids(run(ev))


# ---------------------------------------------------------------- crictl (Spegel class)

def test_crictl_names_the_socket_that_exists():
    ev = k3s(load())
    crictl(ev, 'runtime-endpoint: unix:///run/containerd/containerd.sock\n')
    f = get(run(ev), 'crictl-endpoint-missing')
    assert f['category'] == 'consumer' and f['severity'] == 'error'
    assert '/run/k3s/containerd/containerd.sock: a runtime answers here' in f['evidence']
    assert 'The runtime listens at /run/k3s/containerd/containerd.sock' in f['explanation']
    crictl(ev, 'runtime-endpoint: unix:///run/k3s/containerd/containerd.sock\n')
    assert 'crictl-endpoint-missing' not in ids(run(ev))


def test_crictl_yaml_that_is_a_directory():
    # crictl ignores a config it cannot load and tries its defaults: harmless where containerd
    # listens at its default socket, fatal on k3s, whose socket is none of them.
    ev = load()
    with_error(ev, '/etc/crictl.yaml', 'is_directory', 'crictl-config')
    r = run(ev)
    f = get(r, 'crictl-config-unreadable')
    assert f['category'] == 'consumer' and f['severity'] == 'warning'
    assert 'crictl-endpoint-missing' not in ids(r)
    assert 'evidence-read-error' not in ids(r)  # said once, by the specific finding
    ev = k3s(load())
    with_error(ev, '/etc/crictl.yaml', 'is_directory', 'crictl-config')
    with_socket(ev, '/run/crio/crio.sock', 'missing')
    with_socket(ev, '/var/run/cri-dockerd.sock', 'missing')
    r = run(ev)
    f = get(r, 'crictl-endpoint-missing')
    assert f['caused_by'] == 'crictl-config-unreadable'
    assert '/run/k3s/containerd/containerd.sock: a runtime answers here' in f['evidence']


@pytest.mark.parametrize('kind', ['not_regular', 'is_directory', 'symlink_loop'])
def test_config_containerd_cannot_load_is_the_one_finding(kind):
    # What config_path is set to is unknown when the file cannot be read: no second, false root cause.
    ev = load()
    with_error(ev, CFG, kind, 'containerd-config')
    r = run(ev, {'registry_mirrors': {'docker.io': {'endpoints': ['http://127.0.0.1:5000']}}})
    assert CFG in ' '.join(get(r, 'containerd-config-unparsable')['evidence'])
    assert 'containerd-config-path-unset' not in ids(r)
    with_file(ev, CFG, 'version = 2\n', 'containerd-config')
    r = run(ev, {'registry_mirrors': {'docker.io': {'endpoints': ['http://127.0.0.1:5000']}}})
    assert 'containerd-config-path-unset' in ids(r)
    # No file (or a link to nothing) is containerd's defaults: config_path is known to be unset.
    with_error(ev, CFG, 'missing', 'containerd-config')
    r = run(ev, {'registry_mirrors': {'docker.io': {'endpoints': ['http://127.0.0.1:5000']}}})
    assert 'containerd-config-path-unset' in ids(r)


def test_crictl_yaml_that_is_not_yaml():
    ev = load()
    with_file(ev, '/etc/crictl.yaml', 'runtime-endpoint: [unix:///x\n', 'crictl-config')
    assert 'not valid YAML' in get(run(ev), 'crictl-config-unreadable')['explanation']
    with_file(ev, '/etc/crictl.yaml', 'runtime-endpoint: unix:///run/containerd/containerd.sock\n', 'crictl-config')
    assert 'crictl-config-unreadable' not in ids(run(ev))


# ---------------------------------------------------------------- registries.conf

def test_v1_drop_in_is_an_error_v1_main_file_a_warning():
    ev = load()
    regconf(ev, '50-v1.conf', '[registries.search]\nregistries = ["docker.io"]\n')
    f = get(run(ev), 'registries-conf-v1-dropin')
    assert f['severity'] == 'error' and 'registry must be in v2 format but is in v1' in f['explanation']
    assert 'registries-conf-v1-format' not in ids(run(ev))
    ev = load()
    with_file(ev, '/etc/containers/registries.conf', '[registries.search]\nregistries = ["docker.io"]\n', 'registries-conf')
    r = run(ev)
    assert get(r, 'registries-conf-v1-format')['severity'] == 'warning'
    assert 'registries-conf-v1-dropin' not in ids(r)


AMBIGUOUS = 'unqualified-search-registries = ["docker.io", "quay.io"]\nshort-name-mode = "enforcing"\n'


@pytest.mark.parametrize('setup, fires', [
    (lambda ev: None, False),                         # containerd never reads registries.conf
    (k3s, False),
    (lambda ev: crio(ev, '1.33.2'), False),           # CRI-O < 1.34 resolves with short-name mode disabled
    (lambda ev: crio(ev, '1.34.1'), True)])           # CRI-O 1.34+: its own default, enforcing
def test_short_name_enforcing_only_where_it_applies(setup, fires):
    ev = load()
    setup(ev)
    with_file(ev, '/etc/containers/registries.conf', AMBIGUOUS, 'registries-conf')
    assert ('short-name-ambiguous-enforcing' in ids(run(ev))) is fires


# ---------------------------------------------------------------- forms 2.x accepts

MIRRORS_ONLY = ('[plugins."{t}".registry.mirrors."docker.io"]\n  endpoint = ["https://m.example.com"]\n')


@pytest.mark.parametrize('version', V1X + ('2.1.9',))
def test_mirrors_without_config_path_is_a_deprecation_only(version):
    table = 'io.containerd.cri.v1.images' if version >= '2' else 'io.containerd.grpc.v1.cri'
    head = 'version = 3\n' if version >= '2' else V2_HEAD
    r = run(node(version, head + MIRRORS_ONLY.format(t=table)))
    assert 'containerd-mirrors-with-config-path' not in ids(r)
    assert get(r, 'containerd-deprecated-mirrors')['severity'] == 'warning'


def test_mirrors_without_config_path_fails_on_2_2_0_only():
    text = 'version = 3\n' + MIRRORS_ONLY.format(t='io.containerd.cri.v1.images')
    assert 'containerd-mirrors-with-config-path' in ids(run(node('2.2.0', text)))
    assert 'containerd-mirrors-with-config-path' not in ids(run(node('2.2.2', text)))


TLS = '[plugins."{t}".registry.configs."r.local".tls]\n  ca_file = "/etc/ssl/r.pem"\n'


@pytest.mark.parametrize('version, error', [('1.6.20', True), ('1.7.24', True), ('2.1.9', False)])
def test_configs_tls_with_config_path(version, error):
    table = 'io.containerd.cri.v1.images' if version >= '2' else 'io.containerd.grpc.v1.cri'
    r = run(node(version, good_config(version) + TLS.format(t=table)))
    assert ('containerd-mirrors-with-config-path' in ids(r)) is error
    assert ('containerd-configs-tls-ignored' in ids(r)) is not error


@pytest.mark.parametrize('version, error', [('1.6.20', True), ('1.7.24', True), ('2.1.9', False)])
def test_hosts_toml_without_host_table(version, error):
    ev = node(version, good_config(version))
    with_hosts(ev, CERTS, 'quay.io', 'server = "http://10.0.0.5:5000"\n')
    assert ('hosts-toml-no-host-table' in ids(run(ev))) is error


@pytest.mark.parametrize('version, error', [('1.6.20', True), ('1.7.24', True), ('2.1.9', False)])
def test_version_less_config(version, error):
    r = run(node(version, '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'))
    assert ('containerd-config-version-missing' in ids(r)) is error
    assert 'containerd-config-path-unset' not in ids(r) or error


# ---------------------------------------------------------------- imports

IMPORTED = '/etc/containerd/conf.d/10-runc.toml'


@pytest.mark.parametrize('version, replaced', [('1.6.20', True), ('1.7.24', True), ('2.1.9', False)])
def test_imported_cri_table_replaces_the_main_one_on_1x(version, replaced):
    if version >= '2':
        main = V3_CP.replace('version = 3\n', 'version = 3\nimports = ["%s"]\n' % IMPORTED)
        imported = 'version = 3\n[plugins."io.containerd.cri.v1.images"]\n  snapshotter = "overlayfs"\n'
    else:
        main = V2_CP.replace('version = 2\n', 'version = 2\nimports = ["%s"]\n' % IMPORTED)
        imported = 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  snapshotter = "overlayfs"\n'
    ev = node(version, main)
    with_file(ev, IMPORTED, imported, 'containerd-config')
    with_hosts(ev, CERTS, 'docker.io', MIRROR)
    r = run(ev)
    assert ('containerd-import-replaces-cri-table' in ids(r)) is replaced
    assert ('containerd-config-path-unset' in ids(r)) is replaced
    if replaced:
        f = get(r, 'containerd-import-replaces-cri-table')
        assert 'registry.config_path' in f['explanation'] and 'config_path among them' in f['explanation']
        assert get(r, 'containerd-config-path-unset')['caused_by'] == 'containerd-import-replaces-cri-table'


def test_import_that_does_not_exist_stops_containerd():
    ev = node('1.7.24', V2_CP.replace('version = 2\n', 'version = 2\nimports = ["conf.d/10-x.toml"]\n'))
    with_error(ev, '/etc/containerd/conf.d/10-x.toml', 'missing', 'containerd-config')
    with_socket(ev, RUN_SOCK, 'missing')
    with_socket(ev, '/var/run/containerd/containerd.sock', 'missing')
    r = run(ev)
    assert get(r, 'containerd-import-missing')['severity'] == 'error'
    assert get(r, 'cri-endpoint-missing')['caused_by'] == 'containerd-import-missing'
    # a glob that matches nothing is fine
    ev = node('1.7.24', V2_CP.replace('version = 2\n', 'version = 2\nimports = ["conf.d/*.toml"]\n'))
    assert 'containerd-import-missing' not in ids(run(ev))


# ---------------------------------------------------------------- hosts.toml URLs

@pytest.mark.parametrize('url, trailing, path_warning', [
    ('https://m.example.com/', True, False),
    ('https://m.example.com/mirror/', False, True),    # cleaned to /mirror, then /v2 appended
    ('https://m.example.com/v2/', False, False),        # cleaned to /v2
    ('https://m.example.com//', True, False)])
def test_trailing_slash_only_when_containerd_keeps_it(url, trailing, path_warning):
    ev = node('1.7.24', V2_CP)
    with_hosts(ev, CERTS, 'quay.io', '[host."%s"]\n  capabilities = ["pull"]\n' % url)
    r = run(ev)
    assert ('hosts-toml-trailing-slash' in ids(r)) is trailing
    assert ('hosts-toml-path-without-override' in ids(r)) is path_warning


@pytest.mark.parametrize('server, words', [
    ('*', 'no wildcard'), ('https://m.example.com:50x0', 'invalid port'),
    ('https://m example.com', 'invalid character'), ('{{ mirror }}', 'unrendered template')])
def test_unusable_urls(server, words):
    ev = node('2.1.9', V3_CP)
    with_hosts(ev, CERTS, 'docker.io', 'server = "%s"\n%s' % (server, MIRROR))
    f = get(run(ev), 'hosts-toml-url-invalid')
    assert words in f['explanation'] and f['severity'] == 'error'
    ev = node('2.1.9', V3_CP)
    with_hosts(ev, CERTS, 'docker.io', 'server = "https://registry-1.docker.io"\n' + MIRROR)
    assert 'hosts-toml-url-invalid' not in ids(run(ev))


def test_template_is_the_root_cause_of_the_bad_url():
    ev = node('2.1.9', V3_CP)
    with_hosts(ev, CERTS, 'docker.io', '[host."{{ mirror_url }}"]\n  capabilities = ["pull"]\n')
    r = run(ev)
    assert get(r, 'unrendered-template')['caused_by'] is None
    assert get(r, 'hosts-toml-url-invalid')['caused_by'] == 'unrendered-template'


# ---------------------------------------------------------------- config.toml forms containerd refuses

@pytest.mark.parametrize('version', V1X + ('2.1.9',))
def test_disabled_plugins_as_a_string(version):
    ev = node(version, 'disabled_plugins = "cri"\n')
    with_socket(ev, RUN_SOCK, 'missing')
    with_socket(ev, '/var/run/containerd/containerd.sock', 'missing')
    r = run(ev)
    assert get(r, 'containerd-config-rejected')['severity'] == 'error'
    assert get(r, 'cri-endpoint-missing')['caused_by'] == 'containerd-config-rejected'
    assert 'containerd-config-rejected' not in ids(run(node(version, 'disabled_plugins = ["cri"]\n')))


@pytest.mark.parametrize('version', V1X + ('2.1.9',))
def test_short_plugin_id_in_a_versioned_file(version):
    head = 'version = 3\n' if version >= '2' else 'version = 2\n'
    r = run(node(version, head + 'disabled_plugins = ["cri"]\n'))
    assert 'containerd-config-rejected' in ids(r) and 'containerd-cri-disabled' not in ids(r)
    r = run(node(version, 'disabled_plugins = ["cri"]\n'))  # version-less: the short id is valid
    assert 'containerd-cri-disabled' in ids(r) and 'containerd-config-rejected' not in ids(r)


@pytest.mark.parametrize('version, config, key', [
    ('2.1.9', 'version = 3\n[plugins."io.containerd.cri.v1.images"]\n  sandbox_image = "r.local/pause:3.10"\n', 'sandbox_image'),
    ('1.7.24', V2_HEAD.replace('  sandbox_image = "registry.k8s.io/pause:3.9"\n', '') +
     '[plugins."io.containerd.grpc.v1.cri".pinned_images]\n  sandbox = "r.local/pause:3.10"\n', 'pinned_images.sandbox')])
def test_sandbox_image_under_the_wrong_key(version, config, key):
    r = run(node(version, config), {'local_registry': 'r.local'})
    f = get(r, 'containerd-sandbox-image-ignored')
    assert key in f['explanation']
    assert get(r, 'sandbox-image-not-local')['caused_by'] == 'containerd-sandbox-image-ignored'
    right = ('version = 3\n[plugins."io.containerd.cri.v1.images".pinned_images]\n  sandbox = "r.local/pause:3.10"\n'
             if version >= '2' else 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "r.local/pause:3.10"\n')
    r = run(node(version, right), {'local_registry': 'r.local'})
    assert 'containerd-sandbox-image-ignored' not in ids(r) and 'sandbox-image-not-local' not in ids(r)


def test_config_toml_not_utf8_names_the_byte():
    ev = load()
    ev['files'][CFG]['content'] = None
    ev['files'][CFG]['error'] = {'kind': 'not_utf8', 'message': 'not valid UTF-8: byte 0xff at offset 17 (line 2)'}
    r = run(ev)
    f = get(r, 'containerd-config-unparsable')
    assert 'byte 0xff at offset 17 (line 2)' in f['evidence'][0] and 'not valid UTF-8' in f['explanation']
    assert 'evidence-read-error' not in ids(r)
    ev['files'][CFG]['error'] = {'kind': 'binary', 'message': 'NUL byte at offset 9 (line 3)'}
    assert 'NUL byte at offset 9' in get(run(ev), 'containerd-config-unparsable')['explanation']


@pytest.mark.parametrize('name, registries', [('docker.io', 'docker.io'), ('_default', 'every registry')])
def test_certs_d_symlink_loop(name, registries):
    ev = node('2.1.9', V3_CP)
    with_dir(ev, CERTS, [{'name': name, 'type': 'symlink'}])
    loop_dir(ev, CERTS + '/' + name)
    f = get(run(ev), 'certs-d-symlink-loop')
    assert registries in f['explanation'] and f['severity'] == 'error'
    # a loop in a certs.d that containerd does not read does not matter
    ev = node('2.1.9', V3_CP.replace('/etc/containerd/certs.d', '/etc/containerd/registry.d'))
    with_dir(ev, '/etc/containerd/registry.d', [])
    with_dir(ev, CERTS, [{'name': name, 'type': 'symlink'}])
    loop_dir(ev, CERTS + '/' + name)
    assert 'certs-d-symlink-loop' not in ids(run(ev))


# ---------------------------------------------------------------- root causes first

def test_no_cri_service_is_a_symptom_of_its_cause():
    for config, cause in (('disabled_plugins = ["cri"]\n', 'containerd-cri-disabled'),
                          (V2_CP + '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n'
                                   '  endpoint = ["https://m.example.com"]\n', 'containerd-mirrors-with-config-path')):
        ev = node('1.7.24', config)
        with_socket(ev, RUN_SOCK, runtime_probe=probe_fail('unimplemented', 12), image_probe=probe_fail('unimplemented', 12))
        with_socket(ev, '/var/run/containerd/containerd.sock', runtime_probe=probe_fail('unimplemented', 12),
                    image_probe=probe_fail('unimplemented', 12))
        r = run(ev)
        assert get(r, 'cri-endpoint-no-cri-service')['caused_by'] == cause
        assert get(r, cause)['caused_by'] is None
    ev = load()
    with_socket(ev, RUN_SOCK, runtime_probe=probe_fail('unimplemented', 12), image_probe=probe_fail('unimplemented', 12))
    assert get(run(ev), 'cri-endpoint-no-cri-service')['caused_by'] is None


def test_reports_list_root_causes_first_with_counts():
    ev = node('1.7.24', V2_CP.replace('version = 2\n', 'version = 2\ndisabled_plugins = "cri"\n'))
    with_socket(ev, RUN_SOCK, 'missing')
    with_socket(ev, '/var/run/containerd/containerd.sock', 'missing')
    crictl(ev, 'runtime-endpoint: unix:///run/containerd/containerd.sock\n')
    with_socket(ev, '/run/k0s/containerd.sock', mode='0666')  # a second, unrelated root cause
    r = run(ev)
    host = {'host': 'n1', 'runtime': r['runtime'], 'findings': r['findings']}
    order = [f['id'] for f in report.normalize_host(host)['findings']]
    assert order == ['containerd-config-rejected', 'cri-endpoint-missing', 'crictl-endpoint-missing',
                     'socket-world-accessible', 'search-registries-effective']
    assert '2 root causes, 2 symptoms' in report.summary_lines([host])[2]
    md = report.render_summary_md([host])
    assert 'Open findings: 2 root causes, 2 symptoms.' in md
    assert '#### ERROR `cri-endpoint-missing`, caused by `containerd-config-rejected`' in md
    assert md.index('### ERROR `containerd-config-rejected`') < md.index('#### ERROR `cri-endpoint-missing`') < \
        md.index('### ERROR `socket-world-accessible`')
    junit = report.render_junit([host])
    assert 'caused by: containerd-config-rejected' in junit and 'category: consumer' in junit
    lines = report.finding_lines([host])
    assert lines[0].startswith('n1: ERROR   containerd-config-rejected')
    assert lines[1].startswith('n1:   ERROR   cri-endpoint-missing') and lines[1].endswith('(caused by containerd-config-rejected)')


def test_every_finding_has_a_known_category():
    for fid, c in CATALOGUE.items():
        assert c['category'] in ('pull', 'consumer', 'security', 'hygiene'), fid


@pytest.mark.parametrize('text', ['version = "2"\n', 'imports = "/etc/containerd/conf.d/x.toml"\n',
                                  'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = ["/a"]\n'])
def test_values_containerd_cannot_decode(text):
    f = get(run(node('1.7.24', text)), 'containerd-config-rejected')
    assert 'wrong type' in f['explanation']
    assert 'containerd-config-rejected' not in ids(run(node('1.7.24', V2_CP)))


@pytest.mark.parametrize('text, line, words', [
    ('mirrors:\n  - docker.io\n', 1, 'mirrors is a list, expected a mapping of registry -> settings'),
    ('mirrors:\n  docker.io:\n    endpoint: "https://m.example.com"\n', 3,
     'mirrors.docker.io.endpoint is a string, expected a list of URLs'),
    ('just a string\n', 1, 'the document is a string, expected a mapping'),
    ('configs:\n  reg.example.com:\n    tls: yes\n', 3, 'configs.reg.example.com.tls is a boolean, expected a mapping'),
])
def test_registries_yaml_shapes_k3s_cannot_decode(text, line, words):
    # The same shapes the planner refuses (facts.k3s.registries_shape_problems), said with file and line.
    f = get(run(k3s(load(), registries=text)), 'k3s-registries-unparsable')
    assert words in f['explanation']
    assert f['evidence'][0].startswith('/etc/rancher/k3s/registries.yaml:%d' % line)


def test_empty_runtime_endpoint_flag_stops_kubelet():
    ev = load()
    without_process(ev, 'kubelet')
    with_file(ev, '/var/lib/kubelet/kubeadm-flags.env',
              'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint= --v=2"\n', 'kubelet-config')
    f = get(run(ev), 'kubelet-config-unparsable')
    assert f['evidence'][0].startswith('/var/lib/kubelet/kubeadm-flags.env:1')
    assert 'empty value' in f['explanation']
    with_file(ev, '/var/lib/kubelet/kubeadm-flags.env',
              'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock"\n',
              'kubelet-config')
    assert 'kubelet-config-unparsable' not in ids(run(ev))


@pytest.mark.parametrize('text, words', [
    ('unqualified-search-registries = "docker.io"\n', 'unqualified-search-registries: expected an array'),
    ('unqualified-search-registries = ["https://docker.io"]\n', 'has a URI scheme'),
    ('short-name-mode = "strict"\n', 'is not one of enforcing, permissive, disabled'),
])
def test_registries_conf_shapes_containers_image_refuses(text, words):
    # The planner's rules (facts.containers_image.file_problems), said by the doctor with the file.
    f = get(run(regconf(load(), '10-x.conf', text)), 'registries-conf-unparsable')
    assert words in f['explanation'] and '/etc/containers/registries.conf.d/10-x.conf' in f['explanation']
    assert f['evidence'][0].startswith('/etc/containers/registries.conf.d/10-x.conf:1')
