# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The doctor and the planner on real configuration files (tests/unit/fixtures/corpus, see SOURCES.md).

Every case that fails today is marked xfail(strict=True) with the exact failure in KNOWN_FAILURES,
so a fix flips it to XPASS and the suite asks for the mark to be removed.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import os
import posixpath

import pytest

try:
    import tomllib
except ImportError:  # pragma: no cover - Python < 3.11 controllers
    tomllib = None

import yaml

from pullfix_helpers import load, set_containerd_version, with_dir, with_file


def _pullfix():
    """The only place that knows where the doctor and the planner live (their package may move)."""
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose import diagnose
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts.containerd import V1_PLUGIN_URIS
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.evidence import Evidence
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan import overlay
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.containerd_registry import plan
    from pullfix_helpers import with_runtime
    return diagnose, with_runtime(plan), V1_PLUGIN_URIS, Evidence, overlay


DIAGNOSE, PLAN, V1_PLUGIN_URIS, Evidence, overlay = _pullfix()

CORPUS = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'corpus')
CFG = '/etc/containerd/config.toml'
CD = '/etc/containerd/certs.d'
REMEDIATION = 'kubenode.pullfix.containerd_registry'
VERSIONS = ('1.6.20', '1.7.24', '2.1.9')
MIRRORS = {'docker.io': {'endpoints': ['http://mirror.internal:5000']}}
CRI_NAMES = ('cri', 'io.containerd.grpc.v1.cri', 'io.containerd.cri.v1.images', 'io.containerd.cri.v1.runtime')
K3S = {'name': 'k3s', 'version': 'v1.32.3+k3s1'}
K3S_REG = '/etc/rancher/k3s/registries.yaml'
# a config that imports drop-ins -> the drop-ins that come with it, by node path
DROPINS = {
    'nvidia-ctk-toplevel-v2.toml': {'/etc/containerd/conf.d/99-nvidia.toml': 'nvidia-ctk-conf.d-99-nvidia-v2.toml'},
    'nvidia-ctk-toplevel-v3.toml': {'/etc/containerd/conf.d/99-nvidia.toml': 'nvidia-ctk-conf.d-99-nvidia-v3.toml'},
}

# The exact failures of today, one text per cause; KNOWN_FAILURES names every case they hit.
KNOWN_FAILURES = {
}


def corpus(kind):
    return sorted(f for f in os.listdir(os.path.join(CORPUS, kind)) if not f.startswith('.'))


def read(kind, name):
    with open(os.path.join(CORPUS, kind, name), 'rb') as f:
        return f.read().decode('utf-8')


def cases(test, kind, versions=None):
    out = []
    for name in corpus(kind):
        for version in versions or (None,):
            args = (name, version) if versions else (name,)
            tid = '%s-%s' % (name, version) if versions else name
            marks = []
            reason = KNOWN_FAILURES.get('%s[%s]' % (test, tid))
            if reason:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            out.append(pytest.param(*args, id=tid, marks=marks))
    return out


def runtime(version):
    return {'name': 'containerd', 'version': version, 'containerd_version': version}


def evidence(version, config_text, dropins=None):
    """The healthy node of the unit tests, with ``config_text`` as containerd's config and an empty certs.d."""
    ev = set_containerd_version(load('healthy-containerd.json'), version)
    for path in [p for p in ev['files'] if p.startswith(CD + '/')]:
        ev['files'].pop(path)
    for path in [p for p in ev['dirs'] if p.startswith(CD + '/')]:
        ev['dirs'].pop(path)
    with_dir(ev, CD, [])
    with_file(ev, CFG, config_text, 'containerd-config')
    for path, text in (dropins or {}).items():
        with_file(ev, path, text, 'containerd-config')
    return ev


def containerd_evidence(name, version):
    dropins = dict((path, read('containerd-config', fixture)) for path, fixture in DROPINS.get(name, {}).items())
    return evidence(version, read('containerd-config', name), dropins)


def apply(ev, result):
    """The evidence a second gather would return after applying ``result``."""
    ev = copy.deepcopy(ev)
    for c in result['changes']:
        if c['action'] == 'remove':
            ev['files'].pop(c['path'], None)
            continue
        why = 'certs-d' if '/certs.d/' in c['path'] else 'containerd-config'
        with_file(ev, c['path'], c['content'], why, mode=c['mode'])
        if why == 'certs-d':
            root, name = posixpath.dirname(posixpath.dirname(c['path'])), posixpath.basename(posixpath.dirname(c['path']))
            entries = [e for e in (ev['dirs'].get(root) or {}).get('entries') or [] if e['name'] != name]
            with_dir(ev, root, sorted(entries + [{'name': name, 'type': 'dir'}], key=lambda e: e['name']))
            with_dir(ev, root + '/' + name, [{'name': 'hosts.toml', 'type': 'file'}])
    return ev


