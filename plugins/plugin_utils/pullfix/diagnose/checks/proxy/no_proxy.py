# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of proxy-no-proxy-missing: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....facts import proxy as pfacts
from ...catalogue import PROXY_ENV, case, finding
from . import env_cite, unbypassed

FINDINGS = {
    'proxy-no-proxy-missing': finding(
        'error', 'A proxy is set for the runtime and an endpoint on a route is not in NO_PROXY',
        PROXY_ENV, 'pull',
        applies_to="containerd, k3s, RKE2, CRI-O units with HTTP_PROXY or HTTPS_PROXY; judged by Go's httpproxy rules",
        doc="""The runtime's unit sets a proxy, and an endpoint on the route of a verified or explained image (a mirror, a local registry; not the \
registry's own upstream, which is what a proxy is for) is not covered by its NO_PROXY under Go's rules: a name covers itself and its subdomains, \
`.name` and `*.name` only subdomains, an IP or CIDR covers IP hosts only (never a name that resolves to it), a port must match, `*` covers \
everything, loopback is never proxied. `kubenode.pullfix.proxy_env` writes `/etc/systemd/system/<unit>.d/zz-kubenode-pullfix-no-proxy.conf` with the \
unit's NO_PROXY plus those hosts and restarts the unit.
""",
        example="""/etc/systemd/system/containerd.service.d/http-proxy.conf:5 Environment="HTTP_PROXY=http://127.0.0.1:3128" \
"HTTPS_PROXY=http://127.0.0.1:3128"
containerd.service: NO_PROXY not set
http://192.0.2.10:5005/v2 (/etc/containerd/certs.d/proxied.example/hosts.toml:3 [host."http://192.0.2.10:5005"]) on the route of \
proxied.example/pullfix/px:1"""),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'proxy-no-proxy-missing': (
        case(lambda ev, h: h.proxied(ev, None), {'verify_images': ['busybox:1']}),
        case(lambda ev, h: h.proxied(ev, 'localhost,192.0.2.0/24'), {'verify_images': ['busybox:1']})),
}


def check_proxies(ctx, routes):
    for unit, (env, proxy, hits) in sorted(unbypassed(ctx, routes).items()):
        for ep, route in hits:
            scheme = ep['url'].split('://', 1)[0]
            via = pfacts.proxy_for(proxy, scheme)
            lines = [env_cite(env, 'HTTPS_PROXY' if scheme == 'https' else 'HTTP_PROXY'),
                     env_cite(env, 'NO_PROXY') or '%s: NO_PROXY not set' % unit,
                     '%s (%s) on the route of %s' % (ep['url'], ep.get('from'), route.get('image'))]
            ctx.findings.add('proxy-no-proxy-missing', [x for x in lines if x], (
                '%s sends requests for %s through the proxy %s: NO_PROXY (%s) does not cover %s by Go\'s rules '
                '(a name covers itself and its subdomains, an IP or CIDR covers IP hosts only, loopback is '
                'never proxied). A mirror or local registry behind the proxy fails or leaks pulls to it. Add '
                '%s to NO_PROXY (kubenode.pullfix.proxy_env writes the collection\'s own drop-in).' % (
                    unit, ep['host'], via, proxy['NO_PROXY'] or 'empty', ep['host'],
                    pfacts.no_proxy_entry(ep['host']))))


def check(ctx, models):
    check_proxies(ctx, models.runtime_routes)
