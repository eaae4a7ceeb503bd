# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Minimal, comment-keeping edits of containerd's config.toml (tomlkit)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import difflib
import json
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
from .. import PlanError
from ..settings import check_registry_name, check_url
from ...evidence import redact_url, url_host
from ...facts.containerd import (CONFIG, CRI_PLUGIN_NAMES, RUNC_TYPE, V1_PLUGIN_URIS, cri_table, runc_type_needed,
                                 sandbox_key, splits_config_path, systemd_cgroup_key)


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


def _ensure_table(doc, keys, indented, ops):
    """The tomlkit table at ``keys``, created (with the file's indentation style) when missing."""
    cur = doc
    for depth, k in enumerate(keys):
        nxt = cur.get(k)
        if nxt is None:
            # A table defined in pieces (sub-tables before their parent, as EKS and kind write
            # them) reads back as a proxy without ``add``: item assignment works on both.
            # Inside an inline table only an inline table may go.
            inline = isinstance(cur, tomlkit.items.InlineTable)
            cur[k] = tomlkit.inline_table() if inline else tomlkit.table()
            nxt = cur[k]
            ops.append(('table', tuple(keys[:depth + 1]), None))
            if indented and not inline:
                nxt.trivia.indent = '  ' * depth
        cur = nxt
    return cur


def _set_key(table, key, value, indented, depth, ops, keypath):
    """Set ``table[key] = value`` unless equal. Returns True when changed."""
    if table.get(key) == value:
        return False
    existed = key in table
    table[key] = value
    ops.append(('set', tuple(keypath), value))
    if not existed and indented and not isinstance(table, tomlkit.items.InlineTable):
        # a boolean reads back as a plain bool: set the indentation on its item
        (table.item(key) if hasattr(table, 'item') else table[key]).trivia.indent = '  ' * depth
    return True


def _remove_empty(table, key):
    sub = table.get(key)
    if sub is not None and hasattr(sub, 'keys') and not list(sub.keys()):
        del table[key]
        return True
    return False


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
            self.where(keypath), '.'.join(str(k) for k in keypath), _short(value, keypath), _type_name(value), words))
        return None


def _short(value, keypath=()):
    """A value as an error message may show it: credentials never (URL passwords, configs.*)."""
    if 'configs' in keypath or 'auth' in keypath:
        return '<%s>' % _type_name(value)
    text = redact_url(repr(value))
    return text if len(text) <= 60 else text[:57] + '...'


def _shape(data, path, text, table):
    """Wrong types on the way to the registry table, as errors naming file and line."""
    sh = _Shape(path, text)
    disabled = data.get('disabled_plugins')
    if isinstance(disabled, str):
        if disabled not in CRI_PLUGIN_NAMES:
            sh.errors.append('%s: disabled_plugins = %s is a string, with which containerd does not start (expected '
                             'an array of plugin names, e.g. [%s]); fix it by hand: the file is left as it is' % (
                                 sh.where(('disabled_plugins',)), _short(disabled), json.dumps(redact_url(disabled))))
    elif isinstance(disabled, list):
        if not all(isinstance(n, str) for n in disabled):
            sh.errors.append('%s: disabled_plugins holds a value that is not a plugin name; the file is left as it '
                             'is' % sh.where(('disabled_plugins',)))
    else:
        sh.expect(data, ('disabled_plugins',), list, 'an array of plugin names')
    imports = sh.expect(data, ('imports',), list, 'an array of file paths')
    if imports and not all(isinstance(i, str) and i for i in imports):
        sh.errors.append('%s: imports holds a value that is not a file path; the file is left as it is' % (
            sh.where(('imports',))))
    plugins = sh.expect(data, ('plugins',), dict, 'a table of plugin tables')
    cri = sh.expect(plugins or {}, table, dict, 'a table') if plugins else None
    reg = sh.expect(cri or {}, table + ('registry',), dict, 'a table') if cri else None
    if cri:
        sh.expect(cri, table + ('sandbox_image',), str, 'an image reference string')
        pinned = sh.expect(cri, table + ('pinned_images',), dict, 'a table')
        if pinned:
            sh.expect(pinned, table + ('pinned_images', 'sandbox'), str, 'an image reference string')
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
                sh.expect(entry, kp + ('auth',), dict, 'a table')
                tls = sh.expect(entry, kp + ('tls',), dict, 'a table')
                for key in ('ca_file', 'cert_file', 'key_file'):
                    if tls:
                        sh.expect(tls, kp + ('tls', key), str, 'a file path string')
                if tls:
                    sh.expect(tls, kp + ('tls', 'insecure_skip_verify'), bool, 'true or false')
    return sh.errors