# Refusals that are right: the file cannot be fixed for this containerd (it would not start with
# it either way). test_containerd_refusals_name_file_and_line proves each is said plainly.
RIGHT_REFUSALS = ('is a containerd 2.x config; this containerd is 1.x',
                  'which does not exist: containerd does not start')


def rightly_refused(result):
    return bool(result['errors']) and all(any(r in e for r in RIGHT_REFUSALS) for e in result['errors'])


def plan(ev, version, allow_refusal=False):
    result = PLAN(ev, runtime(version), {'registry_mirrors': copy.deepcopy(MIRRORS)})
    if rightly_refused(result) and not allow_refusal:
        pytest.skip('rightly refused: %s' % result['errors'][0])
    return result


def planned_config(result):
    for c in result['changes']:
        if c['path'] == CFG:
            return c['content']
    return None


def errors(result):
    return ['%s: %s' % (f['id'], f.get('remediation')) for f in result['findings'] if f['severity'] == 'error']


# ---------------------------------------------------------------- what the planner owns in config.toml

def _owned_removed(data):
    """``data`` without what the planner may change: config_path, deprecated mirrors and configs.*.tls,
    the CRI plugin in disabled_plugins; tables left empty by that are dropped."""
    data = copy.deepcopy(data)
    if isinstance(data.get('disabled_plugins'), list):
        data['disabled_plugins'] = [p for p in data['disabled_plugins'] if p not in CRI_NAMES]
    plugins = data.get('plugins') if isinstance(data.get('plugins'), dict) else {}
    for name in ('cri', 'io.containerd.grpc.v1.cri', 'io.containerd.cri.v1.images'):
        table = plugins.get(name)
        reg = table.get('registry') if isinstance(table, dict) else None
        if not isinstance(reg, dict):
            continue
        reg.pop('config_path', None)
        reg.pop('mirrors', None)
        configs = reg.get('configs')
        if isinstance(configs, dict):
            for host in list(configs):
                if isinstance(configs[host], dict):
                    configs[host].pop('tls', None)
                    if not configs[host]:
                        del configs[host]
            if not configs:
                del reg['configs']
        if not reg:
            del table['registry']
        if not table:
            del plugins[name]
    if 'plugins' in data and not data['plugins']:
        del data['plugins']
    return data


def _as_version2(data):
    """A version 1 file's data with the plugin names the planner gives them when it converts the file."""
    data = copy.deepcopy(data)
    if isinstance(data.get('plugins'), dict):
        data['plugins'] = dict((V1_PLUGIN_URIS.get(k, k), v) for k, v in data['plugins'].items())
    if isinstance(data.get('disabled_plugins'), list):
        data['disabled_plugins'] = [V1_PLUGIN_URIS.get(p, p) for p in data['disabled_plugins']]
    data['version'] = 2
    return data


