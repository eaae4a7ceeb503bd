# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import subprocess
import tempfile

import pytest

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan import PlanError, sha256_text
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.containerd_registry import VALIDATE_CONFIG, plan as _plan_containerd_registry
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.containerd_registry.hosts_toml import MARKER
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.settings import validate_mirrors

from pullfix_helpers import load, with_dir, with_file, with_hosts, with_runtime

plan_containerd_registry = with_runtime(_plan_containerd_registry)

CFG = '/etc/containerd/config.toml'
CD = '/etc/containerd/certs.d'
RT16 = {'name': 'containerd', 'version': '1.6.20', 'containerd_version': '1.6.20'}
RT17 = {'name': 'containerd', 'version': '1.7.24', 'containerd_version': '1.7.24'}
RT20 = {'name': 'containerd', 'version': '2.0.5', 'containerd_version': '2.0.5'}
DEBIAN_CFG = '''version = 2

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "/etc/cni/net.d"
  [plugins."io.containerd.internal.v1.opt"]
    path = "/var/lib/containerd/opt"
'''
DOCKER_IO = {'docker.io': {'endpoints': ['https://mirror.example.com']}}
HOSTS_DOCKER_IO = MARKER + '''
# registry: docker.io
server = "https://registry-1.docker.io"

[host."https://mirror.example.com"]
  capabilities = ["pull", "resolve"]
'''
CONTAINERD = '/usr/bin/containerd'
CAN_VALIDATE = os.path.exists(CONTAINERD) and hasattr(os, 'geteuid') and os.geteuid() == 0


def ev12():
    return load('debian12-captured.json')


def plan(ev, mirrors=None, runtime=None, **settings):
    settings['registry_mirrors'] = mirrors
    return plan_containerd_registry(ev, runtime or RT16, settings)


def by_path(result):
    return dict((c['path'], c) for c in result['changes'])


def apply(ev, result):
    """The evidence a second gather would return after applying ``result``."""
    for c in result['changes']:
        if c['action'] == 'remove':
            ev['files'].pop(c['path'], None)
            continue
        with_file(ev, c['path'], c['content'], 'certs-d' if 'certs.d' in c['path'] else 'containerd-config', mode=c['mode'])
        if c['path'].startswith(CD + '/'):
            name = c['path'][len(CD) + 1:].split('/')[0]
            entries = [e for e in (ev['dirs'].get(CD) or {}).get('entries') or [] if e['name'] != name]
            with_dir(ev, CD, sorted(entries + [{'name': name, 'type': 'dir'}], key=lambda e: e['name']))
            with_dir(ev, CD + '/' + name, [{'name': 'hosts.toml', 'type': 'file'}])
    return ev


def validate_real(text):
    if not CAN_VALIDATE:
        return
    with tempfile.NamedTemporaryFile('w', suffix='.toml', delete=False) as f:
        f.write(text)
    try:
        proc = subprocess.run([CONTAINERD, '--config', f.name, 'config', 'dump'], capture_output=True, text=True, timeout=30, check=False)
    finally:
        os.unlink(f.name)
    assert proc.returncode == 0, proc.stderr


# ---------------------------------------------------------------- config.toml

V2_EXPECTED = '''version = 2

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "/etc/cni/net.d"
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "/etc/containerd/certs.d"
  [plugins."io.containerd.internal.v1.opt"]
    path = "/var/lib/containerd/opt"
'''


@pytest.mark.parametrize('fixture,runtime', [('debian12-captured.json', RT16), ('debian13-captured.json', RT17)])
def test_v2_config_and_hosts(fixture, runtime):
    ev = load(fixture)
    result = plan(ev, DOCKER_IO, runtime)
    changes = by_path(result)
    assert sorted(changes) == [CD + '/docker.io/hosts.toml', CFG]
    cfg = changes[CFG]
    assert cfg['content'] == V2_EXPECTED
    assert (cfg['action'], cfg['validate'], cfg['restart'], cfg['mode']) == ('update', VALIDATE_CONFIG, 'containerd', None)
    hosts = changes[CD + '/docker.io/hosts.toml']
    assert hosts['content'] == HOSTS_DOCKER_IO
    assert (hosts['action'], hosts['restart'], hosts['mode'], hosts['secret']) == ('create', None, '0644', False)
    assert result['errors'] == [] and result['notes'] == []
    validate_real(cfg['content'])
    # steady state: a second run on the applied result plans nothing
    again = plan(apply(ev, result), DOCKER_IO, runtime)
    assert again == {'changes': [], 'notes': [], 'errors': [], 'secrets': []}


