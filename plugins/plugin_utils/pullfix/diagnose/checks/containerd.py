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
from ...facts.containerd import CRI_PLUGIN_NAMES, CRI_V2, IMAGES_V3, RUNTIME_V3, V2_ONLY_CRI_KEYS
from ...facts.k3s import is_generated as is_generated_path


def cversion(ctx):
    return parse_version((ctx.runtime or {}).get('containerd_version'))


def containerd_in_use(ctx):
    return (ctx.runtime or {}).get('name') == 'containerd'


# ---------------------------------------------------------------- config.toml set

_READ_ERROR_REASONS = {
    'not_utf8': 'it is not valid UTF-8',
    'binary': 'it contains NUL bytes',
    'is_directory': 'a directory is in its place',
    'not_regular': 'it is not a regular file',
    'symlink_loop': 'it is a symbolic link loop',
    'permission_denied': 'it cannot be read (permission denied)',
}


def assumed_version(ctx, config_version=None):
    """containerd version, or 2.0.0 when unknown but the config is version 3 (1.x cannot run it)."""
    cv = cversion(ctx)
    if cv is None and config_version == 3:
        return (2, 0, 0)
    return cv


def _import_paths(main, imports):
    """(pattern, absolute pattern, is_glob) of each imports entry, as containerd resolves them."""
    out = []
    for pattern in imports if isinstance(imports, list) else []:
        if not isinstance(pattern, str) or not pattern:
            continue
        path = pattern if pattern.startswith('/') else posixpath.join(posixpath.dirname(main), pattern)
        out.append((pattern, posixpath.normpath(path), '*' in path))
    return out


def config_files(ctx):
    """[main config path] + the imported files present in the evidence, in merge order."""
    ev = ctx.ev
    main = facts.config_file(ev)
    files = [main]
    loaded = ctx.load(main, 'toml', 'containerd-config-unparsable', 'The containerd configuration') \
        if ev.file(main) else None
    if loaded:
        known = ev.paths_by_why('containerd-config')
        for _pattern, path, is_glob in _import_paths(main, loaded[0].get('imports')):
            for candidate in known:
                hit = fnmatch.fnmatchcase(candidate, path) if is_glob else candidate == path
                if hit and candidate not in files:
                    files.append(candidate)
    return files


def _check_imports(ctx, main):
    """imports entries without "*" that name no file: containerd stops at start."""
    ev = ctx.ev
    loaded = ctx.ev.parsed(main, 'toml')
    if not loaded or loaded[2] is not None:
        return
    data, index, _err = loaded
    missing = []
    for pattern, path, is_glob in _import_paths(main, data.get('imports')):
        entry = ev.file(path)
        if is_glob or not entry:
            continue
        err = entry.get('error') or {}
        if err.get('kind') == 'missing':
            missing.append((pattern, path))
    if missing:
        ctx.findings.add('containerd-import-missing', [ctx.cite_key(main, index, ('imports',))] + [
            '%s: does not exist' % path for _pattern, path in missing], (
            '%s imports %s, which does not exist. containerd globs an import only when it contains "*"; any '
            'other entry is opened as is, and a missing file stops containerd at start ("failed to load TOML", '
            '"no such file or directory"), so kubelet finds no CRI socket.' % (
                main, ', '.join('"%s"' % p for p, _path in missing))))


def _check_unreadable(ctx, path):
    """A config file containerd cannot read: report it with the reason; True when reported."""
    entry = ctx.ev.file(path) or {}
    err = entry.get('error') or {}
    reason = _READ_ERROR_REASONS.get(err.get('kind'))
    if not reason:
        return False
    ctx.reported_paths.add(path)
    ctx.findings.add('containerd-config-unparsable', ['%s: %s (%s)' % (path, err.get('kind'), err.get('message'))], (
        'containerd cannot load %s: %s (%s). containerd refuses to start with it ("failed to load TOML"), '
        'so no CRI socket appears. Rewrite the file as UTF-8 TOML.' % (path, reason, err.get('message'))))
    return True


