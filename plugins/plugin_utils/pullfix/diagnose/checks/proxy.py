# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Proxies in the way of a route: the Environment= of the runtime, kubelet and k3s/RKE2 units."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import shlex

from ...facts import containerd as cfacts
from ...facts import proxy as pfacts

# The unit(s) whose environment the runtime's pulls see, by runtime name.
RUNTIME_UNITS = {
    'containerd': ('containerd.service',),
    'k3s': ('k3s.service', 'k3s-agent.service'),
    'rke2': ('rke2-server.service', 'rke2-agent.service'),
    'crio': ('crio.service',),
    'docker': ('docker.service',),
}
OTHER_UNITS = ('kubelet.service', 'containerd.service', 'crio.service', 'docker.service', 'k3s.service',
               'k3s-agent.service', 'rke2-server.service', 'rke2-agent.service')


def _words(value):
    try:
        return shlex.split(value, posix=True)
    except ValueError:
        return value.split()


def _env_file(ctx, path, env):
    text = ctx.ev.text(path)
    for lineno, line in enumerate((text or '').splitlines(), 1):
        line = line.strip()
        if not line or line[0] in '#;' or '=' not in line:
            continue
        key, _sep, value = line.partition('=')
        words = _words(value)
        env[key.strip()] = (' '.join(words) if words else '', ctx.cite(path, lineno))


def unit_environment(ctx, unit_name):
    """{NAME: (value, cite)} of a unit: Environment= of its file and drop-ins in order, then its
    EnvironmentFile= files, which override Environment= (systemd.exec)."""
    unit = ctx.ev.unit(unit_name) or {}
    env = {}
    env_files = []
    for path in [unit.get('FragmentPath')] + list(unit.get('DropInPaths') or []):
        text = ctx.ev.text(path) if path else None
        section = None
        for lineno, raw in enumerate((text or '').splitlines(), 1):
            line = raw.strip()
            if line.startswith('['):
                section = line
                continue
            if section != '[Service]' or '=' not in line or line[0] in '#;':
                continue
            key, _sep, value = line.partition('=')
            key = key.strip()
            if key == 'Environment':
                if not value.strip():
                    env = {}
                    continue
                for word in _words(value):
                    name, eq, val = word.partition('=')
                    if eq:
                        env[name] = (val, ctx.cite(path, lineno))
            elif key == 'EnvironmentFile':
                if not value.strip():
                    env_files = []
                    continue
                env_files.extend(v.lstrip('-') for v in value.split())
    for path in env_files:
        if ctx.ev.file(path):
            _env_file(ctx, path, env)
    return env


def _proxy(env):
    return dict((k, pfacts.lookup(dict((n, v[0]) for n, v in env.items()), k)) for k in pfacts.VARIABLES)


def _cite(env, name):
    for key in (name, name.lower()):
        if env.get(key) and env[key][0]:
            return env[key][1]
    return None


def runtime_units(ctx):
    """The runtime's units present on the node (their environment is what its pulls see)."""
    name = (ctx.runtime or {}).get('name')
    return [u for u in RUNTIME_UNITS.get(name, ()) if ctx.ev.unit(u)]


def unbypassed(ctx, routes):
    """{unit: (env, proxy, [(endpoint, route)])}: endpoints on the routes a runtime unit's proxy would take.

    The registry's own upstream is left out: reaching it is what a proxy is for."""
    out = {}
    for unit in runtime_units(ctx):
        env = unit_environment(ctx, unit)
        proxy = _proxy(env)
        if not proxy['HTTP_PROXY'] and not proxy['HTTPS_PROXY']:
            continue
        hits = []
        seen = set()
        for route in routes or ():
            for ep in route.get('endpoints') or ():
                scheme = ep['url'].split('://', 1)[0]
                if ep['host'] in seen or not pfacts.proxy_for(proxy, scheme):
                    continue
                if ep['host'] in (route.get('registry'), cfacts.default_host(route.get('registry') or '')):
                    continue
                if pfacts.bypasses(proxy['NO_PROXY'], ep['host'], scheme):
                    continue
                seen.add(ep['host'])
                hits.append((ep, route))
        out[unit] = (env, proxy, hits)
    return out


def check_proxies(ctx, routes):
    for unit, (env, proxy, hits) in sorted(unbypassed(ctx, routes).items()):
        for ep, route in hits:
            scheme = ep['url'].split('://', 1)[0]
            via = pfacts.proxy_for(proxy, scheme)
            lines = [_cite(env, 'HTTPS_PROXY' if scheme == 'https' else 'HTTP_PROXY'),
                     _cite(env, 'NO_PROXY') or '%s: NO_PROXY not set' % unit,
                     '%s (%s) on the route of %s' % (ep['url'], ep.get('from'), route.get('image'))]
            ctx.findings.add('proxy-no-proxy-missing', [x for x in lines if x], (
                '%s sends requests for %s through the proxy %s: NO_PROXY (%s) does not cover %s by Go\'s rules '
                '(a name covers itself and its subdomains, an IP or CIDR covers IP hosts only, loopback is '
                'never proxied). A mirror or local registry behind the proxy fails or leaks pulls to it. Add '
                '%s to NO_PROXY (kubenode.pullfix.proxy_env writes the collection\'s own drop-in).' % (
                    unit, ep['host'], via, proxy['NO_PROXY'] or 'empty', ep['host'],
                    pfacts.no_proxy_entry(ep['host']))))
    _check_units_differ(ctx, runtime_units(ctx))


def _check_units_differ(ctx, used):
    if not used:
        return
    with_proxy = {}
    for unit in OTHER_UNITS:
        if not ctx.ev.unit(unit):
            continue
        env = unit_environment(ctx, unit)
        p = _proxy(env)
        with_proxy[unit] = (p, env)
    used_has = any(with_proxy.get(u, ({}, {}))[0].get('HTTPS_PROXY') or with_proxy.get(u, ({}, {}))[0].get('HTTP_PROXY')
                   for u in used)
    if used_has:
        return
    others = [u for u, (p, _env) in sorted(with_proxy.items())
              if u not in used and (p.get('HTTPS_PROXY') or p.get('HTTP_PROXY'))]
    if others:
        lines = [_cite(with_proxy[u][1], 'HTTPS_PROXY') or _cite(with_proxy[u][1], 'HTTP_PROXY') for u in others]
        ctx.findings.add('proxy-units-differ', [x for x in lines if x] + ['%s: no HTTP(S)_PROXY' % ', '.join(used)], (
            'A proxy is set for %s but not for %s, which pulls kubelet\'s images: pulls go direct. If the node '
            'needs the proxy, set it (with NO_PROXY for the mirrors) on %s; kubelet itself pulls nothing.' % (
                ', '.join(others), ', '.join(used), used[0])))