def test_deterministic():
    a = plan(ev12(), {'quay.io': {'endpoints': ['https://q.example']}, 'docker.io': DOCKER_IO['docker.io']})
    b = plan(ev12(), {'docker.io': DOCKER_IO['docker.io'], 'quay.io': {'endpoints': ['https://q.example']}})
    assert a == b


def test_v3_config_on_containerd_2():
    ev = ev12()
    with_file(ev, CFG, 'version = 3\n# keep me\n[plugins."io.containerd.cri.v1.runtime"]\n  enable_selinux = false\n', 'containerd-config')
    result = plan(ev, DOCKER_IO, RT20, sandbox_image='registry.example.com/pause:3.10')
    assert by_path(result)[CFG]['content'] == '''version = 3
# keep me
[plugins."io.containerd.cri.v1.runtime"]
  enable_selinux = false

[plugins."io.containerd.cri.v1.images".registry]
config_path = "/etc/containerd/certs.d"

[plugins."io.containerd.cri.v1.images".pinned_images]
sandbox = "registry.example.com/pause:3.10"
'''


def test_v2_file_on_containerd_2_keeps_v2_table():
    ev = ev12()
    result = plan(ev, DOCKER_IO, RT20)
    assert by_path(result)[CFG]['content'] == V2_EXPECTED


def test_no_file_at_all_1x_and_2x():
    ev = ev12()
    ev['files'].pop(CFG)
    result = plan(ev, DOCKER_IO, RT16)
    cfg = by_path(result)[CFG]
    assert cfg['action'] == 'create'
    assert cfg['content'] == 'version = 2\n\n[plugins."io.containerd.grpc.v1.cri".registry]\nconfig_path = "/etc/containerd/certs.d"\n'
    validate_real(cfg['content'])
    ev = ev12()
    with_file(ev, CFG, None, 'containerd-config', error={'kind': 'missing', 'message': 'missing'})
    ev['files'][CFG]['stat']['type'] = 'missing'
    cfg = by_path(plan(ev, DOCKER_IO, RT20))[CFG]
    assert cfg['content'] == 'version = 3\n\n[plugins."io.containerd.cri.v1.images".registry]\nconfig_path = "/etc/containerd/certs.d"\n'


def test_no_config_path_flat_file():
    ev = ev12()
    with_file(ev, CFG, 'version = 2\nroot = "/var/lib/containerd"\n\n[grpc]\naddress = "/run/containerd/containerd.sock"\n', 'containerd-config')
    cfg = by_path(plan(ev, DOCKER_IO))[CFG]
    assert cfg['content'] == ('version = 2\nroot = "/var/lib/containerd"\n\n[grpc]\naddress = "/run/containerd/containerd.sock"\n\n'
                              '[plugins."io.containerd.grpc.v1.cri".registry]\nconfig_path = "/etc/containerd/certs.d"\n')
    validate_real(cfg['content'])


DOCKER_V1 = '''#   Copyright 2018-2022 Docker Inc.

disabled_plugins = ["cri"]

#root = "/var/lib/containerd"

#[grpc]
#  address = "/run/containerd/containerd.sock"
'''


def test_docker_version1_file_disabled_cri():
    ev = ev12()
    with_file(ev, CFG, DOCKER_V1, 'containerd-config')
    result = plan(ev, DOCKER_IO)
    cfg = by_path(result)[CFG]
    assert cfg['content'] == '''version = 2

#   Copyright 2018-2022 Docker Inc.

disabled_plugins = []

#root = "/var/lib/containerd"

#[grpc]
#  address = "/run/containerd/containerd.sock"

[plugins."io.containerd.grpc.v1.cri".registry]
config_path = "/etc/containerd/certs.d"
'''
    assert 'CRI plugin enabled' in cfg['reason']
    validate_real(cfg['content'])