def _cri_tables(data, cv=None):
    """(keypath, table) of the registry-bearing CRI table for the file's config version.

    A version-less file on containerd 2.x is migrated, so a URI-named CRI table in it is read."""
    plugins = data.get('plugins') if isinstance(data.get('plugins'), dict) else {}
    version = data.get('version')
    if version in (None, 0, 1) and facts.migrates_versionless(cv):
        if isinstance(plugins.get(IMAGES_V3), dict):
            version = 3
        elif isinstance(plugins.get(CRI_V2), dict):
            version = 2
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
        self.mirrors = None           # (dict, cite) or None
        self.tls = None               # ([hosts], cite) or None
        self.sandbox = None
        self.sandbox_cite = None
        self.version = None
        self.main = None
        self.main_cite = None
        self.cri_source = None        # (path, keypath, table) of the CRI table in effect
        self.unusable = []            # files containerd cannot load: what they set is unknown


def check_config(ctx):
    """Per-file checks and the effective registry settings (returned).

    Files merge as containerd merges them: the main file, then its imports; on 1.x an imported
    CRI plugin table replaces the earlier one whole, on 2.x it is merged key by key."""
    eff = Effective()
    if not containerd_in_use(ctx):
        return eff
    ev = ctx.ev
    cv = cversion(ctx)
    files = config_files(ctx)
    eff.main = files[0]
    _check_imports(ctx, files[0])
    main_loaded = ev.parsed(files[0], 'toml')
    main_version = main_loaded[0].get('version') if main_loaded and main_loaded[0] else None
    acv = assumed_version(ctx, main_version)
    replace = facts.imports_replace_plugin_tables(acv)
    for path in files:
        if not ev.file(path):
            continue
        if _check_unreadable(ctx, path):
            eff.unusable.append(path)
            continue
        loaded = ctx.load(path, 'toml', 'containerd-config-unparsable', 'The containerd configuration')
        if not loaded:
            if ((ev.file(path) or {}).get('error') or {}).get('kind') != 'missing':
                eff.unusable.append(path)  # a missing file is containerd's defaults, not an unknown
            continue
        data, index = loaded
        version = data.get('version')
        if path == files[0]:
            eff.version = version
            eff.main_cite = ctx.cite_key(path, index, ('version',)) if version else path
        if not _check_types(ctx, path, data, index):
            eff.unusable.append(path)
            continue
        _check_disabled(ctx, path, data, index, acv)
        _check_versions(ctx, path, data, index, cv)
        _check_sandbox_location(ctx, path, data, index, acv)
        keypath, cri = _cri_tables(data, acv)
        if cri is None:
            continue
        if replace and eff.cri_source is not None and eff.cri_source[1] == keypath:
            _report_replaced(ctx, eff.cri_source, path, index, keypath, cri)
            eff.registry = eff.registry_cite = eff.config_path = eff.config_path_cite = None
            eff.mirrors = eff.tls = eff.sandbox = eff.sandbox_cite = None
        eff.cri_source = (path, keypath, cri)
        reg = cri.get('registry') if isinstance(cri.get('registry'), dict) else None
        if reg is not None:
            regpath = keypath + ('registry',)
            if 'config_path' in reg:
                eff.config_path = reg.get('config_path')
                eff.config_path_cite = ctx.cite_key(path, index, regpath + ('config_path',))
            mirrors = reg.get('mirrors') if isinstance(reg.get('mirrors'), dict) else {}
            if mirrors:
                eff.mirrors = (mirrors, ctx.cite_key(path, index, regpath + ('mirrors',)))
            configs = reg.get('configs') if isinstance(reg.get('configs'), dict) else {}
            tls = sorted(h for h, c in configs.items() if isinstance(c, dict) and c.get('tls'))
            if tls:
                eff.tls = (tls, ctx.cite_key(path, index, regpath + ('configs', tls[0], 'tls')))
            merged = dict(eff.registry or {})
            merged.update(reg)
            eff.registry = merged
            eff.registry_cite = ctx.cite_key(path, index, regpath)
        if keypath[1] == IMAGES_V3:
            pinned = cri.get('pinned_images') if isinstance(cri.get('pinned_images'), dict) else {}
            if pinned.get('sandbox'):
                eff.sandbox = pinned['sandbox']
                eff.sandbox_cite = ctx.cite_key(path, index, keypath + ('pinned_images', 'sandbox'))
        elif cri.get('sandbox_image'):
            eff.sandbox = cri['sandbox_image']
            eff.sandbox_cite = ctx.cite_key(path, index, keypath + ('sandbox_image',))
    _check_legacy_registry(ctx, eff, acv)
    return eff


