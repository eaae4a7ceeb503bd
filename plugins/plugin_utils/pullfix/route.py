# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The route of a pull: for one image, the ordered endpoints the runtime will try, and why.

Pure functions of the evidence. Each endpoint names the file and line that put it on the route
(or the rule that did, for an implicit upstream). The rules themselves are facts
(``facts.containerd``, ``facts.k3s``, ``facts.containers_image``).

A route::

    {"image": "nginx:1.27", "name": "docker.io/library/nginx:1.27", "registry": "docker.io",
     "repository": "library/nginx", "reference": "1.27", "runtime": "containerd 1.7.24",
     "lookup": ["/etc/containerd/certs.d/docker.io: used"],
     "endpoints": [{"url": "http://127.0.0.1:5001/v2", "host": "127.0.0.1:5001",
                    "from": "/etc/containerd/certs.d/docker.io/hosts.toml:3 [host.\"http://127.0.0.1:5001\"]",
                    "capabilities": ["pull", "resolve"], "https_first": false}],
     "skipped": [...], "notes": [...], "error": null}
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath
import re

from . import parse
from .facts import containerd as cfacts
from .facts import containers_image as ifacts
from .facts import digest_mirrors
from .facts import k3s as kfacts


class ImageNameError(ValueError):
    pass


_TAG_RE = re.compile(r'^[\w][\w.-]{0,127}$')


def split_image(ref):
    """(registry or None, path, tag or None, digest or None) of an image reference."""
    ref = str(ref or '').strip()
    if not ref or any(c.isspace() for c in ref) or '://' in ref:
        raise ImageNameError('"%s" is not an image reference (expected [registry/]name[:tag][@digest])' % ref)
    name, _sep, digest = ref.partition('@')
    tag = None
    last = name.rsplit('/', 1)[-1]
    if ':' in last:
        name, tag = name.rsplit(':', 1)
        if not _TAG_RE.match(tag):
            raise ImageNameError('"%s" has an invalid tag "%s"' % (ref, tag))
    first, sep, rest = name.partition('/')
    registry = None
    if sep and ('.' in first or ':' in first or first == 'localhost'):
        registry, name = first, rest
    if not name or name.startswith('/') or name.endswith('/') or '//' in name or name != name.lower():
        raise ImageNameError('"%s" has an invalid repository name "%s"' % (ref, name))
    return registry, name, tag, digest or None


def normalize(ref):
    """Docker normalisation (what containerd's CRI does): (registry, repository, reference, full name)."""
    registry, path, tag, digest = split_image(ref)
    if registry in (None, 'index.docker.io'):
        registry = 'docker.io'
    if registry == 'docker.io' and '/' not in path:
        path = 'library/' + path
    reference = digest or tag or 'latest'
    full = '%s/%s%s' % (registry, path, '@' + digest if digest else ':' + (tag or 'latest'))
    return registry, path, reference, full


def _base(image, runtime_label):
    try:
        registry, repo, reference, full = normalize(image)
    except ImageNameError as exc:
        return None, {'image': image, 'name': None, 'registry': None, 'repository': None, 'reference': None,
                      'runtime': runtime_label, 'lookup': [], 'endpoints': [], 'skipped': [], 'notes': [],
                      'error': str(exc)}
    return (registry, repo, reference), {
        'image': image, 'name': full, 'registry': registry, 'repository': repo, 'reference': reference,
        'runtime': runtime_label, 'lookup': [], 'endpoints': [], 'skipped': [], 'notes': [], 'error': None}


def _endpoint(scheme, host, path, source, capabilities=None, https_first=False, repository=None):
    ep = {'url': '%s://%s%s' % (scheme, host, path), 'host': host, 'from': source,
          'capabilities': list(capabilities or ('pull', 'resolve', 'push')), 'https_first': bool(https_first)}
    if repository is not None:
        ep['repository'] = repository
    return ep


def _url_parts(url):
    """(scheme, host, path) of a hosts.toml URL as containerd reads it, or None."""
    if not url.startswith('http'):
        url = 'https://' + url
    scheme, sep, rest = url.partition('://')
    if not sep or scheme not in ('http', 'https'):
        return None
    host, _slash, path = rest.partition('/')
    if '@' in host:
        host = host.rsplit('@', 1)[1]
    if not host:
        return None
    return scheme, host, ('/' + path) if _slash else ''


# ---------------------------------------------------------------- containerd

