# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Checks on containerd's config.toml, certs.d directories and hosts.toml files."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fnmatch
import posixpath

from ...evidence import image_registry, parse_version, url_host
from ...facts import containerd as facts
from ...facts.containerd import CRI_PLUGIN_NAMES, CRI_V2, DEFAULT_PAUSE, IMAGES_V3, RUNTIME_V3, V2_ONLY_CRI_KEYS
from ...facts.k3s import is_generated as is_generated_path


def cversion(ctx):
    return parse_version((ctx.runtime or {}).get('containerd_version'))


def containerd_in_use(ctx):
    return (ctx.runtime or {}).get('name') == 'containerd'


# ---------------------------------------------------------------- config.toml set

def config_files(ctx):
    """[main config path] + the imported files present in the evidence, in merge order."""
    ev = ctx.ev
    main = facts.config_file(ev)
    files = [main]
    loaded = ctx.load(main, 'toml', 'containerd-config-unparsable', 'The containerd configuration') \
        if ev.file(main) else None
    if loaded:
        imports = loaded[0].get('imports') or []
        known = ev.paths_by_why('containerd-config')
        for pattern in imports if isinstance(imports, list) else []:
            if not isinstance(pattern, str):
                continue
            if not pattern.startswith('/'):
                pattern = posixpath.join(posixpath.dirname(main), pattern)
            for path in known:
                if path not in files and fnmatch.fnmatchcase(path, pattern):
                    files.append(path)
    return files


def _merge(dst, src):
    for key, value in src.items():
        if isinstance(value, dict) and isinstance(dst.get(key), dict):
            _merge(dst[key], value)
        else:
            dst[key] = value
    return dst


def _cri_tables(data):
    """(keypath, table) of the registry-bearing CRI tables for the file's config version."""
    plugins = data.get('plugins') if isinstance(data.get('plugins'), dict) else {}
    version = data.get('version')
    if version == 3:
        t = plugins.get(IMAGES_V3)
        return ('plugins', IMAGES_V3), t if isinstance(t, dict) else None
    if version == 2:
        t = plugins.get(CRI_V2)
        return ('plugins', CRI_V2), t if isinstance(t, dict) else None
    t = plugins.get('cri')
    return ('plugins', 'cri'), t if isinstance(t, dict) else None


class Effective(object):
    """What containerd will use: merged registry table and sandbox image, with citations."""

    def __init__(self):
        self.registry = None          # dict or None
        self.registry_cite = None
        self.config_path = None       # str or None (absent)
        self.config_path_cite = None
        self.sandbox = None
        self.sandbox_cite = None
        self.version = None
        self.main = None
        self.main_cite = None


def check_config(ctx):
    """Per-file checks and the effective registry settings (returned)."""
    eff = Effective()
    if not containerd_in_use(ctx):
        return eff
    ev = ctx.ev
    cv = cversion(ctx)
    files = config_files(ctx)
    eff.main = files[0]
    merged = {}
    for path in files:
        if not ev.file(path):
            continue
        loaded = ctx.load(path, 'toml', 'containerd-config-unparsable', 'The containerd configuration')
        if not loaded:
            continue
        data, index = loaded
        _merge(merged, data)
        version = data.get('version')
        if path == files[0]:
            eff.version = version
            eff.main_cite = ctx.cite_key(path, index, ('version',)) if version else path
        _check_disabled(ctx, path, data, index)
        _check_versions(ctx, path, data, index, cv)
        keypath, cri = _cri_tables(data)
        if cri is not None:
            reg = cri.get('registry') if isinstance(cri.get('registry'), dict) else None
            if reg is not None:
                _check_legacy_registry(ctx, path, index, keypath + ('registry',), reg, version, cv)
                if 'config_path' in reg:
                    eff.config_path = reg.get('config_path')
                    eff.config_path_cite = ctx.cite_key(path, index, keypath + ('registry', 'config_path'))
                eff.registry = reg
                eff.registry_cite = ctx.cite_key(path, index, keypath + ('registry',))
            if version == 3:
                pinned = cri.get('pinned_images') if isinstance(cri.get('pinned_images'), dict) else {}
                if pinned.get('sandbox'):
                    eff.sandbox = pinned['sandbox']
                    eff.sandbox_cite = ctx.cite_key(path, index, keypath + ('pinned_images', 'sandbox'))
            elif cri.get('sandbox_image'):
                eff.sandbox = cri['sandbox_image']
                eff.sandbox_cite = ctx.cite_key(path, index, keypath + ('sandbox_image',))
    return eff