def _report_replaced(ctx, earlier, path, index, keypath, cri):
    """1.x: an imported CRI table replaces the earlier one whole; say what is lost."""
    epath, ekeypath, etable = earlier
    have = set(_leaves(cri))
    gone = [k for k in _leaves(etable) if k not in have]
    if not gone:
        return
    eloaded = ctx.ev.parsed(epath, 'toml')
    eindex = eloaded[1] if eloaded else {}
    lines = [ctx.cite_key(path, index, keypath)]
    for name in gone[:10]:
        lines.append(ctx.cite_key(epath, eindex, ekeypath + name))
    ctx.findings.add('containerd-import-replaces-cri-table', lines, (
        '%s (imported) has its own plugins."%s" table. containerd 1.x does not merge plugin tables: the '
        'imported table replaces the one in %s whole, so %s set there %s ignored%s.' % (
            path, ekeypath[1], epath, ', '.join('.'.join(g) for g in gone[:10]), 'is' if len(gone) == 1 else 'are',
            ' (config_path among them: certs.d/hosts.toml are no longer read)'
            if ('registry', 'config_path') in gone else '')))


def _leaves(table, prefix=()):
    """Key paths of the non-table values of a TOML table, in order."""
    out = []
    for key, value in table.items():
        if isinstance(value, dict) and value:
            out.extend(_leaves(value, prefix + (key,)))
        else:
            out.append(prefix + (key,))
    return out


def _check_types(ctx, path, data, index):
    """Values containerd cannot decode (it then does not start); False when the file is unusable."""
    bad = []
    if 'version' in data and (not isinstance(data['version'], int) or isinstance(data['version'], bool)):
        bad.append((('version',), 'an integer'))
    if 'imports' in data and not (isinstance(data['imports'], list) and all(isinstance(i, str) for i in data['imports'])):
        bad.append((('imports',), 'an array of strings'))
    if 'plugins' in data and not isinstance(data['plugins'], dict):
        bad.append((('plugins',), 'a table'))
    reg_cp = _registry_value(data, 'config_path')
    if reg_cp is not None and not isinstance(reg_cp[1], str):
        bad.append((reg_cp[0], 'a string'))
    for key in ('mirrors', 'configs'):
        found = _registry_value(data, key)
        if found is None:
            continue
        keypath, value = found
        if not isinstance(value, dict):
            bad.append((keypath, 'a table of registry tables (%s."<host>")' % key))
            continue
        for host, table in value.items():
            if not isinstance(table, dict):
                bad.append((keypath + (host,), 'a table'))
            elif key == 'mirrors' and 'endpoint' in table and not (
                    isinstance(table['endpoint'], list) and all(isinstance(u, str) for u in table['endpoint'])):
                bad.append((keypath + (host, 'endpoint'), 'an array of strings'))
    for keypath, expected in bad:
        ctx.findings.add('containerd-config-rejected', [ctx.cite_key(path, index, keypath)], (
            '%s sets %s to a value of the wrong type (containerd expects %s): the file fails to decode and '
            'containerd does not start, so no CRI socket appears.' % (path, '.'.join(keypath), expected)))
    return not bad


def _registry_value(data, key):
    """(keypath, value) of ``key`` in the registry table of any CRI table name, or None."""
    plugins = data.get('plugins') if isinstance(data.get('plugins'), dict) else {}
    for name in (IMAGES_V3, CRI_V2, 'cri'):
        t = plugins.get(name)
        reg = t.get('registry') if isinstance(t, dict) else None
        if isinstance(reg, dict) and key in reg:
            return ('plugins', name, 'registry', key), reg[key]
    return None