def _auth_secrets(auth):
    """Credential strings of a configs.<host>.auth table (the user name is not one)."""
    return [str(auth[k]) for k in ('password', 'auth', 'identitytoken', 'registrytoken')
            if isinstance(auth.get(k), str) and auth.get(k)]


def split_userinfo(url):
    """(url without userinfo, userinfo or None)."""
    scheme, sep, rest = url.partition('://')
    hostport, slash, tail = rest.partition('/')
    if '@' not in hostport:
        return url, None
    userinfo, _at, hostport = hostport.rpartition('@')
    return scheme + sep + hostport + slash + tail, userinfo


def _migrated_endpoints(host, value, major, where):
    """Normalized (endpoints, userinfo list) of a deprecated mirrors entry. Raises PlanError naming ``where``."""
    eps, userinfos = [], []
    for i, url in enumerate([value] if isinstance(value, str) else list(value or [])):
        url = url.strip().rstrip('/')
        if not url:
            continue
        if '://' not in url:
            # containerd 1.x meant http for a scheme-less loopback mirror, https otherwise.
            loopback = (url_host('http://' + url) or '').rsplit('@', 1)[-1].split(':')[0] in (
                'localhost', '127.0.0.1', '[::1]')
            url = ('http://' if loopback and major < 2 else 'https://') + url
        url, userinfo = split_userinfo(url)
        check_url(url, '%s.endpoint[%d]' % (where, i))
        if userinfo:
            userinfos.append(userinfo)
        eps.append((url, userinfo))
    return eps


def _registry_key(name, where, url_allowed=False):
    """The registry a deprecated mirrors/configs key names. A configs key written as a URL is
    reduced to its host; a mirrors key never matched an image with a URL, so it is refused."""
    reg = url_host(name) if url_allowed and '://' in name else name
    check_registry_name(reg, where)
    return reg


def _drop(data, keypath):
    cur = data
    for k in keypath[:-1]:
        cur = cur.get(k) if isinstance(cur, dict) else None
        if cur is None:
            return
    if isinstance(cur, dict):
        cur.pop(keypath[-1], None)


def _expected(base, ops):
    """What the edited file must parse to: ``base`` with the recorded edits applied."""
    data = copy.deepcopy(base)
    for op, keypath, value in ops:
        if op == 'del':
            _drop(data, keypath)
            continue
        cur = data
        for k in keypath[:-1]:
            cur = cur.setdefault(k, {})
        if op == 'table':
            cur.setdefault(keypath[-1], {})
        else:
            cur[keypath[-1]] = value
    return data


def edit_config(text, major, certs_dir, sandbox=None, path=CONFIG, registry=True, systemd_cgroup=None,
                pull_path=None):
    """Minimal edit of containerd's config.toml text (None: no file).

    Returns a dict: text (new text), certs_dir (the directory config_path names), mirrors
    ({registry: [(endpoint url, userinfo or None)]} removed from the file), tls ({host: {ca, client,
    skip_verify}} removed), auth_hosts, secrets (credential strings the file holds), reasons,
    notes, errors (an error means: do not change the file). ``registry`` false: the CRI plugin
    table of this file is replaced by an import's, so only disabled_plugins is edited.
    ``systemd_cgroup`` true/false sets runc's SystemdCgroup option (None: left as it is).
    ``pull_path``: how this containerd pulls ('local' | 'transfer', facts.pull_path); it decides
    whether a colon-list config_path is several directories (kept) or one literal name (shortened).
    None: the local path on 1.x, the transfer path on 2.x.
    A UTF-8 byte order mark and CRLF line endings are kept as the file had them.
    """
    _require_tomlkit()
    out = {'text': text, 'certs_dir': certs_dir, 'mirrors': {}, 'tls': {}, 'auth_hosts': [], 'secrets': [],
           'reasons': [], 'notes': [], 'errors': [], 'version': None, 'data': {}}
    try:
        return _edit(out, text, major, certs_dir, sandbox, path, registry, systemd_cgroup, pull_path)
    except PlanError as exc:
        out['errors'].append('%s; the file is left as it is' % exc)
    except Exception as exc:  # pylint: disable=broad-except
        # A shape tomlkit cannot edit: an error, never a traceback.
        out['errors'].append('%s: a table layout kubenode.pullfix cannot edit safely (%s); the file is left as it '
                             'is: set the keys by hand' % (path, exc.__class__.__name__))
    out['text'] = text
    return out


