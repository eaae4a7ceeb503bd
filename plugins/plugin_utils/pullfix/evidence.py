# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Accessors over the evidence dict of ``node_evidence`` (see docs/evidence.md).

Also: version parsing, image reference helpers and secret redaction, all pure.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath
import re

from . import parse

# ---------------------------------------------------------------- versions

_VERSION_RE = re.compile(r'(?<![\w.])v?(\d+)\.(\d+)(?:\.(\d+))?')
_K3S_RE = re.compile(r'v?\d+\.\d+\.\d+\+k3s\d+')
_RKE2_RE = re.compile(r'v?\d+\.\d+\.\d+\+rke2r\d+')


def parse_version(text):
    """First ``X.Y[.Z]`` in ``text`` as a tuple of ints, or None ("1.6.20~ds1" -> (1, 6, 20))."""
    if not text:
        return None
    m = _VERSION_RE.search(str(text))
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


def version_string(text):
    """Clean ``X.Y.Z`` from a version text, or None."""
    v = parse_version(text)
    return '%d.%d.%d' % v if v else None


def distro_version(text, kind):
    """k3s / rke2 version such as ``v1.32.2+k3s1`` from a ``--version`` output, or None."""
    if not text:
        return None
    m = (_K3S_RE if kind == 'k3s' else _RKE2_RE).search(str(text))
    if not m:
        return None
    v = m.group(0)
    return v if v.startswith('v') else 'v' + v


# ---------------------------------------------------------------- images

def image_registry(ref):
    """Registry host[:port] of an image reference (docker normalisation rules)."""
    if not ref:
        return None
    ref = str(ref).strip()
    for scheme in ('https://', 'http://'):
        if ref.startswith(scheme):
            ref = ref[len(scheme):]
    first, sep, _rest = ref.partition('/')
    if not sep:
        return 'docker.io'
    if '.' in first or ':' in first or first == 'localhost':
        return 'docker.io' if first in ('index.docker.io', 'registry-1.docker.io') else first
    return 'docker.io'


def url_host(url):
    """host[:port] of a URL or of a bare ``host[:port][/path]``."""
    if not url:
        return None
    u = str(url).strip()
    if '://' in u:
        u = u.split('://', 1)[1]
    u = u.split('/', 1)[0]
    if '@' in u:
        u = u.rsplit('@', 1)[1]
    return u or None


def endpoint_path(endpoint):
    """Filesystem path of a CRI endpoint (``unix:///run/x.sock`` or ``/run/x.sock``), or None."""
    if not endpoint:
        return None
    e = str(endpoint).strip()
    if e.startswith('unix://'):
        e = e[len('unix://'):]
    elif '://' in e:
        return None
    if not e.startswith('/'):
        return None
    return posixpath.normpath(e)


def endpoint_url(path):
    return 'unix://' + path if path else None


# ---------------------------------------------------------------- redaction

REDACTED = '<redacted>'
_KV_RE = re.compile(r'^(\s*-?\s*["\']?)([^=:"\']+?)(["\']?\s*[=:]\s*)(.+)$')
_URL_USERINFO_RE = re.compile(r'([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+):[^@\s/]+@')
_URL_TOKEN_RE = re.compile(r'([a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s:@]+@')

# Redaction by SHAPE, not by a list of known flags: any name=value (query parameter, command-line
# flag, environment assignment), "name": "value" (JSON) or header whose NAME says it holds a secret.
# A name says so when its last word (split at - _ .) is one of _SECRET_WORDS, or ends with one of
# _SECRET_SUFFIXES (accesstoken, clientsecret). A name whose last word is something else
# (--image-credential-provider-config, token_file, key-file, tls-private-key-file) names a file or a
# setting, not a secret, and is kept: the path is what a reader needs.
_SECRET_WORDS = frozenset(('password', 'passwd', 'pass', 'pwd', 'passphrase', 'secret', 'token', 'sig',
                           'signature', 'key', 'apikey', 'auth', 'authorization', 'credential',
                           'credentials', 'cookie', 'bearer', 'session'))
_SECRET_SUFFIXES = ('password', 'passwd', 'secret', 'token', 'apikey', 'signature')
# A name with one of these words anywhere is a secret's (password_hash, token_value) unless its
# last word says it names a file, a place or a kind (token_file, auth_type, credential-provider-config).
_STRONG_WORDS = frozenset(('password', 'passwd', 'secret', 'token', 'auth', 'credential', 'credentials', 'apikey'))
_POINTER_WORDS = frozenset(('file', 'files', 'path', 'paths', 'dir', 'directory', 'config', 'conf', 'cfg',
                            'provider', 'plugin', 'helper', 'type', 'mode', 'method', 'kind', 'url', 'uri',
                            'endpoint', 'server', 'name', 'enabled', 'timeout', 'ttl', 'bin', 'command'))