def _diff(a, b, where=''):
    """Paths that differ between two parsed TOML documents (sorted, for messages)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            path = '%s.%s' % (where, k) if where else k
            if k not in a:
                out.append('added ' + path)
            elif k not in b:
                out.append('lost ' + path)
            else:
                out.extend(_diff(a[k], b[k], path))
        return out
    return [] if a == b else ['changed %s' % where]


# ---------------------------------------------------------------- containerd config.toml

@pytest.mark.parametrize('name,version', cases('test_containerd_diagnose', 'containerd-config', VERSIONS))
def test_containerd_diagnose(name, version):
    result = DIAGNOSE(containerd_evidence(name, version), {})
    assert 'containerd-config-unparsable' not in [f['id'] for f in result['findings']]


@pytest.mark.parametrize('name,version', cases('test_containerd_plan_keeps_the_rest', 'containerd-config', VERSIONS))
def test_containerd_plan_keeps_the_rest(name, version):
    if tomllib is None:
        pytest.skip('tomllib needs Python 3.11')
    original = read('containerd-config', name)
    result = plan(containerd_evidence(name, version), version)
    assert result['errors'] == [], result['errors']
    text = planned_config(result)
    new = tomllib.loads(text if text is not None else original)
    old = tomllib.loads(original)
    if old.get('version', 1) == 1 and text is not None:
        old = _as_version2(old)
    lost = _diff(_owned_removed(old), _owned_removed(new))
    assert lost == [], 'planned config.toml differs beyond the planner\'s keys: %s' % lost


@pytest.mark.parametrize('name,version', [p for p in cases('test_containerd_plan_keeps_comments', 'containerd-config', VERSIONS)
                                          if '#' in read('containerd-config', p.values[0])])
def test_containerd_plan_keeps_comments(name, version):
    original = read('containerd-config', name)
    text = planned_config(plan(containerd_evidence(name, version), version))
    comments = [line.strip() for line in original.splitlines() if line.strip().startswith('#')]
    lost = [c for c in comments if text is not None and c not in text]
    assert lost == [], 'comments lost: %s' % lost


@pytest.mark.parametrize('name,version', cases('test_containerd_plan_idempotent', 'containerd-config', VERSIONS))
def test_containerd_plan_idempotent(name, version):
    ev = containerd_evidence(name, version)
    first = plan(ev, version)
    again = plan(apply(ev, first), version)
    assert [(c['path'], c['action']) for c in again['changes']] == [], again['changes']


def _header_path(line):
    """The key path of a TOML table header line ([a."b.c".d] -> ('a', 'b.c', 'd')), or None."""
    text = line.strip()
    if not text.startswith('['):
        return None
    text = text.strip('[]').split(']', 1)[0]
    parts, cur, quote = [], '', None
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
            else:
                cur += ch
        elif ch in '"\'':
            quote = ch
        elif ch == '.':
            parts.append(cur.strip())
            cur = ''
        else:
            cur += ch
    parts.append(cur.strip())
    return tuple(parts)


def _owned_line(table, line):
    """Whether a line of the original config.toml is one the containerd planner may change: in a
    CRI registry table, disabled_plugins, the version key, or a version 1 plugin header renamed."""
    stripped = line.strip()
    if table and len(table) >= 3 and table[0] == 'plugins' and table[1] in CRI_NAMES + tuple(V1_PLUGIN_URIS) \
            and table[2] == 'registry':
        return True
    header = _header_path(line)
    if header and len(header) > 1 and header[0] == 'plugins' and header[1] in V1_PLUGIN_URIS:
        return True
    return not table and stripped.startswith(('disabled_plugins', 'version'))


@pytest.mark.parametrize('name,version', cases('test_containerd_plan_only_edited_tables_differ', 'containerd-config',
                                               VERSIONS))
def test_containerd_plan_only_edited_tables_differ(name, version):
    """Plan, apply, plan again: no change the second time, and every line of the original outside
    the tables the planner edits is in the planned file byte for byte, in order (tomlkit's own
    rendering of a table it did not edit never reaches the node)."""
    ev = Evidence(containerd_evidence(name, version))
    first = plan(ev, version)
    again = plan(overlay(ev, first['changes']), version)
    assert [(c['path'], c['action']) for c in again['changes']] == [], again['changes']
    original = read('containerd-config', name)
    text = planned_config(first)
    if text is None:
        return
    kept = set(text.splitlines())
    table, changed = None, []
    for no, line in enumerate(original.splitlines(), 1):
        header = _header_path(line)
        table = header if header is not None else table
        if line not in kept and not _owned_line(table, line):
            changed.append('%d: %s' % (no, line))
    assert changed == [], 'lines outside the edited tables differ: %s' % changed


@pytest.mark.parametrize('name,version', cases('test_containerd_fixed_after_apply', 'containerd-config', VERSIONS))
def test_containerd_fixed_after_apply(name, version):
    ev = containerd_evidence(name, version)
    after = DIAGNOSE(apply(ev, plan(ev, version)), {})
    left = [e for e in errors(after) if e.endswith(REMEDIATION)]
    assert left == [], left


@pytest.mark.parametrize('name,version', cases('test_containerd_correct_file_no_error', 'containerd-config', VERSIONS))
def test_containerd_correct_file_no_error(name, version):
    """Once the plan is applied the file is correct: the doctor reports no error at all."""
    ev = containerd_evidence(name, version)
    after = DIAGNOSE(apply(ev, plan(ev, version)), {})
    assert errors(after) == [], errors(after)


def _effective_1x(ev):
    """containerd 1.x's view of the applied files: an imported file's plugin table replaces the main file's."""
    main = tomllib.loads(ev['files'][CFG]['content'])
    merged = copy.deepcopy(main)
    for path in sorted(p for p in ev['files'] if p.startswith('/etc/containerd/conf.d/')):
        data = tomllib.loads(ev['files'][path]['content'])
        for name, table in (data.get('plugins') or {}).items():
            merged.setdefault('plugins', {})[name] = table
    return merged


