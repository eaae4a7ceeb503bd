# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""containerd's effective configuration (config.toml and its imports, merged as containerd merges them)
and the certs.d roots it reads."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fnmatch
import posixpath

from ...evidence import parse_version
from ...facts import containerd as facts
from ...facts.containerd import CRI_PLUGIN_NAMES, CRI_V2, IMAGES_V3, RUNTIME_V3, V2_ONLY_CRI_KEYS


def cversion(ctx):
    return parse_version((ctx.runtime or {}).get('containerd_version'))


def containerd_in_use(ctx):
    return (ctx.runtime or {}).get('name') == 'containerd'


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
        self.assumed_version = None   # containerd's version, or 2.0.0 for a version 3 file when unknown


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
    acv = eff.assumed_version = assumed_version(ctx, main_version)
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


def _images_config(ctx):
    """The CRI images plugin table of the loaded config files, merged as 2.x merges them."""
    datas = []
    for path in config_files(ctx):
        loaded = ctx.ev.parsed(path, 'toml')
        if loaded and loaded[2] is None and isinstance(loaded[0], dict):
            datas.append(loaded[0])
    return facts.effective_images_config(datas)


def predicted_pull_path(ctx):
    """(path, reason) of the pull path the version and the files predict (facts.pull_path)."""
    return facts.pull_path(cversion(ctx), _images_config(ctx))


def check_config_path(ctx, eff, pull=None):
    """config_path unset / missing / not a directory / colon list; returns the effective certs.d roots.
    ``pull``: (path, reason) of the pull path in use; None: predicted (predicted_pull_path)."""
    if not containerd_in_use(ctx):
        return []
    ev = ctx.ev
    cv = cversion(ctx)
    cp = eff.config_path
    legacy = eff.registry and eff.registry.get('mirrors')
    pull, pull_why = pull or predicted_pull_path(ctx)
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


def certs_roots(ctx):
    """certs.d root directories in the evidence (listed dirs whose parent is not a listed certs.d dir)."""
    ev = ctx.ev
    dirs = [p for p, e in sorted(ev.dirs.items()) if 'certs-d' in ((e or {}).get('why') or ())]
    dset = set(dirs)
    return [p for p in dirs if posixpath.dirname(p) not in dset]