def _check_disabled(ctx, path, data, index):
    disabled = data.get('disabled_plugins')
    if not isinstance(disabled, list):
        return
    hit = [p for p in disabled if p in CRI_PLUGIN_NAMES]
    if hit:
        ctx.findings.add('containerd-cri-disabled', [ctx.cite_key(path, index, ('disabled_plugins',))], (
            '%s disables %s (the default of Docker\'s containerd.io package), so containerd serves no CRI: '
            'kubelet fails with "unknown service runtime.v1.RuntimeService". Remove it from '
            'disabled_plugins and restart containerd.' % (path, ', '.join('"%s"' % h for h in hit))))


def _check_versions(ctx, path, data, index, cv):
    plugins = data.get('plugins') if isinstance(data.get('plugins'), dict) else {}
    version = data.get('version')
    v2_names = [n for n in (CRI_V2,) if n in plugins]
    v3_names = [n for n in (IMAGES_V3, RUNTIME_V3) if n in plugins]
    if version in (None, 1) and (v2_names or v3_names):
        name = (v2_names or v3_names)[0]
        ctx.findings.add('containerd-config-version-missing', [
            path + ': no "version" key (read as version 1)',
            ctx.cite_key(path, index, ('plugins', name))], (
            '%s has no "version = %d" line, so containerd reads it as version 1 and silently ignores the '
            'table plugins."%s" (and everything under it, such as config_path).' % (
                path, 3 if v3_names and not v2_names else 2, name)))
        return
    cite_v = ctx.cite_key(path, index, ('version',))
    if version == 3 and cv and cv < (2, 0, 0):
        ctx.findings.add('containerd-config-version-mismatch', [cite_v], (
            '%s is a version 3 config, which containerd %d.%d.%d (1.x) does not understand; use version 2 '
            'with plugins."%s".' % (path, cv[0], cv[1], cv[2], CRI_V2)))
    if version == 2 and v3_names and cv and cv < (2, 0, 0):
        ctx.findings.add('containerd-config-version-mismatch', [ctx.cite_key(path, index, ('plugins', v3_names[0]))], (
            '%s uses the containerd 2.x table plugins."%s", which containerd %d.%d.%d ignores; on 1.x the '
            'table is plugins."%s".' % (path, v3_names[0], cv[0], cv[1], cv[2], CRI_V2)))
    if version == 3 and isinstance(plugins.get(CRI_V2), dict):
        stale = [k for k in V2_ONLY_CRI_KEYS if k in plugins[CRI_V2]]
        if stale:
            lines = [ctx.cite_key(path, index, ('plugins', CRI_V2, k)) for k in stale]
            ctx.findings.add('containerd-config-version-mismatch', lines, (
                '%s is a version 3 config but sets %s under plugins."%s", where version 3 does not read '
                'them (they moved to plugins."%s" / plugins."%s"): they are silently ignored.' % (
                    path, ', '.join(stale), CRI_V2, IMAGES_V3, RUNTIME_V3)))