IMPORT_CASES = [p for p in cases('test_containerd_import_keeps_config_path', 'containerd-config', ('1.6.20', '1.7.24'))
                if p.values[0] in DROPINS and 'v2' in p.values[0]]


@pytest.mark.parametrize('name,version', IMPORT_CASES)
def test_containerd_import_keeps_config_path(name, version):
    """A drop-in that brings its own CRI plugin table hides the main file's config_path on 1.x:
    after the plan, config_path is in effect, or the doctor says it is not."""
    if tomllib is None:
        pytest.skip('tomllib needs Python 3.11')
    ev = containerd_evidence(name, version)
    applied = apply(ev, plan(ev, version))
    reg = _effective_1x(applied)['plugins']['io.containerd.grpc.v1.cri'].get('registry') or {}
    flagged = [e for e in errors(DIAGNOSE(applied, {})) if e.endswith(REMEDIATION)]
    assert reg.get('config_path') or flagged, (
        'config_path of the planned %s is replaced by the import of the drop-in\'s [plugins."io.containerd.grpc.v1.cri"] '
        'on containerd %s, and the doctor reports no error' % (CFG, version))


# ---------------------------------------------------------------- hosts.toml

HOSTS_DIRS = {'microk8s-localhost-32000.toml': 'localhost:32000', 'spegel-docs-default-user-data.toml': '_default',
              'zot-docs-default-server-only.toml': '_default'}


@pytest.mark.parametrize('name', cases('test_hosts_toml_diagnose', 'hosts-toml'))
def test_hosts_toml_diagnose(name):
    ev = evidence('1.7.24', read('containerd-config', 'containerd-docs-hosts-v2.toml'))
    host = HOSTS_DIRS.get(name, 'docker.io')
    with_dir(ev, CD, [{'name': host, 'type': 'dir'}])
    with_dir(ev, CD + '/' + host, [{'name': 'hosts.toml', 'type': 'file'}])
    with_file(ev, CD + '/' + host + '/hosts.toml', read('hosts-toml', name), 'certs-d')
    ids = [f['id'] for f in DIAGNOSE(ev, {})['findings']]
    assert 'hosts-toml-unparsable' not in ids
    if '[host.' not in read('hosts-toml', name):  # 1.6/1.7 reject a hosts.toml without [host."..."]
        assert 'hosts-toml-no-host-table' in ids


# ---------------------------------------------------------------- k3s registries.yaml

def k3s_evidence(text):
    ev = load('healthy-containerd.json')
    return with_file(ev, K3S_REG, text, 'k3s-registries')


def k3s_plan(name):
    return PLAN(k3s_evidence(read('registries-yaml', name)), K3S, {'registry_mirrors': copy.deepcopy(MIRRORS)})


@pytest.mark.parametrize('name', cases('test_registries_yaml_plan', 'registries-yaml'))
def test_registries_yaml_plan(name):
    result = k3s_plan(name)
    assert result['errors'] == [], result['errors']
    change, = [c for c in result['changes'] if c['path'] == K3S_REG]
    new = yaml.safe_load(change['content'])
    assert new['mirrors']['docker.io']['endpoint'][0] == 'http://mirror.internal:5000'
    old = yaml.safe_load(read('registries-yaml', name)) or {}
    for registry in old.get('mirrors') or {}:
        if registry != 'docker.io':
            assert new['mirrors'][registry] == old['mirrors'][registry]
    assert new.get('configs') == old.get('configs')


@pytest.mark.parametrize('name', [p for p in cases('test_registries_yaml_keeps_comments', 'registries-yaml')
                                  if '#' in read('registries-yaml', p.id)])
def test_registries_yaml_keeps_comments(name):
    original = read('registries-yaml', name)
    change, = [c for c in k3s_plan(name)['changes'] if c['path'] == K3S_REG]
    comments = [line.split('#', 1)[1].strip() for line in original.splitlines() if '#' in line]
    lost = [c for c in comments if c not in change['content']]
    assert lost == [], 'comments lost: %s' % lost


@pytest.mark.parametrize('name', [p for p in cases('test_registries_yaml_keeps_rewrite', 'registries-yaml')
                                  if 'rewrite' in read('registries-yaml', p.id)])
