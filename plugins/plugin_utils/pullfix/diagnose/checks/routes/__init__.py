# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Explain: the registry's own answer and proxies in the way: the finding modules of this area, and what they share."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ...models.routes import build, images, of_runtime

TITLE = "Explain: the registry's own answer and proxies in the way"
RANK = 100
# build and of_runtime live with the other models; callers of this area find them here too.
__all__ = ['build', 'carry_unverified', 'classify', 'failed_endpoint', 'failed_step', 'images', 'is_mirror', 'of_runtime',
           'PULL_CLASSES', 'PULL_IDS']
INTRO = """A failed verification pull becomes one finding per class of the registry's answer, naming the endpoint that failed and the next step; see \
[explain.md](explain.md).
"""


# ---------------------------------------------------------------- the registry's own answer
# Error texts containerd's CRI returns from PullImage (grpc-message), most specific first. Each
# class has its finding id and the next step. Texts: Go net/http, crypto/x509, containerd
# remotes/docker (resolver.go, authorizer.go) as seen in the explain Molecule scenario.
PULL_CLASSES = (
    # containerd's CRI watchdog: "cancel pulling image <ref> because of no progress in 1m0s" in its log, the
    # PullImage answer "... failed to pull and unpack image ...: context canceled" (kubernetes#131521)
    ('pull-progress-timeout', re.compile(r'because of no progress|context canceled', re.I)),
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


# Where in a pull the request failed, in the order containerd makes them (remotes/docker resolver.go,
# fetcher.go, authorizer.go; the CRI image_pull.go unpack): (step, pattern), first match wins.
PULL_STEPS = (
    ('timeout', re.compile(r'because of no progress|context canceled', re.I)),
    ('credentials', re.compile(r'no basic auth credentials|failed to authorize|failed to fetch (?:oauth|anonymous) token|'
                               r'fetch(?:ing)? (?:oauth|anonymous) token|/token\b|/oauth2?/', re.I)),
    ('unpack', re.compile(r'failed to (?:extract|unpack|apply) layer|failed to unpack|mount callback failed|'
                          r'snapshotter|apply layer error|failed to prepare extraction', re.I)),
    ('blob', re.compile(r'/blobs/|failed to copy|httpReadSeeker|failed commit on ref "layer-|'
                        r'failed commit on ref "config-|unexpected EOF', re.I)),
    ('manifest', re.compile(r'/manifests/sha256:|failed commit on ref "(?:manifest|index)-|'
                            r'manifest unknown|failed to fetch manifest', re.I)),
    ('resolve', re.compile(r'failed to resolve reference|/manifests/|pulling from host .* \[manifests ', re.I)),
)

STEP_TEXT = {
    'timeout': 'the transfer stalled and the runtime cancelled the pull',
    'credentials': 'getting a token or credentials for the registry',
    'unpack': 'unpacking a downloaded layer into the snapshotter, after the registry answered',
    'blob': 'downloading a layer or config blob, after the manifest resolved',
    'manifest': 'fetching the manifest by digest, after the tag resolved',
    'resolve': 'resolving the tag, a HEAD or GET of the manifest',
}


def failed_step(message):
    """The step of a pull a failure message names (timeout, credentials, unpack, blob, manifest,
    resolve), or None when the message does not say."""
    text = str(message or '')
    for step, rx in PULL_STEPS:
        if rx.search(text):
            return step
    return None


def is_mirror(route, host):
    """True when ``host`` on ``route`` is not the image's registry itself (a mirror or another server):
    kubelet's credentials are keyed by the image's registry, so they are not meant for it."""
    registry = (route or {}).get('registry')
    if not registry or not host:
        return False
    upstream = set([registry])
    if registry == 'docker.io':
        upstream.update(('registry-1.docker.io', 'index.docker.io'))
    return host not in upstream


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
