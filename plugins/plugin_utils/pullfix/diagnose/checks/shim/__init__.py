# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Sealos image-cri-shim and kubeadm: the finding modules of this area, and what they share."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....facts.shim import REGISTRY_UNIT, RUNTIME_UNITS, SHIM_CONFIG

TITLE = 'Sealos image-cri-shim and kubeadm'
RANK = 80


def required_after(ctx):
    """Units the shim must start after: the runtime's unit and the local registry's."""
    runtime = RUNTIME_UNITS.get((ctx.runtime or {}).get('name'), RUNTIME_UNITS['containerd'])
    registry = ctx.settings.get('shim_registry_unit') or REGISTRY_UNIT
    if isinstance(registry, str) and '.' not in registry:
        registry += '.service'
    return (runtime, registry)


def shim_config(ctx):
    if not ctx.ev.file(SHIM_CONFIG):
        return None
    loaded = ctx.load(SHIM_CONFIG, 'yaml', 'shim-config-unparsable', 'The image-cri-shim configuration')
    if not loaded or not isinstance(loaded[0], dict):
        return None
    return loaded