def test_registries_yaml_keeps_rewrite(name):
    old = yaml.safe_load(read('registries-yaml', name))
    result = k3s_plan(name)
    change, = [c for c in result['changes'] if c['path'] == K3S_REG]
    new = yaml.safe_load(change['content'])
    for registry, entry in old['mirrors'].items():
        if 'rewrite' not in entry:
            continue
        kept = (new['mirrors'].get(registry) or {}).get('rewrite') == entry['rewrite']
        reported = any('rewrite' in n for n in result['notes'])
        assert kept or reported, '%s: rewrite neither kept nor reported' % registry


@pytest.mark.parametrize('name', cases('test_registries_yaml_diagnose', 'registries-yaml'))
def test_registries_yaml_diagnose(name):
    result = DIAGNOSE(k3s_evidence(read('registries-yaml', name)), {})
    assert 'k3s-registries-unparsable' not in [f['id'] for f in result['findings']]


# ---------------------------------------------------------------- containers-image registries.conf

REG_MAIN = '/etc/containers/registries.conf'
REG_DIR = '/etc/containers/registries.conf.d'


def registries_conf_evidence(name):
    ev = load('healthy-containerd.json')
    text = read('registries-conf', name)
    if '-conf.d-' in name or '.conf.d-' in name:
        drop = name.split('conf.d-', 1)[1]
        with_dir(ev, REG_DIR, [{'name': drop, 'type': 'file'}], why='registries-conf')
        return with_file(ev, REG_DIR + '/' + drop, text, 'registries-conf')
    return with_file(ev, REG_MAIN, text, 'registries-conf')


@pytest.mark.parametrize('name', cases('test_registries_conf_merge', 'registries-conf'))
def test_registries_conf_merge(name):
    result = DIAGNOSE(registries_conf_evidence(name), {})
    ids = [f['id'] for f in result['findings']]
    assert 'registries-conf-unparsable' not in ids
    if name.endswith('mixing-v1-v2.conf'):
        assert 'registries-conf-mixed-versions' in ids


# ---------------------------------------------------------------- shim, kubelet, crictl

PLACES = {
    'shim': '/etc/image-cri-shim.yaml',
    'crictl': '/etc/crictl.yaml',
}
KUBELET_PLACES = {
    'kind-10-kubeadm.conf': ('/etc/systemd/system/kubelet.service.d/10-kubeadm.conf', 'unit-file'),
    'eks-nodeadm-kubelet-config-drop-in.json': ('/etc/kubernetes/kubelet.conf.d/00-nodeadm.conf', 'kubelet-config'),
    'k8s-issue-122632-kubeadm-flags.env': ('/var/lib/kubelet/kubeadm-flags.env', 'kubelet-config'),
    'kind-etc-default-kubelet': ('/etc/default/kubelet', 'kubelet-config'),
    'eks-al2-kubelet-config.json': ('/etc/kubernetes/kubelet/kubelet-config.json', 'kubelet-config'),
}


OTHER_FILES = [pytest.param(k, n, id='%s/%s' % (k, n)) for k in ('shim', 'kubelet', 'crictl') for n in corpus(k)]


@pytest.mark.parametrize('kind,name', OTHER_FILES)
def test_other_files_diagnose(kind, name):
    ev = load('healthy-containerd.json')
    if kind == 'kubelet':
        path, why = KUBELET_PLACES.get(name, ('/var/lib/kubelet/config.yaml', 'kubelet-config'))
    else:
        path, why = PLACES[kind], {'shim': 'shim-config', 'crictl': 'crictl-config'}[kind]
    with_file(ev, path, read(kind, name), why)
    result = DIAGNOSE(ev, {})
    assert [f['id'] for f in result['findings'] if f['id'].endswith('-unparsable')] == []


@pytest.mark.parametrize('name,version', cases('test_containerd_refusals_name_file_and_line', 'containerd-config', VERSIONS))
def test_containerd_refusals_name_file_and_line(name, version):
    ev = containerd_evidence(name, version)
    result = plan(ev, version, allow_refusal=True)
    if not result['errors']:
        return
    assert rightly_refused(result), result['errors']
    for error in result['errors']:
        assert error.startswith(CFG + ':') and error.split(':')[1].isdigit(), error
    if any(RIGHT_REFUSALS[0] in e for e in result['errors']):
        assert 'containerd-config-version-mismatch' in [f['id'] for f in DIAGNOSE(ev)['findings']]
