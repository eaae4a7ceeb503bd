# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The system trust store Go programs (containerd, CRI-O, kubelet) load, and when they load it.

- Go reads the system roots once per process (src/crypto/x509/root.go, commit 0345ede8, line 18
  `once.Do(initSystemRoots)`); x509.SystemCertPool returns a clone of that pool ("New changes in
  the system cert pool might not be reflected in subsequent calls", cert_pool.go SystemCertPool).
  A CA added with update-ca-certificates / update-ca-trust after the runtime started is not used
  until the runtime restarts: pulls fail with `x509: certificate signed by unknown authority`.
- Linux files (src/crypto/x509/root_linux.go, commit 11e0a184, lines 8-15): the FIRST of these
  that can be read is used: /etc/ssl/certs/ca-certificates.crt (Debian/Ubuntu/Gentoo),
  /etc/pki/tls/certs/ca-bundle.crt (Fedora/RHEL 6), /etc/ssl/ca-bundle.pem (OpenSUSE),
  /etc/pki/tls/cacert.pem (OpenELEC), /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem
  (CentOS/RHEL 7), /etc/ssl/cert.pem (Alpine); then every file in /etc/ssl/certs and
  /etc/pki/tls/certs (lines 18-23) is added too. SSL_CERT_FILE / SSL_CERT_DIR in the process
  environment replace those lists (root_unix.go loadSystemRoots).
- containerd: without a `ca` in hosts.toml the TLS config has no RootCAs, so Go's once-loaded pool
  is used; with a `ca` it starts from x509.SystemCertPool() and appends the file, which it reads
  at each pull, as it reads hosts.toml (v2.3.4 core/remotes/docker/config/hosts.go 248-260, 315-316).
  A CA named in hosts.toml therefore needs no restart; one added to the system store does.
- CRI-O (containers/image v5.36.1): for each registry host it reads `*.crt` (CAs), `*.cert`/`*.key`
  (client pairs) from the first existing of $HOME/.config/containers/certs.d/<host:port>,
  /etc/containers/certs.d/<host:port>, /etc/docker/certs.d/<host:port> (docker/docker_client.go
  68-71, 149-185) at every new client, appended to x509.SystemCertPool()
  (pkg/tlsclientconfig/tlsclientconfig.go 20-54): a CA dropped there needs no restart either.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

CERT_FILES = (
    '/etc/ssl/certs/ca-certificates.crt',
    '/etc/pki/tls/certs/ca-bundle.crt',
    '/etc/ssl/ca-bundle.pem',
    '/etc/pki/tls/cacert.pem',
    '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
    '/etc/ssl/cert.pem',
)
CERT_DIRECTORIES = ('/etc/ssl/certs', '/etc/pki/tls/certs')
# Per-registry CA directories read at each pull (no restart): containerd's hosts.toml `ca`, and
# containers-image's certs.d (CRI-O, podman), in the order containers-image tries them.
CONTAINERS_CERTS_D = ('/etc/containers/certs.d', '/etc/docker/certs.d')
UNKNOWN_AUTHORITY = 'x509: certificate signed by unknown authority'


def paths():
    """Bundle files Go tries in order (the first readable one wins), then directories read whole."""
    return list(CERT_FILES) + list(CERT_DIRECTORIES)


def bundle_in_use(existing, env=None):
    """The bundle file Go loads on this node: SSL_CERT_FILE if set, else the first of CERT_FILES present."""
    env = env or {}
    if env.get('SSL_CERT_FILE'):
        return env['SSL_CERT_FILE']
    for path in CERT_FILES:
        if path in existing:
            return path
    return None


def changed_since_start(mtimes, started_at, env=None):
    """Trust-store files (bundle in use and files of the cert directories) modified after the
    runtime process started, newest first. ``mtimes``: {path: epoch seconds}; ``started_at``: epoch
    seconds of the runtime's start. An empty list means the runtime already holds the current store.
    """
    if started_at is None:
        return []
    bundle = bundle_in_use(mtimes, env)
    dirs = (env or {}).get('SSL_CERT_DIR')
    dirs = tuple(d for d in dirs.split(':') if d) if dirs else CERT_DIRECTORIES
    watched = [p for p in mtimes if p == bundle or any(p.startswith(d.rstrip('/') + '/') for d in dirs)]
    late = [p for p in watched if mtimes[p] > started_at]
    return sorted(late, key=lambda p: -mtimes[p])


def per_registry_ca_dirs(host_port, home='/root'):
    """Directories containers-image (CRI-O) reads a registry's *.crt from at every pull, in order."""
    return ['%s/.config/containers/certs.d/%s' % (home.rstrip('/'), host_port)] + [
        '%s/%s' % (d, host_port) for d in CONTAINERS_CERTS_D]
