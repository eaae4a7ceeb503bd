# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The facts behind the pull failures users report in 2025-26 (docs/notes/failures-2025-26.md).

Every decision function gets a case where the failure is there and a near miss where it is not,
on the real files of tests/unit/fixtures/corpus where one exists (see SOURCES.md).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

try:
    import tomllib
except ImportError:  # pragma: no cover - Python < 3.11 controllers
    tomllib = None

import yaml

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts import (
    credential_provider, credentials, digest_mirrors, go_duration, k3s_templates, policy, pull_timeouts, spegel,
    trust_store)

CORPUS = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'corpus')
V2 = 'io.containerd.grpc.v1.cri'
V3 = 'io.containerd.cri.v1.images'

needs_toml = pytest.mark.skipif(tomllib is None, reason='tomllib needs Python 3.11')


def read(kind, name):
    with open(os.path.join(CORPUS, kind, name), 'rb') as f:
        return f.read().decode('utf-8')


def toml(kind, name):
    return tomllib.loads(read(kind, name))


# --- Go durations -------------------------------------------------------------------------------

@pytest.mark.parametrize('text,seconds', [('5m', 300.0), ('1m0s', 60.0), ('0', 0.0), ('1h30m', 5400.0),
                                          ('1.5s', 1.5), ('-2s', -2.0), ('500ms', 0.5), ('12h0m0s', 43200.0)])
def test_go_duration_parses_what_go_parses(text, seconds):
    assert go_duration.parse(text) == seconds


@pytest.mark.parametrize('text,message', [
    ('', 'time: invalid duration ""'),
    ('300', 'time: missing unit in duration "300"'),
    ('5min', 'time: unknown unit "min" in duration "5min"'),
    ('s', 'time: invalid duration "s"'),
])
def test_go_duration_refuses_with_gos_message(text, message):
    with pytest.raises(go_duration.DurationError) as exc:
        go_duration.parse(text)
    assert str(exc.value) == message


def test_go_duration_format_matches_duration_string():
    assert [go_duration.format_seconds(s) for s in (60, 300, 10, 0, 3700)] == ['1m0s', '5m0s', '10s', '0s', '1h1m40s']


# --- containerd image_pull_progress_timeout -------------------------------------------------------

@pytest.mark.parametrize('version,expected', [('1.6.20', None), ('1.7.0', 60.0), ('1.7.9', 60.0), ('1.7.10', 300.0),
                                              ('2.1.9', 300.0)])
def test_containerd_default_by_version(version, expected):
    value, source = pull_timeouts.containerd_progress_timeout(version, {'version': 2})
    assert value == expected
    assert ('added in 1.7.0' in source) == (expected is None)


def test_containerd_timeout_in_the_read_table_wins():
    cfg = {'version': 3, 'plugins': {V3: {'image_pull_progress_timeout': '20m'}}}
    assert pull_timeouts.containerd_progress_timeout('2.1.9', cfg) == (1200.0, 'plugins.%s.image_pull_progress_timeout'
                                                                       % V3)
    assert pull_timeouts.containerd_misplaced(cfg) == []


def test_containerd_timeout_under_the_old_plugin_in_a_v3_file_is_ignored():
    cfg = {'version': 3, 'plugins': {V2: {'image_pull_progress_timeout': '20m'}}}
    value, source = pull_timeouts.containerd_progress_timeout('2.1.9', cfg)
    assert (value, source) == (300.0, 'default of containerd 2.1.9')
    assert pull_timeouts.containerd_misplaced(cfg) == [('plugins', V2, 'image_pull_progress_timeout')]


def test_containerd_timeout_under_the_containerd_subtable_is_ignored():
    cfg = {'version': 2, 'plugins': {V2: {'containerd': {'image_pull_progress_timeout': '0'}}}}
    assert pull_timeouts.containerd_progress_timeout('1.7.24', cfg)[0] == 300.0
    assert pull_timeouts.containerd_misplaced(cfg) == [('plugins', V2, 'containerd', 'image_pull_progress_timeout')]


def test_containerd_empty_timeout_fails_every_pull_and_zero_disables():
    empty = {'version': 2, 'plugins': {V2: {'image_pull_progress_timeout': ''}}}
    value, source = pull_timeouts.containerd_progress_timeout('1.7.24', empty)
    assert value is None and 'every pull fails' in source
    zero = {'version': 2, 'plugins': {V2: {'image_pull_progress_timeout': '0'}}}
    assert pull_timeouts.containerd_progress_timeout('1.7.24', zero)[0] == 0.0