_NAME = r'[A-Za-z][A-Za-z0-9_.-]*'
_AFTER = r'(?:^|(?<=[\s"\'=,({\[]))'  # what may stand before a flag, assignment or header name
# ?name=value &name=value ;name=value: a URL's query parameters
_QUERY_RE = re.compile(r'[?&;](?P<name>' + _NAME + r')(?P<sep>=)(?P<value>[^\s"\'&#;<>]+)')
# -name=value and NAME=value after a blank, a quote or '=' (an environment assignment, Environment=X=y)
_ASSIGN_RE = re.compile(
    _AFTER + r'(?:--?)?(?P<name>' + _NAME + r')(?P<sep>=)(?P<value>"[^"]*"|\'[^\']*\'|[^\s"\'<>]+)')
# --name value: a flag and its value as the next word
_FLAG_RE = re.compile(_AFTER + r'--?(?P<name>' + _NAME + r')(?P<sep>[ \t]+)(?P<value>"[^"]*"|\'[^\']*\'|[^\s"\'<>-][^\s"\'<>]*)')
# "name": "value" in JSON (a docker config.json "auth", an "identitytoken")
_JSON_RE = re.compile(r'"(?P<name>' + _NAME + r')"(?P<sep>\s*:\s*")(?P<value>(?:[^"\\]|\\.)*)"')
# name: value inside a line: -H "Authorization: Basic x", a YAML "password: x"
_HEADER_RE = re.compile(
    _AFTER + r'(?P<name>' + _NAME + r')(?P<sep>\s*:[ \t]+)(?P<value>"[^"]*"|\'[^\']*\'|[^\s"\',}<][^"\',}]*)')
# A bearer or basic token wherever it stands; it must look like one (8+ characters, not only
# letters unless long), so prose such as "Basic authentication" stays readable.
_BEARER_RE = re.compile(r'\b(Basic|Bearer)\s+([A-Za-z0-9+/=._~-]{8,})')
# Values that open a structure rather than hold a secret (auth: followed by a YAML block).
_OPENERS = ('{', '[', '|', '>', '|-', '>-', '""', "''")


def secret_name(name):
    """True when a parameter, flag, variable or header NAME says its value is a secret."""
    words = [w for w in re.split(r'[-_.]', str(name).lower()) if w]
    if not words:
        return False
    if words[-1] in _SECRET_WORDS or words[-1].endswith(_SECRET_SUFFIXES):
        return True
    return words[-1] not in _POINTER_WORDS and any(w in _STRONG_WORDS for w in words[:-1])


def _redact_values(pattern, text, prose=False):
    """Replace the value of every match whose name is a secret's. A match whose name is not is
    passed over after its separator, so its value is searched too (a query in a flag's URL).
    ``prose``: the text is a sentence of the collection's own that may quote node content; a value
    of several words ("credentials: an imagePullSecret, or ...") or the placeholder of a notation
    ("Key=Value") is the sentence itself, not a quoted secret."""
    out, pos = [], 0
    while True:
        m = pattern.search(text, pos)
        if m is None:
            break
        value = m.group('value')
        secret = secret_name(m.group('name')) and value.strip() not in _OPENERS and not value.startswith('#')
        if secret and prose and _prose_value(value):
            secret = False
        if secret:
            out.append(text[pos:m.start('value')])
            out.append(REDACTED)
            pos = m.end('value')
        else:
            out.append(text[pos:m.end('sep')])
            pos = m.end('sep')
    out.append(text[pos:])
    return ''.join(out)


_PLACEHOLDERS = frozenset(('value', 'values', 'val', 'secret', 'token', 'password', 'redacted'))


def _prose_value(value):
    """True when a value in the collection's own sentence is prose or a placeholder, not a secret."""
    v = value.strip()
    if v[:1] in ('"', "'"):
        return False  # a quoted value is quoted node content: redact it
    return bool(re.search(r'\s', v.rstrip('.,;:)'))) or v.rstrip('.,;:)').lower() in _PLACEHOLDERS


def _bearer(m):
    token = m.group(2)
    if token.isalpha() and len(token) < 20:
        return m.group(0)
    return m.group(1) + ' ' + REDACTED


