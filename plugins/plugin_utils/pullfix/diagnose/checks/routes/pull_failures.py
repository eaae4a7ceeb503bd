# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of pull-progress-timeout, pull-tls-unknown-authority, pull-http-to-https, pull-unauthorized, pull-manifest-unknown,
pull-rate-limited, pull-connection-refused, pull-no-such-host, pull-timeout, pull-proxy-connect, pull-failed:
catalogue entries and user text, the check and the cases (see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import MANUAL, PROXY_ENV, case, finding
from . import STEP_TEXT, classify, failed_endpoint, failed_step, is_mirror
from ..pulls import duration_text, effective_progress_timeout
from ..pulls.credentials import cause_of_unauthorized

FINDINGS = {
    'pull-progress-timeout': finding(
        'error', 'A pull failed: containerd cancelled it because no bytes arrived within image_pull_progress_timeout',
        MANUAL, 'pull',
        applies_to='containerd 1.7.0+ (default 1m on 1.7.0-1.7.9, 5m on 1.7.10+ and 2.x); kubernetes#131521',
        causes=('containerd-pull-progress-timeout-short',),
        doc="""A verification pull was cancelled by containerd's CRI watchdog: no bytes arrived for `image_pull_progress_timeout` (its log \
says `cancel pulling image <ref> because of no progress in 1m0s`, PullImage answers `context canceled`). The explanation names the \
effective value and where it comes from. Next step: find the slow hop (mirror, proxy, upstream) on the route, or raise the timeout in the \
table the file's version reads (`"0"` turns the watchdog off).
""",
        error_text="""level=error msg="cancel pulling image docker.io/library/big:1 because of no progress in 1m0s"
PullImage "docker.io/library/big:1" failed: rpc error: code = Canceled desc = failed to pull and unpack image "docker.io/library/big:1": \
context canceled""",
        example="""docker.io/library/big:1: failed to pull and unpack image "docker.io/library/big:1": context canceled
failed step: timeout (the transfer stalled and the runtime cancelled the pull)"""),
    'pull-tls-unknown-authority': finding(
        'error', "A pull failed: the endpoint's certificate is signed by an unknown authority",
        MANUAL, 'pull',
        applies_to='containerd 1.6, 1.7, 2.x (the CRI PullImage error), any registry or mirror served over TLS',
        causes=('trust-store-changed-after-runtime-start',),
        doc="""A verification pull failed because the endpoint named in the error presented a certificate chain the runtime does not trust (a private \
CA, a self-signed certificate). The finding names the endpoint and, when it is on the route, the file and line that put it there. Next step: give \
that endpoint its CA with `ca = "/etc/containerd/certs.d/<dir>/ca.crt"` in its `[host]` table (`pullfix_registry_mirrors.<registry>.ca`); never \
`skip_verify` unless you mean it.
""",
        error_text="""failed to pull and unpack image "127.0.0.1:5443/pullfix/busybox:1": failed to resolve reference \
"127.0.0.1:5443/pullfix/busybox:1": failed to do request: Head "https://127.0.0.1:5443/v2/pullfix/busybox/manifests/1": tls: failed to verify \
certificate: x509: certificate signed by unknown authority""",
        example="""127.0.0.1:5443/pullfix/busybox:1: failed to pull and unpack image ...: tls: failed to verify certificate: x509: certificate signed \
by unknown authority
failed endpoint: https://127.0.0.1:5443/v2/pullfix/busybox/manifests/1"""),
    'pull-http-to-https': finding(
        'error', 'A pull failed: the endpoint gave an HTTP response to an HTTPS client',
        MANUAL, 'pull',
        applies_to='containerd 1.6, 1.7, 2.x; a hosts.toml URL without scheme, or with https://, for a plain-HTTP registry',
        doc="""The runtime spoke TLS to an endpoint that answers plain HTTP. A URL without scheme means https in hosts.toml and registries.yaml. Next \
step: write the endpoint with `http://` (`pullfix_registry_mirrors.<registry>.endpoints: [http://host:port]`).
""",
        error_text="""failed to pull and unpack image "127.0.0.1:5443/pullfix/busybox:1": failed to resolve reference \
"127.0.0.1:5443/pullfix/busybox:1": failed to do request: Head "https://127.0.0.1:5443/v2/pullfix/busybox/manifests/1": http: server gave HTTP \
response to HTTPS client""",
        example="""plain.example/pullfix/x:1: ... Head "https://127.0.0.1:5002/v2/pullfix/x/manifests/1": http: server gave HTTP response to HTTPS client
failed endpoint: https://127.0.0.1:5002/v2/pullfix/x/manifests/1"""),
    'pull-unauthorized': finding(
        'error', 'A pull failed: the endpoint answered unauthorized or denied',
        MANUAL, 'pull',
        applies_to='every runtime; registries with authentication (htpasswd, token), Docker Hub private or mistyped repositories',
        doc="""The endpoint answered 401/403 ("pull access denied", "unauthorized", "denied"). Docker Hub answers so for a repository that does not \
exist, too. Next step: check the repository name, then give credentials where they reach the endpoint that refused. For the \
registry itself: an imagePullSecret (or the node's credential provider). For a mirror (an endpoint of another name than the image's \
registry) kubelet's credentials never fit: containerd hands them only to the host their server address names, and reads \
`registry.configs."<mirror>".auth` only when kubelet sent none (containerd#10540); give the mirror static credentials, an \
`Authorization` header in its hosts.toml `[host."<mirror>".header]` (`pullfix_registry_mirrors.<registry>.headers`, written into a \
0600 hosts.toml). Where the failure happened (resolve, manifest, blob, credentials) is in the evidence.
""",
        error_text="""failed to pull and unpack image "127.0.0.1:5443/pullfix/busybox:1": failed to resolve reference \
"127.0.0.1:5443/pullfix/busybox:1": pulling from host 127.0.0.1:5443 failed with status code [manifests 1]: 401 Unauthorized""",
        example="""auth.example/pullfix/x:1: ... pulling from host 127.0.0.1:5444 failed with status code [manifests 1]: 401 Unauthorized
failed endpoint: 127.0.0.1:5444"""),
    'pull-manifest-unknown': finding(
        'error', 'A pull failed: no endpoint on the route has the manifest (tag or digest)',
        MANUAL, 'pull',
        applies_to='every runtime; containerd reports "<image>: not found" after every endpoint on the route answered 404',
        doc="""No endpoint on the route has the tag or digest: containerd tried each one in order and every one answered 404. The evidence lists the \
route that was tried. Next step: correct the tag, push it to the mirror, or keep the fallback to the upstream (`fallback: true`).
""",
        error_text="""failed to pull and unpack image "127.0.0.1:5443/pullfix/busybox:1": failed to resolve reference \
"127.0.0.1:5443/pullfix/busybox:1": 127.0.0.1:5443/pullfix/busybox:1: not found""",
        example="""docker.io/library/hit:nope: ... docker.io/library/hit:nope: not found
route: http://127.0.0.1:5000/v2 -> http://127.0.0.1:5002/v2 -> http://127.0.0.1:5001/v2"""),
    'pull-rate-limited': finding(
        'error', 'A pull failed: the endpoint answered 429 Too Many Requests',
        MANUAL, 'pull',
        applies_to='every runtime; Docker Hub anonymous and free-tier limits, any registry that throttles',
        doc="""The endpoint answered 429 Too Many Requests. Next step: put a mirror in front of the registry \
(`pullfix_registry_mirrors.<registry>.endpoints`) or authenticate.
""",
        error_text="""failed to pull and unpack image "docker.io/library/nginx:1.27": failed to copy: httpReadSeeker: failed open: unexpected status \
code https://registry-1.docker.io/v2/library/nginx/manifests/sha256:0123: 429 Too Many Requests - Server message: toomanyrequests: You have reached \
your pull rate limit.""",
        example='docker.io/library/nginx:1.27: ... 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit.'),
    'pull-connection-refused': finding(
        'error', 'A pull failed: the endpoint refused the connection',
        MANUAL, 'pull',
        applies_to='every runtime; an endpoint whose port has nothing listening',
        doc="""Nothing listens at the endpoint named (wrong port, registry stopped). Next step: start the registry there, correct the port, or take \
the endpoint off the route.
""",
        error_text="""failed to pull and unpack image "127.0.0.1:5443/pullfix/busybox:1": failed to resolve reference \
"127.0.0.1:5443/pullfix/busybox:1": failed to do request: Head "https://127.0.0.1:5443/v2/pullfix/busybox/manifests/1": dial tcp 127.0.0.1:5443: \
connect: connection refused""",
        example="""closed.example/pullfix/x:1: ... dial tcp 127.0.0.1:5999: connect: connection refused
failed endpoint: http://127.0.0.1:5999/v2/pullfix/x/manifests/1"""),
    'pull-no-such-host': finding(
        'error', "A pull failed: the endpoint's host name does not resolve",
        MANUAL, 'pull',
        applies_to='every runtime; a registry or mirror name the node cannot resolve',
        doc="""The host name of the endpoint does not resolve on the node. Next step: fix the name or the node's DNS, or use a mirror the node can resolve.
""",
        error_text="""failed to pull and unpack image "registry.invalid/x:1": failed to resolve reference "registry.invalid/x:1": failed to do \
request: Head "https://registry.invalid/v2/x/manifests/1": dial tcp: lookup registry.invalid on 10.96.0.10:53: no such host""",
        example='registry.invalid/x:1: ... dial tcp: lookup registry.invalid on 10.96.0.10:53: no such host'),
    'pull-timeout': finding(
        'error', 'A pull failed: the endpoint did not answer in time (i/o timeout)',
        MANUAL, 'pull',
        applies_to='every runtime; a firewall, a route or a proxy that swallows packets',
        doc="""The endpoint did not answer in time (i/o timeout, TLS handshake timeout). Next step: open the path from the node, or add a mirror the \
node can reach; `dial_timeout` in hosts.toml (2.0.7+) shortens the wait before the next endpoint.
""",
        error_text="""failed to pull and unpack image "10.0.0.1/x:1": failed to resolve reference "10.0.0.1/x:1": failed to do request: Head \
"https://10.0.0.1/v2/x/manifests/1": dial tcp 10.0.0.1:443: i/o timeout""",
        example='10.0.0.1/x:1: ... dial tcp 10.0.0.1:443: i/o timeout'),
    'pull-proxy-connect': finding(
        'error', 'A pull failed: the runtime could not connect through its HTTP(S) proxy',
        PROXY_ENV, 'pull',
        applies_to='every Go runtime (containerd, k3s, RKE2, CRI-O) with HTTP_PROXY/HTTPS_PROXY in its unit',
        causes=('proxy-no-proxy-missing',),
        doc="""The runtime sent the request to its proxy (from `Environment=`/`EnvironmentFile=` of its unit) and could not connect through it. \
Usually the endpoint should not go through the proxy at all: a mirror or local registry missing from NO_PROXY (then `proxy-no-proxy-missing` is the \
cause, and `kubenode.pullfix.proxy_env` fixes it). Go never proxies loopback, so only non-loopback endpoints show this.
""",
        error_text="""failed to pull and unpack image "docker.io/library/busybox:1": failed to resolve reference "docker.io/library/busybox:1": \
failed to do request: Head "http://192.0.2.10:5000/v2/library/busybox/manifests/1?ns=docker.io": proxyconnect tcp: dial tcp 127.0.0.1:3128: connect: \
connection refused""",
        example="""proxied.example/pullfix/px:1: ... Head "http://192.0.2.10:5005/v2/pullfix/px/manifests/1?ns=proxied.example": proxyconnect tcp: \
dial tcp 127.0.0.1:3128: connect: connection refused"""),
    'pull-failed': finding(
        'error', 'A pull failed for a reason the doctor does not classify',
        MANUAL, 'pull',
        applies_to='every runtime',
        doc="""A verification pull failed with an answer none of the classes above matches (an unpack or snapshotter error, for example). The full \
message is the evidence.
""",
        error_text="""failed to pull and unpack image "127.0.0.1:5443/pullfix/busybox:1": failed to extract layer sha256:00: mount callback failed: \
read-only file system""",
        example="""127.0.0.1:5443/pullfix/busybox:1: failed to pull and unpack image ...: failed to extract layer sha256:00: mount callback failed: \
read-only file system"""),
}

_IMG = '127.0.0.1:5443/pullfix/busybox:1'
# PullImage messages of containerd 1.6/1.7/2.1 (grpc-message), one per class: (image, message).
EXAMPLE_ERRORS = {
    'pull-progress-timeout': ('docker.io/library/big:1', 'failed to pull and unpack image "docker.io/library/big:1": context canceled'),
    'pull-tls-unknown-authority': (_IMG, 'failed to pull and unpack image "%s": failed to resolve reference "%s": failed to do '
                                         'request: Head "https://127.0.0.1:5443/v2/pullfix/busybox/manifests/1": tls: failed to '
                                         'verify certificate: x509: certificate signed by unknown authority' % (_IMG, _IMG)),
    'pull-http-to-https': (_IMG, 'failed to pull and unpack image "%s": failed to resolve reference "%s": failed to do request: '
                                 'Head "https://127.0.0.1:5443/v2/pullfix/busybox/manifests/1": http: server gave HTTP response '
                                 'to HTTPS client' % (_IMG, _IMG)),
    'pull-unauthorized': (_IMG, 'failed to pull and unpack image "%s": failed to resolve reference "%s": pulling from host '
                                '127.0.0.1:5443 failed with status code [manifests 1]: 401 Unauthorized' % (_IMG, _IMG)),
    'pull-manifest-unknown': (_IMG, 'failed to pull and unpack image "%s": failed to resolve reference "%s": %s: not found' % (
        _IMG, _IMG, _IMG)),
    'pull-rate-limited': ('docker.io/library/nginx:1.27',
                          'failed to pull and unpack image "docker.io/library/nginx:1.27": failed to copy: httpReadSeeker: '
                          'failed open: unexpected status code https://registry-1.docker.io/v2/library/nginx/manifests/'
                          'sha256:0123: 429 Too Many Requests - Server message: toomanyrequests: You have reached your '
                          'pull rate limit.'),
    'pull-connection-refused': (_IMG, 'failed to pull and unpack image "%s": failed to resolve reference "%s": failed to do '
                                      'request: Head "https://127.0.0.1:5443/v2/pullfix/busybox/manifests/1": dial tcp '
                                      '127.0.0.1:5443: connect: connection refused' % (_IMG, _IMG)),
    'pull-no-such-host': ('registry.invalid/x:1',
                          'failed to pull and unpack image "registry.invalid/x:1": failed to resolve reference '
                          '"registry.invalid/x:1": failed to do request: Head "https://registry.invalid/v2/x/manifests/1": '
                          'dial tcp: lookup registry.invalid on 10.96.0.10:53: no such host'),
    'pull-timeout': ('10.0.0.1/x:1',
                     'failed to pull and unpack image "10.0.0.1/x:1": failed to resolve reference "10.0.0.1/x:1": failed '
                     'to do request: Head "https://10.0.0.1/v2/x/manifests/1": dial tcp 10.0.0.1:443: i/o timeout'),
    'pull-proxy-connect': ('docker.io/library/busybox:1',
                           'failed to pull and unpack image "docker.io/library/busybox:1": failed to resolve reference '
                           '"docker.io/library/busybox:1": failed to do request: Head "http://192.0.2.10:5000/v2/library/'
                           'busybox/manifests/1?ns=docker.io": proxyconnect tcp: dial tcp 127.0.0.1:3128: connect: '
                           'connection refused'),
    'pull-failed': (_IMG, 'failed to pull and unpack image "%s": failed to extract layer sha256:00: mount callback failed: '
                          'read-only file system' % _IMG),
}


def example_verify(image, error=None):
    """node_evidence's verification result for one pull of ``image`` (failed with ``error``)."""
    return {'endpoint': 'unix:///run/containerd/containerd.sock',
            'results': [{'image': image, 'ok': error is None, 'error': error, 'error_kind': 'grpc' if error else None,
                         'grpc_status': 2 if error else None, 'image_ref': None if error else 'sha256:00'}]}


# Positive and near-miss cases: the same pull, failed with the class's message and succeeded.
def _version(fid):
    """The progress watchdog exists from containerd 1.7.0: its class is shown on a 1.7 node."""
    if fid != 'pull-progress-timeout':
        return None
    return lambda ev, h: h.set_containerd_version(ev, '1.7.24')


CASES = dict((fid, (case(_version(fid), {'verify_images': [image], '_verify': example_verify(image, message)}),
                    case(_version(fid), {'verify_images': [image], '_verify': example_verify(image)})))
             for fid, (image, message) in EXAMPLE_ERRORS.items())


def _mirror_credentials_step(host, at, reg, ctx):
    return ('The mirror %s%s refused the request (401/403). kubelet\'s credentials (imagePullSecret, credential provider, '
            'config.json) are keyed by %s, and containerd does not give them to a mirror of another name, nor read '
            'registry.configs."%s".auth when kubelet sent some. Give the mirror static credentials: an Authorization header in '
            'its hosts.toml [host."<mirror url>".header] (pullfix_registry_mirrors.%s.headers, written into a 0600 file), or '
            'registry.configs."%s".auth in the table the config version reads (used only when kubelet sends none).' % (
                host, at, reg, host, reg, host))


def _timeout_step(ctx, host, at):
    seconds, source, _problem = effective_progress_timeout(ctx)
    if seconds is None:
        return ('The pull was cancelled, and not by a progress watchdog: %s. The caller gave up: kubelet\'s '
                '--runtime-request-timeout (2m by default), or the deadline of the verification pull. Find the slow hop on '
                'the route (mirror, proxy, the upstream).' % source)
    return ('containerd cancelled the pull: no bytes arrived within image_pull_progress_timeout = %s (%s)%s. Find the slow '
            'hop on the route (mirror, proxy, the upstream), or raise the timeout in the table the file\'s version reads '
            '("0" turns it off).' % (duration_text(seconds), source, ' while pulling from %s%s' % (host, at) if host else ''))


def _next_step(fid, host, route, ctx, step=None):
    reg = (route or {}).get('registry') or 'the registry'
    where = None
    for ep in (route or {}).get('endpoints') or ():
        if host and ep.get('host') == host:
            where = ep.get('from')
            break
    at = ' (on the route from %s)' % where if where else ''
    tried = ', '.join(ep['url'] for ep in (route or {}).get('endpoints') or ()) or 'the registry'
    if fid == 'pull-unauthorized' and step != 'credentials' and is_mirror(route, host):
        return _mirror_credentials_step(host, at, reg, ctx)
    if fid == 'pull-progress-timeout':
        return _timeout_step(ctx, host, at)
    steps = {
        'pull-tls-unknown-authority': 'The endpoint %s%s presents a certificate the runtime does not trust. Set its CA: '
                                      'ca = "/etc/containerd/certs.d/<dir>/ca.crt" in its [host] table '
                                      '(pullfix_registry_mirrors.%s.ca), never skip_verify.' % (host, at, reg),
        'pull-http-to-https': 'The endpoint %s%s speaks plain http but was asked for https. Write its URL with '
                              'http:// in hosts.toml (pullfix_registry_mirrors.%s.endpoints: http://%s).' % (
                                  host, at, reg, host),
        'pull-unauthorized': 'The endpoint %s%s refused the request without credentials (401/403) or the '
                             'repository does not exist there. Check the repository name, then give credentials for %s: '
                             'an imagePullSecret or the node\'s credential provider.' % (host, at, reg),
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
    text = steps.get(fid, steps['pull-failed'])
    if step == 'unpack' and fid == 'pull-failed':
        text = ('The registry answered; unpacking a layer failed on the node (snapshotter, disk space, a read-only or '
                'full filesystem under containerd\'s root). See the runtime\'s log for the layer.')
    elif step == 'blob' and fid in ('pull-timeout', 'pull-connection-refused', 'pull-failed'):
        text += (' The tag resolved, so the blob host (often a redirect to a CDN or storage bucket) is what the node '
                 'cannot reach.')
    elif step == 'credentials' and fid == 'pull-unauthorized':
        text = ('Getting a token from %s%s failed: the credentials sent were refused, or the token service is not reachable. '
                'Check the imagePullSecret (or the mirror\'s Authorization header) for %s.' % (host, at, reg))
    return text


def check_pull_failures(ctx, verify, routes, models=None):
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
        step = failed_step(message)
        evidence = ['%s: %s' % (image, message)]
        if url or host:
            evidence.append('failed endpoint: %s' % (url or host))
        else:
            # containerd did not name it (e.g. "no basic auth credentials"): the route's only host did answer
            hosts = sorted(set(ep['host'] for ep in (route or {}).get('endpoints') or ()))
            if len(hosts) == 1 and fid != 'pull-manifest-unknown':
                host = hosts[0]
                evidence.append('failed endpoint: %s (the only one on the route)' % host)
        if step:
            evidence.append('failed step: %s (%s)' % (step, STEP_TEXT[step]))
        if route and route.get('endpoints'):
            evidence.append('route: %s' % ' -> '.join(ep['url'] for ep in route['endpoints']))
        where = ' at %s' % host if host else ''
        during = ' while %s' % STEP_TEXT[step] if step and step != 'timeout' else ''
        cause = cause_of_unauthorized(ctx, models, host) if fid == 'pull-unauthorized' and host and models else None
        ctx.findings.add(fid, evidence, 'Pulling %s failed%s%s: %s' % (image, where, during, _next_step(fid, host, route, ctx, step)),
                         caused_by=cause)


def check(ctx, models):
    check_pull_failures(ctx, models.verify, models.runtime_routes, models)