def test_containerd_unparseable_timeout_stops_the_cri_plugin():
    cfg = {'version': 2, 'plugins': {V2: {'image_pull_progress_timeout': '300'}}}
    value, source = pull_timeouts.containerd_progress_timeout('1.7.24', cfg)
    assert value is None and 'invalid image pull progress timeout: time: missing unit' in source


@needs_toml
def test_containerd_timeout_on_real_files():
    # kubespray renders the key where each config version reads it
    v2 = toml('containerd-config', 'kubespray-v2-config-path.toml')
    v3 = toml('containerd-config', 'kubespray-v3-containerd2.toml')
    assert pull_timeouts.containerd_misplaced(v2) == []
    assert pull_timeouts.containerd_misplaced(v3) == []
    assert pull_timeouts.containerd_progress_timeout('1.7.24', v2)[1] == 'plugins.%s.image_pull_progress_timeout' % V2
    assert pull_timeouts.containerd_progress_timeout('2.1.5', v3)[1] == 'plugins.%s.image_pull_progress_timeout' % V3


def test_progress_timeout_cut_finds_the_log_line():
    lines = ['level=info msg="PullImage \\"big:1\\""',
             'level=error msg="cancel pulling image big:1 because of no progress in 1m0s"']
    assert pull_timeouts.progress_timeout_cut(lines) == lines[1]
    assert pull_timeouts.progress_timeout_cut(lines[:1]) is None


# --- CRI-O pull_progress_timeout --------------------------------------------------------------------

@pytest.mark.parametrize('version,expected,configurable', [
    ('1.29.13', None, False), ('1.30.0', 10.0, False), ('1.30.10', 10.0, False), ('1.30.11', 10.0, True),
    ('1.31.2', 10.0, False), ('1.31.3', 10.0, True), ('1.32.0', 10.0, True), ('1.33.0', 0.0, True)])
def test_crio_default_by_version(version, expected, configurable):
    assert pull_timeouts.crio_default(version)[0] == expected
    assert pull_timeouts.crio_configurable(version) is configurable


def test_crio_last_dropin_wins_and_fixed_releases_ignore_it():
    layers = [('/etc/crio/crio.conf', {'crio': {'image': {'pull_progress_timeout': '30s'}}}),
              ('/etc/crio/crio.conf.d/99-pullfix.conf', {'crio': {'image': {'pull_progress_timeout': '10m'}}})]
    assert pull_timeouts.crio_pull_progress_timeout('1.32.3', layers) == (
        600.0, '/etc/crio/crio.conf.d/99-pullfix.conf [crio.image] pull_progress_timeout')
    assert pull_timeouts.crio_pull_progress_timeout('1.31.2', layers)[0] == 10.0


@needs_toml
def test_crio_real_dropin_without_the_key_keeps_the_default():
    layers = [('/etc/crio/crio.conf.d/50-runc.conf', toml('crio-conf', 'crio-test-50-runc.conf'))]
    assert pull_timeouts.crio_pull_progress_timeout('1.32.3', layers) == (10.0, 'default of CRI-O 1.32.3')
    assert pull_timeouts.crio_misplaced(layers) == []


def test_crio_key_outside_crio_image_is_not_read():
    layers = [('/etc/crio/crio.conf.d/10-x.conf', {'crio': {'pull_progress_timeout': '5m'}})]
    assert pull_timeouts.crio_pull_progress_timeout('1.32.3', layers)[0] == 10.0
    assert pull_timeouts.crio_misplaced(layers) == [('/etc/crio/crio.conf.d/10-x.conf', ('crio', 'pull_progress_timeout'))]


# --- mirror credentials -----------------------------------------------------------------------------

@pytest.mark.parametrize('server,host', [('https://index.docker.io/v1/', 'index.docker.io'),
                                         ('https://mirror.example.com:5000', 'mirror.example.com:5000'),
                                         ('docker.io', ''), ('', '')])
def test_go_url_host(server, host):
    assert credentials.go_url_host(server) == host


