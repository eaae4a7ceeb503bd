# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Test helpers for the CRI client: a scriptable fake gRPC server and a module runner."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import json
import socket
import struct
import threading

import pytest

from ansible.module_utils import basic

from ansible_collections.kubenode.pullfix.plugins.module_utils import _cri
from ansible_collections.kubenode.pullfix.plugins.module_utils._hpack import Decoder, encode_headers

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    from unittest import mock

    @contextlib.contextmanager
    def patch_module_args(args=None):
        payload = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode("utf-8")
        with mock.patch.object(basic, "_ANSIBLE_ARGS", payload):
            yield


def run_module(main, capsys, args):
    """Run a module's main(); returns (exit code, result dict)."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exit_info:
            main()
    return exit_info.value.code or 0, json.loads(capsys.readouterr().out)


def recv_exact(sock, size):
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError("client closed the connection")
        data += chunk
    return bytes(data)


def read_frame(sock):
    length, frame_type, flags, stream_id = _cri.decode_frame_header(recv_exact(sock, 9))
    return frame_type, flags, stream_id, recv_exact(sock, length)


class Request:
    """What the client sent on stream 1."""

    def __init__(self, headers, body):
        self.headers = headers
        self.header_map = dict(headers)
        self.path = self.header_map.get(":path")
        self.body = body
        self.messages = _cri.grpc_unframe(body)


class ServerConnection:
    """Server side of one client connection, handed to a test's responder."""

    def __init__(self, sock):
        self.sock = sock
        self.decoder = Decoder()
        self.frames_seen = []  # every frame the client sent, as (type, flags, stream, payload)

    def next_frame(self):
        frame = read_frame(self.sock)
        self.frames_seen.append(frame)
        return frame

    def read_request(self):
        preface = recv_exact(self.sock, len(_cri.PREFACE))
        assert preface == _cri.PREFACE
        block = bytearray()
        headers = None
        body = bytearray()
        while True:
            frame_type, flags, stream_id, payload = self.next_frame()
            if frame_type in (_cri.HEADERS, _cri.CONTINUATION):
                block += payload
                if flags & _cri.FLAG_END_HEADERS:
                    headers = self.decoder.decode(block)
            elif frame_type == _cri.DATA:
                body += payload
                if flags & _cri.FLAG_END_STREAM:
                    return Request(headers, bytes(body))

    def send(self, *frames):
        self.sock.sendall(b"".join(frames))

    def send_settings(self, settings=()):
        self.send(_cri.encode_settings(settings))

    def send_headers(self, headers, end_stream=False, huffman=True):
        # Like Go's HTTP/2 server: Huffman strings, literals added to the dynamic table.
        flags = _cri.FLAG_END_HEADERS | (_cri.FLAG_END_STREAM if end_stream else 0)
        block = encode_headers(headers, huffman=huffman, indexing=True)
        self.send(_cri.encode_frame(_cri.HEADERS, flags, 1, block))

    def send_reply(self, message, huffman=True):
        self.send_headers([(":status", "200"), ("content-type", "application/grpc")], huffman=huffman)
        self.send(_cri.encode_frame(_cri.DATA, 0, 1, _cri.grpc_frame(message)))
        self.send_headers([("grpc-status", "0"), ("grpc-message", "")], end_stream=True, huffman=huffman)

    def send_error(self, code, message, huffman=True):
        # A trailers-only response, as gRPC servers send for errors.
        self.send_headers(
            [(":status", "200"), ("content-type", "application/grpc"),
             ("grpc-status", str(code)), ("grpc-message", message)],
            end_stream=True, huffman=huffman)

    def send_data_flow_controlled(self, data, max_frame=16384):
        """Send DATA frames only as far as the client's windows allow, like a real server."""
        conn_window = stream_window = _cri.DEFAULT_WINDOW
        updates = []
        while data:
            while min(conn_window, stream_window) <= 0:
                frame_type, _flags, stream_id, payload = self.next_frame()
                if frame_type == _cri.WINDOW_UPDATE:
                    increment = struct.unpack(">I", payload)[0]
                    updates.append((stream_id, increment))
                    if stream_id == 0:
                        conn_window += increment
                    else:
                        stream_window += increment
            size = min(len(data), max_frame, conn_window, stream_window)
            self.send(_cri.encode_frame(_cri.DATA, 0, 1, data[:size]))
            data = data[size:]
            conn_window -= size
            stream_window -= size
        return updates


class FakeGrpcServer:
    """A unix socket server that hands each connection to responder(conn).

    The responder scripts the reply; exceptions in it are kept in .errors
    so a test can assert the server side saw what it expected.
    """

    def __init__(self, path, responder):
        self.path = path
        self.responder = responder
        self.errors = []
        self.requests = []
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(8)
        # Closing a listener does not wake a blocked accept(), so poll a flag.
        self.listener.settimeout(0.02)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve)
        self.thread.daemon = True

    @property
    def endpoint(self):
        return "unix://" + self.path

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopping.set()
        self.thread.join(15)
        self.listener.close()

    def _serve(self):
        while not self.stopping.is_set():
            try:
                sock, _addr = self.listener.accept()
            except socket.timeout:
                continue
            sock.settimeout(None)
            conn = ServerConnection(sock)
            try:
                self.responder(self, conn)
            except Exception as exc:  # pylint: disable=broad-except
                self.errors.append(exc)
            try:
                # Hang up only after the client does, as a real server keeps
                # the connection open.
                sock.settimeout(10)
                while sock.recv(65536):
                    pass
            except OSError:
                pass
            finally:
                sock.close()
