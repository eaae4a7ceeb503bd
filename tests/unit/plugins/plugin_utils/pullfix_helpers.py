# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Builders of evidence variants for the diagnosis tests."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json
import os

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose import diagnose

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'evidence')
_CACHE = {}


def load(name='healthy-containerd.json'):
    if name not in _CACHE:
        with open(os.path.join(FIXTURES, name)) as f:
            _CACHE[name] = json.load(f)
    return copy.deepcopy(_CACHE[name])


def stat(kind='file', mode='0644', uid=0, gid=0, size=0, target=None, **extra):
    st = {'type': kind, 'mode': mode, 'uid': uid, 'gid': gid, 'size': size, 'target': target}
    st.update(extra)
    return st


def with_file(ev, path, text, why, error=None, truncated=False, mode='0644'):
    ev['files'][path] = {
        'stat': stat('file', mode, size=len((text or '').encode('utf-8'))),
        'content': text, 'truncated': truncated, 'error': error, 'why': list(why if isinstance(why, list) else [why]),
    }
    return ev


def with_error(ev, path, kind, why):
    ev['files'][path] = {'stat': stat('file'), 'content': None, 'truncated': False,
                         'error': {'kind': kind, 'message': kind}, 'why': [why]}
    return ev


def without_file(ev, path):
    ev['files'].pop(path, None)
    return ev


def with_dir(ev, path, entries, why='certs-d', kind='dir'):
    ev['dirs'][path] = {'stat': stat(kind, '0755'), 'why': [why], 'error': None,
                        'entries': [e if isinstance(e, dict) else {'name': e, 'type': 'dir'} for e in entries]}
    return ev


def with_hosts(ev, root, name, text):
    """certs.d/<name>/hosts.toml under root, listing the directory entries."""
    entries = list(ev['dirs'].get(root, {}).get('entries') or [])
    if not any(e['name'] == name for e in entries):
        entries.append({'name': name, 'type': 'dir'})
    with_dir(ev, root, entries)
    with_dir(ev, root + '/' + name, [{'name': 'hosts.toml', 'type': 'file'}])
    return with_file(ev, root + '/' + name + '/hosts.toml', text, 'certs-d')


def probe_ok(name='containerd', version='1.6.20'):
    return {'ok': True, 'outcome': 'ok', 'grpc_status': None, 'message': None,
            'version': {'version': '0.1.0', 'runtime_name': name, 'runtime_version': version,
                        'runtime_api_version': 'v1'}}


def probe_fail(outcome, status=None, message=None):
    return {'ok': False, 'outcome': outcome, 'grpc_status': status, 'message': message, 'version': None}


IMAGE_OK = {'ok': True, 'outcome': 'ok', 'grpc_status': None, 'message': None, 'version': None}


def with_socket(ev, path, connect='ok', runtime_probe=None, image_probe=None, mode='0660', gid=0,
                label=None, kind=None, why=('known-default',), **stat_extra):
    if kind is None:
        kind = 'missing' if connect == 'missing' else ('file' if connect == 'not_socket' else 'socket')
    live = connect == 'ok'
    ev['sockets'][path] = {
        'stat': stat(kind, None if kind == 'missing' else mode, gid=gid, **stat_extra),
        'selinux_label': label, 'connect': connect,
        'runtime_probe': runtime_probe if runtime_probe is not None else (probe_ok() if live else None),
        'image_probe': image_probe if image_probe is not None else (dict(IMAGE_OK) if live else None),
        'why': list(why),
    }
    return ev


def with_process(ev, name, cmdline=None, pid=4242):
    ev['processes'].append({'pid': pid, 'name': name, 'cmdline': cmdline or ['/usr/bin/' + name]})
    return ev


def without_process(ev, name):
    ev['processes'] = [p for p in ev['processes'] if p['name'] != name]
    return ev


def without_kubelet(ev):
    """A node kubeadm has not joined yet: no kubelet process and none of its configuration files."""
    without_process(ev, 'kubelet')
    for path in [p for p, entry in ev['files'].items() if 'kubelet-config' in (entry.get('why') or ())]:
        ev['files'].pop(path)
    return ev


def with_unit(ev, name, **props):
    unit = {'LoadState': 'loaded', 'ActiveState': 'active', 'SubState': 'running', 'UnitFileState': 'enabled',
            'FragmentPath': '/etc/systemd/system/' + name, 'DropInPaths': [], 'After': [], 'Wants': [],
            'Requires': [], 'Before': [], 'ExecStart': ''}
    unit.update(props)
    ev['systemd']['units'][name] = unit
    return ev


def with_version(ev, name, output):
    ev['versions'][name] = {'path': '/usr/bin/' + name, 'output': output, 'error': None}
    return ev


def set_containerd_version(ev, version):
    for path in ('/run/containerd/containerd.sock', '/var/run/containerd/containerd.sock'):
        ev['sockets'][path]['runtime_probe'] = probe_ok('containerd', version)
    return with_version(ev, 'containerd', 'containerd github.com/containerd/containerd %s abc' % version)


def run(ev, settings=None):
    settings = dict(settings or {})
    verify = settings.pop('_verify', None)  # node_evidence's verification pulls, when a case has them
    return diagnose(ev, settings, verify=verify)


def ids(result):
    return [f['id'] for f in result['findings']]


def get(result, fid):
    for f in result['findings']:
        if f['id'] == fid:
            return f
    raise AssertionError('%s not in %s' % (fid, ids(result)))


def with_runtime(planner):
    """The planner called as the tests read it: (evidence, runtime, settings), the runtime given as
    the diagnosis' runtime (a planner takes the diagnosis and reads its runtime from it)."""
    def call(ev, runtime, settings):
        return planner(ev, {'runtime': runtime, 'findings': [], 'routes': []}, settings)
    return call