def test_kubelet_credentials_for_upstream_never_reach_a_mirror():
    auth = {'server_address': 'https://index.docker.io/v1/'}
    who, why = credentials.mirror_auth_reaches('mirror.example.com', auth, config_auths=['mirror.example.com'])
    assert who is None and 'does not read registry.configs."mirror.example.com".auth' in why
    # near miss: the upstream host itself gets them
    assert credentials.mirror_auth_reaches('index.docker.io', auth)[0] == 'kubelet'


def test_configs_auth_used_only_when_kubelet_sent_nothing():
    assert credentials.mirror_auth_reaches('mirror.example.com', None, ['mirror.example.com'])[0] == 'config'
    assert credentials.mirror_auth_reaches('mirror.example.com', None, ['other.example.com'])[0] is None


def test_header_always_reaches_and_empty_server_address_reaches_everyone():
    auth = {'server_address': 'https://index.docker.io/v1/'}
    assert credentials.mirror_auth_reaches('mirror.example.com', auth, header_hosts=['mirror.example.com'])[0] == 'header'
    assert credentials.mirror_auth_reaches('mirror.example.com', {'server_address': ''})[0] == 'kubelet'


@needs_toml
def test_registry_auth_read_from_real_kubespray_files():
    v2 = toml('containerd-config', 'kubespray-v2-mirrors-auth.toml')
    assert credentials.read_auth_hosts(v2) == ['10.0.0.2:5000']
    assert credentials.misplaced_auth(v2) == []
    # the version 3 file kubespray 2.28+ renders for containerd 2.x has no auth at all
    v3 = toml('containerd-config', 'kubespray-v3-containerd2.toml')
    assert credentials.auth_tables(v3) == []


def test_v2_auth_table_in_a_v3_file_is_never_read():
    cfg = {'version': 3, 'plugins': {V2: {'registry': {'configs': {'r.example.com': {'auth': {'username': 'u'}}}}}}}
    assert credentials.misplaced_auth(cfg) == [(('plugins', V2, 'registry', 'configs', 'r.example.com', 'auth'),
                                                'r.example.com', V3)]
    assert credentials.read_auth_hosts(cfg) == []
    moved = {'version': 3, 'plugins': {V3: {'registry': {'configs': {'r.example.com': {'auth': {'username': 'u'}}}}}}}
    assert credentials.read_auth_hosts(moved) == ['r.example.com']


@pytest.mark.parametrize('kubespray,containerd,dropped', [('2.28.0', '2.0.5', True), ('v2.31.0', '2.1.5', True),
                                                          ('2.27.1', '2.0.5', False), ('2.29.0', '1.7.27', False)])
def test_kubespray_drops_registry_auth(kubespray, containerd, dropped):
    assert credentials.kubespray_drops_auth(kubespray, containerd) is dropped


def test_secret_file_mode():
    assert credentials.secret_file_mode_ok('0600') and credentials.secret_file_mode_ok(0o400)
    assert not credentials.secret_file_mode_ok('0644')


@needs_toml
def test_hosts_toml_header_lands_in_the_mirror_table():
    text = 'server = "https://registry-1.docker.io"\n[host."https://mirror.example.com"]\n  capabilities = ["pull"]\n'
    text += credentials.hosts_toml_auth_header('https://mirror.example.com', 'dTpw')
    data = tomllib.loads(text)
    assert data['host']['https://mirror.example.com']['header'] == {'Authorization': 'Basic dTpw'}


@needs_toml
def test_real_header_under_a_mistyped_host_reaches_no_mirror():
    data = toml('mirror-credentials', 'kubespray-12575-hosts-header.toml')
    with_header = [h for h, t in data['host'].items() if isinstance(t, dict) and 'header' in t]
    assert with_header == ['https://registry -example.com']
    assert credentials.go_url_host('https://registry-example.com') not in [credentials.go_url_host(h)
                                                                           for h in with_header]


# --- signature policy -------------------------------------------------------------------------------

@pytest.mark.parametrize('name', ['containers-image-default-policy.json', 'containers-image-fixture-policy.json',
                                  'crio-test-policy.json'])
def test_real_policies_are_accepted(name):
    assert policy.validate(read('policy-json', name)) == []


def test_fixture_policy_needs_sigstore_support():
    text = read('policy-json', 'containers-image-fixture-policy.json')
    problems = policy.validate(text, (5, 21, 0))
    found = [(line, m.split(' needs', maxsplit=1)[0]) for line, m in problems]
    assert found == [(82, '"keyPaths"'), (144, '"sigstoreSigned"'), (150, '"sigstoreSigned"')]
    assert policy.validate(text, policy.image_library_for_crio('1.26.0')) == []


