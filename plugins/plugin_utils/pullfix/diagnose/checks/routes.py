# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The route of every verified and explained image, and what a failed verification pull says."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ... import route as routing
from ...evidence import parse_version
from ...facts import containerd as cfacts
from ...facts import k3s as kfacts
from .. import runtime as rt_detect
from . import containerd as checks_containerd
from . import registries as checks_registries


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
    for path in checks_containerd.config_files(ctx):
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
        out = [routing.containers_route(ctx, image, checks_registries.ordered_files(ctx.ev), label.strip())
               for image in wanted]
    if ctx.settings.get('explain_podman') and name != 'crio':
        out.extend(routing.containers_route(ctx, image, checks_registries.ordered_files(ctx.ev), 'podman')
                   for image in wanted)
    return out


def of_runtime(routes):
    """The routes of the runtime kubelet pulls through (without the podman routes shown beside them)."""
    return [r for r in routes or () if r.get('runtime') != 'podman']


# ---------------------------------------------------------------- the registry's own answer
# Error texts containerd's CRI returns from PullImage (grpc-message), most specific first. Each
# class has its finding id and the next step. Texts: Go net/http, crypto/x509, containerd
# remotes/docker (resolver.go, authorizer.go) as seen in the explain Molecule scenario.
PULL_CLASSES = (
    ('pull-proxy-connect', re.compile(r'proxyconnect tcp|proxy ?connect|Proxy Authentication Required', re.I)),
    ('pull-tls-unknown-authority', re.compile(
        r'x509: certificate signed by unknown authority|certificate is not trusted|'
        r'x509: certificate is valid for|x509: .*certificate', re.I)),
    ('pull-http-to-https', re.compile(r'server gave HTTP response to HTTPS client', re.I)),
    ('pull-rate-limited', re.compile(r'429 Too Many Requests|toomanyrequests|too many requests', re.I)),
    ('pull-unauthorized', re.compile(
        r'401 Unauthorized|403 Forbidden|pull access denied|unauthorized|denied:|authorization failed|'
        r'no basic auth credentials|failed to authorize', re.I)),
    # "dial tcp: lookup <name> on <dns>: ..." is a name that did not resolve, whatever the DNS answered
    ('pull-no-such-host', re.compile(r'no such host|server misbehaving|Temporary failure in name resolution|'
                                     r'dial tcp: lookup ', re.I)),
    ('pull-connection-refused', re.compile(r'connect: connection refused', re.I)),
    ('pull-timeout', re.compile(r'i/o timeout|TLS handshake timeout|context deadline exceeded|'
                                r'Client\.Timeout exceeded|network is unreachable|no route to host', re.I)),
    ('pull-manifest-unknown', re.compile(r'manifest unknown|: not found$|: not found\b|404 Not Found', re.I)),
)

_URL_RE = re.compile(r'(?:Head|Get|Post|HEAD|GET|request to) "?(https?://[^\s"]+)"?')
_HOST_RE = re.compile(r'pulling from host (\S+) failed|dial tcp (?:lookup )?([^\s:]+(?::\d+)?)(?::| )')


def classify(message):
    """The finding id of a failed pull's message, or 'pull-failed' when no class fits."""
    text = str(message or '')
    for fid, rx in PULL_CLASSES:
        if rx.search(text):
            return fid
    return 'pull-failed'


def failed_endpoint(message):
    """(url or None, host[:port] or None) of the request a pull error names."""
    text = str(message or '')
    m = _URL_RE.search(text)
    if m:
        url = m.group(1).rstrip('",')
        host = url.split('://', 1)[1].split('/', 1)[0]
        return url, host
    if 'proxyconnect' in text:
        return None, None
    m = _HOST_RE.search(text)
    if m:
        return None, m.group(1) or m.group(2)
    return None, None


