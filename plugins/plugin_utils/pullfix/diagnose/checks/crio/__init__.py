# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""CRI-O's own settings that stop or cut a pull: the finding modules of this area, and what they share."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....evidence import version_string
from ....facts import containers_image

TITLE = 'CRI-O pull settings'
RANK = 55
INTRO = """Settings CRI-O reads at every pull besides registries.conf: its pull progress timeout and the containers
signature policy. CRI-O cannot run in this project's test nodes: these findings are unit-tested on recorded
evidence only (docs/compatibility.md)."""


def crio_present(ctx):
    """True when CRI-O is installed or configured here (its process, binary or a crio.conf file)."""
    ev = ctx.ev
    return ((ctx.runtime or {}).get('name') == 'crio' or ev.has_process('crio') or bool(ev.version_output('crio'))
            or any(ev.text(p) is not None for p in ev.paths_by_why('crio-config')))


def crio_version(ctx):
    rt = ctx.runtime or {}
    if rt.get('name') == 'crio' and rt.get('version'):
        return rt['version']
    return version_string(ctx.ev.version_output('crio'))


def crio_layers(ctx):
    """[(path, parsed TOML, index)] of crio.conf and crio.conf.d in CRI-O's order; files that do not parse are
    left out (crio-config-unparsable reports them)."""
    out = []
    for path in containers_image.crio_files(ctx.ev.paths_by_why('crio-config')):
        loaded = ctx.ev.parsed(path, 'toml')
        if loaded and loaded[2] is None and isinstance(loaded[0], dict):
            ctx.needed_paths.add(path)
            out.append((path, loaded[0], loaded[1]))
    return out