def _check_disabled(ctx, path, data, index, cv):
    if 'disabled_plugins' not in data:
        return
    disabled = data.get('disabled_plugins')
    cite = ctx.cite_key(path, index, ('disabled_plugins',))
    if not isinstance(disabled, list) or not all(isinstance(p, str) for p in disabled):
        ctx.findings.add('containerd-config-rejected', [cite], (
            '%s sets disabled_plugins to %s, but containerd needs an array of strings (disabled_plugins = '
            '["..."]): the file fails to decode and containerd does not start, so no CRI socket appears.' % (
                path, type(disabled).__name__ if not isinstance(disabled, str) else 'the string "%s"' % disabled)))
        return
    version = data.get('version') or 1
    if not isinstance(version, int):
        return  # _check_types reports it
    if version >= 2:
        bad = [p for p in disabled if not facts.disabled_plugin_uri_ok(p, cv)]
        if bad:
            ctx.findings.add('containerd-config-rejected', [cite], (
                '%s is a version %d config, where disabled_plugins takes plugin URIs; containerd stops at start '
                'with "invalid disabled plugin URI %s expect io.containerd.x.vx", so no CRI socket appears.' % (
                    path, version, '"%s"' % bad[0])))
    names = [n for n in CRI_PLUGIN_NAMES if n != 'cri' or version < 2]
    if cv is not None and cv < (2, 0, 0):
        names = [n for n in names if n not in (IMAGES_V3, RUNTIME_V3)]
    hit = [p for p in disabled if p in names]
    if hit:
        ctx.findings.add('containerd-cri-disabled', [cite], (
            '%s disables %s (the default of Docker\'s containerd.io package), so containerd serves no CRI: '
            'kubelet fails with "unknown service runtime.v1.RuntimeService". Remove it from '
            'disabled_plugins and restart containerd.' % (path, ', '.join('"%s"' % h for h in hit))))


def _check_versions(ctx, path, data, index, cv):
    plugins = data.get('plugins') if isinstance(data.get('plugins'), dict) else {}
    version = data.get('version')
    v2_names = [n for n in (CRI_V2,) if n in plugins]
    v3_names = [n for n in (IMAGES_V3, RUNTIME_V3) if n in plugins]
    if version in (None, 1) and (v2_names or v3_names):
        if facts.migrates_versionless(cv):
            return  # 2.x migrates the file and keeps URI-named tables
        name = (v2_names or v3_names)[0]
        ctx.findings.add('containerd-config-version-missing', [
            path + ': no "version" key (read as version 1)',
            ctx.cite_key(path, index, ('plugins', name))], (
            '%s has no "version = %d" line, so containerd 1.x reads it as version 1 and silently ignores the '
            'table plugins."%s" (and everything under it, such as config_path).' % (
                path, 3 if v3_names and not v2_names else 2, name)))
        return
    cite_v = ctx.cite_key(path, index, ('version',))
    if version == 3 and cv and cv < (2, 0, 0):
        ctx.findings.add('containerd-config-version-mismatch', [cite_v], (
            '%s is a version 3 config, which containerd %d.%d.%d (1.x) does not understand; use version 2 '
            'with plugins."%s".' % (path, cv[0], cv[1], cv[2], CRI_V2)))
    if version == 2 and v3_names and cv and cv < (2, 0, 0):
        ctx.findings.add('containerd-config-tables-ignored', [ctx.cite_key(path, index, ('plugins', v3_names[0]))], (
            '%s uses the containerd 2.x table plugins."%s", which containerd %d.%d.%d ignores; on 1.x the '
            'table is plugins."%s".' % (path, v3_names[0], cv[0], cv[1], cv[2], CRI_V2)))
    if version == 3 and isinstance(plugins.get(CRI_V2), dict):
        stale = [k for k in V2_ONLY_CRI_KEYS if k in plugins[CRI_V2]]
        if stale:
            lines = [ctx.cite_key(path, index, ('plugins', CRI_V2, k)) for k in stale]
            ctx.findings.add('containerd-config-tables-ignored', lines, (
                '%s is a version 3 config but sets %s under plugins."%s", where version 3 does not read '
                'them (they moved to plugins."%s" / plugins."%s"): they are silently ignored.' % (
                    path, ', '.join(stale), CRI_V2, IMAGES_V3, RUNTIME_V3)))