@pytest.mark.parametrize('text,line,message', [
    ('{"default": [{"type": "insecureAcceptAnything"}],\n "default": []}', 2, 'Duplicate key "default"'),
    ('{"default": [{"type": "insecureAcceptAnything"}],\n "registries": {}}', 2, 'Unknown key "registries"'),
    ('{"transports": {}}', 1, 'Default policy is missing'),
    ('{"default": []}', 1, 'List of verification policy requirements must not be empty'),
    ('{"default": [\n {"type": "acceptAnything"}]}', 2, 'Unknown policy requirement type "acceptAnything"'),
    ('{"default": [{"type": "reject", "keyPath": "/k"}]}', 1, 'Unknown key "keyPath"'),
    ('{"default": [{"type": "signedBy", "keyType": "GPGKeys"}]}', 1,
     'Exactly one of keyPath, keyPaths and keyData must be specified, none of them present'),
    ('{"default": [{"type": "signedBy", "keyType": "PGP", "keyPath": "/k"}]}', 1, 'Unrecognized keyType value "PGP"'),
    ('{"default": [{"type": "sigstoreSigned"}]}', 1,
     'exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, and pki must be specified'),
    ('{"default": [{"type": "signedBaseLayer"}]}', 1, 'Key "baseLayerIdentity" missing in a JSON object'),
    ('{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k",\n "signedIdentity": '
     '{"type": "exactReference", "dockerReference": "quay.io/a/b"}}]}', 2,
     'dockerReference "quay.io/a/b" contains neither a tag nor digest'),
    ('{"default": [{"type": "insecureAcceptAnything"}]', 1, 'unexpected end of JSON input'),
])
def test_policy_rejections(text, line, message):
    assert (line, message) in policy.validate(text)


def test_policy_near_miss_unknown_transport_and_any_docker_scope_are_kept():
    text = ('{"default": [{"type": "reject"}], "transports": {"my-transport": {"x": [{"type": "reject"}]},'
            ' "docker": {"*.example.com": [{"type": "insecureAcceptAnything"}]}}}')
    assert policy.validate(text) == []


def test_policy_newer_keys_against_older_runtimes():
    pki = '{"default": [{"type": "sigstoreSigned", "pki": {"caRootsPath": "/r"}}]}'
    assert policy.validate(pki, policy.image_library_for_crio('1.33.0')) == []
    problems = policy.validate(pki, policy.image_library_for_crio('1.32.0'))
    assert problems == [(1, '"pki" needs containers/image 5.35.0 or later (this runtime has 5.33.0): '
                            'the policy is rejected')]


def test_policy_paths_and_missing_error():
    assert policy.candidate_paths() == ['/root/.config/containers/policy.json', '/etc/containers/policy.json']
    assert policy.candidate_paths(signature_policy='/etc/crio/policy.json') == ['/etc/crio/policy.json']
    assert policy.missing_error() == ('no policy.json file found at any of the following: '
                                      '"/root/.config/containers/policy.json", "/etc/containers/policy.json"')
    assert policy.missing_error(signature_policy='/etc/containers/policy.json') == (
        'open /etc/containers/policy.json: no such file or directory')


def test_policy_rejects_everything():
    assert policy.rejects_everything('{"default": [{"type": "reject"}]}')
    assert not policy.rejects_everything(read('policy-json', 'containers-image-fixture-policy.json'))


# --- kubelet credential provider --------------------------------------------------------------------

@pytest.mark.parametrize('name', ['eks-nodeadm-ecr-1.31.json', 'eks-al2-ecr-credential-provider-config.json'])
def test_real_credential_provider_configs_are_valid(name):
    text = read('credential-provider', name)
    assert credential_provider.check(text) == []
    listing = {'ecr-credential-provider': {'mode': 0o755, 'interpreter': None}}
    assert credential_provider.check(text, listing) == []


def test_real_config_with_a_musl_plugin_on_glibc():
    text = read('credential-provider', 'eks-nodeadm-ecr-1.31.json')
    listing = {'ecr-credential-provider': {'mode': 0o755, 'interpreter': '/lib/ld-musl-x86_64.so.1',
                                           'interpreter_exists': False}}
    problems = credential_provider.check(text, listing, bin_dir='/usr/local/lib/kubelet/credentialproviders')
    assert len(problems) == 1 and ('fork/exec /usr/local/lib/kubelet/credentialproviders/ecr-credential-provider: '
                                   'no such file or directory') in problems[0][1]
    assert problems[0][0] == 6     # the provider's "name" line


