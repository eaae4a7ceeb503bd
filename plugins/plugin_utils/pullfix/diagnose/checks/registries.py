# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Checks on containers-image registries.conf (CRI-O, podman) and CRI-O's short-name mode."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath

from ...evidence import parse_version
from ...facts import containers_image as facts

MAIN = facts.MAIN
DROPIN_DIR = facts.DROPIN_DIR
V2_KEYS = facts.V2_KEYS
CRIO_MAIN = facts.CRIO_MAIN
PACKAGED_DROPINS = facts.PACKAGED_DROPINS
CRIO_ENFORCING_SINCE = facts.CRIO_ENFORCING_SINCE


def ordered_files(ev):
    """registries.conf then registries.conf.d/*.conf in lexical (byte) order."""
    return facts.ordered_files(ev.paths_by_why('registries-conf'))


def _v1_search(data):
    regs = data.get('registries')
    if isinstance(regs, dict) and isinstance(regs.get('search'), dict):
        return regs['search'].get('registries')
    return None


def check_dropin_entries(ctx):
    """A directory named like a drop-in: containers-image walks registries.conf.d for regular *.conf files
    only and skips directories, so nothing in it applies."""
    for entry in ctx.ev.dir_entries(facts.DROPIN_DIR) or ():
        name = entry.get('name') or ''
        if entry.get('type') == 'dir' and name.endswith(facts.DROPIN_SUFFIX):
            path = facts.DROPIN_DIR + '/' + name
            ctx.findings.add('registries-conf-dropin-ignored', ['%s: directory' % path], (
                '%s is a directory. containers-image reads only the regular *.conf files of %s and skips '
                'directories, so no setting inside it applies. Move the drop-in up one level.' % (
                    path, facts.DROPIN_DIR)))


def merge(ctx):
    """Effective containers-image settings: {search: (list, path, cite) | None, mode: (..), setters: [...]}."""
    ev = ctx.ev
    search = None
    mode = None
    setters = []  # (path, list, cite) for every file that sets the search list
    for path in ordered_files(ev):
        loaded = ctx.load(path, 'toml', 'registries-conf-unparsable', 'The containers registries configuration')
        if not loaded:
            continue
        data, index = loaded
        v1 = bool(facts.v1_tables(data))
        v2 = facts.v2_keys(data)
        if v1 and v2:
            ctx.findings.add('registries-conf-mixed-versions', [
                ctx.cite_key(path, index, ('registries',)), ctx.cite_key(path, index, (v2[0],))], (
                '%s mixes the v1 [registries.*] tables with v2 keys (%s); containers-image refuses it with '
                '"mixing sysregistry v1/v2 is not supported" and CRI-O/podman cannot resolve images.' % (
                    path, ', '.join(v2))))
            continue
        if v1 and path != MAIN:
            # containers-image loads drop-ins as v2 only (verified with podman 4.3, REFERENCE.md)
            ctx.findings.add('registries-conf-v1-dropin', [ctx.cite_key(path, index, ('registries',))], (
                '%s is a drop-in in the v1 format ([registries.*] tables). containers-image accepts v1 only in '
                'the main registries.conf: every podman, skopeo and CRI-O pull fails with "loading drop-in '
                'registries configuration \\"%s\\": registry must be in v2 format but is in v1". Rewrite it with '
                'unqualified-search-registries and [[registry]].' % (path, path)))
            continue
        if v1:
            ctx.findings.add('registries-conf-v1-format', [ctx.cite_key(path, index, ('registries',))], (
                '%s uses the deprecated v1 format ([registries.search] registries = [...]); it is still accepted '
                'in the main file, but drop-ins must use v2 (unqualified-search-registries, [[registry]]).' % path))
            lst = _v1_search(data)
            if isinstance(lst, list):
                cite = ctx.cite_key(path, index, ('registries', 'search', 'registries'))
                search = (list(lst), path, cite)
                setters.append(search)
            continue
        problems = facts.file_problems(data)
        if problems:
            # The same rules the planner refuses a file by: containers-image refuses the whole load.
            ctx.findings.add('registries-conf-unparsable', [
                ctx.cite_key(path, index, keypath) for keypath, _words in problems[:5]], (
                'containers-image refuses %s: %s. Every podman, skopeo and CRI-O pull fails while it is there.' % (
                    path, '; '.join('%s: %s' % ('.'.join(str(k) for k in keypath), words)
                                    for keypath, words in problems[:5]))))
            continue
        if 'unqualified-search-registries' in data and isinstance(data['unqualified-search-registries'], list):
            cite = ctx.cite_key(path, index, ('unqualified-search-registries',))
            search = (list(data['unqualified-search-registries']), path, cite)
            setters.append(search)
        if isinstance(data.get('short-name-mode'), str):
            mode = (data['short-name-mode'], path, ctx.cite_key(path, index, ('short-name-mode',)))
    return {'search': search, 'mode': mode, 'setters': setters}