def test_version1_plugin_tables_renamed():
    ev = ev12()
    with_file(ev, CFG, 'disabled_plugins = ["cri", "aufs"]\n[plugins.cri]\n  # pause\n  sandbox_image = "p:1"\n'
              '[plugins.cri.containerd]\n  snapshotter = "overlayfs"\n[plugins.linux]\n  runtime = "runc"\n', 'containerd-config')
    cfg = by_path(plan(ev, DOCKER_IO))[CFG]
    assert cfg['content'] == '''version = 2

disabled_plugins = ["io.containerd.snapshotter.v1.aufs"]
[plugins."io.containerd.grpc.v1.cri"]
  # pause
  sandbox_image = "p:1"
[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "overlayfs"

[plugins."io.containerd.grpc.v1.cri".registry]
config_path = "/etc/containerd/certs.d"
[plugins."io.containerd.runtime.v1.linux"]
  runtime = "runc"
'''
    validate_real(cfg['content'])


def test_version1_unknown_plugin_is_error():
    ev = ev12()
    with_file(ev, CFG, '[plugins.mystery]\n  a = 1\n', 'containerd-config')
    result = plan(ev, DOCKER_IO)
    assert result['changes'] == []
    assert result['errors'] == ['/etc/containerd/config.toml: version 1 plugin table(s) [plugins.mystery] have no known version 2 name; '
                                'convert the file by hand']


MIRRORS_CFG = '''version = 2
# tuned by ops
[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = ""
  # old style mirrors
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors]
    [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
      endpoint = ["https://old.example.com", "https://registry-1.docker.io"]
    [plugins."io.containerd.grpc.v1.cri".registry.mirrors."quay.io"]
      endpoint = ["https://quay-mirror.example.com/"]
  [plugins."io.containerd.grpc.v1.cri".registry.configs."quay-mirror.example.com".tls]
    ca_file = "/etc/ssl/quay-mirror.pem"
  [plugins."io.containerd.grpc.v1.cri".registry.configs."private.example.com:5000".tls]
    insecure_skip_verify = true
  [plugins."io.containerd.grpc.v1.cri".registry.configs."private.example.com:5000".auth]
    username = "u"
    password = "p"

# grpc stays
[grpc]
  address = "/run/containerd/containerd.sock"
'''


def test_deprecated_mirrors_migrated_and_removed():
    ev = ev12()
    with_file(ev, CFG, MIRRORS_CFG, 'containerd-config')
    result = plan(ev, DOCKER_IO)
    changes = by_path(result)
    assert sorted(changes) == [CD + '/docker.io/hosts.toml', CD + '/private.example.com:5000/hosts.toml',
                               CD + '/quay.io/hosts.toml', CFG]
    # the user's docker.io settings win over the old mirror
    assert changes[CD + '/docker.io/hosts.toml']['content'] == HOSTS_DOCKER_IO
    assert changes[CD + '/quay.io/hosts.toml']['content'] == MARKER + '''
# registry: quay.io
# Migrated from the deprecated registry settings of /etc/containerd/config.toml; kept until the registry is in pullfix_registry_mirrors.
server = "https://quay.io"

[host."https://quay-mirror.example.com"]
  capabilities = ["pull", "resolve"]
  ca = "/etc/ssl/quay-mirror.pem"
'''
    assert changes[CD + '/private.example.com:5000/hosts.toml']['content'] == MARKER + '''
# registry: private.example.com:5000
# Migrated from the deprecated registry settings of /etc/containerd/config.toml; kept until the registry is in pullfix_registry_mirrors.
server = "https://private.example.com:5000"
skip_verify = true

[host."https://private.example.com:5000"]
  capabilities = ["pull", "resolve"]
  skip_verify = true
'''
    assert changes[CFG]['content'] == '''version = 2
# tuned by ops
[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "/etc/containerd/certs.d"
  # old style mirrors
  [plugins."io.containerd.grpc.v1.cri".registry.configs."private.example.com:5000".auth]
    username = "u"
    password = "p"

# grpc stays
[grpc]
  address = "/run/containerd/containerd.sock"
'''
    assert result['notes'] == ['/etc/containerd/config.toml: registry.configs.<host>.auth kept for private.example.com:5000 '
                               '(still used by containerd 1.x; deprecated, prefer imagePullSecrets)']
    validate_real(changes[CFG]['content'])
    again = plan(apply(ev, result), DOCKER_IO)
    assert again['changes'] == [] and again['errors'] == []