def _dir_exists(ev, root, name):
    entries = ev.dir_entries(root)
    if entries is None:
        return False
    for e in entries:
        if e.get('name') != name:
            continue
        if e.get('type') == 'dir':
            return True
        if e.get('type') == 'symlink':
            sub = ev.dirs.get(posixpath.join(root, name)) or {}
            return not sub.get('error') and bool(sub)
    return False


def _host_path(upath, override):
    if upath:
        upath = cfacts.clean_url_path(upath)
        if not upath.endswith('/v2') and not override:
            upath += '/v2'
        return upath
    return '' if override else '/v2'


def _caps(value, version=None):
    """Capabilities of a hosts.toml table, or raise ValueError on an unknown one (the file is dropped)."""
    known = cfacts.capabilities(version)
    if not value:
        return list(known)
    out = []
    for c in value if isinstance(value, list) else [value]:
        name = str(c).lower()
        if name not in known:
            raise ValueError('unknown capability %s' % c)
        if name not in out:
            out.append(name)
    return [c for c in known if c in out]


def _has_tls(conf):
    return any(conf.get(k) is not None for k in ('ca', 'client', 'skip_verify'))


def _hosts_file_entries(ctx, path, version):
    """[(scheme, host, path, cite, caps, https_first) or None for the implicit upstream], or (None, why)."""
    ev = ctx.ev
    entry = ev.file(path)
    if not entry or not ev.text(path):
        return None, '%s: absent or empty, so only the directory\'s certificate files apply' % path
    loaded = ev.parsed(path, 'toml')
    if not loaded or loaded[2] is not None:
        return None, '%s: cannot be parsed; containerd logs "failed to decode hosts.toml" and ignores it' % path
    data, index, _err = loaded
    hosts = data.get('host') if isinstance(data.get('host'), dict) else {}
    if not hosts and cfacts.requires_host_table(version):
        return None, '%s: no [host."<url>"] table; containerd 1.x ignores the whole file ("invalid `host` tree")' % path
    out = []
    try:
        def endpoint(url, conf, key):
            """(scheme, host, path, cite, capabilities, tls_first) of one [host] table or of server; None: no URL."""
            parts = _url_parts(url)
            if parts is None:
                return None
            scheme, host, upath = parts
            tls_first = scheme == 'http' and _has_tls(conf) and cfacts.http_tls_fallback(version, cfacts.host_port(host)[1])
            return (scheme, host, _host_path(upath, bool(conf.get('override_path'))),
                    ctx.cite(path, parse.line_of(index, key), toml=True), _caps(conf.get('capabilities'), version),
                    tls_first)

        for url, conf in hosts.items():
            entry = endpoint(url, conf if isinstance(conf, dict) else {}, ('host', url))
            if entry is None:
                return None, '%s: "%s" is no http(s) URL; containerd ignores the whole file' % (path, url)
            out.append(entry)
        server = data.get('server')
        if isinstance(server, str) and server:
            entry = endpoint(server, data, ('server',))
            if entry is None:
                return None, '%s: server "%s" is no http(s) URL; containerd ignores the whole file' % (path, server)
            out.append(entry)
        else:
            _caps(data.get('capabilities'), version)
            out.append(None)
    except ValueError as exc:
        return None, '%s: %s; containerd ignores the whole file' % (path, exc)
    return out, None


def _implicit(registry, version, why):
    scheme, host, https_first, rule = cfacts.implicit_upstream(registry, version)
    return _endpoint(scheme, host, '/v2', 'implicit upstream (%s): %s' % (rule, why), https_first=https_first)


