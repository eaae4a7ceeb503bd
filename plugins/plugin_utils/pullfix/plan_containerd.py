# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Planner of the ``kubenode.pullfix.containerd_registry`` role (pure, no Ansible imports).

``plan_containerd_registry(evidence, runtime, settings)`` returns the files to write so that
containerd (or k3s/RKE2, see ``plan_k3s``) uses the user's registry mirrors:
``certs.d/<host>/hosts.toml`` files we own whole, and a minimal, comment-keeping edit of
``config.toml`` (``config_path``, deprecated ``mirrors``/``configs.tls`` migrated, CRI not
disabled, sandbox image).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import posixpath
import re

try:
    import tomlkit
    from tomlkit.exceptions import ParseError as TomlkitParseError
    HAS_TOMLKIT = True
except ImportError:  # pragma: no cover - sanity import test environment
    tomlkit = None
    TomlkitParseError = None
    HAS_TOMLKIT = False

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 sanity runs
    from urlparse import urlsplit

from . import parse
from .evidence import Evidence, flag_values, parse_version, url_host

MARKER = '# Managed by kubenode.pullfix (containerd_registry). Local edits are overwritten.'
SETTING = 'pullfix_registry_mirrors'
CONFIG_DEFAULT = '/etc/containerd/config.toml'
CERTS_D_DEFAULT = '/etc/containerd/certs.d'
V2_CRI = 'io.containerd.grpc.v1.cri'
V3_IMAGES = 'io.containerd.cri.v1.images'
CRI_PLUGINS = (V2_CRI, 'cri', V3_IMAGES, 'io.containerd.cri.v1.runtime')
UPSTREAMS = {'docker.io': 'https://registry-1.docker.io'}
CAPABILITIES = '["pull", "resolve"]'
MIGRATED = '# Migrated from the deprecated registry settings of %s; kept until the registry is in ' + SETTING + '.'
MIRROR_KEYS = ('endpoints', 'fallback', 'server', 'ca', 'client', 'skip_verify', 'headers')
DEFAULT_FIRST_VERSION = (1, 6, 17)

# containerd 1.x plugin IDs (the names a version 1 config uses) -> version 2 URIs.
V1_PLUGIN_URIS = {
    'cri': V2_CRI,
    'linux': 'io.containerd.runtime.v1.linux',
    'task': 'io.containerd.runtime.v2.task',
    'opt': 'io.containerd.internal.v1.opt',
    'restart': 'io.containerd.internal.v1.restart',
    'tracing': 'io.containerd.internal.v1.tracing',
    'scheduler': 'io.containerd.gc.v1.scheduler',
    'cgroups': 'io.containerd.monitor.v1.cgroups',
    'bolt': 'io.containerd.metadata.v1.bolt',
    'otlp': 'io.containerd.tracing.processor.v1.otlp',
    'walking': 'io.containerd.differ.v1.walking',
    'nri': 'io.containerd.nri.v1.nri',
    'diff-service': 'io.containerd.service.v1.diff-service',
    'aufs': 'io.containerd.snapshotter.v1.aufs',
    'btrfs': 'io.containerd.snapshotter.v1.btrfs',
    'devmapper': 'io.containerd.snapshotter.v1.devmapper',
    'native': 'io.containerd.snapshotter.v1.native',
    'overlayfs': 'io.containerd.snapshotter.v1.overlayfs',
    'zfs': 'io.containerd.snapshotter.v1.zfs',
    'containers': 'io.containerd.grpc.v1.containers',
    'content': 'io.containerd.grpc.v1.content',
    'diff': 'io.containerd.grpc.v1.diff',
    'events': 'io.containerd.grpc.v1.events',
    'healthcheck': 'io.containerd.grpc.v1.healthcheck',
    'images': 'io.containerd.grpc.v1.images',
    'introspection': 'io.containerd.grpc.v1.introspection',
    'leases': 'io.containerd.grpc.v1.leases',
    'namespaces': 'io.containerd.grpc.v1.namespaces',
    'snapshots': 'io.containerd.grpc.v1.snapshots',
    'tasks': 'io.containerd.grpc.v1.tasks',
    'version': 'io.containerd.grpc.v1.version',
}


