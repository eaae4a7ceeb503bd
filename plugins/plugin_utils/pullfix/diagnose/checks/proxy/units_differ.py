# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of proxy-units-differ: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import MANUAL, case, finding
from . import OTHER_UNITS, env_cite, proxy_of, runtime_units, unit_environment

FINDINGS = {
    'proxy-units-differ': finding(
        'warning', 'HTTP(S)_PROXY is set for one runtime unit but not for another that serves kubelet',
        MANUAL, 'pull',
        applies_to='every runtime whose unit the doctor knows',
        doc="""A proxy is set for another runtime unit or for kubelet.service, but not for the unit that pulls kubelet's images; kubelet itself pulls \
nothing. Pulls go direct, which fails where only the proxy leads out. Set the proxy (and NO_PROXY for the mirrors) on the runtime's unit.
""",
        example="""/etc/systemd/system/kubelet.service.d/http-proxy.conf:2 Environment="HTTP_PROXY=http://127.0.0.1:3128" ...
containerd.service: no HTTP(S)_PROXY"""),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'proxy-units-differ': (
        case(lambda ev, h: h.proxied(ev, '192.0.2.10', unit='kubelet.service'), {'verify_images': ['busybox:1']}),
        case(lambda ev, h: (h.proxied(ev, '192.0.2.10', unit='kubelet.service'), h.proxied(ev, '192.0.2.10')),
             {'verify_images': ['busybox:1']})),
}


def _check_units_differ(ctx, used):
    if not used:
        return
    with_proxy = {}
    for unit in OTHER_UNITS:
        if not ctx.ev.unit(unit):
            continue
        env = unit_environment(ctx, unit)
        p = proxy_of(env)
        with_proxy[unit] = (p, env)
    used_has = any(with_proxy.get(u, ({}, {}))[0].get('HTTPS_PROXY') or with_proxy.get(u, ({}, {}))[0].get('HTTP_PROXY')
                   for u in used)
    if used_has:
        return
    others = [u for u, (p, _env) in sorted(with_proxy.items())
              if u not in used and (p.get('HTTPS_PROXY') or p.get('HTTP_PROXY'))]
    if others:
        lines = [env_cite(with_proxy[u][1], 'HTTPS_PROXY') or env_cite(with_proxy[u][1], 'HTTP_PROXY') for u in others]
        ctx.findings.add('proxy-units-differ', [x for x in lines if x] + ['%s: no HTTP(S)_PROXY' % ', '.join(used)], (
            'A proxy is set for %s but not for %s, which pulls kubelet\'s images: pulls go direct. If the node '
            'needs the proxy, set it (with NO_PROXY for the mirrors) on %s; kubelet itself pulls nothing.' % (
                ', '.join(others), ', '.join(used), used[0])))


def check(ctx, models):
    _check_units_differ(ctx, runtime_units(ctx))
