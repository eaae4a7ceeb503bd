# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""How containers-image (CRI-O, podman, skopeo, buildah) reads registries.conf: the one place
both the doctor and the registries_conf planner read.

Read from containers/image at df7e80d2 (pkg/sysregistriesv2/system_registries_v2.go,
shortnames.go, docker/reference/regexp.go) and the containers-registries.conf(5) and
containers-registries.conf.d(5) pages; the v1 drop-in refusal was verified with podman 4.3.

How a name becomes pull sources (the route, pkg/shortnames/shortnames.go):
- a short name (no registry part) is first looked up in [aliases] (name without tag or digest);
  otherwise it is tried with every unqualified-search-registry in order; short-name-mode
  `enforcing` refuses a short name that would need more than one search registry.
- a qualified name uses the [[registry]] whose prefix matches it longest (a prefix matches on a
  path boundary; "*.example.com" matches subdomains); the prefix defaults to the location.
- pull sources: the mirrors in order (pull-from-mirror `all` default, `digest-only`, `tag-only`;
  mirror-by-digest-only = true on the registry means digest-only for every mirror), then the
  location itself; the reference's remainder after the prefix is appended to each location.
- `blocked = true` refuses the pull; `insecure = true` allows http and unverified TLS.
- Docker Hub: "docker.io" is served by registry-1.docker.io, and one-component names get "library/".
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath
import re

MAIN = '/etc/containers/registries.conf'
DROPIN_DIR = '/etc/containers/registries.conf.d'
# Drop-ins: regular files directly in DROPIN_DIR whose name ends in ".conf", read in lexical
# (byte) order after the main file (filepath.WalkDir; sub-directories are skipped).
DROPIN_SUFFIX = '.conf'

# Top-level keys of the v2 format (V2RegistriesConf, shortNameAliasConf).
V2_KEYS = ('unqualified-search-registries', 'registry', 'short-name-mode', 'aliases', 'credential-helpers',
           'additional-layer-store-auth-helper')
# The v1 format: [registries.search] / [registries.insecure] / [registries.block], each `registries = [...]`.
V1_TABLES = ('search', 'insecure', 'block')
SHORT_NAME_MODES = ('enforcing', 'permissive', 'disabled')
PULL_FROM_MIRROR = ('all', 'digest-only', 'tag-only')
# registries.conf's own default when no file sets short-name-mode (containers/image df7e80d2
# pkg/sysregistriesv2/shortnames.go:23, applied at system_registries_v2.go:761).
DEFAULT_SHORT_NAME_MODE = 'permissive'

# Drop-ins shipped by packages: when a later file replaces their list, that is the site's intent.
PACKAGED_DROPINS = ('crio.conf',)

# CRI-O: its own config decides the short-name mode it resolves with, not registries.conf.
CRIO_MAIN = '/etc/crio/crio.conf'
CRIO_DROPIN_DIR = '/etc/crio/crio.conf.d'
# [crio.image] short_name_mode, default enforcing: cri-o v1.34.0 pkg/config/config.go:755-759 and
# the default at line 995 ("enforcing"); v1.33.x has no such key and resolves with short-name mode
# disabled (cri-o v1.33.0 internal/storage/image.go:1020-1021).
CRIO_ENFORCING_SINCE = (1, 34, 0)
CRIO_MODE_BEFORE = 'disabled'
CRIO_DEFAULT_MODE = 'enforcing'
# CRI-O 1.34+ accepts only these (or "", the default): anything else fails validation with
# "invalid short name mode" (cri-o v1.34.0 pkg/config/config.go:1705-1709, v1.35.0 line 1782-1786,
# v1.36.0 line 1864-1868); "disabled" is disabled, everything else enforcing (v1.34.0 line 755-759).
CRIO_SHORT_NAME_MODES = ('enforcing', 'disabled')
CRIO_RELOAD_KEY = 'reload:crio'     # CRI-O re-reads registries.conf on SIGHUP (systemctl reload crio)

