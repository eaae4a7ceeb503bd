# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The systemd drop-ins of the cri_shim role: the shim after the runtime and the local registry
(with a bounded wait for both), kubelet after the shim. Written whole; kubenode.pullfix owns them."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ..owned import marker
from .....module_utils._evidence import WAIT_HELPER  # gathered by node_evidence
from ...systemd_unit import unit_file_problems

MARKER = marker('cri_shim')
SCRIPT_HEAD = '#!/usr/bin/env python3\n'

# A candidate drop-in is verified on a stand-in unit of the same name: systemd-analyze reads
# drop-ins from "<unit>.d" next to a unit file it is given, ahead of /etc and /lib. The stand-in
# keeps the vendor's unit (its binary may be missing, which is not this drop-in's fault) out of it.
VERIFY_SCRIPT = (
    'set -eu; d=$(mktemp -d); trap \'rm -rf "$d"\' EXIT; mkdir "$d/$2.d"; '
    'printf \'[Service]\\nExecStart=/bin/true\\n\' > "$d/$2"; cp "$1" "$d/$2.d/$3"; systemd-analyze verify "$d/$2"')


def verify_argv(unit, name):
    """validate argv for a candidate drop-in ``name`` of ``unit``."""
    return ['/bin/sh', '-c', VERIFY_SCRIPT, 'kubenode-pullfix-verify', '%s', unit, name]


def unit_file_problem(text, path):
    """``path:line: words`` for the first line systemd could not read as a unit file line, or None."""
    problems = unit_file_problems(text, path)
    return '%s:%d: %s' % (path, problems[0][0], problems[0][1]) if problems else None


def shim_dropin(runtime_unit, registry_unit, socket, registry_url, timeout, shim_socket):
    """The shim's drop-in: ordering, a bounded wait for the runtime socket and the registry before
    the shim starts, and one for the shim's own socket before the unit counts as started."""
    units = ' '.join(u for u in (runtime_unit, registry_unit) if u)
    wait = ['/usr/bin/env', 'python3', WAIT_HELPER, '--timeout', str(int(timeout)), '--socket', socket]
    if registry_url:
        wait += ['--registry', registry_url]
    lines = [MARKER,
             '# image-cri-shim dials its cri socket once at start and exits when it is not there yet;',
             '# order it after the runtime and the local registry and wait (bounded) until both answer.',
             '# Units ordered after it (kubelet) start once its own socket accepts connections.',
             '[Unit]',
             'After=%s' % units,
             'Wants=%s' % units,
             '',
             '[Service]',
             'ExecStartPre=%s' % ' '.join(wait),
             'ExecStartPost=%s' % ' '.join(['/usr/bin/env', 'python3', WAIT_HELPER, '--timeout', str(int(timeout)),
                                            '--socket', shim_socket]),
             '']
    return '\n'.join(lines)


def kubelet_dropin(shim_unit):
    return '\n'.join([
        MARKER,
        '# kubelet pulls through image-cri-shim: start it after the shim is up.',
        '[Unit]',
        'After=%s' % shim_unit,
        'Wants=%s' % shim_unit,
        ''])


WAIT_HELPER_TEXT = SCRIPT_HEAD + MARKER + '''
"""Wait (bounded) until a unix socket accepts connections and a registry answers /v2/.

Used by image-cri-shim.service (ExecStartPre, ExecStartPost). Exits 1 when the socket never
answered (the shim cannot work without it; systemd retries it), 0 otherwise; a registry that
does not answer in time is logged and tolerated (the shim sends pulls upstream then).
"""
import argparse
import http.client
import socket
import sys
import time
from urllib.parse import urlsplit


def socket_ready(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(1.0)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def registry_ready(url):
    parts = urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == 'https' else http.client.HTTPConnection
    conn = cls(parts.hostname, parts.port, timeout=2.0)
    try:
        conn.request('GET', parts.path.rstrip('/') + '/v2/')
        return conn.getresponse().status in (200, 401)
    except (OSError, ValueError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--socket', required=True)
    ap.add_argument('--registry')
    ap.add_argument('--timeout', type=float, default=60.0)
    args = ap.parse_args()
    deadline = time.monotonic() + args.timeout
    sock_ok = reg_ok = False
    while True:
        sock_ok = sock_ok or socket_ready(args.socket)
        reg_ok = reg_ok or not args.registry or registry_ready(args.registry)
        if (sock_ok and reg_ok) or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    if not reg_ok:
        print('wait-ready: registry %s did not answer /v2/ within %gs' % (args.registry, args.timeout), file=sys.stderr)
    if not sock_ok:
        print('wait-ready: %s did not accept connections within %gs' % (args.socket, args.timeout), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
'''