class PlanError(Exception):
    """Invalid settings; the message names the setting key."""


def _require_tomlkit():
    if not HAS_TOMLKIT:
        raise parse.MissingLibrary('tomlkit is required on the controller to edit config.toml: pip install tomlkit')


# ---------------------------------------------------------------- settings validation

_PORT_RE = re.compile(r'^[0-9]+$')


def _key(registry, *parts):
    return '%s[%r]%s' % (SETTING, registry, ''.join(parts))


def check_url(url, where):
    """Raise PlanError unless ``url`` is an http(s) URL without query, fragment or trailing slash."""
    if not isinstance(url, str) or not url:
        raise PlanError('%s: %r is not a URL (expected http:// or https://...)' % (where, url))
    if url != url.strip() or any(c.isspace() for c in url):
        raise PlanError('%s: %r contains whitespace' % (where, url))
    if '://' not in url:
        raise PlanError('%s: %r has no scheme (expected http:// or https://)' % (where, url))
    parts = urlsplit(url)
    if parts.scheme not in ('http', 'https'):
        raise PlanError('%s: %r has scheme %r (expected http:// or https://)' % (where, url, parts.scheme))
    if not parts.netloc:
        raise PlanError('%s: %r has no host' % (where, url))
    if parts.query or '?' in url:
        raise PlanError('%s: %r has a query string (not allowed)' % (where, url))
    if parts.fragment or '#' in url:
        raise PlanError('%s: %r has a fragment (not allowed)' % (where, url))
    if url.endswith('/'):
        raise PlanError('%s: %r ends with a slash (containerd appends /v2 after it; remove the slash)' % (where, url))
    return url


def _check_registry_name(name):
    where = '%s[%r]' % (SETTING, name)
    if not isinstance(name, str) or not name:
        raise PlanError('%s: empty registry name (expected host, host:port or "*")' % where)
    if name == '*':
        return
    if '://' in name:
        raise PlanError('%s: registry name has a scheme (expected host or host:port, without http:// or https://)' % where)
    if any(c.isspace() for c in name):
        raise PlanError('%s: registry name contains whitespace (expected host or host:port)' % where)
    if '/' in name:
        raise PlanError('%s: registry name contains a slash (expected host or host:port, without a path)' % where)
    if name != name.lower():
        raise PlanError('%s: registry name has uppercase letters (image references use lowercase host names)' % where)
    host, sep, port = name.rpartition(':') if not name.startswith('[') else name.partition(']:')
    if name.startswith('[') and not sep:
        host, port = name, ''
    if sep:
        if not host:
            raise PlanError('%s: registry name has no host before the port' % where)
        if not _PORT_RE.match(port):
            raise PlanError('%s: port %r is not numeric' % (where, port))
    if not re.match(r'^[a-z0-9.\-_\[\]:]+$', host if sep else name):
        raise PlanError('%s: registry name has characters a host name cannot have' % where)


def _check_abs(value, where, allow_pair=False):
    if isinstance(value, str):
        if not value.startswith('/'):
            raise PlanError('%s: %r is not an absolute path' % (where, value))
        return value
    if isinstance(value, list) and value:
        if allow_pair and len(value) != 2:
            raise PlanError('%s: expected an absolute path or a [certificate, key] pair of absolute paths' % where)
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.startswith('/'):
                raise PlanError('%s[%d]: %r is not an absolute path' % (where, i, item))
        return list(value)
    if allow_pair:
        raise PlanError('%s: expected an absolute path or a [certificate, key] pair of absolute paths' % where)
    raise PlanError('%s: expected an absolute path or a list of absolute paths' % where)