def test_missing_and_non_executable_binaries_stop_kubelet():
    assert 'did not exist' in credential_provider.binary_problem('ecr', {})
    assert 'binary directory' in credential_provider.binary_problem('ecr', {'.missing': True})
    assert 'permission denied' in credential_provider.binary_problem('ecr', {'ecr': {'mode': '0644'}})
    assert credential_provider.binary_problem('ecr', {'ecr': {'mode': '0755'}}) is None


def test_credential_provider_validation_like_kubelet():
    text = '\n'.join([
        'apiVersion: kubelet.config.k8s.io/v1',
        'kind: CredentialProviderConfig',
        'providers:',
        '  - name: my/plugin',
        '    apiVersion: credentialprovider.kubelet.k8s.io/v2',
        '    matchImages: []',
        '    cacheDuration: 12h',
    ])
    messages = [m for _l, m in credential_provider.check(text)]
    assert any("provider name cannot contain '/'" in m for m in messages)
    assert any('Unsupported value: "credentialprovider.kubelet.k8s.io/v2"' in m for m in messages)
    assert any('at least 1 item in matchImages is required' in m for m in messages)
    assert any('defaultCacheDuration: Required value' in m for m in messages)
    assert any('unknown field "providers[0].cacheDuration"' in m for m in messages)


def test_credential_provider_kind_and_duration():
    text = ('{"apiVersion": "kubelet.config.k8s.io/v1", "kind": "KubeletConfiguration", "providers": [{"name": "x",'
            ' "apiVersion": "credentialprovider.kubelet.k8s.io/v1", "matchImages": ["*.io"], '
            '"defaultCacheDuration": "-1m"}]}')
    messages = [m for _l, m in credential_provider.check(text)]
    assert 'failed to decode "KubeletConfiguration" (wrong Kind)' in messages
    assert any('greater than or equal to 0' in m for m in messages)


def test_token_attributes_need_v1():
    text = ('{"apiVersion": "kubelet.config.k8s.io/v1", "kind": "CredentialProviderConfig", "providers": [{"name": "x",'
            ' "apiVersion": "credentialprovider.kubelet.k8s.io/v1beta1", "matchImages": ["*.io"], '
            '"defaultCacheDuration": "1m", "tokenAttributes": {}}]}')
    assert any('only supported for credentialprovider.kubelet.k8s.io/v1' in m
               for _l, m in credential_provider.check(text))


@pytest.mark.parametrize('pattern,image,match', [
    ('*.dkr.ecr.*.amazonaws.com', '123.dkr.ecr.eu-central-1.amazonaws.com/app', True),
    ('*.dkr.ecr.*.amazonaws.com', '123.dkr.ecr.eu-central-1.amazonaws.com.cn/app', False),
    ('*.registry.io', 'registry.io/app', False),
    ('*.registry.io', 'a.b.registry.io/app', False),
    ('registry.io:5000', 'registry.io/app', False),
    ('registry.io/team', 'registry.io/team/app', True),
    ('registry.io/team', 'registry.io/other/app', False),
])
def test_match_images_globs_like_kubelet(pattern, image, match):
    assert credential_provider.matches(pattern, image) is match


def test_providers_for_real_config():
    config = yaml.safe_load(read('credential-provider', 'eks-nodeadm-ecr-1.31.json'))
    assert credential_provider.providers_for(config, '602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/pause:3.5') == [
        'ecr-credential-provider']
    assert credential_provider.providers_for(config, 'docker.io/library/nginx:1.27') == []


def test_flags_and_config_directory_order():
    args = ['--config=/var/lib/kubelet/config.yaml', '--image-credential-provider-config=/etc/k/cp.yaml',
            '--image-credential-provider-bin-dir', '/usr/libexec/kubelet-plugins']
    assert credential_provider.flags(args) == {'--image-credential-provider-config': '/etc/k/cp.yaml',
                                               '--image-credential-provider-bin-dir': '/usr/libexec/kubelet-plugins'}
    assert credential_provider.flags(['--config=/x']) == {}
    assert credential_provider.directory_files(['b.yaml', 'a.json', 'README', 'c.yml.bak']) == ['a.json', 'b.yaml']


