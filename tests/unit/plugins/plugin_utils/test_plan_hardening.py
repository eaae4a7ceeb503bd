# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The containerd_registry planner on hostile and real input: never a traceback, never data
loss, never a credential in a message, and the same reading of the facts as the diagnosis."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import os
import tomllib

import pytest
import yaml

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan import PlanError, sha256_text
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.containerd_registry import plan as _plan_containerd_registry
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.containerd_registry.hosts_toml import MARKER
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.settings import MAX_ENTRIES, plain, plain_settings

from pullfix_helpers import load, run, set_containerd_version, with_file, with_hosts, with_runtime

plan_containerd_registry = with_runtime(_plan_containerd_registry)
from test_plan_containerd import CD, CFG, DOCKER_IO, MIRRORS_CFG, RT16, RT17, apply, by_path, ev12

RT21 = {'name': 'containerd', 'version': '2.1.9', 'containerd_version': '2.1.9'}
K3S = {'name': 'k3s', 'version': 'v1.32.3+k3s1'}
REG = '/etc/rancher/k3s/registries.yaml'
CANARY = 'Canary-s3cr3t-7f3a'
CONFIGS = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'configs')
EVIDENCE = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'evidence')
USER_MIRROR = {'docker.io': {'endpoints': ['https://mirror.example.com']}}


def real(name):
    with open(os.path.join(CONFIGS, name), newline='') as f:
        return f.read()


def with_config(text, runtime=None, mirrors=None, **settings):
    runtime = runtime or RT16
    ev = ev12()
    with_file(ev, CFG, text, 'containerd-config')
    settings['registry_mirrors'] = DOCKER_IO if mirrors is None else mirrors
    return ev, plan_containerd_registry(ev, runtime, settings)


def refused(result, path):
    """Nothing planned for ``path`` and an error naming it."""
    assert path not in by_path(result)
    assert any(e.startswith(path) for e in result['errors']), result['errors']


def messages(result):
    return result['errors'] + result['notes'] + [c['reason'] for c in result['changes']]


# ---------------------------------------------------------------- 1. data loss