# docker/reference DomainRegexp: what an unqualified-search-registries entry and a prefix host must be.
_DOMAIN_COMPONENT = r'(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
DOMAIN_RE = re.compile(r'^%s(?:\.%s)*(?::[0-9]+)?$' % (_DOMAIN_COMPONENT, _DOMAIN_COMPONENT))
_NAME_COMPONENT = r'[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*'
_PATH_RE = re.compile(r'^%s(?:/%s)*$' % (_NAME_COMPONENT, _NAME_COMPONENT))


def ordered_files(paths):
    """The main file, then the drop-ins in lexical (byte) order; other paths dropped."""
    main = [p for p in paths if p == MAIN]
    drop = sorted((p for p in paths if posixpath.dirname(p) == DROPIN_DIR and p.endswith(DROPIN_SUFFIX)),
                  key=lambda p: posixpath.basename(p).encode('utf-8', 'surrogateescape'))
    return main + drop


def is_dropin(path):
    return posixpath.dirname(path) == DROPIN_DIR


def v1_tables(data):
    """The v1 tables a parsed file sets (V1RegistriesConf.hasSetField: a `registries` key, even [])."""
    regs = data.get('registries') if isinstance(data, dict) else None
    if not isinstance(regs, dict):
        return []
    return [t for t in V1_TABLES if isinstance(regs.get(t), dict) and 'registries' in regs[t]]


def v2_keys(data):
    """The v2 keys a parsed file sets (an explicit [] counts: it is not the same as absent)."""
    return [k for k in V2_KEYS if isinstance(data, dict) and k in data]


def file_format(data):
    """'v1', 'v2', 'mixed' (refused: "mixing sysregistry v1/v2 is not supported") or 'empty'."""
    v1, v2 = v1_tables(data), v2_keys(data)
    if v1 and v2:
        return 'mixed'
    if v1:
        return 'v1'
    return 'v2' if v2 else 'empty'


def strip_location(value):
    """parseLocation: trailing slashes removed; None when it carries an http(s):// scheme (refused)."""
    trimmed = value.rstrip('/')
    if trimmed.startswith('http://') or trimmed.startswith('https://'):
        return None
    return trimmed


def v1_to_v2(data):
    """ConvertToV2: the v2 settings a v1 file means (block and insecure become [[registry]] entries,
    in first-seen order, blocked first)."""
    regs = data.get('registries') or {}
    order, entries = [], {}
    for table, flag in (('block', 'blocked'), ('insecure', 'insecure')):
        for location in (regs.get(table) or {}).get('registries') or []:
            loc = strip_location(str(location))
            if loc is None:
                loc = str(location)
            if loc not in entries:
                entries[loc] = {'prefix': loc, 'location': loc}
                order.append(loc)
            entries[loc][flag] = True
    out = {}
    search = (regs.get('search') or {})
    if 'registries' in search:
        out['unqualified-search-registries'] = list(search.get('registries') or [])
    if order:
        out['registry'] = [entries[loc] for loc in order]
    return out


