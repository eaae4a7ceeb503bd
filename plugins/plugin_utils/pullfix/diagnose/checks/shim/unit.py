# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of shim-unit-unordered: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....facts.shim import SHIM_UNIT
from ...catalogue import SHIM, case, finding
from . import required_after

FINDINGS = {
    'shim-unit-unordered': finding(
        'warning', 'image-cri-shim.service is not ordered after containerd and the registry',
        SHIM, 'pull',
        applies_to='Sealos image-cri-shim',
        doc="""`image-cri-shim.service` has no `After=` on `containerd.service` and `registry.service`; at boot it can start before them (Sealos incident).
""",
        error_text='dial unix /var/run/image-cri-shim.sock: connect: connection refused',
        example="""/etc/systemd/system/image-cri-shim.service: After=network.target basic.target
DropInPaths="""),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'shim-unit-unordered': (
        case(lambda ev, h: h.with_unit(ev, 'image-cri-shim.service', After=['network.target', 'basic.target'])),
        case(lambda ev, h: h.with_unit(ev, 'image-cri-shim.service', After=['network.target', 'containerd.service', 'registry.service']))),
}


def _list(value):
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return value.split()
    return []


def check_unit(ctx):
    u = ctx.ev.unit(SHIM_UNIT)
    if not u:
        return
    after = _list(u.get('After'))
    missing = [x for x in required_after(ctx) if x not in after]
    if missing:
        ctx.findings.add('shim-unit-unordered', [
            '%s: After=%s' % (u.get('FragmentPath') or SHIM_UNIT, ' '.join(after)),
            'DropInPaths=%s' % ' '.join(_list(u.get('DropInPaths')))], (
            '%s has no After= on %s, so at boot it can start before them and kubelet gets "dial unix '
            '/var/run/image-cri-shim.sock: connect: connection refused" or images are not rewritten to the '
            'local registry.' % (SHIM_UNIT, ' and '.join(missing))))


def check(ctx, models):
    check_unit(ctx)