@pytest.mark.parametrize('how', ['truncated', 'unreadable'])
def test_config_toml_not_read_whole_is_never_rewritten(how):
    ev = ev12()
    if how == 'truncated':
        with_file(ev, CFG, 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n', 'containerd-config', truncated=True)
        ev['files'][CFG]['stat']['size'] = 9000000
    else:
        with_file(ev, CFG, None, 'containerd-config', error={'kind': 'not_utf8', 'message': 'not valid UTF-8'})
    result = plan_containerd_registry(ev, RT16, {'registry_mirrors': DOCKER_IO})
    assert result['changes'] == []
    refused(result, CFG)


@pytest.mark.parametrize('how', ['truncated', 'unreadable'])
def test_hosts_toml_not_read_whole_is_never_rewritten(how):
    ev = ev12()
    with_file(ev, CFG, 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n',
              'containerd-config')
    target = CD + '/docker.io/hosts.toml'
    with_hosts(ev, CD, 'docker.io', 'server = "https://registry-1.docker.io"\n')
    ev['files'][target].update(truncated=how == 'truncated', content=None if how == 'unreadable' else 'server = "https://re',
                               error={'kind': 'permission_denied', 'message': 'permission denied'} if how == 'unreadable' else None)
    result = plan_containerd_registry(ev, RT16, {'registry_mirrors': DOCKER_IO})
    assert target not in by_path(result)
    assert [e for e in result['errors'] if e.startswith(target)]


@pytest.mark.parametrize('how', ['truncated', 'unreadable'])
def test_registries_yaml_not_read_whole_is_never_rewritten(how):
    ev = ev12()
    with_file(ev, REG, 'mirrors:\n  quay.io:\n', 'k3s-registries', truncated=how == 'truncated',
              error=None if how == 'truncated' else {'kind': 'binary', 'message': 'holds NUL bytes'})
    result = plan_containerd_registry(ev, K3S, {'registry_mirrors': USER_MIRROR})
    assert result['changes'] == []
    refused(result, REG)


def test_import_not_read_whole_stops_the_plan():
    ev = ev12()
    with_file(ev, CFG, 'version = 2\nimports = ["/etc/containerd/conf.d/*.toml"]\n', 'containerd-config')
    with_file(ev, '/etc/containerd/conf.d/10-a.toml', 'version = 2\n', 'containerd-config', truncated=True)
    result = plan_containerd_registry(ev, RT17, {'registry_mirrors': DOCKER_IO})
    assert result['changes'] == []
    assert result['errors'][0].startswith('/etc/containerd/conf.d/10-a.toml: larger than the gathering cap')


# ---------------------------------------------------------------- 2. credentials

def test_password_in_deprecated_mirror_url_moves_to_a_0600_header():
    text = ('version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."quay.io"]\n'
            '  endpoint = ["https://puller:%s@quay-mirror.example.com"]\n' % CANARY)
    ev, result = with_config(text)
    hosts = by_path(result)[CD + '/quay.io/hosts.toml']
    token = base64.b64encode(('puller:' + CANARY).encode()).decode()
    assert (hosts['mode'], hosts['secret']) == ('0600', True)
    assert '[host."https://quay-mirror.example.com"]' in hosts['content']
    assert 'Authorization = "Basic %s"' % token in hosts['content']
    assert CANARY not in hosts['content'] and 'puller' not in hosts['content'].replace(token, '')
    cfg = by_path(result)[CFG]
    assert cfg['secret'] is True and CANARY not in cfg['content']
    assert set(result['secrets']) >= {CANARY, 'puller:' + CANARY, 'Basic ' + token}
    assert not [m for m in messages(result) if CANARY in m or token in m]


def test_password_in_a_setting_is_refused_without_echoing_it():
    for key in ('endpoints', 'server'):
        spec = {'endpoints': ['https://m.example']}
        spec[key] = 'https://u:%s@m.example' % CANARY if key == 'server' else ['https://u:%s@m.example' % CANARY]
        with pytest.raises(PlanError) as exc:
            plan_containerd_registry(ev12(), RT16, {'registry_mirrors': {'docker.io': spec}})
        assert 'carries credentials in the URL' in str(exc.value)
        assert CANARY not in str(exc.value)


def test_config_toml_with_auth_keeps_its_mode_and_is_secret():
    text = ('version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.configs."r.example".auth]\n'
            '  username = "u"\n  password = "%s"\n  identitytoken = "tok-%s"\n' % (CANARY, CANARY))
    ev = ev12()
    with_file(ev, CFG, text, 'containerd-config', mode='0600')
    result = plan_containerd_registry(ev, RT16, {'registry_mirrors': DOCKER_IO})
    cfg = by_path(result)[CFG]
    assert (cfg['mode'], cfg['secret']) == (None, True)
    assert 'password = "%s"' % CANARY in cfg['content']
    assert result['secrets'] == ['tok-' + CANARY, CANARY]
    assert not [m for m in messages(result) if CANARY in m]


def test_secrets_lists_header_values_longest_first():
    result = plan_containerd_registry(ev12(), RT16, {'registry_mirrors': {'ghcr.io': {
        'endpoints': ['https://m.example'], 'headers': {'Authorization': 'Bearer ' + CANARY, 'X-Key': ['a' + CANARY, 'b']}}}})
    assert result['secrets'] == ['Bearer ' + CANARY, 'a' + CANARY, 'b']


CANARY_CONFIGS = [
    'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.configs."r.example"]\n  auth = "%s"\n',
    'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  configs = "%s"\n',
    'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.configs."r.example".auth]\n  password = "%s"\n'
    '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."q.io"]\n  endpoint = ["https://u:%s@m.example/?a=1"]\n',
    'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."q.io"]\n  endpoint = ["https://u:%s@m.example:port"]\n',
    'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."q.io"]\n  endpoint = ["https://u:%s@m.example", 5]\n',
    'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."q.io"]\n  endpoint = "https://u:%s@m.example"\n',
    'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."q.io"]\n  endpoint = ["ftp://u:%s@m.example"]\n',
    'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors]\n  "q.io" = "https://u:%s@m"\n',
    'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.configs."r.example".auth]\n  password = "%s\n',
    'version = 2\ndisabled_plugins = "https://u:%s@x"\n',
    'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "https://u:%s@x"\n',
]
CANARY_YAML = [
    'configs:\n  r.example:\n    auth:\n      password: "%s\n',
    'configs:\n  r.example: "%s"\n',
    'configs:\n  r.example:\n    auth: {password: %s}\n    auth: {password: %s}\n',
    'mirrors:\n  q.io:\n    endpoint: "https://u:%s@m.example"\nconfigs: {r: {auth: {password: %s}}}\n',
    'mirrors: "https://u:%s@m.example"\n',
    '- %s\n',
]


@pytest.mark.parametrize('template', CANARY_CONFIGS)
@pytest.mark.parametrize('runtime', [RT16, RT21])
def test_no_message_ever_holds_a_credential_config_toml(template, runtime):
    text = template.replace('%s', CANARY)
    ev, result = with_config(text, runtime)
    assert result['errors'] or result['changes']
    leaked = [m for m in messages(result) if CANARY in m]
    assert leaked == []


@pytest.mark.parametrize('template', CANARY_YAML)
def test_no_message_ever_holds_a_credential_registries_yaml(template):
    ev = ev12()
    with_file(ev, REG, template.replace('%s', CANARY), 'k3s-registries')
    result = plan_containerd_registry(ev, K3S, {'registry_mirrors': USER_MIRROR})
    assert result['errors'] or result['changes']
    assert [m for m in messages(result) if CANARY in m] == []


def test_registries_yaml_auth_values_are_secrets():
    ev = ev12()
    with_file(ev, REG, 'configs:\n  r.example:\n    auth:\n      username: u\n      password: %s\n      token: t-%s\n'
              % (CANARY, CANARY), 'k3s-registries', mode='0600')
    result = plan_containerd_registry(ev, K3S, {'registry_mirrors': USER_MIRROR})
    change, = result['changes']
    assert (change['secret'], change['mode']) == (True, '0600')
    assert result['secrets'] == ['t-' + CANARY, CANARY]


# ---------------------------------------------------------------- 3. values from Ansible

def test_plain_makes_ansible_values_dumpable():
    from ansible._internal._datatag._tags import TrustedAsTemplate
    tag = TrustedAsTemplate()

    class Str(str):
        pass

    class Dict(dict):
        pass

    class List(list):
        pass

    value = Dict({tag.tag('docker.io'): Dict(endpoints=tag.tag([tag.tag('https://m.example'), Str('https://n.example')]),
                                             more=List([Str('x')]),
                                             fallback=True, weight=1.5, none=None)})
    with pytest.raises(yaml.representer.RepresenterError):
        yaml.safe_dump(value)
    out = plain(value)
    assert yaml.safe_dump(out) == ('docker.io:\n  endpoints:\n  - https://m.example\n  - https://n.example\n'
                                   '  fallback: true\n  more:\n  - x\n  none: null\n  weight: 1.5\n')
    assert list(out)[0].__class__ is str and out['docker.io']['endpoints'].__class__ is list
    assert all(u.__class__ is str for u in out['docker.io']['endpoints'])
    # the registries.yaml planner writes them
    ev = ev12()
    result = plan_containerd_registry(ev, K3S, {'registry_mirrors': {tag.tag('docker.io'): {
        'endpoints': tag.tag([tag.tag('https://m.example')])}}})
    assert 'https://m.example' in result['changes'][0]['content']


def test_settings_errors_name_the_variable_the_user_set():
    with pytest.raises(PlanError) as exc:
        plain_settings({'registry_mirrors': {5000: {'endpoints': ['http://127.0.0.1:5000']}}})
    assert str(exc.value) == ("pullfix_registry_mirrors: key 5000 is an integer "
                              "(expected a string; quote it in YAML)")
    assert plain_settings({'verify_images': ('a',)}) == {'verify_images': ['a']}
    with pytest.raises(PlanError):
        plain_settings(['not', 'a', 'mapping'])


def test_plain_refuses_what_is_not_data():
    with pytest.raises(PlanError) as exc:
        plain({'a': {1: 'x'}})
    assert str(exc.value) == "settings['a']: key 1 is an integer (expected a string; quote it in YAML)"
    with pytest.raises(PlanError) as exc:
        plain({'a': object()})
    assert str(exc.value) == "settings['a']: a value of an unsupported type is not supported here"
    deep = []
    for _i in range(40):
        deep = [deep]
    with pytest.raises(PlanError):
        plain(deep)


# ---------------------------------------------------------------- 4. shapes containerd reads

def test_deprecated_mirror_endpoint_as_a_string_is_migrated():
    ev, result = with_config('version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."quay.io"]\n'
                             '  endpoint = "https://q.example.com"\n')
    assert '[host."https://q.example.com"]' in by_path(result)[CD + '/quay.io/hosts.toml']['content']
    assert result['notes'] == ['/etc/containerd/config.toml: mirrors."quay.io".endpoint is a string, which containerd '
                               'cannot load (it expects an array); migrated as the one endpoint it names']


def test_symlinked_config_is_planned_at_its_own_path():
    ev = ev12()
    text = ev['files'][CFG]['content']
    ev['files'][CFG]['stat'].update(type='symlink', target='/opt/ctd/config.toml', resolved_type='file')
    result = plan_containerd_registry(ev, RT16, {'registry_mirrors': DOCKER_IO})
    cfg = by_path(result)[CFG]
    assert (cfg['action'], cfg['expect']) == ('update', sha256_text(text))
    assert '/opt/ctd/config.toml' not in by_path(result)


def test_bom_and_crlf_are_kept_without_mixed_line_endings():
    text = '\ufeffversion = 2\r\n# ops\r\n[grpc]\r\n  address = "/run/containerd/containerd.sock"\r\n'
    ev, result = with_config(text, sandbox_image='registry.example.com/pause:3.10')
    new = by_path(result)[CFG]['content']
    assert new.startswith('\ufeffversion = 2\r\n# ops\r\n')
    assert '\n' not in new.replace('\r\n', '')
    assert tomllib.loads(new.lstrip('\ufeff'))['plugins']['io.containerd.grpc.v1.cri'] == {
        'registry': {'config_path': CD}, 'sandbox_image': 'registry.example.com/pause:3.10'}
    # a file with mixed endings comes out with CRLF only
    ev, result = with_config('version = 2\r\n[grpc]\n  address = "/x"\r\n')
    assert '\n' not in by_path(result)[CFG]['content'].replace('\r\n', '')
    # and the re-run plans nothing
    ev, result = with_config(text)
    apply(ev, result)
    assert plan_containerd_registry(ev, RT16, {'registry_mirrors': DOCKER_IO})['changes'] == []


def test_disabled_plugins_string_naming_cri_becomes_empty_array():
    ev, result = with_config('version = 2\ndisabled_plugins = "cri"\n')
    cfg = by_path(result)[CFG]
    assert cfg['content'].startswith('version = 2\ndisabled_plugins = []\n')
    assert 'CRI plugin enabled' in cfg['reason']
    for name in ('io.containerd.grpc.v1.cri',):
        ev, result = with_config('version = 2\ndisabled_plugins = "%s"\n' % name)
        assert 'disabled_plugins = []' in by_path(result)[CFG]['content']


def test_disabled_plugins_other_string_is_an_error_with_line():
    ev, result = with_config('version = 2\n# x\ndisabled_plugins = "aufs"\n')
    assert result['changes'] == []
    assert result['errors'] == ['/etc/containerd/config.toml:3: disabled_plugins = \'aufs\' is a string, with which '
                                'containerd does not start (expected an array of plugin names, e.g. ["aufs"]); fix it '
                                'by hand: the file is left as it is']


def test_missing_import_refuses_the_plan():
    ev, result = with_config('version = 2\n# drop-ins\nimports = ["/etc/containerd/extra.toml"]\n')
    assert result['changes'] == []
    assert result['errors'] == ['/etc/containerd/config.toml:3: imports "/etc/containerd/extra.toml", which does not '
                                'exist: containerd does not start with this configuration ("open /etc/containerd/extra.toml: '
                                'no such file or directory"); create it or remove the entry. Nothing planned for containerd']


def _imports_ev(main, files):
    ev = ev12()
    with_file(ev, CFG, main, 'containerd-config')
    for path, text in files.items():
        with_file(ev, path, text, 'containerd-config')
    return ev


def test_glob_import_that_replaces_the_cri_table_gets_config_path():
    # containerd 1.6.20 and 1.7.24 (node): the imported CRI table replaces the main one whole.
    main = 'version = 2\nimports = ["/etc/containerd/conf.d/*.toml"]\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "p:1"\n'
    drop = real('nvidia-dropin-v2.toml')
    ev = _imports_ev(main, {'/etc/containerd/conf.d/99-nvidia.toml': drop,
                            '/etc/containerd/conf.d/10-grpc.toml': 'version = 2\n[grpc]\n  gid = 5\n',
                            '/etc/containerd/other/20.toml': 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n'})
    result = plan_containerd_registry(ev, RT17, {'registry_mirrors': DOCKER_IO})
    assert sorted(by_path(result)) == [CD + '/docker.io/hosts.toml', '/etc/containerd/conf.d/99-nvidia.toml']
    new = by_path(result)['/etc/containerd/conf.d/99-nvidia.toml']['content']
    assert tomllib.loads(new)['plugins']['io.containerd.grpc.v1.cri']['registry'] == {'config_path': CD}
    assert new.startswith(drop)
    assert result['notes'] == ['/etc/containerd/config.toml: its CRI plugin table is replaced whole by the one in '
                               '/etc/containerd/conf.d/99-nvidia.toml (imports): settings there are ignored by containerd; '
                               'config_path is written in /etc/containerd/conf.d/99-nvidia.toml']
    apply(ev, result)
    assert plan_containerd_registry(ev, RT17, {'registry_mirrors': DOCKER_IO})['changes'] == []


def test_import_without_cri_table_leaves_config_path_in_main():
    ev = _imports_ev('version = 2\nimports = ["conf.d/10.toml"]\n', {'/etc/containerd/conf.d/10.toml': 'version = 2\n[grpc]\n  gid = 5\n'})
    result = plan_containerd_registry(ev, RT16, {'registry_mirrors': DOCKER_IO})
    assert 'config_path = "/etc/containerd/certs.d"' in by_path(result)[CFG]['content']
    assert '/etc/containerd/conf.d/10.toml' not in by_path(result)


def test_import_disabling_cri_is_fixed_in_the_import():
    ev = _imports_ev('version = 2\nimports = ["/etc/containerd/d.toml"]\n',
                     {'/etc/containerd/d.toml': 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n'})
    result = plan_containerd_registry(ev, RT16, {'registry_mirrors': DOCKER_IO})
    assert by_path(result)['/etc/containerd/d.toml']['content'] == 'version = 2\ndisabled_plugins = []\n'


def test_cyclic_imports_load_each_file_once():
    # containerd 1.7.24 (node): a cycle loads each file once and starts.
    ev = _imports_ev('version = 2\nimports = ["/etc/containerd/b.toml"]\n',
                     {'/etc/containerd/b.toml': 'version = 2\nimports = ["/etc/containerd/config.toml"]\n'
                                                '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/registry.d"\n'})
    result = plan_containerd_registry(ev, RT17, {'registry_mirrors': DOCKER_IO})
    assert result['errors'] == []
    assert [c['path'] for c in result['changes']] == ['/etc/registry.d/docker.io/hosts.toml']
    assert result['notes'] == ['/etc/containerd/b.toml:2: imports /etc/containerd/config.toml again: containerd loads '
                               'each file once and skips it']


def test_relative_glob_import_depends_on_the_version():
    files = {'/etc/containerd/conf.d/50.toml': 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/r.d"\n'}
    main = 'version = 2\nimports = ["conf.d/*.toml"]\n'
    # 1.7.24 (node): joined to the config's directory
    result = plan_containerd_registry(_imports_ev(main, files), RT17, {'registry_mirrors': DOCKER_IO})
    assert [c['path'] for c in result['changes']] == ['/etc/r.d/docker.io/hosts.toml']
    # 1.6.20 (node): resolved against the working directory; refused rather than guessed
    result = plan_containerd_registry(_imports_ev(main, files), RT16, {'registry_mirrors': DOCKER_IO})
    assert result['changes'] == []
    assert result['errors'] == ['/etc/containerd/config.toml:2: imports "conf.d/*.toml": containerd 1.6.20 resolves a '
                                'relative glob against its working directory (/ under systemd), not against '
                                '/etc/containerd; write an absolute pattern. Nothing planned for containerd']


def test_import_with_other_version_or_bad_shape_is_refused():
    ev = _imports_ev('version = 2\nimports = ["/etc/containerd/d.toml"]\n',
                     {'/etc/containerd/d.toml': '[plugins."io.containerd.grpc.v1.cri"]\n  x = 1\n'})
    result = plan_containerd_registry(ev, RT16, {'registry_mirrors': DOCKER_IO})
    assert result['changes'] == [] and 'has version = 1 where' in result['errors'][0]
    ev = _imports_ev('version = 2\nimports = "/etc/containerd/d.toml"\n', {})
    result = plan_containerd_registry(ev, RT16, {'registry_mirrors': DOCKER_IO})
    assert result['changes'] == []
    assert result['errors'] == ['/etc/containerd/config.toml:2: imports is not an array of file paths. Nothing planned '
                                'for containerd']
    ev = _imports_ev('version = 2\nimports = ["/etc/containerd/d.toml"]\n', {'/etc/containerd/d.toml': 'version = 2\n[x\n'})
    result = plan_containerd_registry(ev, RT16, {'registry_mirrors': DOCKER_IO})
    assert result['changes'] == [] and result['errors'][0].startswith('/etc/containerd/d.toml:2: ')


# ---------------------------------------------------------------- 5. wrong types

@pytest.mark.parametrize('text,error', [
    ('version = 2\nplugins = 1\n',
     '/etc/containerd/config.toml:2: plugins = 1 is an integer (expected a table of plugin tables); the file is left as it is'),
    ('version = 2\n[plugins."io.containerd.grpc.v1.cri"]\nregistry = "x"\n',
     "/etc/containerd/config.toml:3: plugins.io.containerd.grpc.v1.cri.registry = 'x' is a string (expected a table); "
     "the file is left as it is"),
    ('version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\nconfig_path = 5\n',
     '/etc/containerd/config.toml:3: plugins.io.containerd.grpc.v1.cri.registry.config_path = 5 is an integer '
     '(expected a directory path string); the file is left as it is'),
    ('version = 2\n[plugins."io.containerd.grpc.v1.cri"]\nsandbox_image = ["p"]\n',
     "/etc/containerd/config.toml:3: plugins.io.containerd.grpc.v1.cri.sandbox_image = ['p'] is an array (expected an "
     "image reference string); the file is left as it is"),
    ('version = "2"\n', "/etc/containerd/config.toml:1: version = '2': expected 1, 2 or 3; the file is left as it is"),
    ('version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.configs."r".tls]\ninsecure_skip_verify = "yes"\n',
     "/etc/containerd/config.toml:3: plugins.io.containerd.grpc.v1.cri.registry.configs.r.tls.insecure_skip_verify = "
     "<a string> is a string (expected true or false); the file is left as it is"),
])
def test_wrong_types_are_errors_with_file_and_line(text, error):
    ev, result = with_config(text)
    assert result['changes'] == []
    assert result['errors'] == [error]


def test_inline_tables_are_edited_or_refused_never_a_traceback():
    ev, result = with_config('version = 2\nplugins = { "io.containerd.grpc.v1.cri" = { sandbox_image = "p:1" } }\n')
    assert result['errors'] == [] or result['changes'] == []
    if result['changes']:
        new = tomllib.loads(by_path(result)[CFG]['content'])
        assert new['plugins']['io.containerd.grpc.v1.cri'] == {'sandbox_image': 'p:1', 'registry': {'config_path': CD}}


def test_certs_d_entry_that_is_a_file():
    ev = ev12()
    with_file(ev, CFG, 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n',
              'containerd-config')
    with_file(ev, CD + '/docker.io', 'not a directory\n', 'certs-d')
    result = plan_containerd_registry(ev, RT16, {'registry_mirrors': DOCKER_IO})
    assert result['changes'] == []
    assert result['errors'] == ['/etc/containerd/certs.d/docker.io: is a file, not a directory; '
                                '/etc/containerd/certs.d/docker.io/hosts.toml cannot be written']


def test_garbage_kubeadm_flags_env_never_stops_diagnosis_or_plan():
    ev = load('healthy-containerd.json')
    with_file(ev, '/var/lib/kubelet/kubeadm-flags.env', 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=\x00 \'unclosed\n'
              '=== \xff\ufffd garbage\nexport =\n', 'kubelet-flags')
    diagnosis = run(ev, {'registry_mirrors': DOCKER_IO})
    result = plan_containerd_registry(ev, diagnosis['runtime'], {'registry_mirrors': DOCKER_IO})
    assert result['errors'] == [] and result['changes']


def test_generated_k3s_files_are_never_planned():
    ev = ev12()
    with_file(ev, REG, '# File generated by k3s. DO NOT EDIT.\nmirrors: {}\n', 'k3s-registries')
    result = plan_containerd_registry(ev, K3S, {'registry_mirrors': USER_MIRROR})
    assert result['changes'] == [] and result['errors'][0].startswith(REG + ':1: carries "# File generated by k3s.')
    ev = ev12()
    with_file(ev, CFG, 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n',
              'containerd-config')
    with_hosts(ev, CD, 'docker.io', '# File generated by k3s. DO NOT EDIT.\nserver = "https://registry-1.docker.io"\n')
    result = plan_containerd_registry(ev, RT16, {'registry_mirrors': DOCKER_IO})
    assert result['changes'] == []
    assert result['errors'] == ['/etc/containerd/certs.d/docker.io/hosts.toml:1: carries "# File generated by k3s. DO NOT '
                                'EDIT."; k3s rewrites it at start: not replaced']


@pytest.mark.parametrize('text,error', [
    ('mirrors:\n  docker.io:\n    endpoint: [https://a]\n  docker.io:\n    endpoint: [https://b]\n',
     REG + ':4: duplicate key "docker.io" (first at line 2); the file is left as it is'),
    ('mirrors: &m\n  docker.io: *m\n', REG + ':1: an alias refers to a node that contains it (a cycle); the file is left as it is'),
    ('- a\n', REG + ':1: the document is a list, expected a mapping with mirrors and configs; the file is left as it is'),
    ('mirrors: [a]\n', REG + ':1: mirrors is a list, expected a mapping of registry -> settings; the file is left as it is'),
    ('mirrors:\n  quay.io: 5\n', REG + ':2: mirrors.quay.io is an integer, expected a mapping; the file is left as it is'),
    ('mirrors:\n  quay.io:\n    endpoint: https://q\n',
     REG + ':3: mirrors.quay.io.endpoint is a string, expected a list of URLs; the file is left as it is'),
    ('a: 1\n---\nb: 2\n', REG + ': holds 2 YAML documents (expected one); the file is left as it is'),
])
def test_registries_yaml_hostile_shapes(text, error):
    ev = ev12()
    with_file(ev, REG, text, 'k3s-registries')
    result = plan_containerd_registry(ev, K3S, {'registry_mirrors': USER_MIRROR})
    assert result['changes'] == []
    assert result['errors'] == [error]


def test_registries_yaml_endpoint_string_of_a_declared_registry_is_replaced():
    ev = ev12()
    with_file(ev, REG, 'mirrors:\n  docker.io:\n    endpoint: https://old.example.com\n', 'k3s-registries')
    result = plan_containerd_registry(ev, K3S, {'registry_mirrors': USER_MIRROR})
    assert result['changes'][0]['content'] == 'mirrors:\n  docker.io:\n    endpoint:\n    - https://mirror.example.com\n'
    assert result['notes'] == [REG + ':3: mirrors.docker.io.endpoint was a string (k3s expects a list); replaced by the '
                               'list of pullfix_registry_mirrors']


def test_registries_yaml_aliases_edit_only_the_declared_entry():
    text = ('mirrors:\n  docker.io: &shared\n    endpoint:\n    - https://old.example.com\n  quay.io: *shared\n')
    ev = ev12()
    with_file(ev, REG, text, 'k3s-registries')
    result = plan_containerd_registry(ev, K3S, {'registry_mirrors': USER_MIRROR})
    data = yaml.safe_load(result['changes'][0]['content'])
    assert data['mirrors'] == {'docker.io': {'endpoint': ['https://mirror.example.com']},
                               'quay.io': {'endpoint': ['https://old.example.com']}}


def test_registries_yaml_alias_bomb_is_bounded():
    lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]']
    for i in range(1, 10):
        lines.append('a%d: &a%d [%s]' % (i, i, ', '.join(['*a%d' % (i - 1)] * 10)))
    ev = ev12()
    with_file(ev, REG, '\n'.join(lines) + '\n', 'k3s-registries')
    result = plan_containerd_registry(ev, K3S, {'registry_mirrors': USER_MIRROR})
    diagnosis = run(ev, {'registry_mirrors': USER_MIRROR})
    assert result['changes'] == []
    assert result['errors'] == [REG + ':5: expands to more than 100000 values through aliases; the file is left as it is']
    assert diagnosis['findings'] is not None


# ---------------------------------------------------------------- 6. names and paths

def test_relative_config_path_is_refused():
    ev, result = with_config('version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "certs.d"\n')
    assert result['changes'] == []
    assert result['errors'][0].startswith("/etc/containerd/config.toml:3: config_path = 'certs.d' is not an absolute path")
    assert all(not c['path'].startswith('/certs.d') for c in result['changes'])


@pytest.mark.parametrize('name,words', [
    ('.', 'is not a registry host name'),
    ('..', 'is not a registry host name'),
    ('../x', 'is not a registry host name'),
    ('.hidden', 'is not a registry host name'),
    ('Docker.io', 'uppercase letters'),
    ('my reg', 'whitespace'),
    ('reg.io\n[host."https://evil"]', 'has a scheme'),
    ('reg.io\n[host]', 'whitespace'),
    ('reg;rm -rf', 'whitespace'),
    ('reg$(id)', 'characters a host name cannot have'),
    ('reg`id`', 'characters a host name cannot have'),
    ('reg|x', 'characters a host name cannot have'),
    ('reg"x', 'characters a host name cannot have'),
    ('https://reg.io', 'has a scheme'),
    ('reg.io/path', 'contains a slash'),
])
def test_registry_names_are_refused_naming_the_key(name, words):
    with pytest.raises(PlanError) as exc:
        plan_containerd_registry(ev12(), RT16, {'registry_mirrors': {name: {'endpoints': ['https://m.example']}}})
    assert str(exc.value).startswith("pullfix_registry_mirrors[%r]: " % name)
    assert words in str(exc.value)


@pytest.mark.parametrize('spec,message', [
    ({'endpoints': ['m.example']}, "pullfix_registry_mirrors['docker.io'].endpoints[0]: 'm.example' has no scheme"),
    ({'endpoints': []}, "pullfix_registry_mirrors['docker.io'].endpoints: empty"),
    ({'endpoints': ['https://m.example'], 'mirror': 1}, "pullfix_registry_mirrors['docker.io']: unknown key 'mirror'"),
    ({'endpoints': ['https://m.example\n[host]']}, "pullfix_registry_mirrors['docker.io'].endpoints[0]: "),
])
def test_bad_settings_are_refused_naming_the_key(spec, message):
    with pytest.raises(PlanError) as exc:
        plan_containerd_registry(ev12(), RT16, {'registry_mirrors': {'docker.io': spec}})
    assert str(exc.value).startswith(message)


@pytest.mark.parametrize('key', ['../../etc', 'Docker.io', 'a b', 'https://q.io/x'])
def test_deprecated_mirror_keys_are_checked_before_they_name_a_directory(key):
    ev, result = with_config('version = 2\n# ops\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."%s"]\n'
                             '  endpoint = ["https://q.example"]\n' % key)
    assert result['changes'] == []
    assert result['errors'][0].startswith('/etc/containerd/config.toml:3: mirrors."%s": ' % key.replace('"', '\\"'))


def test_deprecated_tls_key_given_as_url_is_normalised_to_a_host():
    ev, result = with_config('version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.configs."http://127.0.0.1".tls]\n'
                             '  insecure_skip_verify = true\n')
    paths = sorted(by_path(result))
    assert paths == [CD + '/127.0.0.1/hosts.toml', CD + '/docker.io/hosts.toml', CFG]
    assert not [p for p in paths if 'http:' in p]


# ---------------------------------------------------------------- 7. size

def test_ten_thousand_mirrors_are_refused():
    mirrors = dict(('r%d.example.com' % i, {'endpoints': ['https://m.example']}) for i in range(10000))
    with pytest.raises(PlanError) as exc:
        plan_containerd_registry(ev12(), RT16, {'registry_mirrors': mirrors})
    assert str(exc.value) == 'pullfix_registry_mirrors: 10000 registries (at most %d per run)' % MAX_ENTRIES


@pytest.mark.parametrize('runtime', [RT17, K3S])
def test_a_thousand_mirrors_are_planned(runtime):
    mirrors = dict(('r%d.example.com' % i, {'endpoints': ['https://m%d.example' % i]}) for i in range(MAX_ENTRIES))
    ev = ev12()
    result = plan_containerd_registry(ev, runtime, {'registry_mirrors': mirrors})
    assert result['errors'] == []
    assert len(result['changes']) == (MAX_ENTRIES + 1 if runtime is RT17 else 1)


# ---------------------------------------------------------------- 8. real files

def _is_subsequence(old_lines, new_lines):
    it = iter(new_lines)
    return all(any(line == n for n in it) for line in old_lines)


REAL_V2 = ['eks-al2-containerd-config.toml', 'eks-nodeadm-v2.toml', 'kind-base-config.toml', 'nvidia-toolkit-config_v2.toml']


@pytest.mark.parametrize('name', REAL_V2)
@pytest.mark.parametrize('runtime', [RT16, RT17, RT21])
def test_real_version2_configs(name, runtime):
    text = real(name)
    ev, result = with_config(text, runtime, sandbox_image='registry.example.com/pause:3.10')
    assert result['errors'] == []
    new = by_path(result)[CFG]['content']
    data = tomllib.loads(new)
    cri = data['plugins']['io.containerd.grpc.v1.cri']
    assert cri['sandbox_image'] == 'registry.example.com/pause:3.10'
    path = cri['registry']['config_path']
    assert path == (CD if runtime is RT21 or ':' not in path else '/etc/containerd/certs.d:/etc/docker/certs.d')
    assert 'mirrors' not in cri['registry']
    # every line the edit did not mean to change is still there, in order, indentation untouched
    dropped = ('sandbox_image', 'config_path', 'endpoint', '[plugins."io.containerd.grpc.v1.cri".registry.mirrors')
    kept = [line for line in text.splitlines() if line.strip() and not line.strip().startswith(dropped)]
    assert _is_subsequence(kept, [line for line in new.splitlines() if line.strip()])
    apply(ev, result)
    again = plan_containerd_registry(ev, runtime, {'registry_mirrors': DOCKER_IO, 'sandbox_image': 'registry.example.com/pause:3.10'})
    assert (again['changes'], again['errors']) == ([], [])


def test_eks_config_with_cri_subtables_first_does_not_crash():
    # 'OutOfOrderTableProxy' object has no attribute 'add' before tables were assigned.
    ev, result = with_config(real('eks-al2-containerd-config.toml'))
    new = by_path(result)[CFG]['content']
    assert '[plugins."io.containerd.grpc.v1.cri".registry]\nconfig_path = "/etc/containerd/certs.d"\n' in new
    assert tomllib.loads(new)['plugins']['io.containerd.grpc.v1.cri']['sandbox_image'] == 'SANDBOX_IMAGE'


def test_kind_deprecated_mirror_becomes_hosts_toml():
    ev, result = with_config(real('kind-base-config.toml'), RT17)
    assert by_path(result)[CD + '/k8s.gcr.io/hosts.toml']['content'] == MARKER + '''
# registry: k8s.gcr.io
# Migrated from the deprecated registry settings of /etc/containerd/config.toml; kept until the registry is in pullfix_registry_mirrors.
server = "https://k8s.gcr.io"

[host."https://registry.k8s.io"]
  capabilities = ["pull", "resolve"]
'''


def test_real_version3_config_on_containerd_2():
    ev, result = with_config(real('eks-nodeadm-v3-nvidia.toml'), RT21, sandbox_image='registry.example.com/pause:3.10')
    assert result['errors'] == []
    data = tomllib.loads(by_path(result)[CFG]['content'])
    images = data['plugins']['io.containerd.cri.v1.images']
    assert images['registry'] == {'config_path': CD}
    assert images['pinned_images'] == {'sandbox': 'registry.example.com/pause:3.10'}
    assert 'io.containerd.grpc.v1.cri' not in data['plugins']
    apply(ev, result)
    assert plan_containerd_registry(ev, RT21, {'registry_mirrors': DOCKER_IO,
                                               'sandbox_image': 'registry.example.com/pause:3.10'})['changes'] == []
    # containerd 1.x does not start with a version 3 file: left as it is
    ev, result = with_config(real('eks-nodeadm-v3-nvidia.toml'), RT17)
    assert result['changes'] == [] and 'version = 3 is a containerd 2.x config' in result['errors'][0]


def test_registries_yaml_comments_kept_and_rewrite_reported():
    text = ('# Mirrors for the edge sites (ops)\nmirrors:\n  docker.io:   # hub\n    endpoint:\n      - "https://old.example.com"\n'
            '    rewrite:\n      "^library/(.*)": "hub/library/$1"\n  quay.io:\n    endpoint:\n      - "https://q.example.com"  # keep\n')
    ev = ev12()
    with_file(ev, REG, text, 'k3s-registries')
    result = plan_containerd_registry(ev, K3S, {'registry_mirrors': USER_MIRROR})
    assert result['changes'][0]['content'] == text.replace('"https://old.example.com"', 'https://mirror.example.com')
    assert result['notes'] == [REG + ':6: mirrors.docker.io.rewrite (1 rule) now applies to https://mirror.example.com: k3s '
                               'rewrites the image name for every endpoint of the mirror; check the rules fit them']


# ---------------------------------------------------------------- 9. diagnosis and plan agree

CASES = {
    'as gathered': None,
    'docker version 1, CRI disabled': '#   Copyright Docker\n\ndisabled_plugins = ["cri"]\n',
    'CRI disabled as a string': 'version = 2\ndisabled_plugins = "cri"\n',
    'deprecated mirrors': MIRRORS_CFG,
    'kind': 'kind-base-config.toml',
    'eks': 'eks-al2-containerd-config.toml',
    'nvidia': 'nvidia-toolkit-config_v2.toml',
    'no config.toml': '',
    'nvidia drop-in import': {
        CFG: 'version = 2\nimports = ["/etc/containerd/conf.d/*.toml"]\n'
             '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n',
        '/etc/containerd/conf.d/99-nvidia.toml': 'nvidia-dropin-v2.toml'},
}


def _errors_for_role(diagnosis):
    return sorted(f['id'] for f in diagnosis['findings']
                  if f['severity'] == 'error' and f['remediation'] == 'kubenode.pullfix.containerd_registry')


@pytest.mark.parametrize('fixture', sorted(f for f in os.listdir(EVIDENCE) if f.endswith('.json')))
@pytest.mark.parametrize('version', ['1.6.20', '1.7.24', '2.1.9'])
@pytest.mark.parametrize('case', sorted(CASES))
def test_diagnosis_and_plan_read_the_same_facts(fixture, version, case):
    ev = load(fixture)
    set_containerd_version(ev, version)
    files = CASES[case] if isinstance(CASES[case], dict) else {CFG: CASES[case]}
    for path, text in files.items():
        if text == '':
            ev['files'].pop(path, None)
        elif text is not None:
            with_file(ev, path, real(text) if text.endswith('.toml') else text, 'containerd-config')
    settings = {'registry_mirrors': DOCKER_IO}
    before = run(ev, settings)
    if case not in ('kind', 'nvidia', 'deprecated mirrors', 'nvidia drop-in import') and 'healthy' not in fixture:
        assert _errors_for_role(before), 'the case must start broken'
    result = plan_containerd_registry(ev, before['runtime'], settings)
    gathered = (ev['files'].get(CFG) or {}).get('content') or ''
    if gathered.lstrip().startswith('version = 3') and not version.startswith('2.'):
        # A containerd 2.x node's file under a 1.x version: refused (1.x does not start with it),
        # and the doctor says why.
        assert [e for e in result['errors'] if 'this containerd is 1.x' in e] == result['errors'] != []
        assert 'containerd-config-version-mismatch' in [f['id'] for f in before['findings']]
        return
    assert result['errors'] == [], result['errors']
    apply(ev, result)
    after = run(ev, settings)
    assert _errors_for_role(after) == [], (case, _errors_for_role(before))
    # and the plan on what it planned is empty
    assert plan_containerd_registry(ev, after['runtime'], settings)['changes'] == []


@pytest.mark.parametrize('spec', [
    {'endpoints': ['https://u:%s@m.example' % CANARY]},
    {'endpoints': ['https://m.example'], 'server': 'https://%s@m.example' % CANARY},
    {'endpoints': ['https://u:%s@m.example/' % CANARY]},
    {'endpoints': ['u:%s@m.example' % CANARY]},
    {'endpoints': ['https://m.example'], 'headers': {'Authorization': 'Bearer %s\r\nX-Injected: 1' % CANARY}},
    {'endpoints': ['https://m.example'], 'headers': {'Authorization': ['Bearer ' + CANARY, 5]}},
    {'endpoints': ['https://m.example'], 'headers': {'Authorization': {'token': CANARY}}},
    {'endpoints': ['https://m.example'], 'headers': {'Bad Name': CANARY}},
])
def test_no_setting_error_holds_a_credential(spec):
    with pytest.raises(PlanError) as exc:
        plan_containerd_registry(ev12(), RT16, {'registry_mirrors': {'docker.io': spec}})
    assert CANARY not in str(exc.value)
    assert str(exc.value).startswith("pullfix_registry_mirrors['docker.io']")


@pytest.mark.parametrize('spec,words', [
    ({'headers': {'Authorization': 'Bearer x\nX-Injected: 1'}}, ".headers['Authorization']: the value holds a line break"),
    ({'headers': {'X Bad': 'v'}}, ".headers['X Bad']: not an HTTP header name"),
    ({'ca': '/etc/ca.pem\n[host."https://evil"]'}, '.ca: '),
    ({'client': ['/etc/c.pem', '/etc/c\x00.key']}, '.client[1]: '),
    ({'endpoints': ['https://m%d.example' % i for i in range(MAX_ENTRIES + 1)]}, '.endpoints: 1001 URLs (at most 1000)'),
])
def test_settings_that_would_inject_into_files_are_refused(spec, words):
    full = {'endpoints': ['https://m.example']}
    full.update(spec)
    with pytest.raises(PlanError) as exc:
        plan_containerd_registry(ev12(), RT16, {'registry_mirrors': {'docker.io': full}})
    assert words in str(exc.value)


def test_credentials_of_replaced_and_removed_hosts_toml_are_secrets():
    ev = ev12()
    with_file(ev, CFG, 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n',
              'containerd-config')
    with_hosts(ev, CD, 'docker.io', 'server = "https://registry-1.docker.io"\n[host."https://m"]\n  [host."https://m".header]\n'
               '    Authorization = "Bearer old-%s"\n' % CANARY)
    with_hosts(ev, CD, 'quay.io', MARKER + '\n[host."https://q"]\n  [host."https://q".header]\n    X-Token = ["gone-%s"]\n' % CANARY)
    result = plan_containerd_registry(ev, RT16, {'registry_mirrors': DOCKER_IO})
    changes = by_path(result)
    assert changes[CD + '/docker.io/hosts.toml']['secret'] is True
    assert (changes[CD + '/quay.io/hosts.toml']['action'], changes[CD + '/quay.io/hosts.toml']['secret']) == ('remove', True)
    assert result['secrets'] == ['Bearer old-' + CANARY, 'gone-' + CANARY]