def file_problems(data):
    """[(key path, words)] for what containers-image refuses in one v2 file (the whole load fails).

    Only what its loader checks: search entries, locations and prefixes, short-name-mode,
    conflicting insecure/blocked for one location, mirror settings.
    """
    out = []
    search = data.get('unqualified-search-registries')
    if search is not None:
        if not isinstance(search, list):
            out.append((('unqualified-search-registries',), 'expected an array of host[:port] strings'))
        else:
            for value in search:
                if not isinstance(value, str):
                    out.append((('unqualified-search-registries',), 'entry %r is not a string' % (value,)))
                    continue
                loc = strip_location(value)
                if loc is None:
                    out.append((('unqualified-search-registries',), 'entry %r has a URI scheme' % value))
                elif not DOMAIN_RE.match(loc):
                    out.append((('unqualified-search-registries',), 'entry %r is not a host[:port] '
                                '("Invalid unqualified-search-registries entry")' % value))
    mode = data.get('short-name-mode')
    if mode is not None and mode not in SHORT_NAME_MODES:
        out.append((('short-name-mode',), '%r is not one of %s ("invalid short-name mode")' % (
            mode, ', '.join(SHORT_NAME_MODES))))
    regs = data.get('registry')
    if regs is not None and not isinstance(regs, list):
        out.append((('registry',), 'expected [[registry]] tables'))
        regs = []
    seen = {}
    for i, reg in enumerate(regs or []):
        if not isinstance(reg, dict):
            out.append((('registry', i), 'expected a table'))
            continue
        location = reg.get('location') or ''
        prefix = reg.get('prefix') or ''
        if not isinstance(location, str) or not isinstance(prefix, str):
            out.append((('registry', i), 'prefix and location must be strings'))
            continue
        if strip_location(location) is None or strip_location(prefix) is None:
            out.append((('registry', i), 'URI schemes are not supported in prefix or location (%r)' % (
                location if strip_location(location) is None else prefix)))
            continue
        if not prefix and not location:
            out.append((('registry', i), 'both location and prefix are unset'))
            continue
        if prefix and not prefix.startswith('*.') and not location:
            out.append((('registry', i), 'location is unset and prefix is not in the format *.example.com'))
        if prefix.startswith('*.') and any(c in prefix for c in '/@:'):
            out.append((('registry', i), 'wildcarded prefix %r must be *.example.com' % prefix))
        for j, mirror in enumerate(reg.get('mirror') or []):
            if not isinstance(mirror, dict) or not mirror.get('location'):
                out.append((('registry', i), 'mirror %d has no location' % j))
            elif strip_location(str(mirror['location'])) is None:
                out.append((('registry', i), 'mirror location %r has a URI scheme' % mirror['location']))
        key = strip_location(location) or strip_location(prefix)
        flags = (bool(reg.get('insecure')), bool(reg.get('blocked')))
        if key in seen and seen[key] != flags:
            out.append((('registry', i), 'registry %r is defined twice with conflicting insecure/blocked' % key))
        seen.setdefault(key, flags)
    aliases = data.get('aliases')
    if aliases is not None:
        if not isinstance(aliases, dict):
            out.append((('aliases',), 'expected a table of short name = "registry/repository"'))
        else:
            for name, value in aliases.items():
                words = short_name_problem(name) or (alias_value_problem(value) if value != '' else None)
                if words:
                    out.append((('aliases', name), words))
    return out


def registry_prefix(reg):
    """A [[registry]]'s prefix as the merge keys it (prefix, else location, trailing slashes removed)."""
    prefix = strip_location(str(reg.get('prefix') or '')) or ''
    return prefix or strip_location(str(reg.get('location') or '')) or ''


def short_name_problem(name):
    """Why ``name`` is not a short name an alias may have (validateShortName), or None."""
    if not isinstance(name, str) or not name:
        return 'a short name must be a non-empty string'
    if any(c in name for c in '@') or ':' in name.rsplit('/', 1)[-1]:
        return 'short name %r must not carry a tag or digest' % name
    first = name.split('/', 1)[0]
    if '/' in name and ('.' in first or ':' in first or first == 'localhost'):
        return 'short name %r must not contain a registry' % name
    if not _PATH_RE.match(name):
        return 'short name %r is not a repository name (lowercase letters, digits, separators)' % name
    return None


def alias_value_problem(value):
    """Why ``value`` is not an alias target (registry/repository, no tag, no digest), or None."""
    if not isinstance(value, str) or not value:
        return 'an alias must be a "registry/repository" string'
    if '@' in value:
        return 'alias %r must not contain a digest' % value
    host, sep, path = value.partition('/')
    if not sep or not path:
        return 'alias %r must contain registry and repository' % value
    if ':' in path:
        return 'alias %r must not contain a tag' % value
    if not ('.' in host or ':' in host or host == 'localhost') or not DOMAIN_RE.match(host):
        return 'alias %r must start with a registry host (a name with a dot or a port, or localhost)' % value
    if not _PATH_RE.match(path):
        return 'alias %r has an invalid repository path' % value
    return None