class _Step(object):
    """What the steps of one edit share: the file, the parsed document, the edits made so far."""

    def __init__(self, out, path, major, certs_dir):
        self.out, self.path, self.major, self.certs_dir = out, path, major, certs_dir
        self.lines = {}
        self.version = None
        self.converted = False
        self.doc = self.base = None
        self.indented = False
        self.ops = []

    def error(self, message):
        self.out['errors'].append(message)


def _edit(out, text, major, certs_dir, sandbox, path, registry, systemd_cgroup=None, pull_path=None):
    st = _Step(out, path, major, certs_dir)
    st.pull_path = pull_path or ('local' if major < 2 else 'transfer')
    read = _read(st, text)
    if read is None:
        return out
    source, bom, crlf, data = read
    if not _check(st, data, source, text, registry):
        return out
    source = _converted(st, source, text, registry)
    if source is None or not _parse_doc(st, source):
        return out
    base_name = cri_table(st.version)[1]
    regpath = ('plugins', base_name, 'registry')
    _enable_cri(st)
    _collect_secrets(st, base_name)
    if registry:
        reg = _registry_table(st.doc, base_name)
        if reg is not None:
            _migrate_mirrors(st, reg, regpath)
            _migrate_tls(st, reg, regpath)
        _note_auth(st)
        _set_config_path(st, regpath)
        if sandbox:
            _set_sandbox(st, sandbox)
        if systemd_cgroup is not None:
            _set_systemd_cgroup(st.doc, st.version, major, bool(systemd_cgroup), st.indented, st.ops, out)
    return _finish(out, st.doc, st.base, st.ops, path, bom, crlf, text, source)


def _read(st, text):
    """(source without BOM and CRLF, bom, crlf, data) of the file as it is, or None (an error)."""
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
            st.error(_toml_error(st.path, exc))
            return None
    st.out['data'] = data
    st.lines = parse.toml_key_lines(source)
    return source, bom, crlf, data


def _check(st, data, source, text, registry):
    """The version, the shape on the way to the registry table and config_path: True when editable."""
    path, lines = st.path, st.lines
    version = data.get('version', 1) if text is not None else None
    if version is not None and (isinstance(version, bool) or version not in (1, 2, 3)):
        st.error('%s:%s: version = %s: expected 1, 2 or 3; the file is left as it is' % (
            path, parse.line_of(lines, ('version',)), _short(version)))
        return False
    st.out['version'] = st.version = version
    if version == 3 and st.major < 2:
        st.error('%s:%s: version = 3 is a containerd 2.x config; this containerd is 1.x and does not start with it: '
                 'the file is left as it is' % (path, parse.line_of(lines, ('version',))))
        return False
    table = cri_table(3 if version == 3 else 2 if version == 2 else 1)
    st.out['errors'].extend(_shape(data, path, source, table))
    if st.out['errors']:
        return False
    cp = ((data.get('plugins') or {}).get(table[1]) or {}).get('registry', {}).get('config_path') \
        if version in (2, 3) and registry else None
    if cp and not all(p.startswith('/') for p in cp.split(':') if p):
        st.error('%s:%s: config_path = %s is not an absolute path: containerd would resolve it against its working '
                 'directory; set an absolute path (e.g. %s). The file is left as it is' % (
                     path, parse.line_of(lines, table + ('registry', 'config_path')), _short(cp), st.certs_dir))
        return False
    return True