def validate_mirrors(mirrors):
    """Validate ``pullfix_registry_mirrors``; return a normalized copy (all keys present). Raises PlanError."""
    if mirrors is None:
        return {}
    if not isinstance(mirrors, dict):
        raise PlanError('%s: expected a mapping of registry -> settings, got %s' % (SETTING, type(mirrors).__name__))
    out = {}
    for registry in sorted(mirrors, key=str):
        _check_registry_name(registry)
        spec = mirrors[registry]
        if not isinstance(spec, dict):
            raise PlanError('%s: expected a mapping with endpoints, got %s' % (_key(registry), type(spec).__name__))
        unknown = sorted(str(k) for k in spec if k not in MIRROR_KEYS)
        if unknown:
            raise PlanError('%s: unknown key %s (expected %s)' % (
                _key(registry), ', '.join(repr(k) for k in unknown), ', '.join(MIRROR_KEYS)))
        endpoints = spec.get('endpoints')
        if not isinstance(endpoints, list):
            raise PlanError('%s: expected a list of URLs, got %s' % (_key(registry, '.endpoints'), type(endpoints).__name__))
        if not endpoints:
            raise PlanError('%s: empty (give at least one http:// or https:// URL)' % _key(registry, '.endpoints'))
        for i, url in enumerate(endpoints):
            check_url(url, _key(registry, '.endpoints[%d]' % i))
        norm = {'endpoints': list(endpoints), 'fallback': True, 'server': None, 'ca': None, 'client': None,
                'skip_verify': False, 'headers': {}}
        for flag in ('fallback', 'skip_verify'):
            if flag in spec and spec[flag] is not None:
                if not isinstance(spec[flag], bool):
                    raise PlanError('%s: %r is not a boolean (expected true or false)' % (_key(registry, '.' + flag), spec[flag]))
                norm[flag] = spec[flag]
        if spec.get('server') is not None:
            norm['server'] = check_url(spec['server'], _key(registry, '.server'))
        if spec.get('ca') is not None:
            norm['ca'] = _check_abs(spec['ca'], _key(registry, '.ca'))
        if spec.get('client') is not None:
            norm['client'] = _check_abs(spec['client'], _key(registry, '.client'), allow_pair=True)
        headers = spec.get('headers')
        if headers is not None:
            if not isinstance(headers, dict):
                raise PlanError('%s: expected a mapping of header name -> value' % _key(registry, '.headers'))
            for name in sorted(headers, key=str):
                value = headers[name]
                where = _key(registry, '.headers[%r]' % (name,))
                if not isinstance(name, str) or not name:
                    raise PlanError('%s: header name must be a non-empty string' % where)
                if isinstance(value, list):
                    if not value or not all(isinstance(v, str) for v in value):
                        raise PlanError('%s: expected a string or a non-empty list of strings' % where)
                    value = list(value)
                elif not isinstance(value, str):
                    raise PlanError('%s: expected a string or a list of strings' % where)
                norm['headers'][name] = value
        out[registry] = norm
    return out


# ---------------------------------------------------------------- hosts.toml rendering

def upstream(registry):
    """Default upstream endpoint of a registry (None for "*")."""
    if registry == '*':
        return None
    return UPSTREAMS.get(registry, 'https://' + registry)


def host_dir_name(registry):
    """certs.d directory containerd matches for ``registry``."""
    return '_default' if registry == '*' else registry


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


def _entry(url, spec=None, tls=None, capabilities=False):
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
        hosts = [_entry(u, spec, tls) for u in endpoints]
        server_url = spec.get('server') or upstream(registry)
        server = _entry(server_url, None, tls) if server_url else None
    else:
        hosts = [_entry(u, spec, tls) for u in endpoints[:-1]]
        server = _entry(endpoints[-1], spec, tls, capabilities=True)
    return hosts, server


# ---------------------------------------------------------------- config.toml editing