def test_existing_config_path_dir_is_used():
    ev = ev12()
    text = DEBIAN_CFG.replace('      conf_dir = "/etc/cni/net.d"\n', '      conf_dir = "/etc/cni/net.d"\n'
                              '    [plugins."io.containerd.grpc.v1.cri".registry]\n      config_path = "/etc/registry.d:/etc/docker/certs.d"\n')
    with_file(ev, CFG, text, 'containerd-config')
    result = plan(ev, DOCKER_IO)
    assert [c['path'] for c in result['changes']] == ['/etc/registry.d/docker.io/hosts.toml']
    # containerd 2.x does not split the colon list: one directory
    cfg = by_path(plan(ev, DOCKER_IO, RT20))[CFG]
    assert 'config_path = "/etc/registry.d"\n' in cfg['content']


def test_config_from_running_process():
    ev = ev12()
    ev['processes'] = [{'pid': 5, 'name': 'containerd', 'cmdline': ['/usr/bin/containerd', '--config', '/opt/ctd/config.toml']}]
    with_file(ev, '/opt/ctd/config.toml', DEBIAN_CFG, 'containerd-config')
    assert '/opt/ctd/config.toml' in by_path(plan(ev, DOCKER_IO))


def test_unparsable_config_is_error_with_line():
    ev = ev12()
    with_file(ev, CFG, 'version = 2\n[plugins\nx = 1\n', 'containerd-config')
    result = plan(ev, DOCKER_IO)
    assert result['changes'] == []
    assert len(result['errors']) == 1
    assert result['errors'][0].startswith('/etc/containerd/config.toml:2: ')
    assert result['errors'][0].endswith('; the file is left as it is')


@pytest.mark.parametrize('runtime,text,expected', [
    (RT16, DEBIAN_CFG, '  [plugins."io.containerd.grpc.v1.cri"]\n    sandbox_image = "registry.example.com/pause:3.10"\n'),
    (RT20, 'version = 3\n', '[plugins."io.containerd.cri.v1.images".pinned_images]\nsandbox = "registry.example.com/pause:3.10"\n'),
])
def test_sandbox_image(runtime, text, expected):
    ev = ev12()
    with_file(ev, CFG, text, 'containerd-config')
    result = plan(ev, None, runtime, sandbox_image='registry.example.com/pause:3.10')
    cfg = by_path(result)[CFG]
    assert expected in cfg['content']
    if runtime is RT16:
        validate_real(cfg['content'])
    assert plan(apply(ev, result), None, runtime, sandbox_image='registry.example.com/pause:3.10')['changes'] == []


# ---------------------------------------------------------------- hosts.toml

def steady(ev):
    with_file(ev, CFG, V2_EXPECTED, 'containerd-config')
    return ev


def hosts_of(mirrors, registry_dir):
    return by_path(plan(steady(ev12()), mirrors))[CD + '/' + registry_dir + '/hosts.toml']


def test_fallback_false_last_endpoint_is_server():
    change = hosts_of({'registry.k8s.io': {'endpoints': ['https://a.example', 'http://b.example:5000'], 'fallback': False,
                                           'ca': '/etc/ca.pem', 'client': ['/etc/c.pem', '/etc/c.key'], 'skip_verify': True}},
                      'registry.k8s.io')
    assert change['content'] == MARKER + '''
# registry: registry.k8s.io
server = "http://b.example:5000"
capabilities = ["pull", "resolve"]
ca = "/etc/ca.pem"
client = [["/etc/c.pem", "/etc/c.key"]]
skip_verify = true

[host."https://a.example"]
  capabilities = ["pull", "resolve"]
  ca = "/etc/ca.pem"
  client = [["/etc/c.pem", "/etc/c.key"]]
  skip_verify = true
'''