def _converted(st, source, text, registry):
    """The source to edit: a version 1 file converted to version 2, a new file started; None on error."""
    if st.version == 1 and registry:
        source, unknown = _v1_to_v2(source)
        if unknown:
            st.error('%s: version 1 plugin table(s) %s have no known version 2 name; convert the file by hand' % (
                st.path, ', '.join('[plugins.%s]' % n for n in sorted(set(unknown)))))
            return None
        st.converted, st.version = True, 2
        st.out['reasons'].append('converted from version 1 to version 2 (plugin names as URIs)')
        return 'version = 2\n\n' + source
    if st.version is None:
        st.version = 3 if st.major >= 2 else 2
        st.out['reasons'].append('created')
        return 'version = %d\n' % st.version
    return source


def _parse_doc(st, source):
    try:
        st.base = parse.load_toml(source)[0]
        st.doc = tomlkit.parse(source)
    except (TomlkitParseError, parse.ParseError) as exc:  # tomllib accepted it; tomlkit did not
        st.error(_toml_error(st.path, exc))
        return False
    st.indented = _indented(source)
    return True


def _enable_cri(st):
    """disabled_plugins: URIs only with version 2+, and never the CRI plugin. A string (which
    containerd cannot load) naming the CRI plugin becomes the empty array."""
    disabled = st.doc.get('disabled_plugins')
    if disabled is None:
        return
    names = [str(disabled)] if isinstance(disabled, str) else [str(n) for n in disabled]
    new = [V1_PLUGIN_URIS.get(n, n) if st.converted else n for n in names]
    kept = [n for n in new if n not in CRI_PLUGIN_NAMES]
    if kept != names or isinstance(disabled, str):
        st.doc['disabled_plugins'] = kept
        st.ops.append(('set', ('disabled_plugins',), kept))
        if len(kept) != len(new):
            st.out['reasons'].append('CRI plugin enabled (removed from disabled_plugins)')
        elif st.converted:
            st.out['reasons'].append('disabled_plugins as URIs')


def _registry_table(doc, base_name):
    plugins = doc.get('plugins')
    reg_parent = plugins.get(base_name) if plugins is not None else None
    return reg_parent.get('registry') if reg_parent is not None else None


def _collect_secrets(st, base_name):
    """Credentials the file holds, wherever they are (the old text is shown in diffs and backups)."""
    plain_reg = ((st.base.get('plugins') or {}).get(base_name) or {}).get('registry') or {}
    for _host, cfg in (plain_reg.get('configs') or {}).items():
        if isinstance(cfg, dict) and isinstance(cfg.get('auth'), dict):
            st.out['secrets'].extend(_auth_secrets(cfg['auth']))
    for _host, entry in (plain_reg.get('mirrors') or {}).items():
        value = entry.get('endpoint') if isinstance(entry, dict) else None
        for url in [value] if isinstance(value, str) else list(value or []):
            userinfo = split_userinfo(url.strip())[1] if isinstance(url, str) else None
            if userinfo:
                st.out['secrets'].extend([userinfo, userinfo.split(':', 1)[-1]])


def _migrate_mirrors(st, reg, regpath):
    """Deprecated registry.mirrors: moved to hosts.toml, then removed (they break config_path)."""
    mirrors = reg.get('mirrors')
    if mirrors is None:
        return
    path, out = st.path, st.out
    for host in mirrors:
        value = mirrors[host].get('endpoint')
        where = '%s:%s: mirrors.%s' % (path, parse.line_of(st.lines, regpath + ('mirrors', str(host))),
                                       json.dumps(str(host)))
        name = _registry_key(str(host), where)
        out['mirrors'].setdefault(name, []).extend(
            _migrated_endpoints(host, value.unwrap() if hasattr(value, 'unwrap') else value, st.major, where))
        if isinstance(value, str):
            out['notes'].append('%s: mirrors."%s".endpoint is a string, which containerd cannot load (it expects an '
                                'array); migrated as the one endpoint it names' % (path, host))
    del reg['mirrors']
    st.ops.append(('del', regpath + ('mirrors',), None))
    out['reasons'].append('deprecated registry.mirrors moved to hosts.toml')