def _check_legacy_registry(ctx, path, index, regpath, reg, version, cv):
    mirrors = reg.get('mirrors') if isinstance(reg.get('mirrors'), dict) else {}
    configs = reg.get('configs') if isinstance(reg.get('configs'), dict) else {}
    tls = sorted(h for h, c in configs.items() if isinstance(c, dict) and c.get('tls'))
    has_cp = 'config_path' in reg
    cp = reg.get('config_path') or ''
    v2x = (cv is not None and cv >= (2, 0, 0)) or (cv is None and version == 3)
    conflict = []
    if mirrors and (cp or (has_cp and v2x) or (not has_cp and v2x)):
        conflict.append(ctx.cite_key(path, index, regpath + ('mirrors',)))
    if tls and cp:
        conflict.append(ctx.cite_key(path, index, regpath + ('configs', tls[0], 'tls')))
    if conflict:
        if has_cp:
            conflict.insert(0, ctx.cite_key(path, index, regpath + ('config_path',)))
        else:
            conflict.insert(0, '%s: config_path not set (containerd 2.x default /etc/containerd/certs.d:'
                               '/etc/docker/certs.d)' % path)
        ctx.findings.add('containerd-mirrors-with-config-path', conflict, (
            '%s combines the deprecated registry %s with config_path. The CRI plugin then fails to load '
            '("`mirrors` cannot be set when `config_path` is provided" / "`configs.tls` cannot be set when '
            '`config_path` is provided", "invalid cri image config") and kubelet sees "unknown service '
            'runtime.v1.RuntimeService". Move the mirrors into certs.d/<host>/hosts.toml.' % (
                path, 'mirrors' if mirrors else 'configs.tls')))
    elif mirrors:
        ctx.findings.add('containerd-deprecated-mirrors', [ctx.cite_key(path, index, regpath + ('mirrors',))], (
            '%s configures registry mirrors with the deprecated registry.mirrors table ("`mirrors` is '
            'deprecated, please use `config_path` instead"); hosts.toml files under config_path replace it '
            'and apply without a restart.' % path))


def check_config_path(ctx, eff):
    """config_path unset / missing / not a directory / colon list; returns the effective certs.d roots."""
    if not containerd_in_use(ctx):
        return []
    ev = ctx.ev
    cv = cversion(ctx)
    cp = eff.config_path
    legacy = eff.registry and eff.registry.get('mirrors')
    if not cp:
        defaults = facts.default_config_path(cv) if cp is None else []
        if defaults:
            return defaults
        if legacy:
            return []
        wanted = sorted(ctx.settings.get('registry_mirrors') or {})
        ignored = [p for p in ev.paths_by_why('certs-d')
                   if p.endswith('/hosts.toml') and p.startswith(facts.CERTS_D + '/')]
        if wanted or ignored:
            lines = [eff.config_path_cite or eff.registry_cite or
                     '%s: no config_path under the CRI registry table' % eff.main]
            lines.extend('%s: ignored' % p for p in ignored)
            ctx.findings.add('containerd-config-path-unset', lines, (
                'containerd\'s CRI registry config_path is %s, so hosts.toml files in certs.d are never read '
                'and mirror configuration does not take effect%s.' % (
                    'empty' if cp == '' else 'not set',
                    ' (wanted mirrors: %s)' % ', '.join(wanted) if wanted else '')))
        return []
    parts = [cp]
    if ':' in cp:
        if cv is not None and not facts.splits_colon_list(cv):
            ctx.findings.add('containerd-config-path-list', [eff.config_path_cite], (
                'config_path "%s" is a colon-separated list; containerd %d.%d.%d (transfer service pulls) '
                'does not split it and looks for a directory of that literal name. Use one directory.' % (
                    cp, cv[0], cv[1], cv[2])))
        else:
            parts = [p for p in cp.split(':') if p]
    for part in parts:
        t = ev.dir_type(part)
        if t is None:
            continue
        if t == 'missing':
            ctx.findings.add('containerd-config-path-missing', [eff.config_path_cite, '%s: missing' % part], (
                'config_path names %s, which does not exist: no registry host configuration is applied.' % part))
        elif t != 'dir':
            ctx.findings.add('containerd-config-path-not-directory', [eff.config_path_cite, '%s: %s' % (part, t)], (
                'config_path names %s, which is a %s, not a directory of <host>/hosts.toml.' % (part, t)))
    return parts


# ---------------------------------------------------------------- certs.d

def certs_roots(ctx):
    """certs.d root directories in the evidence (listed dirs whose parent is not a listed certs.d dir)."""
    ev = ctx.ev
    dirs = [p for p, e in sorted(ev.dirs.items()) if 'certs-d' in ((e or {}).get('why') or ())]
    dset = set(dirs)
    return [p for p in dirs if posixpath.dirname(p) not in dset]