def test_wildcard_fallback_true_has_no_server_and_false_has():
    assert hosts_of({'*': {'endpoints': ['http://10.0.0.5:5000']}}, '_default')['content'] == MARKER + '''
# registry: *

[host."http://10.0.0.5:5000"]
  capabilities = ["pull", "resolve"]
'''
    assert hosts_of({'*': {'endpoints': ['http://10.0.0.5:5000'], 'fallback': False}}, '_default')['content'] == MARKER + '''
# registry: *
server = "http://10.0.0.5:5000"
capabilities = ["pull", "resolve"]

[host."http://10.0.0.5:5000"]
  capabilities = ["pull", "resolve"]
'''


def test_wildcard_warns_on_old_containerd():
    result = plan(steady(ev12()), {'*': {'endpoints': ['http://10.0.0.5:5000']}}, {'name': 'containerd', 'version': '1.6.12'})
    assert result['notes'] == ['containerd 1.6.12 ignores /etc/containerd/certs.d/_default/hosts.toml: the "*" (_default) directory '
                               'needs 1.6.17 or later; upgrade containerd or list the registries one by one']


def test_user_server_override_path_and_headers_secret():
    change = hosts_of({'ghcr.io': {'endpoints': ['https://proxy.example.com/v2/ghcr'], 'server': 'https://ghcr-upstream.example.com',
                                   'headers': {'Authorization': 'Basic abc', 'X-Multi': ['a', 'b']}}}, 'ghcr.io')
    assert change['content'] == MARKER + '''
# registry: ghcr.io
server = "https://ghcr-upstream.example.com"

[host."https://proxy.example.com/v2/ghcr"]
  capabilities = ["pull", "resolve"]
  override_path = true
  [host."https://proxy.example.com/v2/ghcr".header]
    Authorization = "Basic abc"
    X-Multi = ["a", "b"]
'''
    assert (change['mode'], change['secret']) == ('0600', True)


def test_host_port_registry_next_to_plain_host_dir():
    ev = steady(ev12())
    theirs = 'server = "https://myreg.example.com"\n'
    with_hosts(ev, CD, 'myreg.example.com', theirs)
    result = plan(ev, {'myreg.example.com:5000': {'endpoints': ['https://m.example']}})
    assert [(c['path'], c['action']) for c in result['changes']] == [(CD + '/myreg.example.com:5000/hosts.toml', 'create')]
    assert 'server = "https://myreg.example.com:5000"\n' in result['changes'][0]['content']
    assert result['errors'] == []


def test_host_port_shadow_dir_is_error():
    ev = steady(ev12())
    with_hosts(ev, CD, 'myreg.example.com_5000_', 'server = "x"\n')
    result = plan(ev, {'myreg.example.com:5000': {'endpoints': ['https://m.example']}})
    assert result['changes'] == []
    assert result['errors'] == ["/etc/containerd/certs.d/myreg.example.com_5000_: exists and wins containerd's lookup over "
                                "/etc/containerd/certs.d/myreg.example.com:5000/hosts.toml; remove or rename it"]


def test_stale_owned_file_removed_unowned_kept():
    ev = steady(ev12())
    with_hosts(ev, CD, 'quay.io', MARKER + '\nserver = "https://quay.io"\n')
    with_hosts(ev, CD, 'gcr.io', '# theirs\nserver = "https://gcr.io"\n')
    with_hosts(ev, CD, 'docker.io', HOSTS_DOCKER_IO)
    result = plan(ev, DOCKER_IO)
    assert result['changes'] == [{
        'path': CD + '/quay.io/hosts.toml', 'action': 'remove', 'content': None, 'mode': None, 'validate': None,
        'restart': None, 'reason': 'registry quay.io no longer in pullfix_registry_mirrors', 'secret': False,
        'remove_empty_parent': True, 'role': 'containerd_registry',
        'expect': sha256_text(MARKER + '\nserver = "https://quay.io"\n')}]


