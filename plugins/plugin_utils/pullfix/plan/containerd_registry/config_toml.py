# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Minimal, comment-keeping edits of containerd's config.toml (tomlkit)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

try:
    import tomlkit
    from tomlkit.exceptions import ParseError as TomlkitParseError
    HAS_TOMLKIT = True
except ImportError:  # pragma: no cover - sanity import test environment
    tomlkit = None
    TomlkitParseError = None
    HAS_TOMLKIT = False

from ... import parse
from ...facts.containerd import CONFIG, CRI_PLUGIN_NAMES, V1_PLUGIN_URIS, cri_table, sandbox_key


def _require_tomlkit():
    if not HAS_TOMLKIT:
        raise parse.MissingLibrary('tomlkit is required on the controller to edit config.toml: pip install tomlkit')


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
            # A table defined in pieces (sub-tables before their parent) reads back as a proxy
            # without ``add``; item assignment works on both.
            cur[k] = tomlkit.table()
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


def _type_name(value):
    for cls, words in ((bool, 'a boolean'), (int, 'an integer'), (float, 'a number'), (str, 'a string'),
                       (dict, 'a table'), (list, 'an array')):
        if isinstance(value, cls):
            return words
    return 'a date or time'


class _Shape(object):
    """Checks the parsed config where the planner reads or writes, before tomlkit touches it."""

    def __init__(self, path, text):
        self.path = path
        self.index = parse.toml_key_lines(text) if text else {}
        self.errors = []

    def where(self, keypath):
        return '%s:%s' % (self.path, parse.line_of(self.index, keypath) or '?')

    def expect(self, data, keypath, types, words):
        """data[keypath[-1]] if it is of ``types`` (or absent: None); records an error otherwise."""
        value = data.get(keypath[-1]) if isinstance(data, dict) else None
        if value is None or isinstance(value, types):
            return value
        self.errors.append('%s: %s = %s is %s (expected %s); the file is left as it is' % (
            self.where(keypath), '.'.join(str(k) for k in keypath), _short(value), _type_name(value), words))
        return None


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'


def _shape(data, path, text, table):
    """Wrong types on the way to the registry table, as errors naming file and line."""
    sh = _Shape(path, text)
    sh.expect(data, ('disabled_plugins',), list, 'an array of plugin names')
    sh.expect(data, ('imports',), list, 'an array of file paths')
    plugins = sh.expect(data, ('plugins',), dict, 'a table of plugin tables')
    cri = sh.expect(plugins or {}, table, dict, 'a table') if plugins else None
    reg = sh.expect(cri or {}, table + ('registry',), dict, 'a table') if cri else None
    if reg:
        sh.expect(reg, table + ('registry', 'config_path'), str, 'a directory path string')
        mirrors = sh.expect(reg, table + ('registry', 'mirrors'), dict, 'a table of registry tables')
        for host, entry in (mirrors or {}).items():
            kp = table + ('registry', 'mirrors', host)
            entry = sh.expect(mirrors, kp, dict, 'a table with endpoint = [...]')
            if entry:
                eps = sh.expect(entry, kp + ('endpoint',), (list, str), 'an array of URLs')
                if isinstance(eps, list) and not all(isinstance(e, str) for e in eps):
                    sh.errors.append('%s: %s.endpoint holds a value that is not a URL string; the file is left '
                                     'as it is' % (sh.where(kp + ('endpoint',)), host))
        configs = sh.expect(reg, table + ('registry', 'configs'), dict, 'a table of registry tables')
        for host, entry in (configs or {}).items():
            kp = table + ('registry', 'configs', host)
            entry = sh.expect(configs, kp, dict, 'a table')
            if entry:
                sh.expect(entry, kp + ('tls',), dict, 'a table')
    disabled = data.get('disabled_plugins')
    if isinstance(disabled, list) and not all(isinstance(n, str) for n in disabled):
        sh.errors.append('%s: disabled_plugins holds a value that is not a plugin name; the file is left as it '
                         'is' % sh.where(('disabled_plugins',)))
    return sh.errors


def _endpoints(value):
    return [value] if isinstance(value, str) else [str(e) for e in value or []]