_HEADER_RE = re.compile(r'^(\s*\[\[?\s*plugins\s*\.\s*)("?)([A-Za-z0-9_-]+)\2(\s*[\].])', re.M)


def _toml_error(path, exc):
    line = getattr(exc, 'line', None)
    msg = re.sub(r'\s*\(?at line \d+,? col(umn)? \d+\)?', '', str(exc)).strip()
    return '%s:%s: %s; the file is left as it is' % (path, line if line else '?', msg or 'invalid TOML')


def _v1_to_v2(text):
    """Rename v1 plugin table headers to URIs. Returns (text, [unknown short names])."""
    unknown = []

    def repl(m):
        name = m.group(3)
        uri = V1_PLUGIN_URIS.get(name)
        if uri is None:
            if '.' not in name:
                unknown.append(name)
            return m.group(0)
        return '%s"%s"%s' % (m.group(1), uri, m.group(4))
    return _HEADER_RE.sub(repl, text), unknown


def _indented(text):
    return bool(re.search(r'^[ \t]+\[', text or '', re.M))


def _ensure_table(doc, keys, indented):
    """The tomlkit table at ``keys``, created (with the file's indentation style) when missing."""
    cur = doc
    for depth, k in enumerate(keys):
        nxt = cur.get(k)
        if nxt is None:
            cur.add(k, tomlkit.table())
            nxt = cur[k]
            if indented:
                nxt.trivia.indent = '  ' * depth
        cur = nxt
    return cur


def _set_key(table, key, value, indented, depth):
    """Set ``table[key] = value`` unless equal. Returns True when changed."""
    if table.get(key) == value:
        return False
    existed = key in table
    table[key] = value
    if not existed and indented:
        table[key].trivia.indent = '  ' * depth
    return True


def _remove_empty(table, key):
    sub = table.get(key)
    if sub is not None and hasattr(sub, 'keys') and not list(sub.keys()):
        del table[key]