def redact_url(text, prose=False):
    """Text with every secret replaced by ``<redacted>``, recognised by its shape, not by a list
    of known flags: the password (or lone token) of a URL's userinfo; the value of a query
    parameter, flag, assignment, JSON key or header whose name says it is a secret (``?token=``,
    ``--registry-password``, ``"auth":``, ``Authorization:``, ``X-Amz-Signature=``); a Bearer or
    Basic token. Names of files and settings (``--image-credential-provider-config``,
    ``token_file``) are not secrets: their values are kept.

    ``prose=True`` for the collection's own sentences (a finding's explanation, its next step):
    every shape above is still redacted where it quotes node content (a URL's userinfo or query, a
    flag, a JSON key, a quoted or one-word value), but a name followed by words of the sentence
    ("Give credentials: an imagePullSecret") or by a placeholder ("Key=Value") is kept."""
    text = str(text)
    if '@' in text:
        text = _URL_USERINFO_RE.sub(r'\1:' + REDACTED + '@', text)
        text = _URL_TOKEN_RE.sub(r'\1' + REDACTED + '@', text)
    if 'Basic' in text or 'Bearer' in text:
        text = _BEARER_RE.sub(_bearer, text)
    if ':' in text:
        if '"' in text:
            text = _redact_values(_JSON_RE, text)
    if '=' in text:
        text = _redact_values(_QUERY_RE, text)
        text = _redact_values(_ASSIGN_RE, text, prose)
    if ' -' in text or '\t-' in text or text.startswith('-') or '"-' in text:
        text = _redact_values(_FLAG_RE, text)
    if ': ' in text or ':\t' in text:
        text = _redact_values(_HEADER_RE, text, prose)
    return text


def redact_prose(text):
    """A sentence of the collection's own (explanation, next step) with the node content it quotes redacted."""
    return redact_url(text, prose=True)


def redact_line(line, secret_context=False):
    """Redact secret values from one line of config text.

    ``secret_context`` marks a line inside a table/mapping whose every value is
    secret (e.g. a hosts.toml ``header`` table or a registries.yaml ``auth`` block).
    """
    text = redact_url(line)
    m = _KV_RE.match(text)
    if m and m.group(4).strip() and (secret_context or secret_name(m.group(2).strip())):
        value = m.group(4).strip()
        if value in ('{', '[', '|', '>') or value.startswith('#'):
            return text
        return m.group(1) + m.group(2) + m.group(3) + REDACTED
    return text


# ---------------------------------------------------------------- evidence

_CRI_ERROR_KINDS = ('missing', 'permission_denied', 'is_directory', 'not_regular', 'symlink_loop',
                    'binary', 'not_utf8', 'too_large', 'os_error')