def test_ecr_plugin_before_1_27_1_speaks_only_v1alpha1():
    assert credential_provider.plugin_speaks('ecr-credential-provider', '1.26.4',
                                             'credentialprovider.kubelet.k8s.io/v1') is False
    assert credential_provider.plugin_speaks('ecr-credential-provider', '1.27.1',
                                             'credentialprovider.kubelet.k8s.io/v1') is True
    assert credential_provider.plugin_speaks('other', '0.1.0', 'credentialprovider.kubelet.k8s.io/v1') is None


# --- digest-only mirrors ----------------------------------------------------------------------------

def test_digest_only_registry_sends_tag_pulls_upstream():
    reg = {'prefix': 'docker.io', 'mirror-by-digest-only': True, 'mirror': [{'location': 'mirror.example.com'}]}
    assert digest_mirrors.mirrors_for(reg, False) == []
    assert digest_mirrors.mirrors_for(reg, True) == ['mirror.example.com']
    assert digest_mirrors.tag_pulls_bypass_mirrors(reg)


def test_per_mirror_modes():
    reg = {'prefix': 'quay.io', 'mirror': [{'location': 'a', 'pull-from-mirror': 'digest-only'},
                                           {'location': 'b', 'pull-from-mirror': 'tag-only'}, {'location': 'c'}]}
    assert digest_mirrors.mirrors_for(reg, False) == ['b', 'c']
    assert digest_mirrors.mirrors_for(reg, True) == ['a', 'c']
    assert not digest_mirrors.tag_pulls_bypass_mirrors(reg)
    assert digest_mirrors.problems(reg) == []


def test_mirror_settings_containers_image_rejects():
    both = {'prefix': 'docker.io', 'mirror-by-digest-only': True,
            'mirror': [{'location': 'm', 'pull-from-mirror': 'digest-only'}]}
    assert digest_mirrors.problems(both) == [
        'cannot set mirror usage mirror-by-digest-only for the registry ("docker.io") and pull-from-mirror for '
        'per-mirror ("m") at the same time']
    assert digest_mirrors.problems({'prefix': 'r', 'mirror': [{'location': 'm', 'pull-from-mirror': 'digest'}]}) == [
        'unsupported pull-from-mirror value "digest" for mirror "m"']
    assert digest_mirrors.problems({'prefix': 'r', 'pull-from-mirror': 'all'}) == [
        'pull-from-mirror must not be set for a non-mirror registry "r"']


def test_is_digested():
    assert digest_mirrors.is_digested('nginx:1.27@sha256:' + 'a' * 64)
    assert not digest_mirrors.is_digested('nginx:1.27')


# --- trust store ------------------------------------------------------------------------------------

def test_trust_store_paths_follow_go():
    assert trust_store.paths()[0] == '/etc/ssl/certs/ca-certificates.crt'
    assert '/etc/pki/tls/certs/ca-bundle.crt' in trust_store.paths()
    assert trust_store.bundle_in_use({'/etc/pki/tls/certs/ca-bundle.crt': 1,
                                      '/etc/ssl/cert.pem': 1}) == '/etc/pki/tls/certs/ca-bundle.crt'
    assert trust_store.bundle_in_use({}, {'SSL_CERT_FILE': '/opt/ca.pem'}) == '/opt/ca.pem'


def test_ca_added_after_the_runtime_started():
    mtimes = {'/etc/ssl/certs/ca-certificates.crt': 2000, '/etc/ssl/certs/corp-ca.pem': 2100,
              '/etc/ssl/cert.pem': 5000, '/usr/local/share/ca-certificates/corp.crt': 1900}
    assert trust_store.changed_since_start(mtimes, 1500) == ['/etc/ssl/certs/corp-ca.pem',
                                                             '/etc/ssl/certs/ca-certificates.crt']
    # near miss: the runtime restarted after update-ca-certificates
    assert trust_store.changed_since_start(mtimes, 3000) == []


# --- k3s templates and embedded registry ------------------------------------------------------------

def test_real_base_template_keeps_registries():
    text = read('k3s-templates', 'k3s-7992-base-plus-registry-auth.toml.tmpl')
    assert k3s_templates.extends_base(text) and not k3s_templates.is_full_copy(text)