def test_owned_file_updated_unowned_declared_registry_taken_over():
    ev = steady(ev12())
    with_hosts(ev, CD, 'docker.io', MARKER + '\nserver = "https://old"\n')
    assert [(c['action'], c['content']) for c in plan(ev, DOCKER_IO)['changes']] == [('update', HOSTS_DOCKER_IO)]
    # A file someone else wrote for a registry the user declared: replaced (the apply keeps a backup),
    # whether it is broken or equivalent.
    for theirs in ('server = "https://registry-1.docker.io"\n', '[host."https://m\n'):
        ev = steady(ev12())
        with_hosts(ev, CD, 'docker.io', theirs)
        result = plan(ev, DOCKER_IO)
        assert result['errors'] == []
        (c,) = result['changes']
        assert (c['action'], c['content'], c['expect']) == ('update', HOSTS_DOCKER_IO, sha256_text(theirs))
        assert 'replacing a file kubenode.pullfix did not write (backup kept)' in c['reason']
    # pullfix_registry_takeover: false keeps the refusal.
    ev = steady(ev12())
    with_hosts(ev, CD, 'docker.io', 'server = "https://registry-1.docker.io"\n')
    result = plan_containerd_registry(ev, RT16, {'registry_mirrors': DOCKER_IO, 'registry_takeover': False})
    assert result['changes'] == []
    assert result['errors'] == ['/etc/containerd/certs.d/docker.io/hosts.toml: exists and is not managed by kubenode.pullfix; '
                                'pullfix_registry_takeover is false: merge the docker.io mirror into it by hand or '
                                'remove it']


def test_steady_state_zero_changes():
    ev = steady(ev12())
    with_hosts(ev, CD, 'docker.io', HOSTS_DOCKER_IO)
    assert plan(ev, DOCKER_IO) == {'changes': [], 'notes': [], 'errors': [], 'secrets': []}


# ---------------------------------------------------------------- validation

def m(**spec):
    base = {'endpoints': ['https://m.example']}
    base.update(spec)
    return {'docker.io': base}


@pytest.mark.parametrize('mirrors,message', [
    (m(endpoints=['mirror.local:5000']),
     "pullfix_registry_mirrors['docker.io'].endpoints[0]: 'mirror.local:5000' has no scheme (expected http:// or https://)"),
    (m(endpoints=['ftp://m']), "pullfix_registry_mirrors['docker.io'].endpoints[0]: 'ftp://m' has scheme 'ftp' (expected http:// or https://)"),
    (m(endpoints=['https://m/?a=1']), "pullfix_registry_mirrors['docker.io'].endpoints[0]: 'https://m/?a=1' has a query string (not allowed)"),
    (m(endpoints=['https://m#x']), "pullfix_registry_mirrors['docker.io'].endpoints[0]: 'https://m#x' has a fragment (not allowed)"),
    (m(endpoints=['https://m.example', 'https://m/']),
     "pullfix_registry_mirrors['docker.io'].endpoints[1]: 'https://m/' ends with a slash (containerd appends /v2 after it; remove the slash)"),
    (m(endpoints=[]), "pullfix_registry_mirrors['docker.io'].endpoints: empty (give at least one http:// or https:// URL)"),
    (m(endpoints='https://m'), "pullfix_registry_mirrors['docker.io'].endpoints: expected a list of URLs, got a string"),
    (m(endpoint=['https://m']), "pullfix_registry_mirrors['docker.io']: unknown key 'endpoint' "
                                "(expected endpoints, fallback, server, ca, client, skip_verify, headers)"),
    (m(ca='certs/ca.pem'), "pullfix_registry_mirrors['docker.io'].ca: 'certs/ca.pem' is not an absolute path"),
    (m(client='c.pem'), "pullfix_registry_mirrors['docker.io'].client: 'c.pem' is not an absolute path"),
    (m(skip_verify='yes'), "pullfix_registry_mirrors['docker.io'].skip_verify: 'yes' is not a boolean (expected true or false)"),
    (m(fallback=1), "pullfix_registry_mirrors['docker.io'].fallback: 1 is not a boolean (expected true or false)"),
    (m(headers={'A': 1}), "pullfix_registry_mirrors['docker.io'].headers['A']: expected a string or a list of strings"),
    (m(headers=['A']), "pullfix_registry_mirrors['docker.io'].headers: expected a mapping of header name -> value"),
    (m(server='registry-1.docker.io'),
     "pullfix_registry_mirrors['docker.io'].server: 'registry-1.docker.io' has no scheme (expected http:// or https://)"),
    ({'https://docker.io': {'endpoints': ['https://m']}},
     "pullfix_registry_mirrors['https://docker.io']: registry name has a scheme (expected host or host:port, without http:// or https://)"),
    ({'docker.io/library': {'endpoints': ['https://m']}},
     "pullfix_registry_mirrors['docker.io/library']: registry name contains a slash (expected host or host:port, without a path)"),
    ({'my reg': {'endpoints': ['https://m']}}, "pullfix_registry_mirrors['my reg']: registry name contains whitespace (expected host or host:port)"),
    ({'': {'endpoints': ['https://m']}}, "pullfix_registry_mirrors['']: empty registry name (expected host, host:port or \"*\")"),
    ({'Docker.io': {'endpoints': ['https://m']}},
     "pullfix_registry_mirrors['Docker.io']: registry name has uppercase letters (image references use lowercase host names)"),
    ({'reg:abc': {'endpoints': ['https://m']}}, "pullfix_registry_mirrors['reg:abc']: port 'abc' is not numeric"),
    ({'docker.io': ['https://m']}, "pullfix_registry_mirrors['docker.io']: expected a mapping with endpoints, got a list"),
    (['docker.io'], "pullfix_registry_mirrors: expected a mapping of registry -> settings, got a list"),
])
def test_validation_errors(mirrors, message):
    with pytest.raises(PlanError) as exc:
        plan(ev12(), mirrors)
    assert str(exc.value) == message


