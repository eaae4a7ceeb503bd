# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# (prepare.yml turns it into the artifact the role installs, with a python3 shebang)
"""STAND-IN for cri-dockerd (test fixture of the node_runtime_docker Molecule scenario).

The real cri-dockerd cannot be downloaded on the machines that run the tests. The role installs
this file the way it installs cri-dockerd (from pullfix_cri_dockerd_src, checked against its
sha256), and runs it from the role's own cri-docker.service and cri-docker.socket units.
It does what the tests need, and no more:

- like cri-dockerd, it takes its listening socket from systemd (``--container-runtime-endpoint
  fd://``: LISTEN_FDS, file descriptor 3) and tells systemd it is ready (Type=notify);
- like cri-dockerd, it needs Docker Engine: at start it asks dockerd (/var/run/docker.sock,
  GET /version) for its version and exits with an error when dockerd does not answer;
- it serves gRPC over cleartext HTTP/2 and answers runtime.v1.RuntimeService/Version with
  runtime_name "docker" and dockerd's own version; every other call gets UNIMPLEMENTED. It finds
  the method in the request's header block as a plain string, which is how the collection's CRI
  client (plugins/module_utils/_cri.py) sends it (HPACK literals, no Huffman coding); a client
  that Huffman-codes its headers (kubelet) would get UNIMPLEMENTED for everything.
- it runs no container, pulls no image and ignores HTTP/2 flow control for its small replies.
"""

import json
import os
import socket
import struct
import sys
import threading

PREFACE = b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
VERSION_METHOD = b'/runtime.v1.RuntimeService/Version'
DOCKER_SOCKET = '/var/run/docker.sock'
SD_LISTEN_FDS_START = 3


def log(text):
    sys.stderr.write('cri-dockerd (stand-in): %s\n' % text)
    sys.stderr.flush()


def frame(ftype, flags, stream, payload=b''):
    return struct.pack('>I', len(payload))[1:] + struct.pack('>BBI', ftype, flags, stream) + payload


def hpack_string(value):
    data = value.encode('utf-8')
    if len(data) >= 127:
        raise ValueError('header too long for this stand-in')
    return bytes([len(data)]) + data


def header_block(headers):
    """HPACK literals without indexing, new names, no Huffman coding (RFC 7541 6.2.2)."""
    return b''.join(b'\x00' + hpack_string(name) + hpack_string(value) for name, value in headers)


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


class Connection(object):
    def __init__(self, conn, answer):
        self.conn, self.answer = conn, answer
        self.lock = threading.Lock()

    def send(self, data):
        with self.lock:
            self.conn.sendall(data)

    def recv_exact(self, n):
        buf = b''
        while len(buf) < n:
            chunk = self.conn.recv(n - len(buf))
            if not chunk:
                raise EOFError()
            buf += chunk
        return buf

    def serve(self):
        try:
            if self.recv_exact(len(PREFACE)) != PREFACE:
                return
            self.send(frame(SETTINGS, 0, 0))
            methods = {}
            while True:
                head = self.recv_exact(9)
                length = struct.unpack('>I', b'\0' + head[:3])[0]
                ftype, flags, stream = head[3], head[4], struct.unpack('>I', head[5:9])[0] & 0x7FFFFFFF
                payload = self.recv_exact(length)
                if ftype == SETTINGS and not flags & ACK:
                    self.send(frame(SETTINGS, ACK, 0))
                elif ftype == PING and not flags & ACK:
                    self.send(frame(PING, ACK, 0, payload))
                elif ftype in (HEADERS, CONTINUATION):
                    methods[stream] = methods.get(stream, b'') + payload
                    if flags & END_STREAM:
                        self.reply(stream, methods.pop(stream))
                elif ftype == DATA:
                    if length:
                        self.send(frame(WINDOW_UPDATE, 0, 0, struct.pack('>I', length)))
                    if flags & END_STREAM and stream in methods:
                        self.reply(stream, methods.pop(stream))
                elif ftype == RST_STREAM:
                    methods.pop(stream, None)
                elif ftype == GOAWAY:
                    return
        except (EOFError, OSError):
            return
        finally:
            try:
                self.conn.close()
            except OSError:
                pass

    def reply(self, stream, block):
        base = [(':status', '200'), ('content-type', 'application/grpc')]
        if VERSION_METHOD not in block:
            self.send(frame(HEADERS, END_HEADERS | END_STREAM, stream, header_block(
                base + [('grpc-status', '12'), ('grpc-message', 'cri-dockerd stand-in serves Version only')])))
            return
        message = self.answer
        body = b'\0' + struct.pack('>I', len(message)) + message
        self.send(frame(HEADERS, END_HEADERS, stream, header_block(base)) + frame(DATA, 0, stream, body)
                  + frame(HEADERS, END_HEADERS | END_STREAM, stream, header_block([('grpc-status', '0')])))


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
    answer = version_response(version)
    sd_notify('READY=1')
    log('serving CRI Version for Docker Engine %s' % version)
    while True:
        conn, _addr = server.accept()
        threading.Thread(target=Connection(conn, answer).serve, daemon=True).start()


if __name__ == '__main__':
    sys.exit(main())