def edit_config(text, major, certs_dir, sandbox=None, path=CONFIG_DEFAULT):
    """Minimal edit of containerd's config.toml text (None: no file).

    Returns a dict: text (new text), certs_dir (the directory config_path names), mirrors
    ({host: [endpoint urls]} removed from the file), tls ({host: {ca, client, skip_verify}} removed),
    auth_hosts, reasons, notes, errors (an error means: do not change the file).
    """
    _require_tomlkit()
    out = {'text': text, 'certs_dir': certs_dir, 'mirrors': {}, 'tls': {}, 'auth_hosts': [],
           'reasons': [], 'notes': [], 'errors': []}
    source = text or ''
    data = {}
    if text is not None:
        try:
            data = parse.load_toml(text)[0]
        except parse.ParseError as exc:
            out['errors'].append(_toml_error(path, exc))
            return out
    version = data.get('version', 1) if text is not None else None
    if version not in (None, 1, 2, 3):
        out['errors'].append('%s:%s: version = %r: expected 1, 2 or 3; the file is left as it is' % (
            path, parse.line_of(parse.toml_key_lines(text), ('version',)), version))
        return out
    converted = False
    if version == 1:
        source, unknown = _v1_to_v2(source)
        if unknown:
            out['errors'].append('%s: version 1 plugin table(s) %s have no known version 2 name; '
                                 'convert the file by hand' % (path, ', '.join('[plugins.%s]' % n for n in sorted(set(unknown)))))
            return out
        source = 'version = 2\n\n' + source
        converted = True
        version = 2
        out['reasons'].append('converted from version 1 to version 2 (plugin names as URIs)')
    if version is None:
        version = 3 if major >= 2 else 2
        source = 'version = %d\n' % version
        out['reasons'].append('created')
    try:
        doc = tomlkit.parse(source)
    except TomlkitParseError as exc:  # tomllib accepted it; tomlkit did not
        out['errors'].append(_toml_error(path, exc))
        return out
    indented = _indented(source)
    base = V3_IMAGES if version == 3 else V2_CRI

    # disabled_plugins: URIs only with version 2+, and never the CRI plugin.
    disabled = doc.get('disabled_plugins')
    if disabled is not None:
        names = [str(n) for n in disabled]
        new = [V1_PLUGIN_URIS.get(n, n) if converted else n for n in names]
        kept = [n for n in new if n not in CRI_PLUGINS]
        if kept != names:
            doc['disabled_plugins'] = kept
            if len(kept) != len(new):
                out['reasons'].append('CRI plugin enabled (removed from disabled_plugins)')
            elif converted:
                out['reasons'].append('disabled_plugins as URIs')

    # Deprecated registry tables: migrate to hosts.toml, then remove (they break config_path).
    reg_parent = doc.get('plugins', {}).get(base) if doc.get('plugins') is not None else None
    reg = reg_parent.get('registry') if reg_parent is not None else None
    if reg is not None:
        mirrors = reg.get('mirrors')
        if mirrors is not None:
            for host in mirrors:
                eps = [str(e) for e in (mirrors[host].get('endpoint') or [])]
                out['mirrors'][str(host)] = eps
            del reg['mirrors']
            out['reasons'].append('deprecated registry.mirrors moved to hosts.toml')
        configs = reg.get('configs')
        if configs is not None:
            moved = False
            for host in list(configs.keys()):
                cfg = configs[host]
                tls = cfg.get('tls')
                if tls is not None:
                    t = {'ca': tls.get('ca_file') or None, 'client': None,
                         'skip_verify': bool(tls.get('insecure_skip_verify'))}
                    if tls.get('cert_file'):
                        t['client'] = [str(tls['cert_file']), str(tls.get('key_file') or '')]
                    if t['ca'] is not None:
                        t['ca'] = str(t['ca'])
                    out['tls'][str(host)] = t
                    del cfg['tls']
                    moved = True
                if cfg.get('auth') is not None:
                    out['auth_hosts'].append(str(host))
                _remove_empty(configs, host)
            _remove_empty(reg, 'configs')
            if moved:
                out['reasons'].append('deprecated registry.configs.*.tls moved to hosts.toml')
    if out['auth_hosts']:
        hosts = ', '.join(sorted(out['auth_hosts']))
        out['notes'].append('%s: registry.configs.<host>.auth kept for %s (still used by containerd %s; '
                            'deprecated, prefer imagePullSecrets)' % (path, hosts, '1.x' if major < 2 else '2.x'))

    reg = _ensure_table(doc, ['plugins', base, 'registry'], indented)
    current = reg.get('config_path')
    current = str(current) if current is not None else ''
    if current:
        first = current.split(':', 1)[0]
        out['certs_dir'] = first or certs_dir
        if major >= 2 and ':' in current:
            _set_key(reg, 'config_path', out['certs_dir'], indented, 3)
            out['reasons'].append('config_path = %s (containerd 2.x does not split a colon list)' % out['certs_dir'])
    else:
        _set_key(reg, 'config_path', certs_dir, indented, 3)
        if 'created' not in out['reasons']:
            out['reasons'].append('config_path = %s' % certs_dir)

    if sandbox:
        if version == 3:
            pinned = _ensure_table(doc, ['plugins', base, 'pinned_images'], indented)
            changed = _set_key(pinned, 'sandbox', sandbox, indented, 3)
        else:
            cri = _ensure_table(doc, ['plugins', base], indented)
            changed = _set_key(cri, 'sandbox_image', sandbox, indented, 2)
        if changed:
            out['reasons'].append('sandbox image %s' % sandbox)
    out['text'] = doc.as_string()
    return out


# ---------------------------------------------------------------- planning