def _urls(data):
    out = []
    if isinstance(data.get('server'), str):
        out.append((('server',), data['server'], bool(data.get('override_path'))))
    hosts = data.get('host') if isinstance(data.get('host'), dict) else {}
    for url, conf in hosts.items():
        conf = conf if isinstance(conf, dict) else {}
        out.append((('host', url), url, bool(conf.get('override_path'))))
    return out


def _paths(value):
    if isinstance(value, str):
        return [value]
    out = []
    if isinstance(value, list):
        for v in value:
            out.extend(_paths(v))
    return out


def check_certs_d(ctx):
    ev = ctx.ev
    cv = cversion(ctx)
    upstream = containerd_in_use(ctx)
    mirrors = ctx.settings.get('registry_mirrors') or {}
    for root in certs_roots(ctx):
        entries = ev.dir_entries(root)
        if entries is None:
            continue
        names = set(e.get('name') for e in entries if e.get('type') in ('dir', 'symlink'))
        generated = is_generated_path(root + '/')
        for name in sorted(names):
            sub = posixpath.join(root, name)
            hosts_path = posixpath.join(sub, 'hosts.toml')
            if name == '_default' and upstream and cv and not facts.supports_default_dir(cv):
                ctx.findings.add('certs-d-default-unsupported', ['%s: directory' % sub], (
                    'containerd %d.%d.%d does not know the _default directory (added in 1.6.17/1.7.0): '
                    'the "every registry" mirror in %s is never used.' % (cv[0], cv[1], cv[2], sub)))
            if name in ('http:', 'https:') or '://' in name or '/' in name or name.endswith(':'):
                ctx.findings.add('certs-d-dir-never-matches', ['%s: directory' % sub], (
                    'The directory name "%s" contains a URL scheme or separator; containerd looks up '
                    '<host>_<port>_, <host>:<port> and _default only (e.g. "mkdir -p certs.d/https://host" '
                    'creates "https:").' % name))
                continue
            if generated:
                continue
            loaded = ctx.load(hosts_path, 'toml', 'hosts-toml-unparsable', 'The hosts.toml') \
                if ev.file(hosts_path) else None
            if not loaded:
                continue
            data, index = loaded
            _check_hosts_toml(ctx, hosts_path, data, index, facts.dir_registry(name), mirrors, sub)
            if ':' not in name and not name.endswith('_') and name != '_default':
                # Only `server` names the registry a directory is meant for; [host]
                # entries are mirrors and may well carry a port.
                for keypath, url, _override in _urls(data):
                    if keypath != ('server',):
                        continue
                    h = url_host(url) or ''
                    served = h in names or '%s_%s_' % (name, h[len(name) + 1:]) in names
                    if h.startswith(name + ':') and h[len(name) + 1:].isdigit() and not served:
                        ctx.findings.add('certs-d-dir-never-matches', [ctx.cite_key(hosts_path, index, keypath)], (
                            '%s configures %s, but images named %s/... are looked up in %s_%s_ or %s, never in '
                            '%s.' % (hosts_path, h, h, name, h.split(':')[1], h, sub)))
                        break
        wanted = set(k for k in mirrors if k != '*')
        wanted.update(image_registry(i) for i in ctx.settings.get('verify_images') or [])
        for reg in sorted(r for r in wanted if r and ':' in r):
            host, port = reg.rsplit(':', 1)
            if host in names and reg not in names and '%s_%s_' % (host, port) not in names:
                ctx.findings.add('certs-d-dir-never-matches', ['%s: directory' % posixpath.join(root, host)], (
                    'Images from %s are looked up in %s_%s_ or %s, but %s only has a %s directory, which '
                    'never matches a registry with a port.' % (reg, host, port, reg, root, host)))