def test_validate_mirrors_normalizes():
    assert validate_mirrors({'localhost:5000': {'endpoints': ['http://127.0.0.1:5000']}}) == {
        'localhost:5000': {'endpoints': ['http://127.0.0.1:5000'], 'fallback': True, 'server': None, 'ca': None,
                           'client': None, 'skip_verify': False, 'headers': {}}}
    assert validate_mirrors(None) == {}


def test_every_hosts_toml_has_a_host_table():
    # containerd 1.6.20 and 1.7.24 log "invalid `host` tree" for a hosts.toml with
    # only `server` and then ignore the file: seen on the test nodes.
    for spec in ({'endpoints': ['http://10.0.0.5:5000'], 'fallback': False},
                 {'endpoints': ['http://10.0.0.5:5000', 'http://10.0.0.6:5000'], 'fallback': False},
                 {'endpoints': ['http://10.0.0.5:5000']}):
        assert '[host."' in hosts_of({'reg.local:5000': spec}, 'reg.local:5000')['content']


def test_comment_in_a_removed_mirrors_table_stays_next_to_config_path():
    """KubeKey 3.1's config.toml (tests/unit/fixtures/corpus) with the note an operator leaves in its
    registry.mirrors table: the mirrors move to hosts.toml, the note stays before config_path."""
    import os
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.containerd_registry.config_toml import (
        edit_config)
    with open(os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'corpus', 'containerd-config',
                           'kubekey-3.1-nvidia.toml')) as f:
        text = f.read()
    note = '### modified by ops: docker.io through the office mirror'
    text = text.replace('        [plugins."io.containerd.grpc.v1.cri".registry.mirrors]\n',
                        '        [plugins."io.containerd.grpc.v1.cri".registry.mirrors]\n        %s\n' % note)
    edit = edit_config(text, 1, CD)
    assert edit['errors'] == [] and 'docker.io' in edit['mirrors']
    assert edit['text'].endswith('    [plugins."io.containerd.grpc.v1.cri".registry]\n      %s\n'
                                 '      config_path = "/etc/containerd/certs.d"\n' % note)
    assert edit_config(edit['text'], 1, CD)['text'] == edit['text']