def _check_sandbox_location(ctx, path, data, index, cv):
    """The pause image set under a key this config version does not read (the default is used)."""
    plugins = data.get('plugins') if isinstance(data.get('plugins'), dict) else {}
    version = data.get('version')
    wrong = []
    if version == 3:
        for table in (IMAGES_V3, RUNTIME_V3):
            t = plugins.get(table)
            if isinstance(t, dict) and 'sandbox_image' in t:
                wrong.append((('plugins', table, 'sandbox_image'),
                              'plugins."%s".pinned_images.sandbox' % IMAGES_V3))
    elif version == 2:
        t = plugins.get(CRI_V2)
        if isinstance(t, dict) and isinstance(t.get('pinned_images'), dict) and 'sandbox' in t['pinned_images']:
            wrong.append((('plugins', CRI_V2, 'pinned_images', 'sandbox'), 'plugins."%s".sandbox_image' % CRI_V2))
    for keypath, right in wrong:
        ctx.findings.add('containerd-sandbox-image-ignored', [ctx.cite_key(path, index, keypath)], (
            '%s is a version %d config: containerd does not read %s there and pulls its default pause image '
            '(%s) instead; the version %d key is %s.' % (
                path, version, '.'.join(keypath[2:]), facts.default_pause(cv, version),
                version, right)))


def _check_legacy_registry(ctx, eff, cv):
    """mirrors / configs.tls against config_path, on the merged registry table, per version."""
    cp = eff.config_path or ''
    conflict = []
    why = []
    if eff.mirrors and cp:
        conflict.append(eff.mirrors[1])
        why.append('"`mirrors` cannot be set when `config_path` is provided"')
    elif eff.mirrors and facts.mirrors_conflict_without_config_path(cv, eff.config_path, eff.version):
        conflict.append(eff.mirrors[1])
        why.append('"`mirrors` cannot be set when `config_path` is provided" (containerd %d.%d.%d fills in the '
                   'default config_path /etc/containerd/certs.d:/etc/docker/certs.d; 2.2.2 stopped doing so '
                   'next to mirrors)' % cv)
    if eff.tls and cp and facts.refuses_configs_tls_with_config_path(cv):
        conflict.append(eff.tls[1])
        why.append('"`configs.tls` cannot be set when `config_path` is provided"')
    if conflict:
        conflict.insert(0, eff.config_path_cite or '%s: config_path not set' % eff.main)
        ctx.findings.add('containerd-mirrors-with-config-path', conflict, (
            'The containerd configuration combines the deprecated registry %s with config_path. The CRI plugin '
            'then fails to load (%s, "invalid cri image config") and kubelet sees "unknown service '
            'runtime.v1.RuntimeService". Move the mirrors into certs.d/<host>/hosts.toml.' % (
                'mirrors' if eff.mirrors and eff.mirrors[1] in conflict else 'configs.tls', '; '.join(why))))
        return
    if eff.mirrors:
        ctx.findings.add('containerd-deprecated-mirrors', [eff.mirrors[1]], (
            'registry mirrors are configured with the deprecated registry.mirrors table ("`mirrors` is '
            'deprecated, please use `config_path` instead"); hosts.toml files under config_path replace it '
            'and apply without a restart.'))
    if eff.tls and facts.configs_tls_ignored(cv, cp):
        ctx.findings.add('containerd-configs-tls-ignored', [c for c in (eff.config_path_cite, eff.tls[1]) if c], (
            'containerd %s ignores the deprecated registry configs.tls, with or without config_path: 2.0 removed '
            'the field (only configs.<host>.auth is still read), so the TLS settings for %s are not applied. Put '
            'them in certs.d/<host>/hosts.toml (ca, client, skip_verify).' % (
                '%d.%d.%d' % cv if cv else '2.x', ', '.join(eff.tls[0]))))


def _images_config(ctx):
    """The CRI images plugin table of the loaded config files, merged as 2.x merges them."""
    datas = []
    for path in config_files(ctx):
        loaded = ctx.ev.parsed(path, 'toml')
        if loaded and loaded[2] is None and isinstance(loaded[0], dict):
            datas.append(loaded[0])
    return facts.effective_images_config(datas)


