# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Validation of the user's settings where they enter the planners (pure, no Ansible imports)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 sanity runs
    from urlparse import urlsplit

from . import PlanError
from ..evidence import REDACTED, redact_url
from ..parse import describe


SETTING = 'pullfix_registry_mirrors'
MIRROR_KEYS = ('endpoints', 'fallback', 'server', 'ca', 'client', 'skip_verify', 'headers')

_PORT_RE = re.compile(r'^[0-9]+$')
# An HTTP header name is a token (RFC 9110, 5.6.2); a value never holds CR, LF or NUL, which
# would end the header early and start another one.
_HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_CONTROL_RE = re.compile(r'[\x00-\x1f\x7f]')
# The most entries one setting may hold: far above any real fleet, low enough that a plan
# always fits one apply call and one run.
MAX_ENTRIES = 1000


def plain(value, where='settings', depth=0):
    """Plain Python data (dict, list, str, int, float, bool, None) from what Ansible passes.

    Ansible hands over its own subclasses of str, dict and list (tagged values, unsafe text);
    YAML dumpers, TOML writers and json cannot always represent them. Raises PlanError naming
    ``where`` for anything else.
    """
    if depth > 32:
        raise PlanError('%s: nested more than 32 levels deep' % where)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bytes):
        try:
            return value.decode('utf-8')
        except UnicodeDecodeError:
            raise PlanError('%s: not valid UTF-8 text' % where)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise PlanError('%s: key %r is %s (expected a string; quote it in YAML)' % (where, key, describe(key)))
            key = plain(key, where, depth + 1)
            out[key] = plain(item, '%s[%r]' % (where, key), depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [plain(item, '%s[%d]' % (where, i), depth + 1) for i, item in enumerate(value)]
    raise PlanError('%s: %s is not supported here' % (where, describe(value)))


def plain_settings(settings):
    """The settings as plain data, each error named by the variable the user set (pullfix_<key>)."""
    if not isinstance(settings, dict):
        raise PlanError('settings: %s (expected a mapping)' % describe(settings))
    out = {}
    for key, value in settings.items():
        key = plain(key, 'settings')
        name = key if key.startswith('pullfix_') else 'pullfix_' + key
        out[key] = plain(value, name)
    return out


def planner_inputs(ev, diagnosis, settings):
    """What every planner starts from: (evidence, diagnosis, runtime, settings), as plain data.

    A planner reads the diagnosis it is given (its ``runtime``, ``routes`` and ``findings``) and
    never diagnoses again; values from Ansible become plain Python types here (``plain``).
    """
    from ..evidence import Evidence
    diagnosis = plain(diagnosis or {}, 'diagnosis')
    if not isinstance(diagnosis, dict):
        raise PlanError('diagnosis: %s (expected the mapping kubenode.pullfix.diagnose returns)' % describe(diagnosis))
    ev = ev if isinstance(ev, Evidence) else Evidence(plain(ev or {}, 'evidence'))
    return ev, diagnosis, diagnosis.get('runtime') or {}, plain(settings or {}, 'settings')


def _key(registry, *parts):
    return '%s[%r]%s' % (SETTING, registry, ''.join(parts))


def _shown(url):
    """A URL as error messages may show it: quoted, any userinfo replaced (with a scheme or without)."""
    scheme, sep, rest = url.partition('://') if '://' in url else ('', '', url)
    authority, slash, path = rest.partition('/')
    if '@' in authority:
        authority = REDACTED + '@' + authority.rpartition('@')[2]
    return repr(redact_url(scheme + sep + authority + slash + path))


def check_url(url, where):
    """Raise PlanError unless ``url`` is an http(s) URL without credentials, query, fragment or trailing slash."""
    if not isinstance(url, str) or not url:
        raise PlanError('%s: %s is not a URL (expected http:// or https://...)' % (
            where, _shown(url) if isinstance(url, str) else describe(url)))
    if url != url.strip() or any(c.isspace() for c in url):
        raise PlanError('%s: %s contains whitespace' % (where, _shown(url)))
    if '://' not in url:
        raise PlanError('%s: %s has no scheme (expected http:// or https://)' % (where, _shown(url)))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise PlanError('%s: %s is not a valid URL (%s)' % (where, _shown(url), exc))
    if parts.scheme not in ('http', 'https'):
        raise PlanError('%s: %s has scheme %r (expected http:// or https://)' % (where, _shown(url), parts.scheme))
    if '@' in parts.netloc:
        raise PlanError('%s: %s carries credentials in the URL, which containerd does not use and which would '
                        'be written into a world-readable file; give them as headers (Authorization), which '
                        'are written 0600' % (where, _shown(url)))
    if not parts.hostname:
        raise PlanError('%s: %s has no host' % (where, _shown(url)))
    if parts.query or '?' in url:
        raise PlanError('%s: %s has a query string (not allowed)' % (where, _shown(url)))
    if parts.fragment or '#' in url:
        raise PlanError('%s: %s has a fragment (not allowed)' % (where, _shown(url)))
    if url.endswith('/'):
        raise PlanError('%s: %s ends with a slash (containerd appends /v2 after it; remove the slash)' % (
            where, _shown(url)))
    return url


def check_registry_name(name, where=None):
    """Raise PlanError unless ``name`` is a registry host[:port] (or "*") that is safe as a certs.d directory name."""
    where = where or '%s[%r]' % (SETTING, name)
    if not isinstance(name, str) or not name:
        raise PlanError('%s: empty registry name (expected host, host:port or "*")' % where)
    if name == '*':
        return
    if name in ('.', '..') or name.startswith('.') or '..' in name:
        raise PlanError('%s: %r is not a registry host name: it would name a directory outside certs.d '
                        '(expected host or host:port, e.g. registry.example.com:5000)' % (where, name))
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
        if _CONTROL_RE.search(value):
            raise PlanError('%s: %r holds a control character (newline, tab, ...)' % (where, value))
        return value
    if isinstance(value, list) and value:
        if allow_pair and len(value) != 2:
            raise PlanError('%s: expected an absolute path or a [certificate, key] pair of absolute paths' % where)
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.startswith('/'):
                raise PlanError('%s[%d]: %r is not an absolute path' % (where, i, item))
            if _CONTROL_RE.search(item):
                raise PlanError('%s[%d]: %r holds a control character (newline, tab, ...)' % (where, i, item))
        return list(value)
    if allow_pair:
        raise PlanError('%s: expected an absolute path or a [certificate, key] pair of absolute paths' % where)
    raise PlanError('%s: expected an absolute path or a list of absolute paths' % where)


def validate_mirrors(mirrors):
    """Validate ``pullfix_registry_mirrors``; return a normalized copy (all keys present). Raises PlanError."""
    if mirrors is None:
        return {}
    if not isinstance(mirrors, dict):
        raise PlanError('%s: expected a mapping of registry -> settings, got %s' % (SETTING, describe(mirrors)))
    if len(mirrors) > MAX_ENTRIES:
        raise PlanError('%s: %d registries (at most %d per run)' % (SETTING, len(mirrors), MAX_ENTRIES))
    out = {}
    for registry in sorted(mirrors, key=str):
        check_registry_name(registry)
        spec = mirrors[registry]
        if not isinstance(spec, dict):
            raise PlanError('%s: expected a mapping with endpoints, got %s' % (_key(registry), describe(spec)))
        unknown = sorted(str(k) for k in spec if k not in MIRROR_KEYS)
        if unknown:
            raise PlanError('%s: unknown key %s (expected %s)' % (
                _key(registry), ', '.join(repr(k) for k in unknown), ', '.join(MIRROR_KEYS)))
        endpoints = spec.get('endpoints')
        if not isinstance(endpoints, list):
            raise PlanError('%s: expected a list of URLs, got %s' % (_key(registry, '.endpoints'), describe(endpoints)))
        if not endpoints:
            raise PlanError('%s: empty (give at least one http:// or https:// URL)' % _key(registry, '.endpoints'))
        if len(endpoints) > MAX_ENTRIES:
            raise PlanError('%s: %d URLs (at most %d)' % (_key(registry, '.endpoints'), len(endpoints), MAX_ENTRIES))
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
            if len(headers) > MAX_ENTRIES:
                raise PlanError('%s: %d headers (at most %d)' % (_key(registry, '.headers'), len(headers), MAX_ENTRIES))
            for name in sorted(headers, key=str):
                value = headers[name]
                where = _key(registry, '.headers[%r]' % (name,))
                if not isinstance(name, str) or not name:
                    raise PlanError('%s: header name must be a non-empty string' % where)
                if not _HEADER_NAME_RE.match(name):
                    raise PlanError('%s: not an HTTP header name (letters, digits and !#$%%&\'*+.^_`|~- only)' % where)
                # The value is a credential as often as not: never shown.
                if any(_CONTROL_RE.sub('', v.replace('\t', '')) != v.replace('\t', '')
                       for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)):
                    raise PlanError('%s: the value holds a line break or another control character (not shown)' % where)
                if isinstance(value, list):
                    if not value or not all(isinstance(v, str) for v in value):
                        raise PlanError('%s: expected a string or a non-empty list of strings' % where)
                    value = list(value)
                elif not isinstance(value, str):
                    raise PlanError('%s: expected a string or a list of strings' % where)
                norm['headers'][name] = value
        out[registry] = norm
    return out
