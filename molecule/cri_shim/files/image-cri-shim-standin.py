# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# (prepare.yml installs it as /usr/bin/image-cri-shim with a python3 shebang)
"""STAND-IN for Sealos image-cri-shim (test fixture of the cri_shim Molecule scenario).

The real image-cri-shim cannot be installed on the offline test nodes. This stand-in behaves the
way the tests need it to, and no further:

- same unit (image-cri-shim.service), config file (/etc/image-cri-shim.yaml: ``shim``, ``cri``)
  and socket (/var/run/image-cri-shim.sock, mode 0660);
- like the real shim (pkg/shim Setup), it dials its ``cri`` socket once at start and exits with
  an error when that socket is missing or refuses: systemd's Restart= then decides what happens;
- it serves gRPC over HTTP/2 cleartext and forwards runtime.v1.ImageService calls unchanged to
  the ``cri`` socket; any other service gets UNIMPLEMENTED ("unknown service ..."), as kubelet
  sees it when its runtime endpoint is the shim;
- it does NOT rewrite image references to the local registry, has no auth, cache or reload, and
  ignores HTTP/2 flow control for its own replies (CRI image replies are small).

The CRI client it forwards with is the collection's own (plugins/module_utils/_cri.py), copied
next to it by the scenario's prepare step.
"""

import os
import socket
import struct
import sys
import threading

sys.path.insert(0, '/usr/local/lib/pullfix-shim-standin')

from ansible_collections.kubenode.pullfix.plugins.module_utils import _cri  # noqa: E402
from ansible_collections.kubenode.pullfix.plugins.module_utils._hpack import Decoder, encode_headers  # noqa: E402

CONFIG = '/etc/image-cri-shim.yaml'
PREFACE = b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY = 0x1, 0x1, 0x4, 0x8, 0x20
MAX_FRAME = 16384
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


def frame(ftype, flags, stream, payload=b''):
    return struct.pack('>I', len(payload))[1:] + struct.pack('>BBI', ftype, flags, stream) + payload


class Connection(object):
    def __init__(self, conn, cri):
        self.conn, self.cri = conn, cri
        self.lock = threading.Lock()
        self.decoder = Decoder()
        self.streams = {}

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
            block, block_stream, block_end = b'', 0, False
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
                    if ftype == HEADERS:
                        payload = self.strip(flags, payload, priority=True)
                        block, block_stream, block_end = payload, stream, bool(flags & END_STREAM)
                    else:
                        block += payload
                    if flags & END_HEADERS:
                        headers = dict(self.decoder.decode(block))
                        self.streams[block_stream] = {'path': headers.get(':path', ''), 'body': b''}
                        if block_end:
                            self.dispatch(block_stream)
                elif ftype == DATA:
                    data = self.strip(flags, payload)
                    if length:
                        self.send(frame(WINDOW_UPDATE, 0, 0, struct.pack('>I', length)))
                    if stream in self.streams:
                        self.streams[stream]['body'] += data
                        if flags & END_STREAM:
                            self.dispatch(stream)
                elif ftype == RST_STREAM:
                    self.streams.pop(stream, None)
                elif ftype == GOAWAY:
                    return
        except (EOFError, OSError):
            return
        finally:
            try:
                self.conn.close()
            except OSError:
                pass

    @staticmethod
    def strip(flags, payload, priority=False):
        if flags & PADDED:
            pad = payload[0]
            payload = payload[1:len(payload) - pad]
        if priority and flags & PRIORITY:
            payload = payload[5:]
        return payload

    def dispatch(self, stream):
        request = self.streams.pop(stream)
        threading.Thread(target=self.answer, args=(stream, request), daemon=True).start()

    def answer(self, stream, request):
        path = request['path']
        base = [(':status', '200'), ('content-type', 'application/grpc')]
        if not path.startswith(IMAGE_PREFIX):
            service = path.lstrip('/').split('/', 1)[0]
            return self.trailers_only(stream, base, 12, 'unknown service %s' % service)
        try:
            messages = _cri.grpc_unframe(request['body'])
            reply = _cri.call('unix://' + self.cri, path.lstrip('/'), messages[0] if messages else b'', 600.0)
        except _cri.CriError as exc:
            code = exc.grpc_status if exc.grpc_status is not None else 14
            return self.trailers_only(stream, base, code, exc.message or exc.kind)
        except Exception as exc:  # a stand-in answers every call, whatever went wrong
            return self.trailers_only(stream, base, 13, 'stand-in shim: %s' % exc)
        body = _cri.grpc_frame(reply)
        out = frame(HEADERS, END_HEADERS, stream, encode_headers(base))
        for pos in range(0, len(body), MAX_FRAME):
            out += frame(DATA, 0, stream, body[pos:pos + MAX_FRAME])
        out += frame(HEADERS, END_HEADERS | END_STREAM, stream, encode_headers([('grpc-status', '0')]))
        self.send(out)

    def trailers_only(self, stream, base, code, message):
        quoted = ''.join(c if 0x20 <= ord(c) < 0x7f and c != '%' else ''.join('%%%02X' % b for b in c.encode('utf-8'))
                         for c in message)
        block = encode_headers(base + [('grpc-status', str(code)), ('grpc-message', quoted)])
        self.send(frame(HEADERS, END_HEADERS | END_STREAM, stream, block))


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
    while True:
        conn, _addr = server.accept()
        threading.Thread(target=Connection(conn, cri).serve, daemon=True).start()


if __name__ == '__main__':
    sys.exit(main())