def edit_config(text, major, certs_dir, sandbox=None, path=CONFIG):
    """Minimal edit of containerd's config.toml text (None: no file).

    Returns a dict: text (new text), certs_dir (the directory config_path names), mirrors
    ({host: [endpoint urls]} removed from the file), tls ({host: {ca, client, skip_verify}} removed),
    auth_hosts, reasons, notes, errors (an error means: do not change the file).
    A UTF-8 byte order mark and CRLF line endings are kept as the file had them.
    """
    _require_tomlkit()
    out = {'text': text, 'certs_dir': certs_dir, 'mirrors': {}, 'tls': {}, 'auth_hosts': [],
           'reasons': [], 'notes': [], 'errors': []}
    bom = text is not None and text.startswith('\ufeff')
    source = (text or '').lstrip('\ufeff') if bom else (text or '')
    crlf = '\r\n' in source
    if crlf:
        source = source.replace('\r\n', '\n')
    data = {}
    if text is not None:
        try:
            data = parse.load_toml(source)[0]
        except parse.ParseError as exc:
            out['errors'].append(_toml_error(path, exc))
            return out
    version = data.get('version', 1) if text is not None else None
    if version is not None and (isinstance(version, bool) or version not in (1, 2, 3)):
        out['errors'].append('%s:%s: version = %s: expected 1, 2 or 3; the file is left as it is' % (
            path, parse.line_of(parse.toml_key_lines(source), ('version',)), _short(version)))
        return out
    if version == 3 and major < 2:
        out['errors'].append('%s:%s: version = 3 is a containerd 2.x config; this containerd is 1.x and does not '
                             'start with it: the file is left as it is' % (
                                 path, parse.line_of(parse.toml_key_lines(source), ('version',))))
        return out
    table = cri_table(3 if version == 3 else 2 if version == 2 else 1)
    out['errors'].extend(_shape(data, path, source, table))
    if out['errors']:
        return out
    cp = ((data.get('plugins') or {}).get(table[1]) or {}).get('registry', {}).get('config_path') \
        if version in (2, 3) else None
    if cp and not all(p.startswith('/') for p in cp.split(':') if p):
        out['errors'].append('%s:%s: config_path = %r is not an absolute path: containerd would resolve it against '
                             'its working directory; set an absolute path (e.g. %s). The file is left as it is' % (
                                 path, parse.line_of(parse.toml_key_lines(source), table + ('registry', 'config_path')),
                                 cp, certs_dir))
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
    base = cri_table(version)[1]

    # disabled_plugins: URIs only with version 2+, and never the CRI plugin.
    disabled = doc.get('disabled_plugins')
    if disabled is not None:
        names = [str(n) for n in disabled]
        new = [V1_PLUGIN_URIS.get(n, n) if converted else n for n in names]
        kept = [n for n in new if n not in CRI_PLUGIN_NAMES]
        if kept != names:
            doc['disabled_plugins'] = kept
            if len(kept) != len(new):
                out['reasons'].append('CRI plugin enabled (removed from disabled_plugins)')
            elif converted:
                out['reasons'].append('disabled_plugins as URIs')

    # Deprecated registry tables: migrate to hosts.toml, then remove (they break config_path).
    plugins = doc.get('plugins')
    reg_parent = plugins.get(base) if plugins is not None else None
    reg = reg_parent.get('registry') if reg_parent is not None else None
    if reg is not None:
        mirrors = reg.get('mirrors')
        if mirrors is not None:
            for host in mirrors:
                value = mirrors[host].get('endpoint')
                out['mirrors'][str(host)] = _endpoints(value)
                if isinstance(value, str):
                    out['notes'].append('%s: mirrors."%s".endpoint is a string, which containerd cannot load (it '
                                        'expects an array); migrated as the one endpoint it names' % (path, host))
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
        key = sandbox_key(version)
        holder = _ensure_table(doc, list(key[:-1]), indented)
        if _set_key(holder, key[-1], sandbox, indented, len(key) - 1):
            out['reasons'].append('sandbox image %s' % sandbox)
    new = doc.as_string()
    if crlf:
        new = new.replace('\r\n', '\n').replace('\n', '\r\n')
    out['text'] = ('\ufeff' if bom else '') + new
    return out