def check_config_path(ctx, eff):
    """config_path unset / missing / not a directory / colon list; returns the effective certs.d roots."""
    if not containerd_in_use(ctx):
        return []
    ev = ctx.ev
    cv = cversion(ctx)
    cp = eff.config_path
    legacy = eff.registry and eff.registry.get('mirrors')
    pull, pull_why = facts.pull_path(cv, _images_config(ctx))
    if not cp:
        if eff.unusable:
            return []  # containerd cannot load its configuration: that is the finding, config_path is unknown
        if legacy:
            return []  # the deprecated in-config mirrors are used instead
        default = facts.effective_config_path(cv, cp, eff.version, bool(legacy))
        if default and facts.splits_config_path(pull):
            return facts.config_path_roots(pull, default)
        wanted = sorted(ctx.settings.get('registry_mirrors') or {})
        ignored = [p for p in ev.paths_by_why('certs-d')
                   if p.endswith('/hosts.toml') and p.startswith(facts.CERTS_D + '/')]
        if wanted or ignored:
            lines = [eff.config_path_cite or eff.registry_cite or
                     '%s: no config_path under the CRI registry table' % eff.main]
            lines.extend('%s: ignored' % p for p in ignored)
            if default:
                why = '%s, so containerd %d.%d.%d fills in its default "%s"; but %s, which takes that colon list ' \
                      'as one directory of that literal name (containerd#12636)' % (
                          'empty' if cp == '' else 'not set', cv[0], cv[1], cv[2], default, pull_why)
            elif cp == '':
                why = 'is empty'
            elif cv is not None and cv >= (2, 0, 0):
                why = 'not set, and containerd %d.%d.%d has no default (2.0 and 2.1 have none; 2.2 and later fill ' \
                      'in /etc/containerd/certs.d:/etc/docker/certs.d, which only the local pull path splits); ' \
                      '%s' % (cv[0], cv[1], cv[2], pull_why)
            else:
                why = 'not set (containerd 1.6/1.7 and 2.0/2.1 read no certs.d without it)'
            ctx.findings.add('containerd-config-path-unset', lines, (
                'containerd\'s CRI registry config_path is %s, so hosts.toml files in certs.d are never read '
                'and mirror configuration does not take effect: pulls go straight to the registry%s. Set '
                'config_path = "%s" under plugins."%s".registry.' % (
                    why, ' (wanted mirrors: %s)' % ', '.join(wanted) if wanted else '', facts.CERTS_D,
                    IMAGES_V3 if (eff.version == 3 or (cv and cv >= (2, 0, 0))) else CRI_V2)))
        return []
    if not isinstance(cp, str):
        return []  # _check_types reports it
    parts = [cp]
    relative = [p for p in cp.split(':') if p and not p.startswith('/')]
    if relative:
        ctx.findings.add('containerd-config-path-relative', [eff.config_path_cite], (
            'config_path "%s" is relative: containerd joins it to its working directory (/ under systemd), so it '
            'reads %s, not a directory next to its configuration. Use an absolute path such as "%s".' % (
                cp, ', '.join(posixpath.normpath('/' + p) for p in relative), facts.CERTS_D)))
        return []
    if ':' in cp:
        if not facts.splits_config_path(pull):
            ctx.findings.add('containerd-config-path-list', [eff.config_path_cite], (
                'config_path "%s" is a colon-separated list, but %s. That path passes config_path whole to the '
                'registry host lookup, which looks for a directory of that literal name, so no hosts.toml is '
                'read and pulls go straight to the registry. Use one directory (config_path = "%s"); the local '
                'pull path would split the list.' % (cp, pull_why, facts.CERTS_D)))
        else:
            parts = facts.config_path_roots(pull, cp)
    # a missing root of a split list is skipped (hostDirFromRoots): only worth a word when none exists
    any_root = any(ev.dir_type(p) == 'dir' for p in parts)
    for part in parts:
        t = ev.dir_type(part)
        if t is None:
            continue
        if t == 'missing':
            if any_root:
                continue
            ctx.findings.add('containerd-config-path-missing', [eff.config_path_cite, '%s: missing' % part], (
                'config_path names %s, which does not exist: no registry host configuration is applied (%s).' % (
                    part, pull_why)))
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


_URL_BAD_CHARS = frozenset(' \t{}|\\^`')


