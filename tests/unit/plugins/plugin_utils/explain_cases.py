# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Positive and negative cases of the explain findings (pull failure classes, proxies)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from pullfix_helpers import load, with_file, with_unit

IMG = '127.0.0.1:5443/pullfix/busybox:1'
# PullImage messages of containerd 1.6/1.7/2.1 (grpc-message), one per class.
ERRORS = {
    'pull-tls-unknown-authority': 'failed to pull and unpack image "%s": failed to resolve reference "%s": failed to do '
                                  'request: Head "https://127.0.0.1:5443/v2/pullfix/busybox/manifests/1": tls: failed to '
                                  'verify certificate: x509: certificate signed by unknown authority' % (IMG, IMG),
    'pull-http-to-https': 'failed to pull and unpack image "%s": failed to resolve reference "%s": failed to do request: '
                          'Head "https://127.0.0.1:5443/v2/pullfix/busybox/manifests/1": http: server gave HTTP response '
                          'to HTTPS client' % (IMG, IMG),
    'pull-unauthorized': 'failed to pull and unpack image "%s": failed to resolve reference "%s": pulling from host '
                         '127.0.0.1:5443 failed with status code [manifests 1]: 401 Unauthorized' % (IMG, IMG),
    'pull-manifest-unknown': 'failed to pull and unpack image "%s": failed to resolve reference "%s": %s: not found' % (
        IMG, IMG, IMG),
    'pull-rate-limited': 'failed to pull and unpack image "docker.io/library/nginx:1.27": failed to copy: httpReadSeeker: '
                         'failed open: unexpected status code https://registry-1.docker.io/v2/library/nginx/manifests/'
                         'sha256:0123: 429 Too Many Requests - Server message: toomanyrequests: You have reached your '
                         'pull rate limit.',
    'pull-connection-refused': 'failed to pull and unpack image "%s": failed to resolve reference "%s": failed to do '
                               'request: Head "https://127.0.0.1:5443/v2/pullfix/busybox/manifests/1": dial tcp '
                               '127.0.0.1:5443: connect: connection refused' % (IMG, IMG),
    'pull-no-such-host': 'failed to pull and unpack image "registry.invalid/x:1": failed to resolve reference '
                         '"registry.invalid/x:1": failed to do request: Head "https://registry.invalid/v2/x/manifests/1": '
                         'dial tcp: lookup registry.invalid on 10.96.0.10:53: no such host',
    'pull-timeout': 'failed to pull and unpack image "10.0.0.1/x:1": failed to resolve reference "10.0.0.1/x:1": failed '
                    'to do request: Head "https://10.0.0.1/v2/x/manifests/1": dial tcp 10.0.0.1:443: i/o timeout',
    'pull-proxy-connect': 'failed to pull and unpack image "docker.io/library/busybox:1": failed to resolve reference '
                          '"docker.io/library/busybox:1": failed to do request: Head "http://192.0.2.10:5000/v2/library/'
                          'busybox/manifests/1?ns=docker.io": proxyconnect tcp: dial tcp 127.0.0.1:3128: connect: '
                          'connection refused',
    'pull-failed': 'failed to pull and unpack image "%s": failed to extract layer sha256:00: mount callback failed: '
                   'read-only file system' % IMG,
}


def verify(image, error=None):
    return {'endpoint': 'unix:///run/containerd/containerd.sock',
            'results': [{'image': image, 'ok': error is None, 'error': error, 'error_kind': 'grpc' if error else None,
                         'grpc_status': 2 if error else None, 'image_ref': None if error else 'sha256:00'}]}


def _pull_case(fid):
    image = IMG if fid not in ('pull-rate-limited', 'pull-no-such-host', 'pull-timeout', 'pull-proxy-connect') else \
        {'pull-rate-limited': 'docker.io/library/nginx:1.27', 'pull-no-such-host': 'registry.invalid/x:1',
         'pull-timeout': '10.0.0.1/x:1', 'pull-proxy-connect': 'docker.io/library/busybox:1'}[fid]

    def pos():
        return load(), {'verify_images': [image], '_verify': verify(image, ERRORS[fid])}

    def neg():
        return load(), {'verify_images': [image], '_verify': verify(image)}
    return pos, neg


MIRROR_HOSTS = ('server = "https://registry-1.docker.io"\n\n[host."http://192.0.2.10:5000"]\n'
                '  capabilities = ["pull", "resolve"]\n')
PROXY_DROPIN = '/etc/systemd/system/containerd.service.d/http-proxy.conf'


def proxied(ev, no_proxy=None, unit='containerd.service'):
    text = '[Service]\nEnvironment="HTTP_PROXY=http://127.0.0.1:3128" "HTTPS_PROXY=http://127.0.0.1:3128"\n'
    if no_proxy is not None:
        text += 'Environment="NO_PROXY=%s"\n' % no_proxy
    path = PROXY_DROPIN.replace('containerd.service', unit)
    with_file(ev, path, text, 'unit-file')
    ev['systemd']['units'][unit]['DropInPaths'] = [path]
    with_file(ev, '/etc/containerd/certs.d/docker.io/hosts.toml', MIRROR_HOSTS, 'certs-d')
    return ev


def _proxy_case(no_proxy):
    def build():
        return proxied(load(), no_proxy), {'verify_images': ['busybox:1']}
    return build


def _units_differ(proxy_on_runtime):
    def build():
        ev = load()
        proxied(ev, '192.0.2.10', unit='kubelet.service')
        if proxy_on_runtime:
            proxied(ev, '192.0.2.10')
        return ev, {'verify_images': ['busybox:1']}
    return build


EXPLAIN_CASES = dict((fid, _pull_case(fid)) for fid in ERRORS)
EXPLAIN_CASES['proxy-no-proxy-missing'] = (_proxy_case(None), _proxy_case('localhost,192.0.2.0/24'))
EXPLAIN_CASES['proxy-units-differ'] = (_units_differ(False), _units_differ(True))
__all__ = ['EXPLAIN_CASES', 'ERRORS', 'verify', 'proxied', 'with_unit']