def merge(layers):
    """The effective configuration of layers [(path, data, index)] read in order, each data in v2 form.

    Returns {key: {'value', 'path', 'keypath'}} for the scalar keys, plus 'registry' and
    'aliases' as {prefix or name: {...}} (merged per prefix / per name), following
    updateWithConfigurationFrom: a later list replaces an earlier one as a whole when the key is
    present (an explicit [] too), short-name-mode and the auth helper only when non-empty, a
    [[registry]] replaces the earlier entry of the same prefix whole, an alias replaces the
    earlier one of the same name ("" removes it).
    """
    eff = {'registry': {}, 'aliases': {}}
    for path, data, _index in layers:
        for key in ('unqualified-search-registries', 'credential-helpers'):
            if isinstance(data.get(key), list):
                eff[key] = {'value': list(data[key]), 'path': path, 'keypath': (key,)}
        for key in ('short-name-mode', 'additional-layer-store-auth-helper'):
            if isinstance(data.get(key), str) and data[key]:
                eff[key] = {'value': data[key], 'path': path, 'keypath': (key,)}
        for i, reg in enumerate(data.get('registry') or []):
            if isinstance(reg, dict):
                eff['registry'][registry_prefix(reg)] = {'value': reg, 'path': path, 'keypath': ('registry', i)}
        aliases = data.get('aliases')
        for name, value in (aliases.items() if isinstance(aliases, dict) else []):
            if value == '':
                eff['aliases'].pop(name, None)
            else:
                eff['aliases'][name] = {'value': value, 'path': path, 'keypath': ('aliases', name)}
    return eff


def sorts_after(name, others):
    """True when drop-in ``name`` is read after every one of ``others`` (bytewise)."""
    mine = name.encode('utf-8', 'surrogateescape')
    return all(o.encode('utf-8', 'surrogateescape') < mine for o in others)


def crio_files(paths):
    """CRI-O's config: crio.conf, then crio.conf.d in lexical order (a later file's key wins)."""
    main = [p for p in paths if p == CRIO_MAIN]
    drop = sorted((p for p in paths if posixpath.dirname(p) == CRIO_DROPIN_DIR),
                  key=lambda p: posixpath.basename(p).encode('utf-8', 'surrogateescape'))
    return main + drop


def crio_short_name_mode_of(data):
    """[crio.image] short_name_mode of one parsed CRI-O file, or None."""
    crio = data.get('crio') if isinstance(data, dict) and isinstance(data.get('crio'), dict) else {}
    image = crio.get('image') if isinstance(crio.get('image'), dict) else {}
    mode = image.get('short_name_mode')
    return mode if isinstance(mode, str) else None


def crio_resolves_with(version, configured):
    """The short-name mode CRI-O resolves with: (mode, words why)."""
    if version is not None and tuple(version) < CRIO_ENFORCING_SINCE:
        return CRIO_MODE_BEFORE, 'CRI-O %s resolves short names with short-name mode disabled (before 1.34)' % (
            '.'.join(str(v) for v in version))
    if configured and configured not in CRIO_SHORT_NAME_MODES:
        return None, ('[crio.image] short_name_mode = "%s" is refused by CRI-O ("invalid short name mode"; it '
                      'accepts only enforcing or disabled), so CRI-O does not start with this configuration' % configured)
    if configured:
        return configured, '[crio.image] short_name_mode = "%s"' % configured
    if version is None:
        return None, 'CRI-O version unknown'
    return CRIO_DEFAULT_MODE, 'CRI-O %s: [crio.image] short_name_mode not set (default enforcing)' % (
        '.'.join(str(v) for v in version))


def prefix_matches(prefix, name):
    """Whether a [[registry]] prefix matches the repository ``name`` (host/path, no tag)."""
    if prefix.startswith('*.'):
        host = name.split('/', 1)[0]
        return host.endswith(prefix[1:]) and host != prefix[2:]
    if name == prefix:
        return True
    return name.startswith(prefix) and (prefix.endswith('/') or name[len(prefix)] in '/')


def api_host(location):
    """The host that serves a location's API (Docker Hub's differs from its name)."""
    host = location.split('/', 1)[0]
    return 'registry-1.docker.io' if host in ('docker.io', 'index.docker.io') else host