def url_problem(url):
    """Why containerd cannot use a hosts.toml server/host URL, or None.

    containerd prepends https:// when the value does not start with "http", then url.Parse;
    a parse error drops the whole file, a host that is no host name fails every request."""
    if '{{' in url or '{%' in url:
        return ('still holds an unrendered template: containerd cannot parse it ("unable to parse server"), '
                'logs "failed to decode hosts.toml" and ignores the whole file.')
    full = url if url.startswith('http') else 'https://' + url
    scheme, sep, rest = full.partition('://')
    if not sep or scheme not in ('http', 'https'):
        return 'has the scheme "%s"; containerd speaks only http and https to registries.' % (scheme if sep else full)
    authority = rest.split('/', 1)[0]
    if '@' in authority:
        authority = authority.rsplit('@', 1)[1]
    if any(c in _URL_BAD_CHARS for c in authority):
        return ('is not a valid URL (invalid character in host name): containerd logs "failed to decode '
                'hosts.toml" and ignores the whole file.')
    host, port = authority, ''
    if authority.startswith('['):
        end = authority.find(']')
        host, port = authority[:end + 1], authority[end + 1:].lstrip(':') if end >= 0 else ''
    elif ':' in authority:
        host, port = authority.split(':', 1)
    if port and not port.isdigit():
        return ('has an invalid port ":%s": containerd cannot parse it, logs "failed to decode hosts.toml" and '
                'ignores the whole file.' % port)
    if not host:
        return 'has no host name: every request to it fails.'
    if '*' in host:
        return ('is not a host name: "*" is no wildcard in hosts.toml; containerd sends requests to https://%s/v2 '
                'and the lookup of "%s" fails (no such host). Name the real registry or mirror.' % (host, host))
    return None


def _main_version(ctx):
    loaded = ctx.ev.parsed(facts.config_file(ctx.ev), 'toml')
    if loaded and isinstance(loaded[0], dict):
        return loaded[0].get('version')
    return None


def _check_symlink_loops(ctx, root, entries):
    """certs.d (or one of its host directories) that is a symbolic link loop: os.Stat fails with ELOOP."""
    ev = ctx.ev
    rentry = ev.dirs.get(root) or {}
    if ((rentry.get('error') or {}).get('kind')) == 'symlink_loop':
        ctx.reported_paths.add(root)
        ctx.findings.add('certs-d-symlink-loop', ['%s: symlink_loop' % root], (
            '%s is a symbolic link loop. containerd stats <root>/<host> for every pull and fails on any error other '
            'than "does not exist" ("too many levels of symbolic links"), so every pull through this config_path '
            'fails.' % root))
        return
    for e in entries or ():
        if e.get('type') != 'symlink':
            continue
        sub = posixpath.join(root, e.get('name'))
        sentry = ev.dirs.get(sub) or {}
        if ((sentry.get('error') or {}).get('kind')) != 'symlink_loop':
            continue
        ctx.reported_paths.add(sub)
        reg = facts.dir_registry(e.get('name'))
        ctx.findings.add('certs-d-symlink-loop', ['%s: symlink_loop' % sub], (
            '%s is a symbolic link loop. containerd stats it when it looks up %s and fails on any error other than '
            '"does not exist" ("too many levels of symbolic links"), so %s fail. Remove the link or point it at a '
            'directory.' % (sub, 'every registry without a directory of its own' if reg == '*' else reg,
                            'those pulls' if reg == '*' else 'pulls from %s' % reg)))


def _check_entry_types(ctx, root, entries):
    """certs.d/<host> that is no directory. containerd stats <root>/<host> and, when that works, reads
    <root>/<host>/hosts.toml: a file there fails the read with "not a directory" and the pull with it;
    a dangling link does not stat, so containerd goes on to the next candidate as if it were absent."""
    ev = ctx.ev
    for e in entries or ():
        name, kind = e.get('name'), e.get('type')
        sub = posixpath.join(root, name or '')
        if not name or name.startswith('.') or kind == 'dir':
            continue
        if kind == 'symlink':
            err = ((ev.dirs.get(sub) or {}).get('error') or {})
            if err.get('kind') == 'missing':
                ctx.reported_paths.add(sub)
                ctx.findings.add('certs-d-entry-dangling', ['%s: dangling symbolic link' % sub], (
                    '%s is a symbolic link to nothing. containerd finds no directory there and goes on to the '
                    'next candidate (_default, then the registry itself), so no hosts.toml configures pulls from '
                    '%s. Point the link at a directory or remove it.' % (sub, _entry_registry(name))))
                continue
            if err.get('kind') != 'not_directory':
                continue
        reg = _entry_registry(name)
        if reg is None:
            continue
        ctx.reported_paths.add(sub)
        what = kind if kind != 'symlink' else 'symbolic link to a file'
        ctx.findings.add('certs-d-entry-not-directory', ['%s: %s' % (sub, what)], (
            '%s is not a directory. containerd stats it when it looks up %s, then opens %s/hosts.toml, which fails '
            'with "not a directory", and so do %s. Move the file aside and make %s a directory.' % (
                sub, 'every registry without a directory of its own' if reg == '*' else reg, sub,
                'those pulls' if reg == '*' else 'pulls from %s' % reg, sub)))