def _check_hosts_toml(ctx, path, data, index, registry, mirrors, hostdir):
    unknown = [((k,), k) for k in data if k not in facts.HOSTS_TOP_KEYS]
    hosts = data.get('host') if isinstance(data.get('host'), dict) else {}
    for url, conf in hosts.items():
        if isinstance(conf, dict):
            unknown.extend((('host', url, k), k) for k in conf if k not in facts.HOSTS_HOST_KEYS)
    if unknown:
        ctx.findings.add('hosts-toml-unknown-key', [ctx.cite_key(path, index, kp) for kp, _key in unknown], (
            '%s sets %s, which containerd does not know and silently ignores (known: server, capabilities, '
            'ca, client, skip_verify, override_path, header, dial_timeout, [host."<url>"]).' % (
                path, ', '.join(sorted(set(k for _kp, k in unknown))))))
    if not hosts:
        cite = ctx.cite_key(path, index, ('server',)) if 'server' in data else '%s: no [host."<url>"] table' % path
        ctx.findings.add('hosts-toml-no-host-table', [cite], (
            '%s has no [host."<url>"] table. containerd 1.6 and 1.7 then fail to decode it ("invalid `host` '
            'tree") and ignore the whole file, so pulls go straight to the registry. Repeat the server as a '
            '[host."<url>"] table.' % path))
    for keypath, url, override in _urls(data):
        cite = ctx.cite_key(path, index, keypath)
        if not (url.startswith('http://') or url.startswith('https://')):
            ctx.findings.add('hosts-toml-no-scheme', [cite], (
                '%s has no scheme; containerd assumes https://%s (skip_verify does not switch to http). '
                'Write http:// for a plain-HTTP registry.' % (url, url)))
            continue
        rest = url.split('://', 1)[1]
        upath = rest[len(rest.split('/', 1)[0]):]
        if upath.endswith('/'):
            ctx.findings.add('hosts-toml-trailing-slash', [cite], (
                '%s ends with a slash: containerd builds the API path from it (e.g. "//v2") and requests '
                'fail with 404/not found. Drop the trailing slash.' % url))
        elif upath and not upath.endswith('/v2') and not override:
            ctx.findings.add('hosts-toml-path-without-override', [cite], (
                '%s has the path %s and no override_path = true, so containerd requests %s/v2/...; if the '
                'path already is the registry API root, set override_path = true.' % (url, upath, upath)))
    tables = [((), data)] + [(('host', u), c) for u, c in hosts.items() if isinstance(c, dict)]
    for prefix, conf in tables:
        for key in ('ca', 'client'):
            rel = [p for p in _paths(conf.get(key)) if p and not p.startswith('/')]
            if rel:
                ctx.findings.add('hosts-toml-relative-ca', [ctx.cite_key(path, index, prefix + (key,))], (
                    '%s %s path %s is relative: containerd resolves it against %s (%s), and ctr/other '
                    'consumers may not. Use absolute paths.' % (
                        path, key, ', '.join(rel), hostdir, ', '.join(posixpath.join(hostdir, r) for r in rel))))
        if conf.get('skip_verify') is True:
            wanted = mirrors.get(registry) if isinstance(mirrors.get(registry), dict) else {}
            if wanted.get('skip_verify') is not True:
                ctx.findings.add('hosts-toml-skip-verify', [ctx.cite_key(path, index, prefix + ('skip_verify',))], (
                    '%s disables TLS certificate verification for %s although pullfix_registry_mirrors does '
                    'not ask for it; use ca = "/path/ca.crt" instead.' % (path, registry)))


# ---------------------------------------------------------------- sandbox image

def check_sandbox(ctx, eff):
    if not containerd_in_use(ctx):
        return
    wanted_image = ctx.settings.get('sandbox_image')
    local = ctx.settings.get('local_registry')
    if not wanted_image and not local:
        return
    expected = image_registry(wanted_image) if wanted_image else url_host(local)
    cv = cversion(ctx)
    image = eff.sandbox
    cite = eff.sandbox_cite
    if not image:
        major = 2 if (cv and cv >= (2, 0, 0)) or eff.version == 3 else 1
        image = DEFAULT_PAUSE[major]
        cite = '%s: no sandbox image set (default %s)' % (eff.main, image)
    if image_registry(image) != expected:
        ctx.findings.add('sandbox-image-not-local', [cite], (
            'The sandbox (pause) image is %s, from %s, but it should come from %s%s; on a node without access '
            'to %s every pod stays in ContainerCreating ("failed to get sandbox image").' % (
                image, image_registry(image), expected,
                ' (pullfix_sandbox_image %s)' % wanted_image if wanted_image else ' (pullfix_local_registry)',
                image_registry(image))))
