# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The gRPC server side the Molecule scenarios' STAND-INS share (test fixture, not shipped).

A stand-in replaces a CRI server that cannot be installed on the offline test nodes (Sealos
image-cri-shim, cri-dockerd). Each is one program that imports this module; the scenario builds
the two into one executable file for the node with ``python3 grpc_standin.py build STANDIN OUT``
(a zipapp run by /usr/bin/python3: the stand-in as ``__main__``, this module beside it).

What it serves, and no more: gRPC over cleartext HTTP/2 on an accepted socket; the connection
preface and SETTINGS/PING acknowledgements; one request per stream (HEADERS, CONTINUATION, DATA,
padding and priority stripped); a connection-level WINDOW_UPDATE for every DATA frame it reads;
replies and trailers-only errors with header blocks of HPACK literals (no indexing, no Huffman
coding). It ignores HTTP/2 flow control for its own replies (CRI replies here are small).
"""

import os
import struct
import sys
import threading
import zipfile

PREFACE = b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY = 0x1, 0x1, 0x4, 0x8, 0x20
MAX_FRAME = 16384
# gRPC status codes the stand-ins answer with.
UNIMPLEMENTED, INTERNAL, UNAVAILABLE = 12, 13, 14
REPLY_HEADERS = [(':status', '200'), ('content-type', 'application/grpc')]


def frame(ftype, flags, stream, payload=b''):
    return struct.pack('>I', len(payload))[1:] + struct.pack('>BBI', ftype, flags, stream) + payload


def hpack_integer(value, prefix_bits, first=0):
    """RFC 7541 5.1: ``value`` with an N-bit prefix; ``first`` holds the bits above the prefix."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append((value % 128) + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def hpack_string(value):
    data = value.encode('utf-8')
    return hpack_integer(len(data), 7) + data


def header_block(headers):
    """HPACK literals without indexing, new names, no Huffman coding (RFC 7541 6.2.2)."""
    return b''.join(b'\x00' + hpack_string(name) + hpack_string(value) for name, value in headers)


def grpc_message_header(message):
    """grpc-message is percent-encoded (gRPC over HTTP/2: "Percent-Encoded")."""
    return ''.join(c if 0x20 <= ord(c) < 0x7f and c != '%' else ''.join('%%%02X' % b for b in c.encode('utf-8'))
                   for c in message)


def strip(flags, payload, priority=False):
    """A frame's payload without its padding (and, on HEADERS, its priority fields)."""
    if flags & PADDED:
        pad = payload[0]
        payload = payload[1:len(payload) - pad]
    if priority and flags & PRIORITY:
        payload = payload[5:]
    return payload


class Connection(object):
    """One client connection. ``handle(connection, stream, request)`` answers each request, in a
    thread of its own; ``request`` is {'block': the raw header block, 'headers': what ``decode``
    made of it (None without one), 'body': the DATA bytes}. ``decode`` runs in the reading thread,
    in order, as HPACK's dynamic table needs."""

    def __init__(self, conn, handle, decode=None):
        self.conn, self.handle, self.decode = conn, handle, decode
        self.lock = threading.Lock()
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
                        block, block_stream, block_end = strip(flags, payload, priority=True), stream, bool(flags & END_STREAM)
                    else:
                        block += payload
                    if flags & END_HEADERS:
                        headers = self.decode(block) if self.decode else None
                        self.streams[block_stream] = {'block': block, 'headers': headers, 'body': b''}
                        if block_end:
                            self.dispatch(block_stream)
                elif ftype == DATA:
                    if length:
                        self.send(frame(WINDOW_UPDATE, 0, 0, struct.pack('>I', length)))
                    if stream in self.streams:
                        self.streams[stream]['body'] += strip(flags, payload)
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

    def dispatch(self, stream):
        request = self.streams.pop(stream)
        threading.Thread(target=self.handle, args=(self, stream, request), daemon=True).start()

    def reply(self, stream, message):
        """A successful unary reply: headers, the length-prefixed message, grpc-status 0."""
        body = b'\0' + struct.pack('>I', len(message)) + message
        out = frame(HEADERS, END_HEADERS, stream, header_block(REPLY_HEADERS))
        for pos in range(0, len(body), MAX_FRAME):
            out += frame(DATA, 0, stream, body[pos:pos + MAX_FRAME])
        out += frame(HEADERS, END_HEADERS | END_STREAM, stream, header_block([('grpc-status', '0')]))
        self.send(out)

    def fail(self, stream, code, message):
        """A trailers-only error reply with gRPC status ``code``."""
        self.send(frame(HEADERS, END_HEADERS | END_STREAM, stream, header_block(
            REPLY_HEADERS + [('grpc-status', str(code)), ('grpc-message', grpc_message_header(message))])))


def serve_forever(server, handle, decoder=None):
    """Accept connections on a listening socket; ``decoder()`` makes each connection's HPACK decoder."""
    while True:
        conn, _addr = server.accept()
        decode = decoder().decode if decoder else None
        threading.Thread(target=Connection(conn, handle, decode).serve, daemon=True).start()


def build(standin, out):
    """One executable file for the node: a zipapp with ``standin`` as __main__ and this module.

    The entries carry a fixed time stamp, so the same sources give the same bytes (and sha256).
    """
    entries = [('__main__.py', standin), ('grpc_standin.py', os.path.abspath(__file__))]
    tmp = out + '.tmp'
    with open(tmp, 'wb') as handle:
        handle.write(b'#!/usr/bin/python3\n')
        with zipfile.ZipFile(handle, 'w', zipfile.ZIP_DEFLATED) as archive:
            for name, path in entries:
                info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(path, 'rb') as source:
                    archive.writestr(info, source.read())
    os.chmod(tmp, 0o755)
    os.rename(tmp, out)


def main(argv):
    if len(argv) != 4 or argv[1] != 'build':
        sys.stderr.write('usage: python3 grpc_standin.py build STANDIN.py OUT\n')
        return 2
    build(argv[2], argv[3])
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
