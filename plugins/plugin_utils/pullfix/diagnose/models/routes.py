# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The route of every verified and explained image."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ... import route as routing
from ...evidence import parse_version
from ...facts import containerd as cfacts, k3s as kfacts
from .. import runtime as rt_detect
from . import containerd as containerd_model, containers_image


def images(ctx):
    """Images to route: pullfix_verify_images, then pullfix_explain_images, each once."""
    out = []
    for image in list(ctx.settings.get('verify_images') or []) + list(ctx.settings.get('explain_images') or []):
        if isinstance(image, str) and image.strip() and image.strip() not in out:
            out.append(image.strip())
    return out


def _legacy_mirrors(ctx):
    """(mirrors, file, keypath of the mirrors table) of the deprecated table in effect, or None."""
    found = None
    for path in containerd_model.config_files(ctx):
        loaded = ctx.ev.parsed(path, 'toml')
        if not loaded or loaded[2] is not None or not isinstance(loaded[0], dict):
            continue
        plugins = loaded[0].get('plugins') if isinstance(loaded[0].get('plugins'), dict) else {}
        for name in (cfacts.IMAGES_V3, cfacts.CRI_V2, 'cri'):
            table = plugins.get(name)
            reg = table.get('registry') if isinstance(table, dict) else None
            mirrors = reg.get('mirrors') if isinstance(reg, dict) else None
            if isinstance(mirrors, dict) and mirrors:
                found = (mirrors, path, ('plugins', name, 'registry', 'mirrors'))
    return found


def _k3s_routes(ctx, kind, wanted):
    ev = ctx.ev
    paths = ev.paths_by_why('%s-registries' % kind) or [kfacts.registries_yaml(kind)]
    path = paths[0]
    loaded = ev.parsed(path, 'yaml') if ev.file(path) else None
    data, index = ({}, {}) if not loaded or loaded[2] is not None else (loaded[0] or {}, loaded[1])
    conf = rt_detect.distro_config(ctx, kind)
    disabled = conf.get(kfacts.DISABLE_DEFAULT_KEY, (False, None))[0] is True
    version = (ctx.runtime or {}).get('version')
    return [routing.k3s_route(ctx, image, kind, version, data, path if ev.file(path) else None, index, disabled)
            for image in wanted]


def build(ctx, eff, roots):
    """Routes of the images the settings name, for the runtime found (a list, maybe empty)."""
    wanted = images(ctx)
    if not wanted:
        return []
    name = (ctx.runtime or {}).get('name')
    out = []
    if name == 'containerd':
        version = parse_version((ctx.runtime or {}).get('containerd_version'))
        legacy = None if roots else _legacy_mirrors(ctx)
        out = [routing.containerd_route(ctx, image, version, roots, legacy) for image in wanted]
    elif name in kfacts.KINDS:
        out = _k3s_routes(ctx, name, wanted)
    elif name == 'crio':
        label = 'cri-o %s' % ((ctx.runtime or {}).get('version') or '')
        out = [routing.containers_route(ctx, image, containers_image.ordered_files(ctx.ev), label.strip())
               for image in wanted]
    if ctx.settings.get('explain_podman') and name != 'crio':
        out.extend(routing.containers_route(ctx, image, containers_image.ordered_files(ctx.ev), 'podman')
                   for image in wanted)
    return out


def of_runtime(routes):
    """The routes of the runtime kubelet pulls through (without the podman routes shown beside them)."""
    return [r for r in routes or () if r.get('runtime') != 'podman']