def _entry_registry(name):
    """The registry a certs.d entry name is looked up for, or None for a name no image can carry."""
    reg = facts.dir_registry(name)
    if reg == '*' or '.' in reg or ':' in reg or reg == 'localhost':
        return reg
    return None


def check_certs_d(ctx, roots=None):
    """certs.d directories and hosts.toml files; ``roots``: the directories containerd reads (None: all)."""
    ev = ctx.ev
    cv = cversion(ctx)
    upstream = containerd_in_use(ctx)
    mirrors = ctx.settings.get('registry_mirrors') or {}
    for root in certs_roots(ctx):
        if roots is None or root in roots or not containerd_in_use(ctx):
            _check_symlink_loops(ctx, root, ev.dir_entries(root))
            _check_entry_types(ctx, root, ev.dir_entries(root))
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
    hv = cversion(ctx)
    unknown = [((k,), k) for k in data if k not in facts.hosts_keys(hv, top=True)]
    hosts = data.get('host') if isinstance(data.get('host'), dict) else {}
    for url, conf in hosts.items():
        if isinstance(conf, dict):
            unknown.extend((('host', url, k), k) for k in conf if k not in facts.hosts_keys(hv))
    if unknown:
        ctx.findings.add('hosts-toml-unknown-key', [ctx.cite_key(path, index, kp) for kp, _key in unknown], (
            '%s sets %s, which containerd does not know and silently ignores (known: server, capabilities, '
            'ca, client, skip_verify, override_path, header, dial_timeout, [host."<url>"]).' % (
                path, ', '.join(sorted(set(k for _kp, k in unknown))))))
    if not hosts and facts.requires_host_table(assumed_version(ctx, _main_version(ctx))):
        cite = ctx.cite_key(path, index, ('server',)) if 'server' in data else '%s: no [host."<url>"] table' % path
        ctx.findings.add('hosts-toml-no-host-table', [cite], (
            '%s has no [host."<url>"] table. containerd 1.6 and 1.7 then fail to decode it ("invalid `host` '
            'tree") and ignore the whole file, so pulls go straight to the registry (2.x accepts such a file). '
            'Repeat the server as a [host."<url>"] table.' % path))
    for keypath, url, override in _urls(data):
        cite = ctx.cite_key(path, index, keypath)
        problem = url_problem(url)
        if problem:
            ctx.findings.add('hosts-toml-url-invalid', [cite], (
                '%s: "%s" %s' % (path, url, problem)), caused_by='unrendered-template' if '{{' in url else None)
            continue
        if not (url.startswith('http://') or url.startswith('https://')):
            ctx.findings.add('hosts-toml-no-scheme', [cite], (
                '%s has no scheme; containerd assumes https://%s (skip_verify does not switch to http). '
                'Write http:// for a plain-HTTP registry.' % (url, url)))
            continue
        rest = url.split('://', 1)[1]
        upath = facts.clean_url_path(rest[len(rest.split('/', 1)[0]):])
        if upath == '/' and not override:
            ctx.findings.add('hosts-toml-trailing-slash', [cite], (
                '%s has the bare path "/": containerd cleans it to "/" and appends "/v2", so requests go to '
                '"//v2/..." and fail with 404/not found. Drop the trailing slash.' % url))
        elif upath and upath != '/' and not upath.endswith('/v2') and not override:
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
        image = facts.default_pause(cv, eff.version)
        cite = '%s: no sandbox image set (default %s)' % (eff.main, image)
    if image_registry(image) != expected:
        ctx.findings.add('sandbox-image-not-local', [cite], (
            'The sandbox (pause) image is %s, from %s, but it should come from %s%s; on a node without access '
            'to %s every pod stays in ContainerCreating ("failed to get sandbox image").' % (
                image, image_registry(image), expected,
                ' (pullfix_sandbox_image %s)' % wanted_image if wanted_image else ' (pullfix_local_registry)',
                image_registry(image))))