def containerd_route(ctx, image, version, roots, legacy=None):
    """Route of ``image`` through containerd's CRI plugin.

    ``roots``: the certs.d directories config_path names (already split as this version splits);
    ``legacy``: (mirrors dict, file, keypath of the mirrors table) of the deprecated table, used
    only when ``roots`` is empty."""
    label = 'containerd %s' % ('.'.join(str(v) for v in version) if version else '(version unknown)')
    parsed, route = _base(image, label)
    if parsed is None:
        return route
    registry, repo, reference = parsed
    digest = reference.startswith('sha256:')
    need = ('pull',) if digest else ('pull', 'resolve')
    ev = ctx.ev
    candidates = []
    if roots:
        names = cfacts.host_dir_candidates(registry)
        if not cfacts.supports_default_dir(version):
            names = [n for n in names if n != '_default']
        found = None
        for root in roots:
            for name in names:
                d = posixpath.join(root, name)
                if _dir_exists(ev, root, name):
                    route['lookup'].append('%s: used (first existing directory)' % d)
                    found = d
                    break
                route['lookup'].append('%s: does not exist' % d)
            if found:
                break
        if not found:
            candidates = [_implicit(registry, version, 'no certs.d directory for %s' % registry)]
        else:
            entries, why = _hosts_file_entries(ctx, posixpath.join(found, 'hosts.toml'), version)
            if entries is None:
                route['notes'].append(why)
                candidates = [_implicit(registry, version, why.split(':', 1)[0] + ' not used')]
            for item in entries or ():
                if item is None:
                    candidates.append(_implicit(registry, version, 'no server in %s/hosts.toml' % found))
                else:
                    scheme, host, upath, cite, caps, tls_first = item
                    candidates.append(_endpoint(scheme, host, upath, cite, caps, tls_first))
    elif legacy and legacy[0]:
        candidates = _legacy(ctx, registry, legacy, route)
    else:
        route['lookup'].append('no config_path and no registry mirrors: the registry itself')
        candidates = [_implicit(registry, version, 'no registry configuration')]
    for ep in candidates:
        if all(c in ep['capabilities'] for c in need):
            route['endpoints'].append(ep)
        else:
            route['skipped'].append(dict(ep, why='capabilities %s lack %s' % (
                ', '.join(ep['capabilities']) or 'none', ' and '.join(c for c in need if c not in ep['capabilities']))))
    if not route['endpoints']:
        route['error'] = 'no endpoint may %s %s ("no resolve hosts: not found")' % (
            'pull' if digest else 'resolve', route['name'])
    return route


def _legacy(ctx, registry, legacy, route):
    mirrors, path, keypath = legacy
    loaded = ctx.ev.parsed(path, 'toml') if path else None
    index = loaded[1] if loaded else {}
    key = registry if registry in mirrors else ('*' if '*' in mirrors else None)
    out = []
    if key is None:
        route['lookup'].append('deprecated registry.mirrors in %s: no entry for %s or "*"' % (path, registry))
    else:
        route['lookup'].append('deprecated registry.mirrors in %s: entry "%s"' % (path, key))
        entry = mirrors.get(key) if isinstance(mirrors.get(key), dict) else {}
        endpoints = entry.get('endpoint') if isinstance(entry.get('endpoint'), list) else []
        for i, url in enumerate(endpoints):
            if not isinstance(url, str):
                continue
            if '://' not in url:
                url = '%s://%s' % (cfacts.legacy_scheme(url.split('/', 1)[0]), url)
            parts = _url_parts(url)
            if parts is None:
                continue
            scheme, host, upath = parts
            cite = ctx.cite(path, parse.line_of(index, keypath + (key, 'endpoint', i)) or
                            parse.line_of(index, keypath + (key,)), toml=True)
            out.append(_endpoint(scheme, host, upath or '/v2', cite, ('pull', 'resolve')))
    if any(ep['host'] == registry for ep in out):
        return out
    default = cfacts.default_host(registry)
    out.append(_endpoint(cfacts.legacy_scheme(default), default, '/v2',
                         'implicit upstream (the registry itself, appended after the deprecated mirrors)',
                         ('pull', 'resolve')))
    return out


# ---------------------------------------------------------------- k3s / RKE2

def _go_replacement(repl):
    """Go regexp replacement ($1, ${1}) in Python syntax."""
    return re.sub(r'\$\{?(\w+)\}?', lambda m: '\\g<%s>' % m.group(1), repl.replace('\\', '\\\\'))