def _change(path, action, content, reason, mode='0644', validate=None, restart=None, secret=False,
            remove_empty_parent=False):
    return {'path': path, 'action': action, 'content': content, 'mode': mode, 'validate': validate,
            'restart': restart, 'reason': reason, 'secret': secret, 'remove_empty_parent': remove_empty_parent}


def containerd_version(ev, runtime):
    """containerd version tuple from the diagnosis' runtime dict, else from the evidence, or None."""
    runtime = runtime or {}
    for text in (runtime.get('containerd_version'),
                 runtime.get('version') if runtime.get('name') == 'containerd' else None,
                 ev.version_output('containerd')):
        v = parse_version(text)
        if v:
            return v
    return None


def config_file(ev, settings):
    """config.toml path: the setting, else the --config of the running containerd, else the default."""
    if settings.get('config_path'):
        return settings['config_path']
    for proc in ev.processes_named('containerd'):
        flags = flag_values(proc.get('cmdline'), ('--config', '-c'))
        for value in flags.values():
            if value and value.startswith('/'):
                return posixpath.normpath(value)
    return CONFIG_DEFAULT


def _is_owned(text):
    return bool(text) and text.split('\n', 1)[0].rstrip('\r') == MARKER


def _file_state(ev, path):
    """('missing'|'file'|'unreadable'|'other', text)."""
    entry = ev.file(path)
    if not entry:
        return 'missing', None
    st = (entry.get('stat') or {}).get('type')
    if st in (None, 'missing'):
        return 'missing', None
    err = entry.get('error') or {}
    if err.get('kind') == 'missing':
        return 'missing', None
    if st not in ('file', 'symlink'):
        return 'other', None
    text = ev.text(path)
    return ('file', text) if text is not None else ('unreadable', None)


def _migrated_specs(mirrors, tls, user):
    """Settings-shaped specs (fallback true) for deprecated mirrors / tls of registries the user did not set."""
    specs = {}
    for host in sorted(mirrors):
        registry = '*' if host == '*' else host
        if registry in user:
            continue
        up = upstream(registry)
        eps = []
        for url in mirrors[host]:
            url = url.strip().rstrip('/')
            if '://' not in url:
                url = 'https://' + url
            if url and url != up and url not in eps:
                eps.append(url)
        if eps:
            specs[registry] = {'endpoints': eps, 'fallback': True, 'server': None, 'ca': None, 'client': None,
                               'skip_verify': False, 'headers': {}}
    used = set()
    for registry, spec in list(user.items()) + list(specs.items()):
        for url in spec['endpoints'] + [spec.get('server') or upstream(registry) or '']:
            used.add(url_host(url))
    for host in sorted(tls):
        if host not in used and host not in user and host not in specs and host != '*':
            specs[host] = {'endpoints': [], 'fallback': True, 'server': None, 'ca': None, 'client': None,
                           'skip_verify': False, 'headers': {}}
    return specs