def _migrate_tls(st, reg, regpath):
    """Deprecated registry.configs.<host>.tls: moved to hosts.toml; auth stays (still used)."""
    configs = reg.get('configs')
    if configs is None:
        return
    moved = False
    for host in list(configs.keys()):
        cfg = configs[host]
        tls = cfg.get('tls')
        if tls is not None:
            where = '%s:%s: configs.%s' % (st.path, parse.line_of(st.lines, regpath + ('configs', str(host))),
                                           json.dumps(str(host)))
            name = _registry_key(str(host), where, url_allowed=True)
            t = {'ca': tls.get('ca_file') or None, 'client': None, 'skip_verify': bool(tls.get('insecure_skip_verify'))}
            if tls.get('cert_file'):
                t['client'] = [str(tls['cert_file']), str(tls.get('key_file') or '')]
            if t['ca'] is not None:
                t['ca'] = str(t['ca'])
            st.out['tls'][name] = t
            del cfg['tls']
            st.ops.append(('del', regpath + ('configs', str(host), 'tls'), None))
            moved = True
        if cfg.get('auth') is not None:
            st.out['auth_hosts'].append(str(host))
        if _remove_empty(configs, host):
            st.ops.append(('del', regpath + ('configs', str(host)), None))
    if _remove_empty(reg, 'configs'):
        st.ops.append(('del', regpath + ('configs',), None))
    if moved:
        st.out['reasons'].append('deprecated registry.configs.*.tls moved to hosts.toml')


def _note_auth(st):
    if st.out['auth_hosts']:
        st.out['notes'].append(
            '%s: registry.configs.<host>.auth kept for %s (still used by containerd %s; deprecated, prefer '
            'imagePullSecrets for a registry and, for a mirror, an Authorization header '
            '(pullfix_registry_mirrors.<registry>.headers): kubelet\'s credentials never reach a mirror)' % (
                st.path, ', '.join(sorted(st.out['auth_hosts'])), '1.x' if st.major < 2 else '2.x'))


def _set_config_path(st, regpath):
    """config_path: the certs.d directory (the first of a colon list).

    A colon list stays when this containerd's pull path splits it (facts.splits_config_path: the
    local pull path, any 1.x and a 2.1+ that falls back to it); the transfer path takes it as one
    literal directory name, so there it is shortened to its first directory."""
    reg = _ensure_table(st.doc, list(regpath), st.indented, st.ops)
    current = reg.get('config_path')
    current = str(current) if current is not None else ''
    out = st.out
    if current:
        out['certs_dir'] = current.split(':', 1)[0] or st.certs_dir
        if ':' in current and not splits_config_path(st.pull_path):
            _set_key(reg, 'config_path', out['certs_dir'], st.indented, 3, st.ops, regpath + ('config_path',))
            out['reasons'].append('config_path = %s (containerd\'s transfer pull path does not split a colon list)'
                                  % out['certs_dir'])
    else:
        _set_key(reg, 'config_path', st.certs_dir, st.indented, 3, st.ops, regpath + ('config_path',))
        if 'created' not in out['reasons']:
            out['reasons'].append('config_path = %s' % st.certs_dir)


def _set_sandbox(st, sandbox):
    key = sandbox_key(st.version)
    holder = _ensure_table(st.doc, list(key[:-1]), st.indented, st.ops)
    if _set_key(holder, key[-1], sandbox, st.indented, len(key) - 1, st.ops, key):
        st.out['reasons'].append('sandbox image %s' % sandbox)


def _set_systemd_cgroup(doc, version, major, value, indented, ops, out):
    """runc's SystemdCgroup option; on 1.x the runc table also needs its runtime_type (facts)."""
    key = systemd_cgroup_key(version)
    runc_key = key[:-2]
    runc = _ensure_table(doc, list(runc_key), indented, ops)
    if runc_type_needed(major) and runc.get('runtime_type') is None:
        _set_key(runc, 'runtime_type', RUNC_TYPE, indented, len(runc_key), ops, runc_key + ('runtime_type',))
        out['reasons'].append('runc runtime_type = %s (1.x replaces the default runc entry)' % RUNC_TYPE)
    options = _ensure_table(doc, list(key[:-1]), indented, ops)
    if _set_key(options, key[-1], value, indented, len(key) - 1, ops, key):
        out['reasons'].append('SystemdCgroup = %s' % ('true' if value else 'false'))


# Lines of the old span times lines of the new span above which the span is not diffed line by line.
_DIFF_LIMIT = 250000