def k3s_route(ctx, image, kind, version_label, data, path, index, default_disabled):
    """Route of ``image`` through k3s/RKE2's registries.yaml (the hosts.toml it generates)."""
    parsed, route = _base(image, '%s %s' % (kind, version_label or '(version unknown)'))
    if parsed is None:
        return route
    registry, repo, _reference = parsed
    mirrors = data.get('mirrors') if isinstance(data, dict) and isinstance(data.get('mirrors'), dict) else {}
    key = registry if registry in mirrors else ('*' if '*' in mirrors else None)
    default = kfacts.default_endpoint(registry)
    default_host = default.split('://', 1)[1]
    if key is None:
        route['lookup'].append('%s: no mirror for %s or "*"' % (path or kfacts.registries_yaml(kind), registry))
    else:
        route['lookup'].append('%s: mirror "%s"%s' % (path, key, ' (wildcard: no entry of its own)' if key == '*' else ''))
        entry = mirrors.get(key) if isinstance(mirrors.get(key), dict) else {}
        rewrites = entry.get('rewrite') if isinstance(entry.get('rewrite'), dict) else {}
        mrepo = repo
        for pattern, repl in rewrites.items():
            try:
                rx = re.compile(str(pattern))
            except re.error:
                route['notes'].append('rewrite "%s" is no valid regular expression' % pattern)
                continue
            if rx.search(repo):
                mrepo = rx.sub(_go_replacement(str(repl)), repo, count=1)
                route['notes'].append('rewrite "%s" (%s) turns %s into %s on the mirrors' % (
                    pattern, ctx.cite(path, parse.line_of(index, ('mirrors', key, 'rewrite', pattern))), repo, mrepo))
                break
        endpoints = entry.get('endpoint') if isinstance(entry.get('endpoint'), list) else []
        for i, url in enumerate(endpoints):
            if not isinstance(url, str) or not url:
                continue
            parts = _url_parts(url if '://' in url else 'https://' + url)
            if parts is None:
                continue
            scheme, host, upath = parts
            if '%s://%s' % (scheme, host) == default and upath in ('', '/', '/v2'):
                continue  # the default endpoint is written once, last
            cite = ctx.cite(path, parse.line_of(index, ('mirrors', key, 'endpoint', i)) or
                            parse.line_of(index, ('mirrors', key)))
            route['endpoints'].append(_endpoint(scheme, host, _host_path(upath, False), cite, ('pull', 'resolve'),
                                                repository=mrepo if mrepo != repo else None))
    if default_disabled:
        route['notes'].append('%s: true: the default endpoint %s is not tried' % (kfacts.DISABLE_DEFAULT_KEY, default))
    else:
        route['endpoints'].append(_endpoint('https', default_host, '/v2', 'default endpoint of %s (%s)' % (
            registry, 'last, after the mirrors' if key else 'no mirror configured')))
    fixed_in = kfacts.wildcard_fixed_in(version_label or '')
    if key == '*' and fixed_in and len(route['endpoints']) > 1 and not default_disabled:
        route['endpoints'].pop()
        route['notes'].append('%s %s never falls back to the default endpoint with a "*" mirror (fixed in %s)' % (
            kind, version_label, fixed_in))
    if not route['endpoints']:
        route['error'] = 'no endpoint for %s' % registry
    return route


# ---------------------------------------------------------------- containers-image

def containers_conf(ctx, files):
    """Merged registries.conf: {search, mode, aliases, registries} with citations.

    The merge is containers-image's own (facts.containers_image.merge, which the doctor and the
    registries_conf planner use too); files containers-image refuses (v1 drop-ins, v1 mixed with
    v2) are left out here, and the doctor reports them."""
    layers, indexes = [], {}
    for path in files:
        loaded = ctx.ev.parsed(path, 'toml')
        if not loaded or loaded[2] is not None or not isinstance(loaded[0], dict):
            continue
        data, index, _err = loaded
        if ifacts.v1_tables(data):
            if ifacts.v2_keys(data) or path != ifacts.MAIN:
                continue
            data = ifacts.v1_to_v2(data)
        layers.append((path, data, index))
        indexes[path] = index
    eff = ifacts.merge(layers)

    def cite(item, *more):
        return ctx.cite(item['path'], parse.line_of(indexes[item['path']], tuple(item['keypath']) + more), toml=True)

    search = mode = None
    if 'unqualified-search-registries' in eff:
        item = eff['unqualified-search-registries']
        search = ([str(v) for v in item['value']], cite(item))
    if 'short-name-mode' in eff:
        item = eff['short-name-mode']
        mode = (item['value'], cite(item))
    aliases = dict((name, (str(item['value']), cite(item))) for name, item in eff['aliases'].items())
    regs = {}
    for prefix, item in eff['registry'].items():
        reg = item['value']
        # mirrors are indexed per file, counted across the file's [[registry]] tables
        first = sum(len(r.get('mirror') or []) for r in _file_registries(layers, item['path'])[:item['keypath'][1]]
                    if isinstance(r, dict) and isinstance(r.get('mirror'), list))
        mirrors = []
        for n, m in enumerate(reg.get('mirror') if isinstance(reg.get('mirror'), list) else []):
            if isinstance(m, dict) and m.get('location'):
                mirrors.append((str(m['location']), bool(m.get('insecure')), str(m.get('pull-from-mirror') or 'all'),
                                ctx.cite(item['path'], parse.line_of(indexes[item['path']],
                                                                     ('registry', 'mirror', first + n, 'location')),
                                         toml=True)))
        location = ifacts.strip_location(str(reg.get('location') or '')) or prefix
        if prefix:
            regs[prefix] = {'prefix': prefix, 'location': location, 'insecure': bool(reg.get('insecure')),
                            'blocked': bool(reg.get('blocked')), 'mirrors': mirrors,
                            'digest_only': bool(reg.get('mirror-by-digest-only')), 'from': cite(item),
                            'digest_only_from': cite(item, 'mirror-by-digest-only') if reg.get('mirror-by-digest-only')
                            else None}
    return {'search': search, 'mode': mode, 'aliases': aliases, 'registries': regs}


