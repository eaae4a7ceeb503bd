# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The containers-image merge: registries.conf, then registries.conf.d/*.conf in lexical order."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

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