def plan_containerd(ev, runtime, settings, mirrors, result):
    version = containerd_version(ev, runtime)
    major = version[0] if version else 1
    path = config_file(ev, settings)
    state, text = _file_state(ev, path)
    if state in ('unreadable', 'other'):
        result['errors'].append('%s: could not be read on the node (%s); nothing planned for containerd' % (path, state))
        return result
    edit = edit_config(text, major, CERTS_D_DEFAULT, settings.get('sandbox_image'), path)
    if edit['errors']:
        result['errors'].extend(edit['errors'])
        return result
    result['notes'].extend(edit['notes'])
    certs_dir = edit['certs_dir']

    specs = dict((r, dict(s, migrated=False)) for r, s in mirrors.items())
    for registry, spec in _migrated_specs(edit['mirrors'], edit['tls'], mirrors).items():
        specs[registry] = dict(spec, migrated=True)

    wanted = {}
    for registry in sorted(specs):
        spec = specs[registry]
        name = host_dir_name(registry)
        target = posixpath.join(certs_dir, name, 'hosts.toml')
        if spec['endpoints']:
            hosts, server = hosts_layout(registry, spec, edit['tls'])
        else:  # tls settings only (from the deprecated configs): they apply to the upstream itself
            hosts, server = [], _entry(upstream(registry), None, edit['tls'])
        content = render_hosts_toml(registry, hosts, server, path if spec['migrated'] else None)
        secret = any(e.get('headers') for e in hosts + ([server] if server else []))
        wanted[name] = target
        if registry == '*' and version and version < DEFAULT_FIRST_VERSION:
            result['notes'].append('containerd %s ignores %s: the "*" (_default) directory needs 1.6.17 or later; '
                                   'upgrade containerd or list the registries one by one' % ('%d.%d.%d' % version, target))
        if ':' in registry:
            shadow = posixpath.join(certs_dir, registry.replace(':', '_') + '_')
            if ev.dir_type(shadow) not in (None, 'missing') or _file_state(ev, shadow + '/hosts.toml')[0] != 'missing':
                result['errors'].append('%s: exists and wins containerd\'s lookup over %s; remove or rename it' % (shadow, target))
                continue
        fstate, current = _file_state(ev, target)
        if fstate == 'file' and not _is_owned(current):
            result['errors'].append('%s: exists and is not managed by kubenode.pullfix (no marker line); '
                                    'merge the %s mirror into it by hand or remove it' % (target, registry))
            continue
        if fstate in ('unreadable', 'other'):
            result['errors'].append('%s: could not be read on the node (%s); not replaced' % (target, fstate))
            continue
        mode = '0600' if secret else '0644'
        if fstate == 'file' and current == content and ((ev.file(target) or {}).get('stat') or {}).get('mode') in (None, mode):
            continue
        what = 'migrated from %s registry.mirrors/configs' % path if spec['migrated'] else 'mirrors for %s' % registry
        result['changes'].append(_change(target, 'update' if fstate == 'file' else 'create', content,
                                         'hosts.toml %s' % what, mode=mode, secret=secret))

    # Stale files we own whose registry left the settings.
    for entry in ev.dir_entries(certs_dir) or []:
        name = entry.get('name')
        if entry.get('type') not in ('dir', 'symlink') or name in wanted:
            continue
        target = posixpath.join(certs_dir, name, 'hosts.toml')
        fstate, current = _file_state(ev, target)
        if fstate == 'file' and _is_owned(current) and '\n' + MIGRATED.split('%s', 1)[0] not in current:
            result['changes'].append(_change(target, 'remove', None, 'registry %s no longer in %s' % (name, SETTING),
                                             remove_empty_parent=True))

    if edit['text'] != text:
        result['changes'].append(_change(path, 'update' if text is not None else 'create', edit['text'],
                                         'config.toml: ' + '; '.join(edit['reasons'] or ['updated']),
                                         validate='containerd-config', restart='containerd'))
    return result


def plan_containerd_registry(evidence, runtime, settings):
    """Plan the containerd_registry role. Raises PlanError on invalid settings (before planning)."""
    settings = settings or {}
    runtime = runtime or {}
    mirrors = validate_mirrors(settings.get('registry_mirrors'))
    sandbox = settings.get('sandbox_image')
    if sandbox is not None and (not isinstance(sandbox, str) or not sandbox.strip()):
        raise PlanError('pullfix_sandbox_image: %r is not an image reference' % (sandbox,))
    ev = Evidence(evidence)
    result = {'changes': [], 'notes': [], 'errors': []}
    name = runtime.get('name') or 'containerd'
    if name in ('k3s', 'rke2'):
        from .plan_k3s import plan_registries_yaml
        return plan_registries_yaml(ev, runtime, settings, mirrors, result)
    if name in ('containerd', 'docker'):
        return plan_containerd(ev, runtime, settings, mirrors, result)
    result['notes'].append('runtime %s: kubenode.pullfix.containerd_registry has nothing to do' % name)
    return result