def check_search(ctx):
    ev = ctx.ev
    if not ordered_files(ev):
        return None
    eff = merge(ctx)
    search = eff['search']
    if search is not None:
        lst, path, cite = search
        ctx.findings.add('search-registries-effective', [cite], (
            'Short names resolve through %s (set by %s; registries.conf is read first, then '
            'registries.conf.d/*.conf in lexical order, and the last file that sets the key wins).' % (
                '[' + ', '.join(lst) + ']' if lst else 'no registry ([]: short names fail)', path)))
        for other in eff['setters'][:-1]:
            if other[0] != lst and posixpath.basename(other[1]) not in PACKAGED_DROPINS:
                ctx.findings.add('search-registries-overridden', [other[2], cite], (
                    '%s sets unqualified-search-registries = [%s], but %s is read later and replaces it with '
                    '[%s] (files sort bytewise: digits before letters, so "99-x.conf" loses to "crio.conf").' % (
                        other[1], ', '.join(other[0]), path, ', '.join(lst))))
    wanted = ctx.settings.get('search_registries')
    if wanted:  # None or [] = no opinion
        have = search[0] if search else []
        if list(wanted) != list(have):
            ctx.findings.add('search-registries-mismatch', [search[2] if search else
                                                            '%s: unqualified-search-registries not set' % MAIN], (
                'The effective unqualified-search-registries are [%s] but pullfix_search_registries asks for '
                '[%s].' % (', '.join(have), ', '.join(wanted))))
    return eff


def crio_short_name_mode(ctx):
    """(mode, cite) from [crio.image] short_name_mode in crio.conf and crio.conf.d (last wins), or (None, None)."""
    ev = ctx.ev
    mode, cite = None, None
    for path in facts.crio_files(ev.paths_by_why('crio-config')):
        loaded = ctx.load(path, 'toml', 'crio-config-unparsable', 'The CRI-O configuration')
        if not loaded:
            continue
        data, index = loaded
        if facts.crio_short_name_mode_of(data) is not None:
            mode = facts.crio_short_name_mode_of(data)
            cite = ctx.cite_key(path, index, ('crio', 'image', 'short_name_mode'))
    return mode, cite


# Runtimes that never read registries.conf: kubelet's pulls through them know no short names.
NOT_CONTAINERS_IMAGE = ('containerd', 'k3s', 'rke2', 'k0s', 'docker')


def check_short_names(ctx, eff):
    """Ambiguous short names under enforcing mode, only where kubelet's pulls resolve them.

    containerd never reads registries.conf. CRI-O takes the mode from its own config, not from
    registries.conf: 1.33 and older resolve with short-name mode disabled, 1.34+ read
    [crio.image] short_name_mode (default enforcing) (REFERENCE.md)."""
    rt = ctx.runtime or {}
    name = rt.get('name')
    if name in NOT_CONTAINERS_IMAGE:
        return
    mode, cite = None, None
    if name == 'crio':
        v = parse_version(rt.get('version'))
        if v and v < CRIO_ENFORCING_SINCE:
            return
        mode, cite = crio_short_name_mode(ctx)
        if mode is None and v:
            mode, cite = 'enforcing', 'CRI-O %s: [crio.image] short_name_mode not set (default enforcing)' % rt.get('version')
    elif eff and eff.get('mode'):
        mode, _path, cite = eff['mode']
    if mode != 'enforcing' or not eff or not eff.get('search'):
        return
    lst, _path, scite = eff['search']
    if len(lst) > 1:
        ctx.findings.add('short-name-ambiguous-enforcing', [cite, scite], (
            'Short-name mode is enforcing and %d search registries are listed (%s), so an unqualified image '
            'such as "nginx" is ambiguous and the pull fails ("short-name resolution enforced but cannot '
            'prompt without a TTY"). Use fully qualified names, aliases, a single search registry, or '
            'another short-name mode.' % (len(lst), ', '.join(lst))))