def test_real_copied_config_drops_registries():
    assert k3s_templates.is_full_copy(read('k3s-templates', 'k3s-6606-generated-config-copied.toml'))


def test_real_copy_pointing_at_generated_certs_d_keeps_registries():
    text = read('k3s-templates', 'spegel-212-config.toml.tmpl')
    assert not k3s_templates.extends_base(text)
    assert not k3s_templates.is_full_copy(text)
    assert not k3s_templates.is_full_copy('config_path = {{ printf "%q" .NodeConfig.Containerd.Registry }}\n')


@pytest.mark.parametrize('version,base,v3', [('v1.27.4+k3s1', False, False), ('v1.27.5+k3s1', True, False),
                                             ('v1.31.5+k3s1', True, False), ('v1.31.6+k3s1', True, True),
                                             ('v1.32.2+k3s1', True, True), ('v1.33.1+rke2r1', True, True)])
def test_k3s_release_gates(version, base, v3):
    assert k3s_templates.base_available(version) is base
    assert k3s_templates.uses_containerd2(version) is v3


def test_active_template():
    both = ('config.toml.tmpl', 'config-v3.toml.tmpl')
    assert k3s_templates.active_template('v1.32.2+k3s1', both) == 'config-v3.toml.tmpl'
    assert k3s_templates.active_template('v1.32.2+k3s1', both[:1]) == 'config.toml.tmpl'
    assert k3s_templates.active_template('v1.30.4+k3s1', both) == 'config.toml.tmpl'
    assert k3s_templates.active_template('v1.32.2+k3s1', ()) is None


def test_real_embedded_registry_setup():
    regs = yaml.safe_load(read('k3s-embedded-registry', 'k3s-9026-registries.yaml'))
    config = yaml.safe_load(read('k3s-embedded-registry', 'k3s-9026-config.yaml'))
    assert k3s_templates.embedded_registry_serves(regs, config.get('embedded-registry')) == [
        'docker.io', 'gcr.io', 'ghcr.io', 'quay.io', 'registry.k8s.io']
    assert k3s_templates.embedded_registry_serves({}, True) == []
    assert k3s_templates.embedded_registry_serves(regs, False) == []


# --- Spegel and discard_unpacked_layers ---------------------------------------------------------------

@needs_toml
@pytest.mark.parametrize('name,starved', [('eks-al2023-nodeadm-template-v2.toml', True),
                                          ('eks-nodeadm-merged-v3.toml', True), ('kubespray-v2-config-path.toml', True),
                                          # near misses: the user's override, kubespray for containerd 2, the default
                                          ('eks-nodeadm-merged-v2.toml', False), ('kubespray-v3-containerd2.toml', False),
                                          ('containerd-1.7-config-default.toml', False)])
def test_spegel_on_real_configs(name, starved):
    assert spegel.spegel_starved(toml('containerd-config', name)) is starved


def test_discard_in_a_v2_file_without_runtimes_is_not_migrated_by_2x():
    cfg = {'version': 2, 'plugins': {V2: {'containerd': {'discard_unpacked_layers': True}}}}
    assert spegel.discard_setting(cfg, containerd_major=1)[0] is True
    assert spegel.discard_setting(cfg, containerd_major=2)[0] is False
    assert not spegel.spegel_starved(cfg, containerd_major=2)
    assert not spegel.spegel_starved(cfg, containerd_major=1, spegel_wanted=False)


def test_signed_by_key_paths_on_crio_1_24():
    # the RHEL 8.7 containers-common policy shape of cri-o#6197: signedBy with keyPaths
    text = ('{"default": [{"type": "insecureAcceptAnything"}], "transports": {"docker": {"registry.access.redhat.com": '
            '[{"type": "signedBy", "keyType": "GPGKeys",\n "keyPaths": ["/etc/pki/rpm-gpg/a", "/etc/pki/rpm-gpg/b"]}]}}}')
    assert policy.validate(text, policy.image_library_for_crio('1.24.2')) == [
        (2, '"keyPaths" needs containers/image 5.22.0 or later (this runtime has 5.17.0): the policy is rejected')]
    assert policy.validate(text, policy.image_library_for_crio('1.25.0')) == []


