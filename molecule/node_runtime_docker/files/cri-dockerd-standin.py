# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# (prepare.yml builds it with molecule/shared/grpc_standin.py into the one-file artifact the role installs)
"""STAND-IN for cri-dockerd (test fixture of the node_runtime_docker Molecule scenario).

The real cri-dockerd cannot be downloaded on the machines that run the tests. The role installs
this program (one file, built with the shared gRPC server) the way it installs cri-dockerd (from
pullfix_cri_dockerd_src, checked against its sha256), and runs it from the role's own
cri-docker.service and cri-docker.socket units.
It does what the tests need, and no more:

- like cri-dockerd, it takes its listening socket from systemd (``--container-runtime-endpoint
  fd://``: LISTEN_FDS, file descriptor 3) and tells systemd it is ready (Type=notify);
- like cri-dockerd, it needs Docker Engine: at start it asks dockerd (/var/run/docker.sock,
  GET /version) for its version and exits with an error when dockerd does not answer;
- it serves gRPC over cleartext HTTP/2 (molecule/shared/grpc_standin.py, the server side the
  stand-ins share) and answers runtime.v1.RuntimeService/Version with runtime_name "docker" and
  dockerd's own version; every other call gets UNIMPLEMENTED. It finds
  the method in the request's header block as a plain string, which is how the collection's CRI
  client (plugins/module_utils/_cri.py) sends it (HPACK literals, no Huffman coding); a client
  that Huffman-codes its headers (kubelet) would get UNIMPLEMENTED for everything.
- it runs no container, pulls no image and ignores HTTP/2 flow control for its small replies.
"""

import json
import os
import socket
import sys

import grpc_standin

VERSION_METHOD = b'/runtime.v1.RuntimeService/Version'
DOCKER_SOCKET = '/var/run/docker.sock'
SD_LISTEN_FDS_START = 3


def log(text):
    sys.stderr.write('cri-dockerd (stand-in): %s\n' % text)
    sys.stderr.flush()


def proto_string(field, value):
    data = value.encode('utf-8')
    return bytes([(field << 3) | 2, len(data)]) + data


def version_response(docker_version):
    """runtime.v1.VersionResponse: version, runtime_name, runtime_version, runtime_api_version."""
    return (proto_string(1, '0.1.0') + proto_string(2, 'docker') + proto_string(3, docker_version)
            + proto_string(4, 'v1'))


def docker_version():
    """dockerd's version over its API socket (GET /version), as cri-dockerd asks at start."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(10.0)
    try:
        conn.connect(DOCKER_SOCKET)
        conn.sendall(b'GET /version HTTP/1.0\r\nHost: docker\r\n\r\n')
        data = b''
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        conn.close()
    head, _sep, body = data.partition(b'\r\n\r\n')
    if not head.startswith(b'HTTP/1.') or b' 200 ' not in head.split(b'\r\n', 1)[0]:
        raise OSError('dockerd answered %r' % head[:60])
    return json.loads(body.decode('utf-8'))['Version']


def sd_notify(text):
    address = os.environ.get('NOTIFY_SOCKET')
    if not address:
        return
    if address.startswith('@'):
        address = '\0' + address[1:]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.connect(address)
        sock.sendall(text.encode('utf-8'))
    finally:
        sock.close()


def answer_with(message):
    """Version with ``message``; anything else UNIMPLEMENTED (the method read from the raw block)."""
    def handle(connection, stream, request):
        if VERSION_METHOD in request['block']:
            connection.reply(stream, message)
        else:
            connection.fail(stream, grpc_standin.UNIMPLEMENTED, 'cri-dockerd stand-in serves Version only')
    return handle


def listener(argv):
    endpoint = ''
    for i, arg in enumerate(argv):
        if arg == '--container-runtime-endpoint' and i + 1 < len(argv):
            endpoint = argv[i + 1]
        elif arg.startswith('--container-runtime-endpoint='):
            endpoint = arg.split('=', 1)[1]
    if endpoint != 'fd://':
        raise SystemExit('cri-dockerd (stand-in): only --container-runtime-endpoint fd:// (systemd socket) is served')
    if os.environ.get('LISTEN_PID') != str(os.getpid()) or int(os.environ.get('LISTEN_FDS') or 0) < 1:
        raise SystemExit('cri-dockerd (stand-in): no socket passed by systemd (LISTEN_FDS)')
    return socket.socket(fileno=SD_LISTEN_FDS_START)


def main():
    server = listener(sys.argv[1:])
    try:
        version = docker_version()
    except (OSError, ValueError, KeyError) as exc:
        log('cannot reach Docker Engine at %s: %s' % (DOCKER_SOCKET, exc))
        return 1
    sd_notify('READY=1')
    log('serving CRI Version for Docker Engine %s' % version)
    grpc_standin.serve_forever(server, answer_with(version_response(version)))


if __name__ == '__main__':
    sys.exit(main())
