# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# (prepare.yml builds it with molecule/shared/grpc_standin.py and installs it as /usr/bin/image-cri-shim)
"""STAND-IN for Sealos image-cri-shim (test fixture of the cri_shim Molecule scenario).

The real image-cri-shim cannot be installed on the offline test nodes. This stand-in behaves the
way the tests need it to, and no further:

- same unit (image-cri-shim.service), config file (/etc/image-cri-shim.yaml: ``shim``, ``cri``)
  and socket (/var/run/image-cri-shim.sock, mode 0660);
- like the real shim (pkg/shim Setup), it dials its ``cri`` socket once at start and exits with
  an error when that socket is missing or refuses: systemd's Restart= then decides what happens;
- it serves gRPC over HTTP/2 cleartext (molecule/shared/grpc_standin.py, the server side the
  stand-ins share) and forwards runtime.v1.ImageService calls unchanged to
  the ``cri`` socket; any other service gets UNIMPLEMENTED ("unknown service ..."), as kubelet
  sees it when its runtime endpoint is the shim;
- it does NOT rewrite image references to the local registry, has no auth, cache or reload, and
  ignores HTTP/2 flow control for its own replies (CRI image replies are small).

The CRI client it forwards with is the collection's own (plugins/module_utils/_cri.py), copied
next to it by the scenario's prepare step.
"""

import os
import socket
import sys

import grpc_standin

sys.path.insert(0, '/usr/local/lib/pullfix-shim-standin')

from ansible_collections.kubenode.pullfix.plugins.module_utils import _cri  # noqa: E402
from ansible_collections.kubenode.pullfix.plugins.module_utils._hpack import Decoder  # noqa: E402

CONFIG = '/etc/image-cri-shim.yaml'
IMAGE_PREFIX = '/runtime.v1.ImageService/'


def log(text):
    sys.stderr.write(text + '\n')
    sys.stderr.flush()


def read_config(path):
    """Top-level ``key: value`` pairs (enough for shim and cri)."""
    out = {}
    with open(path) as handle:
        for line in handle:
            if not line[:1].isalpha() or ':' not in line:
                continue
            key, _sep, value = line.partition(':')
            value = value.split(' #', 1)[0].strip().strip('"').strip("'")
            out[key.strip()] = value
    return out


def unix_path(value):
    return value[len('unix://'):] if value.startswith('unix://') else value


def forward_to(cri):
    """Image service calls forwarded to ``cri`` unchanged; any other service UNIMPLEMENTED."""
    def handle(connection, stream, request):
        path = dict(request['headers']).get(':path', '')
        if not path.startswith(IMAGE_PREFIX):
            service = path.lstrip('/').split('/', 1)[0]
            return connection.fail(stream, grpc_standin.UNIMPLEMENTED, 'unknown service %s' % service)
        try:
            messages = _cri.grpc_unframe(request['body'])
            reply = _cri.call('unix://' + cri, path.lstrip('/'), messages[0] if messages else b'', 600.0)
        except _cri.CriError as exc:
            code = exc.grpc_status if exc.grpc_status is not None else grpc_standin.UNAVAILABLE
            return connection.fail(stream, code, exc.message or exc.kind)
        except Exception as exc:  # a stand-in answers every call, whatever went wrong
            return connection.fail(stream, grpc_standin.INTERNAL, 'stand-in shim: %s' % exc)
        return connection.reply(stream, reply)
    return handle


def main():
    path = CONFIG
    if '-f' in sys.argv[1:]:
        path = sys.argv[sys.argv.index('-f') + 1]
    try:
        config = read_config(path)
    except OSError as exc:
        log('image-cri-shim (stand-in): cannot read %s: %s' % (path, exc.strerror))
        return 1
    shim = unix_path(config.get('shim') or '/var/run/image-cri-shim.sock')
    cri = unix_path(config.get('cri') or '')
    # The real shim's Setup: dial the CRI socket, fail hard when it is not there.
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(5.0)
        probe.connect(cri)
    except OSError as exc:
        log('cri/shim: client connection failed: cri/client: failed to connect to image services: '
            'dial unix %s: connect: %s' % (cri, os.strerror(exc.errno) if exc.errno else exc))
        return 1
    finally:
        probe.close()
    try:
        os.unlink(shim)
    except FileNotFoundError:
        pass
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(shim)
    os.chmod(shim, 0o660)
    server.listen(64)
    log('image-cri-shim (stand-in): serving %s, forwarding image calls to %s' % (shim, cri))
    grpc_standin.serve_forever(server, forward_to(cri), decoder=Decoder)


if __name__ == '__main__':
    sys.exit(main())