class Evidence(object):
    """Read-only view of one host's evidence dict, with parse caches."""

    def __init__(self, raw):
        raw = raw if isinstance(raw, dict) else {}
        self.raw = raw
        self.files = raw.get('files') or {}
        self.dirs = raw.get('dirs') or {}
        self.sockets = raw.get('sockets') or {}
        self.processes = raw.get('processes') or []
        self.versions = raw.get('versions') or {}
        systemd = raw.get('systemd') or {}
        self.systemd_available = bool(systemd.get('available'))
        self.units = systemd.get('units') or {}
        self.selinux = raw.get('selinux') or {}
        self.var_run = raw.get('var_run') or {}
        self.hostname = raw.get('hostname')
        self._parsed = {}
        self._why_index = None

    # files -----------------------------------------------------------
    def _build_why_index(self):
        idx = {}
        for path in sorted(self.files):
            entry = self.files[path] or {}
            for why in entry.get('why') or ():
                idx.setdefault(why, []).append(path)
        self._why_index = idx

    def paths_by_why(self, *whys):
        """Sorted paths of files read for any of ``whys``."""
        if self._why_index is None:
            self._build_why_index()
        out = set()
        for why in whys:
            out.update(self._why_index.get(why, ()))
        return sorted(out)

    def file(self, path):
        return self.files.get(path)

    def exists(self, path):
        """True when a file/dir/socket entry says something exists at ``path``."""
        for table in (self.files, self.dirs, self.sockets):
            entry = table.get(path)
            if entry:
                st = entry.get('stat') or {}
                if st.get('type') not in (None, 'missing'):
                    return True
        return False

    def text(self, path):
        """Content of a file read without error, or None."""
        entry = self.files.get(path)
        if not entry or entry.get('error'):
            return None
        content = entry.get('content')
        return content if isinstance(content, str) else None

    def parsed(self, path, kind):
        """Parse a file once. Returns (data, index, ParseError or None), or None if unreadable.

        ``kind`` is ``toml``, ``yaml`` or ``yaml-all`` (data is then a list of (doc, index)).
        """
        key = (path, kind)
        if key in self._parsed:
            return self._parsed[key]
        text = self.text(path)
        if text is None:
            result = None
        else:
            try:
                if kind == 'toml':
                    data, index = parse.load_toml(text)
                elif kind == 'yaml':
                    data, index = parse.load_yaml(text)
                else:
                    data, index = parse.load_yaml_all(text), {}
                result = (data, index, None)
            except parse.ParseError as exc:
                result = (None, {}, exc)
        self._parsed[key] = result
        return result

    def line_text(self, path, lineno):
        text = self.text(path)
        if text is None or not lineno:
            return ''
        lines = text.splitlines()
        if 0 < lineno <= len(lines):
            return lines[lineno - 1]
        return ''

    # dirs ------------------------------------------------------------
    def dir_entries(self, path):
        """List of entry dicts of a listed directory, or None."""
        entry = self.dirs.get(path)
        if not entry or entry.get('error'):
            return None
        return entry.get('entries') or []

    def dir_type(self, path):
        for table in (self.dirs, self.files):
            entry = table.get(path)
            if entry:
                st = entry.get('stat') or {}
                t = st.get('type')
                if t == 'symlink':
                    return st.get('resolved_type') or t
                return t
        return None

    # sockets ---------------------------------------------------------
    def socket(self, path):
        return self.sockets.get(path)

    def socket_is_present(self, path):
        """True when ``path`` exists and is (or links to) a socket."""
        entry = self.sockets.get(path)
        if not entry:
            return False
        st = entry.get('stat') or {}
        t = st.get('type')
        if t == 'symlink':
            t = st.get('resolved_type')
        return t == 'socket'

    # processes / versions / units ------------------------------------
    def processes_named(self, *names):
        return [p for p in self.processes if isinstance(p, dict) and p.get('name') in names]

    def has_process(self, *names):
        return bool(self.processes_named(*names))

    def version_output(self, name):
        v = self.versions.get(name) or {}
        if v.get('error'):
            return None
        return v.get('output')

    def unit(self, name):
        if not self.systemd_available:
            return None
        u = self.units.get(name)
        if not u or u.get('LoadState') in (None, 'not-found'):
            return None
        return u

    def unit_active(self, name):
        u = self.unit(name)
        return bool(u) and u.get('ActiveState') in ('active', 'activating', 'reloading')

    def unit_enabled(self, name):
        """Enabled to start at boot. A ``static`` unit (no [Install] section) cannot be enabled or
        disabled: it runs only when something else starts it (a socket, a dependency), so it does
        not count; disabling it would change nothing and be planned again on every run."""
        u = self.unit(name)
        return bool(u) and u.get('UnitFileState') in ('enabled', 'enabled-runtime', 'alias')

    def var_run_is_run(self):
        """True when /var/run is a symlink to /run (or the evidence does not say)."""
        vr = self.var_run
        if not vr:
            return True
        if vr.get('type') != 'symlink':
            return False
        target = vr.get('target') or ''
        return posixpath.normpath(posixpath.join('/var', target)) == '/run'


def flag_values(argv, names):
    """Values of ``--flag=value`` / ``--flag value`` in argv, as {name: value} (last wins)."""
    out = {}
    argv = list(argv or ())
    for i, arg in enumerate(argv):
        if not isinstance(arg, str) or not arg.startswith('-'):
            continue
        name, eq, value = arg.partition('=')
        if name not in names:
            continue
        if not eq:
            value = argv[i + 1] if i + 1 < len(argv) else ''
        out[name] = value
    return out


_ENV_LINE_RE = re.compile(r'^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$')


def env_file_args(text):
    """Split the values of an env file (KUBELET_KUBEADM_ARGS="...") into (lineno, [args])."""
    import shlex
    out = []
    for lineno, line in enumerate((text or '').splitlines(), 1):
        m = _ENV_LINE_RE.match(line)
        if not m:
            continue
        try:
            words = shlex.split(m.group(2), comments=True)
        except ValueError:
            words = m.group(2).strip('"\'').split()
        args = []
        for w in words:
            args.extend(w.split())
        out.append((lineno, args))
    return out