def _elf64(interp):
    """A minimal little-endian ELF64 header with one program header (PT_INTERP or PT_LOAD)."""
    import struct
    phoff = 64
    data_at = phoff + 56
    body = interp.encode() + b'\0' if interp else b''
    header = b'\x7fELF\x02\x01\x01' + b'\0' * 9
    header += struct.pack('<HHIQQQIHHHHHH', 2, 62, 1, 0, phoff, 0, 0, 64, 56, 1, 0, 0, 0)
    ptype = 3 if interp else 1
    ph = struct.pack('<IIQQQQQQ', ptype, 4, data_at, data_at, data_at, len(body), len(body), 1)
    return header + ph + body


def test_elf_interpreter_of_a_musl_build_and_a_static_one():
    assert credential_provider.elf_interpreter(_elf64('/lib/ld-musl-x86_64.so.1')) == '/lib/ld-musl-x86_64.so.1'
    assert credential_provider.elf_interpreter(_elf64('')) == ''
    assert credential_provider.elf_interpreter(b'#!/bin/sh\necho {}\n' + b' ' * 60) is None
    assert credential_provider.elf_interpreter(_elf64('/lib/ld-musl-x86_64.so.1')[:90]) is None


@needs_toml
def test_real_header_table_with_a_space_makes_containerd_drop_the_file():
    data = toml('mirror-credentials', 'kubespray-12575-hosts-header.toml')
    problems = credentials.header_problems(data)
    assert problems == [('https://registry -example.com',
                         'unable to parse server https://registry -example.com: parse "https://registry -example.com": '
                         'invalid character " " in host name: containerd ignores this whole hosts.toml ("failed to '
                         'decode")')]


def test_header_problems_near_misses():
    good = {'server': 'https://r.example.com', 'host': {'https://m.example.com': {
        'capabilities': ['pull', 'resolve'], 'header': {'Authorization': 'Basic x'}}}}
    assert credentials.header_problems(good) == []
    split = {'host': {'https://m.example.com': {'capabilities': ['pull']},
                      'https://m.example.com:443': {'header': {'Authorization': 'Basic x'}}}}
    assert 'not on https://m.example.com' in credentials.header_problems(split)[0][1]
    assert credentials.host_key_error('m.example.com:5000') is None


def test_effective_policy_path_for_crio():
    layers = [('/etc/crio/crio.conf', {'crio': {'image': {}}})]
    system = '/etc/containers/policy.json'
    assert policy.effective_path(layers, {system}) == (system, None)
    # root's user policy shadows the system file
    assert policy.effective_path(layers, {system, '/root/.config/containers/policy.json'})[0] == (
        '/root/.config/containers/policy.json')
    # a namespace policy wins for pods of that namespace only
    existing = {system, '/etc/crio/policies/team-a.json'}
    assert policy.effective_path(layers, existing, 'team-a')[0] == '/etc/crio/policies/team-a.json'
    assert policy.effective_path(layers, existing, 'team-b')[0] == system
    named = layers + [('/etc/crio/crio.conf.d/10-policy.conf', {'crio': {'image': {'signature_policy': '/etc/crio/p.json'}}})]
    assert policy.effective_path(named, {system}) == (None, 'open /etc/crio/p.json: no such file or directory')
    assert policy.effective_path(layers, set())[1].startswith('no policy.json file found')


def test_one_credential_provider_flag_without_the_other_stops_kubelet():
    only_config = credential_provider.flags(['--image-credential-provider-config=/etc/k/cp.yaml'])
    assert 'kubelet exits' in credential_provider.flag_problems(only_config)[0]
    only_dir = credential_provider.flags(['--image-credential-provider-bin-dir=/usr/libexec/k'])
    assert 'config path is empty' in credential_provider.flag_problems(only_dir)[0]
    both = credential_provider.flags(['--image-credential-provider-config=/c', '--image-credential-provider-bin-dir=/d'])
    assert credential_provider.flag_problems(both) == [] and credential_provider.flag_problems({}) == []


def test_match_images_star_matches_one_host_part_only():
    assert credential_provider.matches('*', 'localhost/app')
    assert not credential_provider.matches('*', 'registry.example.com/app')
    assert credential_provider.matches('*.*.*', 'registry.example.com/app')


def test_per_registry_ca_dirs_for_crio():
    assert trust_store.per_registry_ca_dirs('registry.local:5000') == [
        '/root/.config/containers/certs.d/registry.local:5000', '/etc/containers/certs.d/registry.local:5000',
        '/etc/docker/certs.d/registry.local:5000']
