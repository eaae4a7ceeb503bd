# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Explain: the registry's own answer and proxies in the way: the finding modules of this area, and what they share."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import shlex

from ....facts import containerd as cfacts, proxy as pfacts

TITLE = "Explain: the registry's own answer and proxies in the way"
RANK = 101


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


def proxy_of(env):
    return dict((k, pfacts.lookup(dict((n, v[0]) for n, v in env.items()), k)) for k in pfacts.VARIABLES)


def env_cite(env, name):
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
        proxy = proxy_of(env)
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