def keep_original_lines(original, edited):
    """``edited`` with every line that only tomlkit's rendering changed given back as ``original`` wrote it.

    tomlkit re-renders a table it reads out of order (a sub-table written before its parent, as
    KubeKey writes the GPU runtime table) one indentation step deeper on every parse and dump.
    A line whose text, leading whitespace aside, is matched to a line of the original (in order,
    as a diff matches lines) is the original's line: only the lines the edit added or changed
    differ. TOML gives leading whitespace no meaning outside multi-line strings, whose lines are
    matched whole; the result is read back and compared with the intended data all the same.
    """
    if original == edited:
        return edited
    old, new = original.splitlines(True), edited.splitlines(True)
    a, b = [line.lstrip(' \t') for line in old], [line.lstrip(' \t') for line in new]
    # The lines before and after the edited span match one to one: take them from the original in
    # linear time, and diff only the span between (a diff of a whole large file is quadratic).
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[len(a) - 1 - tail] == b[len(b) - 1 - tail]:
        tail += 1
    out = old[:head]
    mid_old, mid_new = old[head:len(old) - tail], new[head:len(new) - tail]
    if len(mid_old) * len(mid_new) > _DIFF_LIMIT:
        out.extend(mid_new)  # too large to match line by line: the edited span as rendered
    else:
        matcher = difflib.SequenceMatcher(None, a[head:len(a) - tail], b[head:len(b) - tail], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            out.extend(mid_old[i1:i2] if tag == 'equal' else mid_new[j1:j2])
    out.extend(old[len(old) - tail:])
    return ''.join(out)


def header_path(line):
    """The key path of a TOML table header line ('[a."b.c".d]' -> ('a', 'b.c', 'd')), or None."""
    text = line.strip()
    if not text.startswith('[') or text.startswith('[['):
        return None
    parts, cur, quote, i = [], '', None, 1
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
            elif ch == '\\' and quote == '"' and i + 1 < len(text):
                i += 1
                cur += text[i]
            else:
                cur += ch
        elif ch in '"\'':
            quote = ch
        elif ch == '.':
            parts.append(cur.strip())
            cur = ''
        elif ch == ']':
            parts.append(cur.strip())
            return tuple(parts)
        else:
            cur += ch
        i += 1
    return None


def keep_removed_comments(original, edited, removed):
    """``edited`` with the comment lines of the tables it removed (``removed``: their key paths)
    put back before the line that replaces them: the config_path of their registry table.

    A comment in a deprecated registry table (a note of who set the mirrors, and why) stays in the
    file once the table moves to hosts.toml, next to the key that now points there."""
    if not removed:
        return edited
    lost, table = [], None
    kept = set(line.strip() for line in edited.splitlines())
    for line in original.splitlines():
        header = header_path(line)
        if header is not None:
            table = header
            continue
        if table and line.strip().startswith('#') and line.strip() not in kept and \
                any(table[:len(k)] == tuple(k) for k in removed):
            lost.append(line.strip())
    if not lost:
        return edited
    lines = edited.splitlines(True)
    registry = tuple(removed[0][:3])  # every removed table is under plugins.<cri>.registry
    table, at = None, None
    for i, line in enumerate(lines):
        header = header_path(line)
        if header is not None:
            table = header
        elif table and table[:3] == registry and line.lstrip().startswith('config_path'):
            at = i
            break
    if at is None:
        return edited
    indent = lines[at][:len(lines[at]) - len(lines[at].lstrip())]
    eol = '\n' if lines[at].endswith('\n') else ''
    lines[at:at] = [indent + comment + (eol or '\n') for comment in lost]
    return ''.join(lines)


def _finish(out, doc, base, ops, path, bom, crlf, text, source):
    if not ops and not out['reasons']:
        # Nothing edited: the file as it is, byte for byte (never tomlkit's rendering of it).
        out['text'] = text
        return out
    new = keep_removed_comments(source, keep_original_lines(source, doc.as_string()),
                                [k for op, k, _v in ops if op == 'del'])
    # The edit must change exactly what it meant to: parse the result and compare.
    try:
        got = parse.load_toml(new)[0]
    except parse.ParseError:
        got = None
    if got != _expected(base, ops):
        out['errors'].append('%s: a table layout kubenode.pullfix cannot edit safely (the edited file would not read '
                             'back as intended); the file is left as it is: set the keys by hand' % path)
        out['text'] = text
        return out
    if crlf:
        new = new.replace('\r\n', '\n').replace('\n', '\r\n')
    out['text'] = ('\ufeff' if bom else '') + new
    return out