def _file_registries(layers, path):
    for lpath, data, _index in layers:
        if lpath == path:
            return data.get('registry') if isinstance(data.get('registry'), list) else []
    return []


def _qualified_sources(conf, name, digest, route):
    """Pull sources of a fully qualified reference name (host/path, no tag), or None when blocked."""
    best = None
    for prefix, reg in conf['registries'].items():
        if ifacts.prefix_matches(prefix, name) and (best is None or len(prefix) > len(best['prefix'])):
            best = reg
    if best is None:
        host, _sep, rest = name.partition('/')
        return [(ifacts.api_host(host), rest, False, 'the registry itself (no [[registry]] entry)')]
    if best['blocked']:
        route['error'] = '%s is blocked (%s)' % (name, best['from'])
        return None
    remainder = name[len(best['prefix']):] if not best['prefix'].startswith('*.') else name[len(name.split('/', 1)[0]):]
    out = []
    for location, insecure, pull_from, cite in best['mirrors']:
        if not digest_mirrors.mirror_used({'mirror-by-digest-only': best['digest_only']},
                                          {'pull-from-mirror': pull_from}, digest):
            route['skipped'].append({'url': location, 'from': cite, 'why': (
                '%s: not used for a tag pull' % best['digest_only_from'] if best['digest_only'] else
                'pull-from-mirror = "%s": not used for a %s pull' % (pull_from, 'digest' if digest else 'tag'))})
            continue
        full = location + remainder
        out.append((ifacts.api_host(full), full.split('/', 1)[1] if '/' in full else '', insecure, cite))
    full = (best['location'] + remainder) if not best['prefix'].startswith('*.') else name
    out.append((ifacts.api_host(full), full.split('/', 1)[1] if '/' in full else '', best['insecure'], best['from']))
    return out


def containers_route(ctx, image, files, label):
    """Route of ``image`` through containers-image (CRI-O, podman)."""
    route = {'image': image, 'name': None, 'registry': None, 'repository': None, 'reference': None,
             'runtime': label, 'lookup': [], 'endpoints': [], 'skipped': [], 'notes': [], 'error': None}
    try:
        registry, path, tag, digest = split_image(image)
    except ImageNameError as exc:
        route['error'] = str(exc)
        return route
    conf = containers_conf(ctx, files)
    reference = digest or tag or 'latest'
    route['reference'] = reference
    suffix = ('@' + digest) if digest else (':' + (tag or 'latest'))
    if registry is None:
        names = []
        alias = conf['aliases'].get(path)
        if alias:
            names.append((alias[0], 'alias %s' % alias[1]))
        else:
            search, cite = conf['search'] or ([], 'no unqualified-search-registries')
            mode = (conf['mode'] or ('enforcing', None))[0]
            if not search:
                route['error'] = 'short name "%s" and no unqualified-search-registries (%s)' % (image, cite)
                return route
            if mode == 'enforcing' and len(search) > 1:
                route['notes'].append('short-name-mode enforcing (%s): a short name with %d search registries is '
                                      'ambiguous; CRI-O >= 1.34 and a podman without a terminal refuse it' % (
                                          (conf['mode'] or (None, 'the default'))[1], len(search)))
            for s in search:
                names.append(('%s/%s' % (s, path), 'search registry %s (%s)' % (s, cite)))
    else:
        names = [('%s/%s' % (registry, path), 'qualified name')]
    first = True
    for name, why in names:
        if name.startswith('docker.io/') and '/' not in name[len('docker.io/'):]:
            name = 'docker.io/library/' + name[len('docker.io/'):]
        route['lookup'].append('%s%s (%s)' % (name, suffix, why))
        sources = _qualified_sources(conf, name, bool(digest), route)
        if sources is None:
            return route
        for host, repo, insecure, cite in sources:
            ep = _endpoint('https', host, '/v2', cite if first or 'search' not in why else '%s; %s' % (cite, why),
                           ('pull', 'resolve'), repository=repo)
            if insecure:
                ep['insecure'] = True
                ep['url_http'] = 'http://%s/v2' % host
            route['endpoints'].append(ep)
        first = False
    if names:
        route['name'] = names[0][0] + suffix
        route['registry'] = names[0][0].split('/', 1)[0]
        route['repository'] = names[0][0].split('/', 1)[1]
    return route
