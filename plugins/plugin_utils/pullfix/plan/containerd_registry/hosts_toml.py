# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""hosts.toml files for containerd's certs.d, written whole by this collection."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 sanity runs
    from urlparse import urlsplit

from ..owned import marker
from ...evidence import url_host
from ...facts.containerd import upstream

MARKER = marker('containerd_registry')
CAPABILITIES = '["pull", "resolve"]'
MIGRATED = '# Migrated from the deprecated registry settings of %s; kept until the registry is in pullfix_registry_mirrors.'


def _q(text):
    return json.dumps(str(text), ensure_ascii=False).replace('\x7f', '\\u007f')


def _tkey(name):
    return name if re.match(r'^[A-Za-z0-9_-]+$', name) else _q(name)


def _value(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, list):
        return '[' + ', '.join(_value(v) for v in value) + ']'
    return _q(value)


def _has_path(url):
    return urlsplit(url).path not in ('', '/')


def _host_lines(entry, indent):
    lines = []
    if entry.get('capabilities'):
        lines.append('%scapabilities = %s' % (indent, CAPABILITIES))
    if entry.get('ca'):
        lines.append('%sca = %s' % (indent, _value(entry['ca'])))
    client = entry.get('client')
    if client:
        lines.append('%sclient = %s' % (indent, _value(client) if isinstance(client, str) else '[' + _value(client) + ']'))
    if entry.get('skip_verify'):
        lines.append('%sskip_verify = true' % indent)
    if _has_path(entry['url']):
        lines.append('%soverride_path = true' % indent)
    return lines


def _header_lines(headers, indent):
    return ['%s%s = %s' % (indent, _tkey(k), _value(headers[k])) for k in sorted(headers)]


def render_hosts_toml(registry, hosts, server, migrated_from=None):
    """Text of a hosts.toml. ``hosts``: list of entry dicts (url, ca, client, skip_verify, headers),
    ``server``: entry dict or None; its fields are written at the top level."""
    lines = [MARKER, '# registry: %s' % registry]
    if migrated_from:
        lines.append(MIGRATED % migrated_from)
    if server:
        lines.append('server = %s' % _q(server['url']))
        lines.extend(_host_lines(server, ''))
        if server.get('headers'):
            lines.extend(['', '[header]'])
            lines.extend(_header_lines(server['headers'], '  '))
    # containerd 1.6 and 1.7 reject a hosts.toml without any [host."..."] table
    # ("invalid `host` tree") and then ignore the whole file: the server doubles as
    # the only host entry.
    for entry in hosts or ([dict(server, capabilities=True)] if server else []):
        table = 'host.%s' % _q(entry['url'])
        lines.extend(['', '[%s]' % table])
        lines.extend(_host_lines(dict(entry, capabilities=True), '  '))
        if entry.get('headers'):
            lines.append('  [%s.header]' % table)
            lines.extend(_header_lines(entry['headers'], '    '))
    return '\n'.join(lines) + '\n'


def entry(url, spec=None, tls=None, capabilities=False):
    spec = spec or {}
    entry = {'url': url, 'ca': spec.get('ca'), 'client': spec.get('client'),
             'skip_verify': bool(spec.get('skip_verify')), 'headers': dict(spec.get('headers') or {}),
             'capabilities': capabilities}
    t = (tls or {}).get(url_host(url)) or {}
    if not entry['ca'] and t.get('ca'):
        entry['ca'] = t['ca']
    if not entry['client'] and t.get('client'):
        entry['client'] = t['client']
    if not spec.get('skip_verify') and t.get('skip_verify'):
        entry['skip_verify'] = True
    return entry


def hosts_layout(registry, spec, tls=None):
    """(hosts, server) entries for one registry's normalized settings."""
    endpoints = spec['endpoints']
    if spec['fallback']:
        hosts = [entry(u, spec, tls) for u in endpoints]
        server_url = spec.get('server') or upstream(registry)
        server = entry(server_url, None, tls) if server_url else None
    else:
        hosts = [entry(u, spec, tls) for u in endpoints[:-1]]
        server = entry(endpoints[-1], spec, tls, capabilities=True)
    return hosts, server