def _next_step(fid, host, route, ctx):
    reg = (route or {}).get('registry') or 'the registry'
    where = None
    for ep in (route or {}).get('endpoints') or ():
        if host and ep.get('host') == host:
            where = ep.get('from')
            break
    at = ' (on the route from %s)' % where if where else ''
    tried = ', '.join(ep['url'] for ep in (route or {}).get('endpoints') or ()) or 'the registry'
    steps = {
        'pull-tls-unknown-authority': 'The endpoint %s%s presents a certificate the runtime does not trust. Set its CA: '
                                      'ca = "/etc/containerd/certs.d/<dir>/ca.crt" in its [host] table '
                                      '(pullfix_registry_mirrors.%s.ca), never skip_verify.' % (host, at, reg),
        'pull-http-to-https': 'The endpoint %s%s speaks plain http but was asked for https. Write its URL with '
                              'http:// in hosts.toml (pullfix_registry_mirrors.%s.endpoints: http://%s).' % (
                                  host, at, reg, host),
        'pull-unauthorized': 'The endpoint %s%s refused the request without credentials (401/403) or the '
                             'repository does not exist there. Give credentials: an imagePullSecret, or an '
                             'Authorization header (pullfix_registry_mirrors.%s.headers, kept 0600).' % (host, at, reg),
        'pull-manifest-unknown': 'No endpoint tried (%s) has %s. Push the tag to the mirror, correct the tag, or '
                                 'keep fallback to the upstream (pullfix_registry_mirrors.%s.fallback: true).' % (
                                     tried, (route or {}).get('name') or 'the image', reg),
        'pull-rate-limited': 'The endpoint %s%s answered 429 Too Many Requests. Add a mirror in front of it '
                             '(pullfix_registry_mirrors.%s.endpoints) or authenticate.' % (host, at, reg),
        'pull-connection-refused': 'Nothing listens at %s%s. Start the registry there, correct the port, or '
                                   'remove the endpoint from the route.' % (host, at),
        'pull-no-such-host': 'The name of %s%s does not resolve on the node. Fix the host name or DNS, or use a '
                             'mirror the node can resolve.' % (host, at),
        'pull-timeout': 'The endpoint %s%s did not answer in time (firewall, routing, or a proxy). Open the '
                        'path, or add a mirror the node can reach.' % (host, at),
        'pull-proxy-connect': 'The runtime sent the request to its HTTP(S) proxy, which did not answer. Fix '
                              'HTTPS_PROXY in the runtime\'s unit, or add the endpoint to NO_PROXY '
                              '(kubenode.pullfix.proxy_env).',
        'pull-failed': 'See the runtime\'s log for the request that failed.',
    }
    return steps.get(fid, steps['pull-failed'])


def check_pull_failures(ctx, verify, routes):
    """A finding for every failed verification pull, one id per class of the registry's answer."""
    by_image = dict((r.get('image'), r) for r in routes or ())
    for result in (verify or {}).get('results') or ():
        if result.get('ok') or not result.get('error'):
            continue
        kind = result.get('error_kind')
        if kind and kind not in ('grpc', 'runtime', None):
            continue  # the CRI endpoint itself failed: the endpoint checks explain it
        message = str(result['error'])
        fid = classify(message)
        url, host = failed_endpoint(message)
        image = result.get('image')
        route = by_image.get(image)
        if route is None:
            route = next((r for r in routes or () if r.get('name') and image and r['name'].endswith(image)), None)
        evidence = ['%s: %s' % (image, message)]
        if url or host:
            evidence.append('failed endpoint: %s' % (url or host))
        else:
            # containerd did not name it (e.g. "no basic auth credentials"): the route's only host did answer
            hosts = sorted(set(ep['host'] for ep in (route or {}).get('endpoints') or ()))
            if len(hosts) == 1 and fid != 'pull-manifest-unknown':
                host = hosts[0]
                evidence.append('failed endpoint: %s (the only one on the route)' % host)
        if route and route.get('endpoints'):
            evidence.append('route: %s' % ' -> '.join(ep['url'] for ep in route['endpoints']))
        ctx.findings.add(fid, evidence, 'Pulling %s failed: %s' % (image, _next_step(fid, host, route, ctx)))


def carry_unverified(previous, current, verify):
    """Earlier pull findings whose images were not pulled again: still open, not fixed.

    A re-diagnosis after a fix pulls only the images it was asked to; a failure of another image
    is not known to be gone."""
    pulled = set(r.get('image') for r in (verify or {}).get('results') or ())
    now = set(f['id'] for f in current)
    out = list(current)
    for f in previous or ():
        if f.get('fixed') or f['id'] in now or f['id'] not in PULL_IDS:
            continue
        images = set(line.split(': ', 1)[0] for line in f.get('evidence') or () if ': ' in line)
        if images and not images & pulled:
            out.append(dict(f))
    return out


PULL_IDS = frozenset(fid for fid, _rx in PULL_CLASSES) | frozenset(['pull-failed'])
